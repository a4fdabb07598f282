//! Applying one GTFS-Realtime TripUpdate to one trip's scheduled stop times.
//!
//! Pure arithmetic on POSIX seconds, kept apart so that its properties can be tested
//! on their own: a stop's own prediction is never changed, carried predictions never
//! run backwards along a trip, and a trip without an update is left exactly as
//! scheduled.

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
    /// What the update at this very call says beyond times (SIRI).
    pub extras: crate::realtime::trip_updates::CallExtras,
}

/// Predictions for every call of a trip, as the GTFS-Realtime reference says.
///
/// Updates are matched to calls by `stop_sequence`, else by `stop_id` (the first
/// matching call after the previous match, so loops work). At a call with an
/// update, an event's `time` wins over its `delay` ("if both time and delay are
/// specified, time will take precedence"), and the call's own times are never
/// changed. The delay carried to later calls is the update's own `delay`, or,
/// when it gives only a `time`, that time against the schedule (the
/// departure's, else the arrival's); an update with only an arrival moves its
/// departure by that delay. `NO_DATA` stops the delay until the next update;
/// calls before the first update keep no prediction unless the trip has a
/// trip-level `delay` (carried until the first update that has one).
///
/// Only carried values are kept in order: a propagated time is never before the
/// previous call's departure, nor a departure before its arrival. A producer's
/// own predictions that decrease along the trip are kept as they are (the
/// ingest counts and logs them: `realtime::trip_updates`).
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
    // The previous call's departure, which carried times may not precede.
    let mut floor: Option<i64> = None;
    for (call, update) in calls.iter().zip(by_call) {
        let mut p = CallPrediction::default();
        let (mut own_arrival, mut own_departure) = (false, false);
        match update {
            Some(u) if u.relationship == StopRelationship::Skipped => {
                p.skipped = true;
                p.own = true;
                p.extras = u.extras.clone();
            }
            Some(u) if u.relationship == StopRelationship::NoData => {
                p.extras = u.extras.clone();
                delay = None;
            }
            Some(u) => {
                p.own = true;
                p.assigned_stop_id = u.assigned_stop_id.clone();
                p.extras = u.extras.clone();
                p.arrival = u.arrival.and_then(|e| at(e, call.arrival));
                p.departure = u.departure.and_then(|e| at(e, call.departure));
                (own_arrival, own_departure) = (p.arrival.is_some(), p.departure.is_some());
                p.uncertainty = u
                    .departure
                    .and_then(|e| e.uncertainty)
                    .or_else(|| u.arrival.and_then(|e| e.uncertainty));
                let carried = u
                    .departure
                    .and_then(|e| carried(e, call.departure))
                    .or_else(|| u.arrival.and_then(|e| carried(e, call.arrival)));
                if carried.is_some() {
                    delay = carried;
                }
            }
            None => {}
        }
        if !p.skipped {
            if !own_arrival {
                p.arrival = delay
                    .map(|d| call.arrival.saturating_add(d))
                    .map(|a| floor.map_or(a, |f| a.max(f)));
                // Nor after the call's own departure.
                if own_departure {
                    p.arrival = p.arrival.zip(p.departure).map(|(a, d)| a.min(d));
                }
            }
            if !own_departure {
                p.departure = delay
                    .map(|d| call.departure.saturating_add(d))
                    .map(|d| d.max(floor.unwrap_or(d)).max(p.arrival.unwrap_or(d)));
            }
            if p.departure.is_some() {
                floor = p.departure;
            }
        }
        out.push(p);
    }
    out
}

/// An event's instant: its `time`, else schedule + `delay`.
fn at(e: Event, scheduled: i64) -> Option<i64> {
    e.time
        .or_else(|| e.delay.map(|d| scheduled.saturating_add(d)))
}

/// The delay an event carries to later calls: its `delay`, else its `time`
/// against the schedule.
fn carried(e: Event, scheduled: i64) -> Option<i64> {
    e.delay
        .or_else(|| e.time.map(|t| t.saturating_sub(scheduled)))
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
            extras: Default::default(),
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

    /// The reference: "the delay from the update (or, if only time is provided
    /// in the update, a delay computed by comparing the time against the GTFS
    /// schedule time)" is what carries on.
    #[test]
    fn the_update_s_own_delay_is_carried_not_its_time() {
        let c = calls(&[0, 600, 1200]);
        let mut u = update(2, Some(30), None);
        u.departure = Some(Event {
            time: Some(630 + 120),
            delay: Some(30),
            uncertainty: None,
        });
        let p = predict(&c, &[u], None);
        // Time wins at the stop itself; its delay goes on.
        assert_eq!(p[1].departure, Some(750));
        assert_eq!(p[2].departure, Some(1230 + 30));
        // With a time alone, the time against the schedule goes on.
        let mut u = update(2, None, None);
        u.departure = Some(Event {
            time: Some(750),
            ..Event::default()
        });
        let p = predict(&c, &[u], None);
        assert_eq!(p[2].departure, Some(1230 + 120));
    }

    /// "If both time and delay are specified, time will take precedence": a
    /// stop's own prediction is never raised to what an earlier, wrong update
    /// carried.
    #[test]
    fn a_stop_s_own_time_is_never_overridden() {
        let c = calls(&[0, 600, 1200, 1800]);
        let mut own = update(3, None, None);
        own.departure = Some(Event {
            time: Some(1230 + 60),
            ..Event::default()
        });
        let p = predict(&c, &[update(2, Some(900), None), own], None);
        assert_eq!(p[1].departure, Some(630 + 900));
        assert_eq!(p[2].departure, Some(1290), "{p:?}");
        // After it, its own delay (60 s) carries on.
        assert_eq!(p[3].departure, Some(1830 + 60));
    }

    #[test]
    fn a_trip_delay_holds_until_the_first_stop_update() {
        let c = calls(&[0, 600, 1200]);
        let p = predict(&c, &[update(3, Some(60), None)], Some(240));
        let deps: Vec<_> = p.iter().map(|p| p.departure).collect();
        assert_eq!(deps, vec![Some(30 + 240), Some(630 + 240), Some(1230 + 60)]);
    }

    proptest! {
        /// Whatever the updates say: a call's own `time` is the update's, carried
        /// times never go before the previous call's departure, and a carried
        /// departure is never before its arrival.
        #[test]
        fn own_times_stand_and_carried_ones_never_run_backwards(
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
            let mut last: Option<i64> = None;
            for (call, pred) in c.iter().zip(&p) {
                // The update that speaks of this call (the last one with its sequence).
                let own = updates.iter().rev().find(|u| u.sequence == Some(call.sequence))
                    .filter(|u| u.relationship == StopRelationship::Scheduled);
                let own_arrival = own.and_then(|u| u.arrival).and_then(|e| e.time);
                if let Some(a) = own_arrival {
                    prop_assert_eq!(pred.arrival, Some(a));
                }
                let own_departure = own.and_then(|u| u.departure).is_some();
                if !own_departure {
                    if let (Some(d), Some(l)) = (pred.departure, last) {
                        prop_assert!(d >= l, "carried {} before {}", d, l);
                    }
                    if let (Some(a), Some(d)) = (pred.arrival, pred.departure) {
                        prop_assert!(d >= a);
                    }
                }
                if pred.departure.is_some() {
                    last = pred.departure;
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
