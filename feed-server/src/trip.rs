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
    let (tu, siri) = runs.first().map_or((None, None), |d| calls.updates(d));
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
        let (departure, stop) = board::call_departure(calls, d, tu, siri);
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
        .and_then(|v| v.of_trip(&trip.id, day))
        .and_then(|v| {
            // The call it is at or heading to: by sequence, else by stop.
            let sequence = v.stop_sequence.or_else(|| {
                let stop = v.stop_id.as_deref()?;
                stop_times
                    .iter()
                    .find(|s| feed.stops[s.stop].id == stop)
                    .map(|s| s.sequence)
            })?;
            Some(wire::VehicleProgress {
                stop_sequence: sequence,
                stopped: v.stopped,
                lat: v.position.map(|p| p.0),
                lon: v.position.map(|p| p.1),
                at: v
                    .timestamp
                    .and_then(|t| i64::try_from(t).ok())
                    .and_then(|t| DateTime::from_timestamp(t, 0))
                    .map(at),
            })
        });
    realtime |= vehicle.is_some();

    // The notices: the board's rules on a stand-in station of the trip's
    // stops, its line and itself.
    let about = Station::about(
        STAND_IN
            .parse()
            .unwrap_or_else(|_| unreachable!("a valid station id")),
        asked.headsign.clone(),
        tz,
        stop_times
            .iter()
            .map(|s| StopRef {
                feed: fi,
                stop: s.stop,
            })
            .collect(),
        HashSet::from([(fi, trip.route)]),
        HashSet::from([(fi, ti)]),
    );
    let notices = board::notices_of(calls, &about, operator_notices, now)
        .iter()
        .map(|n| {
            let mut n = n.to_wire(tz);
            for e in &mut n.informed_entities {
                if matches!(e, wire::InformedEntity::Station { station } if station == STAND_IN) {
                    *e = wire::InformedEntity::Trip {
                        trip_id: trip.id.clone(),
                    };
                }
            }
            n
        })
        .collect();
    Ok(wire::Trip {
        id: id.to_string(),
        mode: asked.mode,
        route: asked.route.clone(),
        headsign: asked.headsign.clone(),
        trip_number: asked.trip_number.clone(),
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
pub const STAND_IN: &str = "quai-stand-in";
