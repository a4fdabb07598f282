//! SIRI journeys matched to the timetable's trips, into the same
//! [`TripUpdate`]s GTFS-Realtime gives, so that one merge serves both.
//!
//! A journey's trip is found by the configured rules, in order
//! ([`JourneyRule`]): its ref is the `trip_id`; its train number is a
//! `trip_short_name`; or its line, with the aimed time at a stop, is a trip of
//! that route at that time. The service day is the one on which the trip's
//! timetabled time at a call is the call's aimed time. Calls are placed on the
//! trip's calls by stop, in the order of their `Order`, else of their aimed
//! times (producers send them unordered and without `Order`: IDFM does), so a
//! loop that visits a stop twice is placed right too.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};

use super::added;
use super::refs::References;
use crate::config::{DelayBounds, JourneyRule};
use crate::realtime::TripUpdates;
use crate::realtime::attachment::Attachment;
use crate::realtime::trip_updates::{StopUpdate, TripRelationship, TripUpdate};
use crate::sources::siri::{Call, Journey};
use crate::timetable::gtfs_time::instant;
use crate::timetable::route_type::direction_number;
use crate::timetable::{FeedTimetable, StopIdx, TripIdx};

/// The journeys of one delivery as trip updates, before [`Matched::attach`].
pub struct Matched {
    pub updates: Vec<TripUpdate>,
    /// Journeys received, not found, calls not placed, the rule that found
    /// each trip.
    pub counts: Attachment,
    /// Journeys merged into an earlier one of the same trip and day (the
    /// StopMonitoring visits of one train at several stops): each counts as
    /// attached if that trip's update does.
    merged: Vec<(String, Option<NaiveDate>)>,
    /// Updates made for `ExtraCall`s: attached with their journey, not as
    /// journeys of their own.
    extra_call_updates: usize,
}

impl Matched {
    /// The updates checked against the timetable as GTFS-Realtime's are
    /// ([`TripUpdates::attach`]), with the counts.
    pub fn attach(self, feed: &str, timetable: &FeedTimetable, bounds: DelayBounds) -> TripUpdates {
        let mut data =
            TripUpdates::from_updates(self.updates, self.counts).attach(feed, timetable, bounds);
        let kept = self
            .merged
            .iter()
            .filter(|(trip, day)| {
                day.map_or_else(
                    || data.has_trip(trip),
                    |day| data.find(trip, day, None).is_some(),
                )
            })
            .count();
        data.attachment.attached = (data.attachment.attached + kept)
            .saturating_sub(self.extra_call_updates)
            .min(data.attachment.received);
        data
    }
}

/// The journeys as trip updates, with what was counted on the way.
pub fn match_journeys(
    journeys: &[Journey],
    timetable: &FeedTimetable,
    refs: &References,
) -> Matched {
    let mut counts = Attachment::default();
    let mut out: Vec<TripUpdate> = Vec::new();
    let mut merged = Vec::new();
    let mut by_run: HashMap<(String, Option<NaiveDate>), usize> = HashMap::new();
    let mut extra_call_updates = 0usize;
    for journey in journeys {
        counts.received += 1;
        let calls: Vec<Placed<'_>> = ordered(&journey.calls)
            .into_iter()
            .map(|call| Placed {
                call,
                stops: call
                    .stop_point_ref
                    .as_deref()
                    .map(|r| refs.stops(timetable, r))
                    .unwrap_or_default(),
            })
            .collect();
        if journey.extra_journey {
            out.push(added::journey(journey, &calls, timetable, refs));
            continue;
        }
        let mut not_running = false;
        let found = refs.matching.journeys.iter().find_map(|rule| {
            let (found, off_day) = find(*rule, journey, &calls, timetable, refs);
            not_running |= off_day;
            found.map(|f| (rule, f))
        });
        let Some((rule, (trip, day))) = found else {
            if not_running {
                counts.not_running += 1;
            } else {
                counts.unknown_trip += 1;
            }
            continue;
        };
        *counts.matched_by.entry(rule.name()).or_default() += 1;
        let (update, extra_calls) =
            update(journey, &calls, trip, day, timetable, refs, &mut counts);
        extra_call_updates += extra_calls.len();
        out.extend(extra_calls);
        let run = (update.trip_id.clone(), update.start_date);
        match by_run.get(&run) {
            Some(&i) if out[i].relationship == update.relationship => {
                let earlier = &mut out[i];
                for u in update.stop_updates {
                    if !earlier
                        .stop_updates
                        .iter()
                        .any(|e| e.sequence == u.sequence)
                    {
                        earlier.stop_updates.push(u);
                    }
                }
                earlier.stop_updates.sort_by_key(|u| u.sequence);
                merged.push(run);
            }
            _ => {
                by_run.insert(run, out.len());
                out.push(update);
            }
        }
    }
    Matched {
        updates: out,
        counts,
        merged,
        extra_call_updates,
    }
}

/// A call with the timetable's stops its reference may name.
pub(super) struct Placed<'a> {
    pub call: &'a Call,
    pub stops: Vec<StopIdx>,
}

/// The calls in journey order: by `Order` when every call has one, else by
/// aimed time (calls without one keep their place relative to each other).
fn ordered(calls: &[Call]) -> Vec<&Call> {
    let mut out: Vec<&Call> = calls.iter().collect();
    if out.iter().all(|c| c.order.is_some()) {
        out.sort_by_key(|c| c.order);
    } else if out.iter().all(|c| c.aimed().is_some()) {
        out.sort_by_key(|c| c.aimed());
    }
    out
}

/// The trip (and day) `rule` finds for `journey`, and whether a trip was
/// found that does not run on the journey's day.
fn find(
    rule: JourneyRule,
    journey: &Journey,
    calls: &[Placed<'_>],
    timetable: &FeedTimetable,
    refs: &References,
) -> (Option<(TripIdx, Option<NaiveDate>)>, bool) {
    let candidates: Vec<TripIdx> = match rule {
        JourneyRule::TripId => journey
            .dated_vehicle_journey_ref
            .as_deref()
            .and_then(|r| refs.trip(timetable, r))
            .into_iter()
            .collect(),
        JourneyRule::TrainNumber => {
            let mut numbers = journey.train_numbers.clone();
            if numbers.is_empty()
                && let (Some(pattern), Some(r)) = (
                    refs.matching.train_number_pattern.as_ref(),
                    journey.dated_vehicle_journey_ref.as_deref(),
                )
                && let Some(n) = crate::config::siri::captured(Some(pattern), r)
            {
                numbers.push(n);
            }
            numbers
                .iter()
                .flat_map(|n| refs.numbered(n).iter().copied())
                .collect()
        }
        JourneyRule::OriginDeparture => {
            // A DirectionRef of 0 or 1 is GTFS's direction_id; other values
            // ("Aller", "inbound"…) are the producer's own and not read.
            let direction: Option<u32> = journey
                .direction_ref
                .as_deref()
                .and_then(|d| d.parse().ok());
            journey
                .line_ref
                .as_deref()
                .and_then(|l| refs.route(timetable, l))
                .map(|r| refs.of_route(r).to_vec())
                .unwrap_or_default()
                .into_iter()
                .filter(|&t| {
                    direction.is_none_or(|d| {
                        timetable.trips[t]
                            .direction
                            .is_none_or(|td| direction_number(td) == d)
                    })
                })
                .collect()
        }
    };
    // A trip id names one trip: its day is the nearest that fits. A number or
    // a line names many: the trip must be at the journey's stop at its time.
    let exact = rule != JourneyRule::TripId;
    let mut off_day = false;
    for trip in candidates {
        match day_of(trip, journey, calls, timetable, exact) {
            Day::Runs(day) => return (Some((trip, day)), off_day),
            Day::NotRunning => off_day = true,
            Day::NoFit => {}
        }
    }
    (None, off_day)
}

enum Day {
    /// The trip runs that day (None: the journey gives no time; any day).
    Runs(Option<NaiveDate>),
    NotRunning,
    NoFit,
}

/// The service day on which `trip` is at a call's stop at the call's aimed
/// time. `exact`: within a minute; else the nearest day within six hours.
fn day_of(
    trip: TripIdx,
    journey: &Journey,
    calls: &[Placed<'_>],
    timetable: &FeedTimetable,
    exact: bool,
) -> Day {
    let t = &timetable.trips[trip];
    let sts = timetable.trip_stop_times(t);
    let anchor = calls.iter().find_map(|p| {
        let c = p.call;
        let aimed = c.aimed()?;
        let st = sts.iter().find(|st| p.stops.contains(&st.stop))?;
        let seconds = if c.aimed_departure.is_some() {
            st.departure
        } else {
            st.arrival
        };
        Some((aimed, seconds))
    });
    let Some((aimed, seconds)) = anchor.or_else(|| {
        // No call with a time at a known stop: the origin's aimed departure.
        Some((journey.origin_aimed_departure?, sts.first()?.departure))
    }) else {
        // No time at all: the frame's day when it is a date, else any day.
        return match journey
            .data_frame_ref
            .as_deref()
            .and_then(|d| d.parse().ok())
        {
            Some(day) if !timetable.services.runs_on(t.service, day) => Day::NotRunning,
            Some(day) => Day::Runs(Some(day)),
            None if exact => Day::NoFit,
            None => Day::Runs(None),
        };
    };
    let local = aimed.with_timezone(&timetable.timezone).date_naive();
    let tolerance = if exact { 60 } else { 6 * 3600 };
    let best = (0..=2u64)
        .filter_map(|k| local.checked_sub_days(Days::new(k)))
        .map(|day| {
            (
                day,
                (instant(timetable.timezone, day, seconds) - aimed)
                    .num_seconds()
                    .abs(),
            )
        })
        .filter(|(_, off)| *off <= tolerance)
        .min_by_key(|(_, off)| *off);
    match best {
        None => Day::NoFit,
        Some((day, _)) if timetable.services.runs_on(t.service, day) => Day::Runs(Some(day)),
        Some(_) => Day::NotRunning,
    }
}

/// The update of timetabled `trip` on `day` from `journey`'s calls.
fn update(
    journey: &Journey,
    calls: &[Placed<'_>],
    trip: TripIdx,
    day: Option<NaiveDate>,
    timetable: &FeedTimetable,
    refs: &References,
    counts: &mut Attachment,
) -> (TripUpdate, Vec<TripUpdate>) {
    let t = &timetable.trips[trip];
    let sts = timetable.trip_stop_times(t);
    let mut placed: Vec<StopUpdate> = Vec::new();
    let mut extra_calls = Vec::new();
    let mut cursor = 0usize;
    for (j, Placed { call, stops }) in calls.iter().enumerate() {
        let at = |from: usize| {
            sts[from.min(sts.len())..]
                .iter()
                .position(|st| stops.contains(&st.stop))
                .map(|i| i + from)
        };
        let Some(i) = at(cursor).or_else(|| at(0)) else {
            if call.extra_call && !stops.is_empty() {
                extra_calls.push(j);
            } else {
                counts.unknown_stop += 1;
            }
            continue;
        };
        cursor = i + 1;
        let st = &sts[i];
        if placed.iter().any(|u| u.sequence == Some(st.sequence)) {
            continue;
        }
        let mut u = added::stop_update(call, timetable, refs);
        u.sequence = Some(st.sequence);
        u.stop_id = Some(timetable.stops[st.stop].id.clone());
        placed.push(u);
    }
    placed.sort_by_key(|u| u.sequence);
    let extras = extra_calls
        .into_iter()
        .filter_map(|j| added::extra_call(j, calls, trip, day, timetable, refs))
        .collect();
    let update = TripUpdate {
        entity_id: journey
            .dated_vehicle_journey_ref
            .clone()
            .unwrap_or_else(|| t.id.clone()),
        trip_id: t.id.clone(),
        route_id: None,
        start_date: day,
        start_time: None,
        relationship: if journey.cancellation {
            TripRelationship::Canceled
        } else {
            TripRelationship::Scheduled
        },
        delay: None,
        stop_updates: placed,
        new_trip_id: None,
        new_start_date: None,
        new_start_time: None,
        headsign: None,
    };
    (update, extras)
}
