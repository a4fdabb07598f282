//! What a message's trip updates attach to: each update checked against the
//! feed's timetable once, when the message is accepted, so that boards read
//! only updates that mean something, and the operator sees the ones that do not.
//!
//! A realtime feed whose updates match no running trip (another operator's ids,
//! a holiday with weekday trips, RT ids that are not static ids) would otherwise
//! look healthy: fresh, and changing nothing. [`Attachment`] counts, per
//! message, what was received, attached, and dropped and why; `/healthz`,
//! `/metrics`, the log and `feed-server check` show it.
//!
//! Producers that break the spec are repaired where the intent is clear:
//! - a `stop_sequence` whose call is another stop than the update's `stop_id`:
//!   `stop_id` is trusted (the trip's nearest call of that stop), and an update
//!   of a stop the trip does not call at is dropped;
//! - a delay beyond the configured bounds (default 3 h late, 1 h early) is a
//!   producer's error: the event is dropped, not shown;
//! - own predictions that decrease along a trip are kept (a stop's own time
//!   wins, as the reference says), counted, and logged once per trip.

use std::collections::HashSet;

pub use crate::config::DelayBounds;

use super::trip_updates::{Event, StopRelationship, StopUpdate, TripRelationship, TripUpdate};
use crate::timetable::gtfs_time::instant;
use crate::timetable::{FeedTimetable, StopTime};

/// What became of one message's trip updates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attachment {
    /// Trip update entities in the message.
    pub received: usize,
    /// Of them, those that reach a trip (timetabled and running that day, or
    /// added, or a copy).
    pub attached: usize,
    /// Entities dropped: a trip id the timetable does not have (not ADDED).
    pub unknown_trip: usize,
    /// Entities dropped: the trip does not run on the update's `start_date`.
    pub not_running: usize,
    /// Entities dropped: the same trip run sent again, or a copy that changes
    /// nothing (a DUPLICATED at the original's own start time).
    pub duplicate: usize,
    /// Stop time updates dropped: a stop (or sequence) the trip does not call at.
    pub unknown_stop: usize,
    /// Stop time updates whose `stop_sequence` named another stop than their
    /// `stop_id`, read by `stop_id`.
    pub stop_corrected: usize,
    /// Stop time events dropped: a delay beyond the bounds.
    pub implausible: usize,
    /// Trips whose own predictions decrease along the trip (kept).
    pub decreasing: usize,
    /// SIRI: journeys found by each matching rule.
    pub matched_by: std::collections::BTreeMap<&'static str, usize>,
}

impl Attachment {
    /// The share of trip updates that attach, in percent (None without any).
    pub fn percent(&self) -> Option<u32> {
        (self.received > 0).then(|| (self.attached * 100 / self.received) as u32)
    }

    /// Why the share is what it is, for `/healthz` and the log.
    pub fn summary(&self) -> String {
        let mut dropped: Vec<String> = [
            ("unknown trip", self.unknown_trip),
            ("not running that day", self.not_running),
            ("duplicate", self.duplicate),
        ]
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(what, n)| format!("{what} {n}"))
        .collect();
        if dropped.is_empty() {
            dropped.push("none dropped".into());
        }
        if !self.matched_by.is_empty() {
            let rules: Vec<String> = self
                .matched_by
                .iter()
                .map(|(rule, n)| format!("{rule} {n}"))
                .collect();
            dropped.push(format!("found by {}", rules.join(", ")));
        }
        format!(
            "{} of {} trip updates attach to a running trip ({})",
            self.attached,
            self.received,
            dropped.join(", ")
        )
    }
}

/// Checks every update of a timetabled trip against `timetable`: drops those
/// of trips not running that day and repeated runs, repairs or drops their stop
/// updates, drops implausible events; counts it all in `counts`. Returns the
/// updates kept. `feed` names the feed in the log.
pub fn attach(
    feed: &str,
    updates: Vec<TripUpdate>,
    timetable: &FeedTimetable,
    bounds: DelayBounds,
    counts: &mut Attachment,
) -> Vec<TripUpdate> {
    let mut seen = HashSet::new();
    let mut kept = Vec::with_capacity(updates.len());
    for mut update in updates {
        let Some(trip) = timetable
            .trip_index(&update.trip_id)
            .map(|t| &timetable.trips[t])
        else {
            counts.unknown_trip += 1;
            continue;
        };
        if let Some(day) = update.start_date
            && !timetable.services.runs_on(trip.service, day)
        {
            counts.not_running += 1;
            continue;
        }
        if !seen.insert((update.trip_id.clone(), update.start_date, update.start_time)) {
            counts.duplicate += 1;
            continue;
        }
        let calls = timetable.trip_stop_times(trip);
        let stop_id = |st: &StopTime| timetable.stops[st.stop].id.as_str();
        update.stop_updates = update
            .stop_updates
            .into_iter()
            .filter_map(|u| resolve(u, calls, &stop_id, counts))
            .collect();
        if update.relationship != TripRelationship::Canceled {
            let day = update.start_date;
            for u in &mut update.stop_updates {
                let Some(call) = calls.iter().find(|c| Some(c.sequence) == u.sequence) else {
                    continue;
                };
                let zero = day.map(|d| instant(timetable.timezone, d, 0).timestamp());
                for (event, scheduled) in [
                    (&mut u.arrival, call.arrival),
                    (&mut u.departure, call.departure),
                ] {
                    if event.is_some_and(|e| implausible(e, zero, scheduled, bounds)) {
                        *event = None;
                        counts.implausible += 1;
                    }
                }
            }
            update.stop_updates.retain(|u| {
                u.relationship != StopRelationship::Scheduled
                    || u.arrival.is_some()
                    || u.departure.is_some()
                    || !u.extras.is_empty()
            });
            if decreasing(&update.stop_updates) {
                counts.decreasing += 1;
                tracing::info!(
                    feed,
                    trip = %update.trip_id,
                    "the producer's own predictions decrease along this trip; kept as given"
                );
            }
        }
        counts.attached += 1;
        kept.push(update);
    }
    kept
}

/// The update with the sequence of the call it is about, or None when the
/// trip has no such call.
fn resolve<'a>(
    mut u: StopUpdate,
    calls: &'a [StopTime],
    stop_id: &impl Fn(&'a StopTime) -> &'a str,
    counts: &mut Attachment,
) -> Option<StopUpdate> {
    let at_sequence = u
        .sequence
        .and_then(|seq| calls.iter().find(|c| c.sequence == seq));
    match (at_sequence, u.stop_id.as_deref()) {
        (Some(call), Some(stop)) if stop_id(call) != stop => {
            // stop_id wins: the trip's call of that stop nearest the sequence given.
            let seq = u.sequence.unwrap_or_default();
            let nearest = calls
                .iter()
                .filter(|c| stop_id(c) == stop)
                .min_by_key(|c| c.sequence.abs_diff(seq));
            match nearest {
                Some(c) => {
                    u.sequence = Some(c.sequence);
                    counts.stop_corrected += 1;
                    Some(u)
                }
                None => {
                    counts.unknown_stop += 1;
                    None
                }
            }
        }
        (Some(_), _) => Some(u),
        (None, Some(stop)) if u.sequence.is_none() => {
            if calls.iter().any(|c| stop_id(c) == stop) {
                Some(u)
            } else {
                counts.unknown_stop += 1;
                None
            }
        }
        (None, _) => {
            counts.unknown_stop += 1;
            None
        }
    }
}

/// Whether an event's delay is beyond `bounds`: its `delay`, or its `time`
/// against the schedule of the service day starting at `zero` (unknown without
/// a `start_date`: only a `delay` is checked then).
fn implausible(e: Event, zero: Option<i64>, scheduled: u32, bounds: DelayBounds) -> bool {
    let delay = e.delay.or_else(|| {
        let zero = zero?;
        Some(e.time? - (zero + i64::from(scheduled)))
    });
    delay.is_some_and(|d| d > bounds.late_s || d < -bounds.early_s)
}

/// Whether the producer's own times, in stop order, ever go backwards.
fn decreasing(updates: &[StopUpdate]) -> bool {
    let mut last = None;
    for u in updates {
        for t in [u.arrival, u.departure]
            .into_iter()
            .flatten()
            .filter_map(|e| e.time)
        {
            if last.is_some_and(|l| t < l) {
                return true;
            }
            last = Some(t);
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(seq: Option<u32>, stop: Option<&str>) -> StopUpdate {
        StopUpdate {
            sequence: seq,
            stop_id: stop.map(str::to_string),
            arrival: None,
            departure: Some(Event {
                delay: Some(60),
                ..Event::default()
            }),
            relationship: StopRelationship::Scheduled,
            assigned_stop_id: None,
            extras: Default::default(),
        }
    }

    #[test]
    fn decreasing_own_times_are_seen() {
        let t = |time| StopUpdate {
            departure: Some(Event {
                time: Some(time),
                ..Event::default()
            }),
            ..update(None, None)
        };
        assert!(decreasing(&[t(100), t(50)]));
        assert!(!decreasing(&[t(100), t(100), t(160)]));
    }

    #[test]
    fn delays_beyond_the_bounds_are_implausible() {
        let b = DelayBounds::default();
        let e = |delay| Event {
            delay: Some(delay),
            ..Event::default()
        };
        assert!(!implausible(e(3 * 3600), None, 0, b));
        assert!(implausible(e(3 * 3600 + 1), None, 0, b));
        assert!(implausible(e(-3601), None, 0, b));
        let late = Event {
            time: Some(1000 + 4 * 3600),
            ..Event::default()
        };
        assert!(implausible(late, Some(1000), 0, b));
        assert!(!implausible(late, None, 0, b));
    }
}
