//! Departures (and arrivals) that are not in the timetable: ADDED (or NEW)
//! trips, whose stop times come with the update, and DUPLICATED copies of
//! timetabled trips.

use chrono::{DateTime, Duration, Utc};
use quai_protocol::{Mode, RouteRef};

use super::{BoardInput, Departure, DepartureId, Event, Row, keep, merged_row, route_ref, status};
use crate::feed::{FeedIdx, StopKey};
use crate::realtime::TripUpdates;
use crate::realtime::trip_updates::{StopRelationship, TripRelationship, TripUpdate};
use crate::station::ScheduledDeparture;
use crate::timetable::gtfs_time::instant;

pub(super) fn rows(
    input: &BoardInput<'_>,
    feed: FeedIdx,
    tus: &TripUpdates,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    event: Event,
) -> Vec<Row> {
    let mut out = Vec::new();
    for tu in &tus.extra {
        match tu.relationship {
            TripRelationship::Added => out.extend(added(input, feed, tu, event)),
            TripRelationship::Duplicated => {
                out.extend(duplicated(input, feed, tu, from, until, event));
            }
            _ => {}
        }
    }
    out
}

/// An ADDED trip: every update with a stop and a time is a call; the station's calls
/// (but the last) are departures, and (but the first) arrivals.
fn added(input: &BoardInput<'_>, fi: FeedIdx, tu: &TripUpdate, event: Event) -> Vec<Row> {
    let feed_id = &input.feeds[fi].id;
    let feed = input.timetable(fi);
    // (stop, sequence, expected time, its delay as the update gives it, the
    // platform SIRI names).
    type AddedCall = (
        crate::timetable::StopIdx,
        u32,
        i64,
        Option<i64>,
        Option<String>,
    );
    let calls: Vec<AddedCall> = tu
        .stop_updates
        .iter()
        .enumerate()
        .filter(|(_, u)| u.relationship != StopRelationship::Skipped)
        .filter_map(|(j, u)| {
            let stop = feed.stop_index(u.stop_id.as_deref()?)?;
            let timed =
                |e: &Option<crate::realtime::trip_updates::Event>| e.filter(|e| e.time.is_some());
            let shown = match event {
                Event::Departure => timed(&u.departure).or(timed(&u.arrival)),
                Event::Arrival => timed(&u.arrival).or(timed(&u.departure)),
            }?;
            let time = shown.time?;
            Some((
                stop,
                u.sequence.unwrap_or(j as u32 + 1),
                time,
                shown.delay,
                u.extras.platform.clone(),
            ))
        })
        .collect();
    let (Some(&(first_stop, ..)), Some(&(last_stop, ..))) = (calls.first(), calls.last()) else {
        return Vec::new();
    };
    let route = tu
        .route_id
        .as_deref()
        .and_then(|id| feed.route_index(id))
        .map(|r| &feed.routes[r]);
    let headsign = tu
        .headsign
        .clone()
        .unwrap_or_else(|| feed.stop_name(last_stop).to_string());
    let mut rows = Vec::new();
    let shown = match event {
        Event::Departure => &calls[..calls.len() - 1],
        Event::Arrival => &calls[1..],
    };
    for (k, (stop, sequence, time, delay, platform)) in shown.iter().enumerate() {
        let (stop, sequence, time, delay) = (*stop, *sequence, *time, *delay);
        if !input.station.has_stop(fi, stop) {
            continue;
        }
        // An added trip has no timetable: its time as planned is the expected
        // time less the delay the producer gives (none: it is on time).
        let delay = delay.unwrap_or(0);
        let (Some(at), Some(planned)) = (
            DateTime::from_timestamp(time, 0),
            DateTime::from_timestamp(time.saturating_sub(delay), 0),
        ) else {
            continue;
        };
        let day = tu
            .start_date
            .unwrap_or_else(|| at.with_timezone(&feed.timezone).date_naive());
        let mut departure = Departure {
            id: DepartureId {
                feed: feed_id.clone(),
                trip: tu.trip_id.clone(),
                start_time: None,
                service_day: day,
                stop_sequence: sequence,
            },
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
            stop: StopKey {
                feed: feed_id.clone(),
                stop_id: feed.stops[stop].id.clone(),
            },
            platform: platform.clone().or_else(|| feed.platform(stop)),
            platform_changed: false,
            scheduled: planned,
            expected: Some(at),
            delay_s: Some(delay),
            status: status(&input.calls(), delay),
            realtime: true,
            uncertainty_s: None,
            boarding: false,
            occupancy: None,
            notice_ids: Vec::new(),
        };
        if keep(input, &mut departure, event) {
            rows.push(Row {
                departure,
                feed: fi,
                trip: None,
                stop: Some(stop),
                arrival: (event == Event::Arrival)
                    .then(|| (feed.stop_name(first_stop).to_string(), k + 1 == shown.len())),
            });
        }
    }
    rows
}

/// A DUPLICATED trip: the timetabled trip run again on `trip_properties.start_date`
/// at `start_time` (without `trip_properties`: the descriptor's, see
/// [`TripUpdate::copy_start`]), under the id `trip_properties.trip_id` (else
/// `{trip_id}~{YYYYMMDD}@{HH:MM:SS}`). The original trip is not changed.
fn duplicated(
    input: &BoardInput<'_>,
    fi: FeedIdx,
    tu: &TripUpdate,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    event: Event,
) -> Vec<Row> {
    let feed = input.timetable(fi);
    let Some(ti) = feed.trip_index(&tu.trip_id) else {
        return Vec::new();
    };
    let trip = &feed.trips[ti];
    let sts = feed.trip_stop_times(trip);
    let (day, start) = tu.copy_start();
    let (Some(first), Some(day)) = (sts.first(), day) else {
        return Vec::new();
    };
    let start = start.unwrap_or(first.departure);
    // Without a new trip id, the run is named by its day and start time: two
    // copies of one trip on one day are two departures, not one id twice.
    let (new_trip, new_start) = match &tu.new_trip_id {
        Some(id) => (id.clone(), None),
        None => (
            format!("{}~{}", tu.trip_id, day.format("%Y%m%d")),
            Some(start),
        ),
    };
    let mut rows = Vec::new();
    for (k, st) in sts.iter().enumerate() {
        let served = match event {
            Event::Departure => k + 1 < sts.len() && st.pickup,
            Event::Arrival => k > 0 && st.drop_off,
        };
        if !served || !input.station.has_stop(fi, st.stop) {
            continue;
        }
        let shift = Duration::seconds(i64::from(start) - i64::from(first.departure));
        let time = instant(feed.timezone, day, st.departure) + shift;
        let shown = match event {
            Event::Departure => time,
            Event::Arrival => instant(feed.timezone, day, st.arrival) + shift,
        };
        if shown < from || shown > until {
            continue;
        }
        let d = ScheduledDeparture {
            feed: fi,
            trip: ti,
            stop_time: feed.call(trip, k),
            service_day: day,
            instance: Some(start),
            time,
        };
        if let Some(mut row) = merged_row(input, &d, Some(tu), None, event) {
            row.departure.id = DepartureId {
                feed: input.feeds[fi].id.clone(),
                trip: new_trip.clone(),
                start_time: new_start,
                service_day: day,
                stop_sequence: st.sequence,
            };
            row.trip = None;
            rows.push(row);
        }
    }
    rows
}
