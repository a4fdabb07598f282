//! Departures that are not in the timetable: ADDED (or NEW) trips, whose stop times
//! come with the update, and DUPLICATED copies of timetabled trips.

use chrono::{DateTime, Duration, Utc};
use quai_protocol::{Departure, DepartureStatus, Mode, RouteRef};

use super::{BoardInput, Row, keep, merged_row, route_ref};
use crate::realtime::TripUpdates;
use crate::realtime::trip_updates::{StopRelationship, TripRelationship, TripUpdate};
use crate::timetable::ScheduledDeparture;
use crate::timetable::gtfs_time::{format_gtfs_time, instant, rfc3339};

pub(super) fn rows(
    input: &BoardInput<'_>,
    feed: usize,
    tus: &TripUpdates,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<Row> {
    let mut out = Vec::new();
    for tu in &tus.extra {
        match tu.relationship {
            TripRelationship::Added => out.extend(added(input, feed, tu)),
            TripRelationship::Duplicated => out.extend(duplicated(input, feed, tu, from, until)),
            _ => {}
        }
    }
    out
}

/// An ADDED trip: every update with a stop and a time is a call; the station's calls
/// (but the last) are departures.
fn added(input: &BoardInput<'_>, fi: usize, tu: &TripUpdate) -> Vec<Row> {
    let feed = &input.timetable.feeds[fi];
    let tz = input.station.timezone;
    let calls: Vec<(usize, u32, u32, i64)> = tu
        .stop_updates
        .iter()
        .enumerate()
        .filter(|(_, u)| u.relationship != StopRelationship::Skipped)
        .filter_map(|(j, u)| {
            let stop = feed.stop_index(u.stop_id.as_deref()?)?;
            let time = u
                .departure
                .and_then(|e| e.time)
                .or_else(|| u.arrival.and_then(|e| e.time))?;
            Some((j, stop, u.sequence.unwrap_or(j as u32 + 1), time))
        })
        .collect();
    let Some(&(_, last_stop, _, _)) = calls.last() else {
        return Vec::new();
    };
    let route = tu
        .route_id
        .as_deref()
        .and_then(|id| feed.routes.iter().find(|r| r.id == id));
    let headsign = tu
        .headsign
        .clone()
        .unwrap_or_else(|| feed.stop_name(last_stop).to_string());
    let mut rows = Vec::new();
    for &(_, stop, sequence, time) in &calls[..calls.len() - 1] {
        if !input.station.has_stop(fi, stop) {
            continue;
        }
        let Some(at) = DateTime::from_timestamp(time, 0) else {
            continue;
        };
        let day = tu
            .start_date
            .unwrap_or_else(|| at.with_timezone(&feed.timezone).date_naive());
        let mut departure = Departure {
            id: format!(
                "{}:{}:{}:{}",
                feed.id,
                tu.trip_id,
                day.format("%Y%m%d"),
                sequence
            ),
            mode: route.map_or(Mode::Other, |r| r.mode),
            route: route.map(route_ref).unwrap_or_else(|| RouteRef {
                id: tu.route_id.clone().unwrap_or_default(),
                short_name: None,
                long_name: None,
                color: "#FFFFFF".into(),
                text_color: "#000000".into(),
            }),
            headsign: headsign.clone(),
            trip_number: None,
            stop_id: format!("{}:{}", feed.id, feed.stops[stop as usize].id),
            platform: feed.platform(stop),
            platform_changed: false,
            scheduled: rfc3339(tz, at),
            expected: Some(rfc3339(tz, at)),
            delay_s: Some(0),
            status: DepartureStatus::OnTime,
            realtime: true,
            uncertainty_s: None,
            boarding: false,
            notice_ids: Vec::new(),
        };
        if keep(input, &mut departure, at, at) {
            rows.push(Row {
                at,
                departure,
                feed: fi,
                trip: None,
                stop: Some(stop),
            });
        }
    }
    rows
}

/// A DUPLICATED trip: the timetabled trip run again on `trip_properties.start_date`
/// at `start_time`, under the id `trip_properties.trip_id` (else
/// `{trip_id}~{YYYYMMDD}@{HH:MM:SS}`).
fn duplicated(
    input: &BoardInput<'_>,
    fi: usize,
    tu: &TripUpdate,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<Row> {
    let feed = &input.timetable.feeds[fi];
    let Some(ti) = feed.trip_index(&tu.trip_id) else {
        return Vec::new();
    };
    let trip = &feed.trips[ti as usize];
    let sts = feed.trip_stop_times(trip);
    let (Some(first), Some(day)) = (sts.first(), tu.new_start_date) else {
        return Vec::new();
    };
    let start = tu.new_start_time.unwrap_or(first.departure);
    // Without a new trip id, the run is named by its day and start time: two
    // copies of one trip on one day are two departures, not one id twice.
    let new_id = tu.new_trip_id.clone().unwrap_or_else(|| {
        format!(
            "{}~{}@{}",
            tu.trip_id,
            day.format("%Y%m%d"),
            format_gtfs_time(start)
        )
    });
    let mut rows = Vec::new();
    for (k, st) in sts.iter().enumerate() {
        if k + 1 == sts.len() || !st.pickup || !input.station.has_stop(fi, st.stop) {
            continue;
        }
        let time = instant(feed.timezone, day, st.departure)
            + Duration::seconds(i64::from(start) - i64::from(first.departure));
        if time < from || time > until {
            continue;
        }
        let d = ScheduledDeparture {
            feed: fi,
            trip: ti,
            stop_time: trip.stop_times.start + k as u32,
            service_day: day,
            instance: Some(start),
            time,
        };
        if let Some(mut row) = merged_row(input, &d, Some(tu)) {
            row.departure.id = format!(
                "{}:{}:{}:{}",
                feed.id,
                new_id,
                day.format("%Y%m%d"),
                st.sequence
            );
            row.trip = None;
            rows.push(row);
        }
    }
    rows
}
