//! One run of a trip as `GET /v1/trips/{id}` shows it: every call with its
//! scheduled and expected times, status and platform, worked out by the
//! same rules as the boards' departures ([`board::call_departure`]), where
//! its vehicle is, and the notices on the trip, its line or its stops (the
//! board's notice rules run against a stand-in station made of them).
//!
//! The id is any departure id of a board: a timetabled trip on a day it
//! runs (an instance of a `frequencies.txt` trip by its start time). A trip
//! added by realtime is not in the timetable and is not known here.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use quai_protocol as wire;

use crate::board::predict::predict;
use crate::board::{self, CallInputs, DepartureId};
use crate::feed::StopRef;
use crate::notice::KeptNotice;
use crate::realtime::trip_updates::TripRelationship;
use crate::station::{ScheduledDeparture, Station};
use crate::timetable::gtfs_time::{rfc3339, service_day_origin};

/// Why there is no such run.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TripError {
    #[error("no feed has the id `{0}`")]
    UnknownFeed(String),
    #[error("feed `{feed}` has no trip `{trip}` (a trip added by realtime is only on the boards)")]
    UnknownTrip { feed: String, trip: String },
    #[error("trip `{trip}` does not run on {day}")]
    NotRunning { trip: String, day: String },
    #[error("trip `{trip}` has no call {sequence}")]
    NoSuchCall { trip: String, sequence: u32 },
}

/// The run `id` at `now`.
pub fn view(
    calls: &CallInputs<'_>,
    operator_notices: &[Arc<KeptNotice>],
    id: &DepartureId,
    now: DateTime<Utc>,
) -> Result<wire::Trip, TripError> {
    let (fi, feed_record) = calls
        .feeds
        .find(id.feed.as_str())
        .ok_or_else(|| TripError::UnknownFeed(id.feed.to_string()))?;
    let feed = &*feed_record.timetable;
    let unknown = || TripError::UnknownTrip {
        feed: id.feed.to_string(),
        trip: id.trip.clone(),
    };
    let ti = feed.trip_index(&id.trip).ok_or_else(unknown)?;
    let trip = &feed.trips[ti];
    let day = id.service_day;
    let not_running = || TripError::NotRunning {
        trip: id.trip.clone(),
        day: day.to_string(),
    };
    if !feed.services.runs_on(trip.service, day) {
        return Err(not_running());
    }
    let stop_times = feed.trip_stop_times(trip);
    if !stop_times.iter().any(|s| s.sequence == id.stop_sequence) {
        return Err(TripError::NoSuchCall {
            trip: id.trip.clone(),
            sequence: id.stop_sequence,
        });
    }
    // An instance of a frequency-based trip is the template shifted to its
    // start, which must be one of the trip's.
    let first = stop_times.first().map_or(0, |s| s.departure);
    let shift = match id.start_time {
        None if trip.frequencies.is_empty() => 0,
        Some(start)
            if trip.frequencies.iter().any(|f| {
                start >= f.start
                    && start < f.end
                    && f.headway > 0
                    && (start - f.start) % f.headway == 0
            }) =>
        {
            i64::from(start) - i64::from(first)
        }
        _ => return Err(not_running()),
    };
    let tz = feed.timezone;
    let origin = service_day_origin(tz, day);
    let runs: Vec<ScheduledDeparture> = (0..stop_times.len())
        .map(|k| {
            let stop_time = feed.call(trip, k);
            ScheduledDeparture {
                feed: fi,
                trip: ti,
                stop_time,
                service_day: day,
                instance: id.start_time,
                time: origin
                    + Duration::seconds(i64::from(feed.stop_times[stop_time].departure) + shift),
            }
        })
        .collect();
    // Realtime that gives no date (some producers) is taken to be of the
    // run near now only: not of tomorrow's, nor of last week's.
    let near = match (runs.first(), runs.last()) {
        (Some(a), Some(b)) => {
            let lookback =
                Duration::from_std(calls.settings.realtime_lookback).unwrap_or(Duration::MAX);
            let horizon = Duration::from_std(calls.settings.horizon).unwrap_or(Duration::MAX);
            b.time >= now - lookback && a.time <= now + horizon
        }
        _ => false,
    };
    let (tu, siri) = runs.first().map_or((None, None), |d| calls.updates(d));
    let dated = |u: &&crate::realtime::trip_updates::TripUpdate| u.start_date.is_some() || near;
    let (tu, siri) = (tu.filter(dated), siri.filter(dated));
    let update = tu.or(siri);
    let cancelled = update.is_some_and(|u| u.relationship == TripRelationship::Canceled);
    // Arrival times: the prediction of each call (departures come from the
    // board's own rules below).
    let arrivals: Vec<Option<i64>> = match (update, runs.first()) {
        (Some(u), Some(d)) if !cancelled => {
            predict(&board::trip_calls(feed, trip, d), &u.stop_updates, u.delay)
                .into_iter()
                .map(|p| p.arrival)
                .collect()
        }
        _ => Vec::new(),
    };
    let at = |t: DateTime<Utc>| rfc3339(tz, t);
    let last = stop_times.len().saturating_sub(1);
    let mut asked = None;
    let mut realtime = false;
    let mut out_calls = Vec::with_capacity(runs.len());
    for (k, d) in runs.iter().enumerate() {
        let (mut departure, stop) = board::call_departure(calls, d, tu, siri);
        // As on the boards: a call whose expected time has passed has left.
        if departure.expected.is_some_and(|e| e < now)
            && !matches!(
                departure.status,
                wire::DepartureStatus::Cancelled | wire::DepartureStatus::Skipped
            )
        {
            departure.status = wire::DepartureStatus::Departed;
        }
        realtime |= departure.realtime;
        let st = &feed.stop_times[d.stop_time];
        let scheduled_arrival = origin + Duration::seconds(i64::from(st.arrival) + shift);
        let delay = departure.delay_s;
        if st.sequence == id.stop_sequence {
            asked = Some(departure.clone());
        }
        out_calls.push(wire::TripCall {
            departure_id: departure.id.to_string(),
            stop_sequence: st.sequence,
            stop_id: departure.stop.to_string(),
            stop_name: feed.stop_name(stop).to_string(),
            platform: departure.platform.clone(),
            platform_changed: departure.platform_changed,
            scheduled_arrival: (k > 0).then(|| at(scheduled_arrival)),
            scheduled_departure: (k < last).then(|| at(departure.scheduled)),
            expected_arrival: (k > 0)
                .then(|| arrivals.get(k).copied().flatten())
                .flatten()
                .and_then(|t| DateTime::from_timestamp(t, 0))
                .map(at),
            expected_departure: departure.expected.filter(|_| k < last).map(at),
            delay_s: delay,
            status: departure.status,
        });
    }
    let asked = asked.ok_or_else(unknown)?;
    let vehicle = calls
        .realtime
        .get(fi)
        .and_then(|v| v.vehicles.as_ref())
        .and_then(|v| v.of_trip(&trip.id, day, id.start_time, near))
        .map(|v| {
            // The call it is at or heading to: by sequence (one of the
            // trip's), else by stop (the planned one, its parent, or the
            // one realtime moved the call to).
            let sequence = v
                .stop_sequence
                .filter(|s| stop_times.iter().any(|st| st.sequence == *s))
                .or_else(|| {
                    let stop = v.stop_id.as_deref()?;
                    let moved = format!("{}:{stop}", id.feed);
                    stop_times
                        .iter()
                        .zip(&out_calls)
                        .find(|(st, call)| {
                            let planned = &feed.stops[st.stop];
                            planned.id == stop
                                || planned.parent.is_some_and(|p| feed.stops[p].id == stop)
                                || call.stop_id == moved
                        })
                        .map(|(st, _)| st.sequence)
                });
            wire::VehicleProgress {
                stop_sequence: sequence,
                stopped: v.stopped,
                lat: v.position.map(|p| p.0),
                lon: v.position.map(|p| p.1),
                at: v
                    .timestamp
                    .and_then(|t| i64::try_from(t).ok())
                    .and_then(|t| DateTime::from_timestamp(t, 0))
                    .map(at),
            }
        });
    realtime |= vehicle.is_some();

    // The destination and number of the trip, not of one of its calls.
    let last_stop = stop_times
        .last()
        .map(|s| feed.stop_name(s.stop))
        .unwrap_or_default();
    let (headsign, trip_number) = crate::timetable::headsign_and_number(
        None,
        trip.headsign.as_deref(),
        trip.short_name.as_deref(),
        last_stop,
    );
    let route_id = &feed.routes[trip.route].id;
    let notices = stand_in_notices(
        calls,
        StandIn {
            feed: fi,
            stops: stop_times.iter().map(|s| s.stop).collect(),
            routes: HashSet::from([(fi, trip.route)]),
            trips: HashSet::from([(fi, ti)]),
            about: network_wide(&feed.routes[trip.route]),
        },
        |e| match e {
            wire::InformedEntity::Route { route_id: r } => r == route_id,
            wire::InformedEntity::Trip { trip_id } => *trip_id == trip.id,
            _ => false,
        },
        operator_notices,
        now,
    );
    Ok(wire::Trip {
        id: id.to_string(),
        mode: asked.mode,
        route: asked.route.clone(),
        headsign,
        trip_number,
        service_day: day.format("%Y-%m-%d").to_string(),
        cancelled,
        realtime: realtime || update.is_some(),
        calls: out_calls,
        vehicle,
        notices,
        generated_at: at(now),
    })
}

/// The id of the stand-in stations whose notices are looked for; a notice
/// about "the station" (a network-wide alert) is about the trip or line.
const STAND_IN: &str = "quai-stand-in";

/// What a notice about the whole network is said to be about on a line's or
/// a trip's view: the line's agency (as GTFS-Realtime names it), else the
/// line; never the trip, so that clients tell it from one about the trip.
pub(crate) fn network_wide(route: &crate::timetable::Route) -> wire::InformedEntity {
    match &route.agency_id {
        Some(agency_id) => wire::InformedEntity::Agency {
            agency_id: agency_id.clone(),
        },
        None => wire::InformedEntity::Route {
            route_id: route.id.clone(),
        },
    }
}

/// A line or a trip as a stand-in station for the board's notice rules.
pub(crate) struct StandIn {
    pub feed: crate::feed::FeedIdx,
    /// Its stops (their parent stations are added).
    pub stops: Vec<crate::timetable::StopIdx>,
    pub routes: HashSet<(crate::feed::FeedIdx, crate::timetable::RouteIdx)>,
    pub trips: HashSet<(crate::feed::FeedIdx, crate::timetable::TripIdx)>,
    /// What a notice about the whole network is said to be about.
    pub about: wire::InformedEntity,
}

/// The notices on a line or a trip, most severe first: the board's rules on
/// a stand-in station of its stops (and their parents), routes and trips;
/// then a notice that names lines or trips must name this one (`ours`: a
/// closure of a stop for line 2 is not line 1's), and another feed's
/// network-wide alert is not about this feed's lines.
pub(crate) fn stand_in_notices(
    calls: &CallInputs<'_>,
    stand_in: StandIn,
    ours: impl Fn(&wire::InformedEntity) -> bool,
    operator_notices: &[Arc<KeptNotice>],
    now: DateTime<Utc>,
) -> Vec<wire::Notice> {
    let fi = stand_in.feed;
    let feed = &*calls.feeds[fi].timetable;
    let tz = feed.timezone;
    let mut stops: Vec<StopRef> = stand_in
        .stops
        .iter()
        .flat_map(|&s| std::iter::once(s).chain(feed.stops[s].parent))
        .map(|stop| StopRef { feed: fi, stop })
        .collect();
    stops.sort_unstable();
    stops.dedup();
    let station = Station::about(
        STAND_IN
            .parse()
            .unwrap_or_else(|_| unreachable!("a valid station id")),
        String::new(),
        tz,
        stops,
        stand_in.routes,
        stand_in.trips,
    );
    let feed_id = calls.feeds[fi].id.as_str();
    let other_feed = |id: &str| {
        ["gtfs-rt:", "siri:"].iter().any(|prefix| {
            id.strip_prefix(prefix)
                .and_then(|rest| rest.split_once(':'))
                .is_some_and(|(f, _)| f != feed_id)
        })
    };
    board::notices_of(calls, &station, operator_notices, now)
        .iter()
        .filter(|n| !other_feed(&n.id))
        .map(|n| {
            let mut n = n.to_wire(tz);
            for e in &mut n.informed_entities {
                if matches!(e, wire::InformedEntity::Station { station } if station == STAND_IN) {
                    *e = stand_in.about.clone();
                }
            }
            n.informed_entities.dedup();
            n
        })
        .filter(|n| {
            let names_lines = n.informed_entities.iter().any(|e| {
                matches!(
                    e,
                    wire::InformedEntity::Route { .. } | wire::InformedEntity::Trip { .. }
                )
            });
            !names_lines || n.informed_entities.iter().any(&ours)
        })
        .collect()
}
