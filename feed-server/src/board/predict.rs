//! Applying one GTFS-Realtime TripUpdate to one trip's scheduled stop times.
//!
//! Pure arithmetic on POSIX seconds, kept apart so that its properties can be tested
//! on their own: predictions never run backwards along a trip, and a trip without an
//! update is left exactly as scheduled.

use crate::realtime::trip_updates::{Event, StopRelationship, StopUpdate};

/// One scheduled call, in POSIX seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call<'a> {
    pub sequence: u32,
    pub stop_id: &'a str,
    pub arrival: i64,
    pub departure: i64,
}

/// What realtime says of one call.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallPrediction {
    /// Predicted departure (POSIX seconds); None when nothing is known.
    pub departure: Option<i64>,
    /// Predicted arrival.
    pub arrival: Option<i64>,
    /// Whether the prediction comes from an update at this very stop.
    pub own: bool,
    pub skipped: bool,
    pub uncertainty: Option<i64>,
    /// The stop the vehicle will really use, when it is not the planned one.
    pub assigned_stop_id: Option<String>,
}

/// Predictions for every call of a trip.
///
/// Updates are matched to calls by `stop_sequence`, else by `stop_id` (the first
/// matching call after the previous match, so loops work). At a call with an update
/// the departure is its `time`, else schedule + `delay`; an update with only an
/// arrival moves the departure by the arrival's delay. The delay then carries over to
/// later calls without an update; `NO_DATA` stops it until the next update; calls
/// before the first update keep no prediction unless the trip has a trip-level
/// `delay`. Predicted times never decrease along the trip.
pub fn predict(
    calls: &[Call<'_>],
    updates: &[StopUpdate],
    trip_delay: Option<i64>,
) -> Vec<CallPrediction> {
    let mut by_call: Vec<Option<&StopUpdate>> = vec![None; calls.len()];
    let mut cursor = 0usize;
    for u in updates {
        let found = match (u.sequence, u.stop_id.as_deref()) {
            (Some(seq), _) => calls.iter().position(|c| c.sequence == seq),
            (None, Some(stop)) => calls[cursor.min(calls.len())..]
                .iter()
                .position(|c| c.stop_id == stop)
                .map(|i| i + cursor),
            (None, None) => None,
        };
        if let Some(i) = found {
            by_call[i] = Some(u);
            cursor = i + 1;
        }
    }

    let mut out = Vec::with_capacity(calls.len());
    let mut delay = trip_delay;
    let mut floor: Option<i64> = None;
    for (call, update) in calls.iter().zip(by_call) {
        let mut p = CallPrediction::default();
        match update {
            Some(u) if u.relationship == StopRelationship::Skipped => {
                p.skipped = true;
                p.own = true;
            }
            Some(u) if u.relationship == StopRelationship::NoData => {
                delay = None;
            }
            Some(u) => {
                p.own = true;
                p.assigned_stop_id = u.assigned_stop_id.clone();
                let arrival = u.arrival.and_then(|e| at(e, call.arrival));
                let departure = u.departure.and_then(|e| at(e, call.departure)).or_else(|| {
                    arrival.map(|a| {
                        call.departure
                            .saturating_add(a.saturating_sub(call.arrival))
                    })
                });
                p.uncertainty = u
                    .departure
                    .and_then(|e| e.uncertainty)
                    .or_else(|| u.arrival.and_then(|e| e.uncertainty));
                if let Some(d) = departure {
                    delay = Some(d.saturating_sub(call.departure));
                }
                p.arrival = arrival.or_else(|| delay.map(|d| call.arrival.saturating_add(d)));
                p.departure = departure;
            }
            None => {}
        }
        if !p.skipped {
            if p.departure.is_none() {
                p.departure = delay.map(|d| call.departure.saturating_add(d));
            }
            if p.arrival.is_none() {
                p.arrival = delay.map(|d| call.arrival.saturating_add(d));
            }
            // Never backwards: not before the previous call, not before arriving.
            if let (Some(a), Some(f)) = (p.arrival, floor) {
                p.arrival = Some(a.max(f));
            }
            if let Some(d) = p.departure {
                let d = d.max(floor.unwrap_or(d)).max(p.arrival.unwrap_or(d));
                p.departure = Some(d);
                floor = Some(d);
            }
        }
        out.push(p);
    }
    out
}

fn at(e: Event, scheduled: i64) -> Option<i64> {
    e.time
        .or_else(|| e.delay.map(|d| scheduled.saturating_add(d)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn calls(times: &[i64]) -> Vec<Call<'static>> {
        const STOPS: [&str; 8] = ["a", "b", "c", "d", "e", "f", "g", "h"];
        times
            .iter()
            .enumerate()
            .map(|(i, &t)| Call {
                sequence: i as u32 + 1,
                stop_id: STOPS[i % STOPS.len()],
                arrival: t,
                departure: t + 30,
            })
            .collect()
    }

    fn update(
        sequence: u32,
        departure_delay: Option<i64>,
        arrival_time: Option<i64>,
    ) -> StopUpdate {
        StopUpdate {
            sequence: Some(sequence),
            stop_id: None,
            arrival: arrival_time.map(|t| Event {
                time: Some(t),
                ..Event::default()
            }),
            departure: departure_delay.map(|d| Event {
                delay: Some(d),
                ..Event::default()
            }),
            relationship: StopRelationship::Scheduled,
            assigned_stop_id: None,
        }
    }

    #[test]
    fn a_delay_propagates_until_the_next_update() {
        let c = calls(&[0, 600, 1200, 1800, 2400]);
        let p = predict(
            &c,
            &[update(2, Some(120), None), update(4, Some(60), None)],
            None,
        );
        let deps: Vec<_> = p.iter().map(|p| p.departure).collect();
        assert_eq!(
            deps,
            vec![None, Some(750), Some(1350), Some(1890), Some(2490)]
        );
        assert!(!p[2].own && p[1].own);
    }

    #[test]
    fn an_arrival_only_update_moves_the_departure_and_no_data_stops_predictions() {
        // Caltrain trip 128 at seq 20: only an arrival, 148 s early; it carries on.
        let c = calls(&[0, 600, 1200, 1800]);
        let mut no_data = update(4, None, None);
        no_data.relationship = StopRelationship::NoData;
        let p = predict(&c, &[update(2, None, Some(600 - 148)), no_data], None);
        assert_eq!(p[1].departure, Some(630 - 148));
        assert_eq!(p[2].departure, Some(1230 - 148));
        assert_eq!(p[3].departure, None);
    }

    #[test]
    fn updates_by_stop_id_and_skipped_stops() {
        let c = calls(&[0, 600, 1200]);
        let mut skip = update(0, None, None);
        skip.sequence = None;
        skip.stop_id = Some("b".into());
        skip.relationship = StopRelationship::Skipped;
        let mut first = update(0, Some(60), None);
        first.sequence = None;
        first.stop_id = Some("a".into());
        let p = predict(&c, &[first, skip], None);
        assert_eq!(p[0].departure, Some(90));
        assert!(p[1].skipped && p[1].departure.is_none());
        assert_eq!(p[2].departure, Some(1290));
    }

    proptest! {
        /// Whatever the updates say, predicted times never go backwards along a trip,
        /// and a departure is never before its arrival.
        #[test]
        fn predictions_never_run_backwards(
            gaps in proptest::collection::vec(0i64..900, 2..8),
            raw in proptest::collection::vec((1u32..9, proptest::option::of(-900i64..900), proptest::option::of(0i64..8000), 0u8..3), 0..8),
            trip_delay in proptest::option::of(-600i64..600),
        ) {
            let mut t = 0;
            let times: Vec<i64> = gaps.iter().map(|g| { t += g; t }).collect();
            let c = calls(&times);
            let updates: Vec<StopUpdate> = raw.iter().map(|(seq, delay, arr, rel)| {
                let mut u = update(*seq, *delay, *arr);
                u.relationship = match rel { 0 => StopRelationship::Scheduled, 1 => StopRelationship::Skipped, _ => StopRelationship::NoData };
                u
            }).collect();
            let p = predict(&c, &updates, trip_delay);
            let mut last = i64::MIN;
            for call in &p {
                if let (Some(a), Some(d)) = (call.arrival, call.departure) {
                    prop_assert!(d >= a);
                }
                if let Some(d) = call.departure {
                    prop_assert!(d >= last);
                    last = d;
                }
            }
        }

        /// No update, no trip delay: nothing is predicted, the schedule stands.
        #[test]
        fn without_realtime_the_schedule_stands(gaps in proptest::collection::vec(0i64..900, 2..8)) {
            let mut t = 0;
            let times: Vec<i64> = gaps.iter().map(|g| { t += g; t }).collect();
            let p = predict(&calls(&times), &[], None);
            prop_assert!(p.iter().all(|c| c.departure.is_none() && !c.skipped));
        }
    }
}
