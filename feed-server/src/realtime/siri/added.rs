//! What SIRI adds beyond the timetable's trips (an `ExtraJourney`, an
//! `ExtraCall` of a timetabled trip), and what one call says
//! ([`stop_update`]), as GTFS-Realtime-shaped updates.

use chrono::{DateTime, NaiveDate, Utc};
use quai_protocol::DepartureStatus;

use super::journeys::Placed;
use super::refs::References;
use crate::realtime::trip_updates::{
    CallExtras, Event, StopRelationship, StopUpdate, TripRelationship, TripUpdate,
};
use crate::sources::siri::{Call, CallStatus, Journey};
use crate::timetable::{FeedTimetable, StopIdx, TripIdx, headsign_and_number};

/// An `ExtraCall` of a timetabled trip at a stop the timetable does not give
/// it: a departure of its own from that stop, as an added trip of two calls
/// (the extra one and the journey's next call with a time), on the trip's
/// route, to its destination. Its id is the trip's and the stop's.
pub(super) fn extra_call(
    j: usize,
    calls: &[Placed<'_>],
    trip: TripIdx,
    day: Option<NaiveDate>,
    timetable: &FeedTimetable,
    refs: &References,
) -> Option<TripUpdate> {
    let t = &timetable.trips[trip];
    let here = &calls[j];
    let next = calls[j + 1..]
        .iter()
        .find(|p| !p.stops.is_empty() && p.call.aimed().is_some())?;
    let stop_ids: Vec<String> = [here, next]
        .iter()
        .map(|p| timetable.stops[p.stops[0]].id.clone())
        .collect();
    let mut stop_updates = Vec::new();
    for (p, stop_id) in [here, next].into_iter().zip(stop_ids.iter()) {
        let mut u = stop_update(p.call, timetable, refs);
        u.stop_id = Some(stop_id.clone());
        for (event, aimed) in [
            (&mut u.departure, p.call.aimed_departure),
            (&mut u.arrival, p.call.aimed_arrival),
        ] {
            if event.is_none() {
                *event = aimed.map(|a| Event {
                    time: Some(a.timestamp()),
                    delay: Some(0),
                    uncertainty: None,
                });
            }
        }
        stop_updates.push(u);
    }
    let id = format!("{}~{}", t.id, stop_ids[0]);
    let last_stop = timetable
        .trip_stop_times(t)
        .last()
        .map(|st| timetable.stop_name(st.stop))
        .unwrap_or_default();
    let (headsign, _) = headsign_and_number(
        None,
        t.headsign.as_deref(),
        t.short_name.as_deref(),
        last_stop,
    );
    Some(added_trip(
        id,
        Some(timetable.routes[t.route].id.clone()),
        day,
        stop_updates,
        Some(headsign),
    ))
}

/// An `ExtraJourney`: a trip of its own, its calls the stops it names.
pub(super) fn journey(
    journey: &Journey,
    calls: &[Placed<'_>],
    timetable: &FeedTimetable,
    refs: &References,
) -> TripUpdate {
    let stop_updates: Vec<StopUpdate> = calls
        .iter()
        .filter_map(|&Placed { call, ref stops }| {
            let stop = *stops.first()?;
            let mut u = stop_update(call, timetable, refs);
            u.stop_id = Some(timetable.stops[stop].id.clone());
            // An added call has no timetable: its aimed time stands in.
            for (event, aimed) in [
                (&mut u.departure, call.aimed_departure),
                (&mut u.arrival, call.aimed_arrival),
            ] {
                if event.is_none() {
                    *event = aimed.map(|a| Event {
                        time: Some(a.timestamp()),
                        delay: Some(0),
                        uncertainty: None,
                    });
                }
            }
            Some(u)
        })
        .collect();
    let first = calls.iter().find_map(|p| p.call.aimed());
    let day = first.map(|a| a.with_timezone(&timetable.timezone).date_naive());
    // Without a ref, an id from what stays when the producer reorders its
    // journeys: the line and the first aimed time.
    let id = journey
        .dated_vehicle_journey_ref
        .clone()
        .unwrap_or_else(|| {
            format!(
                "siri-extra:{}:{}",
                journey.line_ref.as_deref().unwrap_or_default(),
                first.map(|t| t.timestamp()).unwrap_or_default()
            )
        });
    let route_id = journey
        .line_ref
        .as_deref()
        .and_then(|l| refs.route(timetable, l))
        .map(|r| timetable.routes[r].id.clone());
    let headsign = journey.destination_name.clone().or_else(|| {
        calls
            .iter()
            .find_map(|p| p.call.destination_display.clone())
    });
    added_trip(id, route_id, day, stop_updates, headsign)
}

/// An ADDED trip of the GTFS-Realtime model, as the board merges them.
fn added_trip(
    id: String,
    route_id: Option<String>,
    start_date: Option<NaiveDate>,
    stop_updates: Vec<StopUpdate>,
    headsign: Option<String>,
) -> TripUpdate {
    TripUpdate {
        entity_id: id.clone(),
        trip_id: id,
        route_id,
        start_date,
        start_time: None,
        relationship: TripRelationship::Added,
        delay: None,
        stop_updates,
        new_trip_id: None,
        new_start_date: None,
        new_start_time: None,
        headsign,
    }
}

/// A call's status as a board's word, when it is one.
fn said(status: Option<CallStatus>) -> Option<DepartureStatus> {
    match status {
        Some(CallStatus::OnTime) => Some(DepartureStatus::OnTime),
        Some(CallStatus::Early) => Some(DepartureStatus::Early),
        Some(CallStatus::Delayed) => Some(DepartureStatus::Delayed),
        _ => None,
    }
}

/// What one call says: its times (actual, else expected; the aimed time when
/// the producer says it is on time without another), cancelled or not
/// reported, its platform and quay.
pub(super) fn stop_update(call: &Call, timetable: &FeedTimetable, refs: &References) -> StopUpdate {
    let event = |actual: Option<DateTime<Utc>>,
                 expected: Option<DateTime<Utc>>,
                 aimed: Option<DateTime<Utc>>,
                 status: Option<CallStatus>| {
        let time = actual
            .or(expected)
            .or(aimed.filter(|_| status == Some(CallStatus::OnTime)))?;
        Some(Event {
            time: Some(time.timestamp()),
            delay: aimed.map(|a| (time - a).num_seconds()),
            uncertainty: None,
        })
    };
    let arrival = event(
        call.actual_arrival,
        call.expected_arrival,
        call.aimed_arrival,
        call.arrival_status,
    );
    let departure = event(
        call.actual_departure,
        call.expected_departure,
        call.aimed_departure,
        call.departure_status,
    );
    let no_report =
        [call.departure_status, call.arrival_status].contains(&Some(CallStatus::NoReport));
    let relationship = if call.is_cancelled() {
        StopRelationship::Skipped
    } else if no_report && arrival.is_none() && departure.is_none() {
        StopRelationship::NoData
    } else {
        StopRelationship::Scheduled
    };
    let assigned_stop_id = match (&call.aimed_quay, &call.expected_quay) {
        (aimed, Some(expected)) if aimed.as_ref() != Some(expected) => refs
            .stops(timetable, expected)
            .first()
            .map(|s: &StopIdx| timetable.stops[*s].id.clone()),
        _ => None,
    };
    StopUpdate {
        sequence: None,
        stop_id: None,
        arrival,
        departure,
        relationship,
        assigned_stop_id,
        extras: CallExtras {
            platform: call.platform.clone(),
            vehicle_at_stop: call.vehicle_at_stop,
            headsign: call.destination_display.clone(),
            status: said(call.departure_status.or(call.arrival_status)),
            arrival_status: said(call.arrival_status),
        },
    }
}
