//! The merge: timetable + realtime (+ notices and advisories, later) in, one
//! station's [`Board`] out.
//!
//! This is a pure function of its inputs and the instant `now`: no clock, no I/O, no
//! shared state. That is what lets the hub diff two boards, the tests replay any
//! moment of a real feed, and each new source slot in without touching the rest.

mod added;
mod notices;
pub mod predict;

use chrono::{DateTime, Duration, Utc};
use quai_protocol::{
    Advisory, Board, Departure, DepartureStatus, FeedStatus, OperatorNotice, RouteRef, StationRef,
    Wifi,
};

use crate::config::BoardSettings;
use crate::realtime::RealtimeView;
use crate::realtime::trip_updates::{TripRelationship, TripUpdate};
use crate::timetable::gtfs_time::{format_gtfs_time, rfc3339};
use crate::timetable::{
    FeedTimetable, Route, ScheduledDeparture, Station, Timetable, headsign_and_number,
};
use predict::{Call, CallPrediction, predict};

/// Everything a board is made of.
pub struct BoardInput<'a> {
    pub timetable: &'a Timetable,
    pub station: &'a Station,
    pub now: DateTime<Utc>,
    /// Most departures on the board.
    pub limit: usize,
    pub settings: BoardSettings,
    /// Fresh realtime data per feed, in the order of `timetable.feeds` (may be
    /// shorter: missing feeds have none).
    pub realtime: &'a [RealtimeView],
    pub wifi: Option<&'a Wifi>,
    pub feeds: Vec<FeedStatus>,
    /// Weather advisories in force at the station.
    pub advisories: Vec<Advisory>,
    /// Every operator notice (the board keeps the published ones that concern the
    /// station now).
    pub operator_notices: &'a [OperatorNotice],
}

impl BoardInput<'_> {
    fn realtime(&self, feed: usize) -> Option<&RealtimeView> {
        self.realtime.get(feed)
    }
}

/// A departure with the instant it sorts by.
struct Row {
    at: DateTime<Utc>,
    departure: Departure,
    /// For matching alerts: (feed, trip index if timetabled, stop index).
    feed: usize,
    trip: Option<u32>,
    stop: Option<u32>,
}

/// Builds the board. `seq` is left at 0: the hub numbers published boards.
pub fn build(input: &BoardInput<'_>) -> Board {
    let tz = input.station.timezone;
    let now = input.now;
    let settings = input.settings;
    let until = now + Duration::seconds(i64::from(settings.horizon_s));
    let any_trip_updates = input.realtime.iter().any(|v| v.trip_updates.is_some());
    // Late departures are still to come: with realtime, look back for them.
    let from = if any_trip_updates {
        now - Duration::seconds(i64::from(settings.realtime_lookback_s))
    } else {
        now
    };

    let mut rows: Vec<Row> = Vec::new();
    for d in input.station.departures(input.timetable, from, until) {
        let feed = &input.timetable.feeds[d.feed];
        let tu = input
            .realtime(d.feed)
            .and_then(|v| v.trip_updates.as_ref())
            .and_then(|t| t.find(&feed.trips[d.trip as usize].id, d.service_day, d.instance));
        if let Some(row) = merged_row(input, &d, tu) {
            rows.push(row);
        }
    }
    for (fi, view) in input.realtime.iter().enumerate() {
        if let Some(tus) = &view.trip_updates {
            rows.extend(added::rows(input, fi, tus, from, until));
        }
    }

    let notices = notices::attach(input, &mut rows);

    rows.sort_by(|a, b| {
        (a.at, &a.departure.route.short_name, &a.departure.id).cmp(&(
            b.at,
            &b.departure.route.short_name,
            &b.departure.id,
        ))
    });
    // Ids are what clients key rows by: a producer sending one trip twice (two
    // entities, or two copies with one new id) must not give two rows one id.
    // The first in board order stays.
    let mut seen = std::collections::HashSet::new();
    rows.retain(|r| seen.insert(r.departure.id.clone()));
    rows.truncate(input.limit);
    let departures: Vec<Departure> = rows.into_iter().map(|r| r.departure).collect();

    let next_service = if departures.is_empty() {
        // Nothing within the horizon: tell when service resumes (night gap, Sunday).
        input
            .station
            .departures(input.timetable, until, until + Duration::hours(48))
            .first()
            .map(|d| rfc3339(tz, d.time))
    } else {
        None
    };
    Board {
        station: StationRef {
            id: input.station.id.clone(),
            name: input.station.name.clone(),
            timezone: tz.name().to_string(),
        },
        generated_at: rfc3339(tz, now),
        seq: 0,
        departures,
        notices,
        advisories: input.advisories.clone(),
        wifi: input.wifi.cloned(),
        feeds: input.feeds.clone(),
        next_service,
    }
}

/// A timetabled departure with its realtime applied, if it still belongs on the
/// board at `now`.
fn merged_row(
    input: &BoardInput<'_>,
    d: &ScheduledDeparture,
    tu: Option<&TripUpdate>,
) -> Option<Row> {
    let feed = &input.timetable.feeds[d.feed];
    let trip = &feed.trips[d.trip as usize];
    let st = &feed.stop_times[d.stop_time as usize];
    let mut departure = departure(input.timetable, input.station, d);
    let mut stop = st.stop;

    match tu {
        Some(tu) if tu.relationship == TripRelationship::Canceled => {
            departure.status = DepartureStatus::Cancelled;
            departure.realtime = true;
        }
        Some(tu) => {
            let calls = trip_calls(feed, trip, d);
            let k = (d.stop_time - trip.stop_times.start) as usize;
            let p = predict(&calls, &tu.stop_updates, tu.delay)
                .into_iter()
                .nth(k)
                .unwrap_or_default();
            apply(input, feed, &mut departure, &mut stop, d.time, &p);
        }
        None => {}
    }

    let vehicles = input.realtime(d.feed).and_then(|v| v.vehicles.as_ref());
    departure.boarding = vehicles.is_some_and(|v| {
        v.stopped_at(
            &trip.id,
            d.service_day,
            &feed.stops[stop as usize].id,
            st.sequence,
        )
    }) && departure.status != DepartureStatus::Cancelled;

    let at = departure
        .expected
        .as_deref()
        .and_then(|e| DateTime::parse_from_rfc3339(e).ok())
        .map(|e| e.with_timezone(&Utc))
        .unwrap_or(d.time);
    keep(input, &mut departure, at, d.time).then_some(Row {
        at,
        departure,
        feed: d.feed,
        trip: Some(d.trip),
        stop: Some(stop),
    })
}

/// The trip's calls as POSIX seconds on the departure's service day (and instance).
pub fn trip_calls<'a>(
    feed: &'a FeedTimetable,
    trip: &'a crate::timetable::Trip,
    d: &ScheduledDeparture,
) -> Vec<Call<'a>> {
    let sts = feed.trip_stop_times(trip);
    let here = &feed.stop_times[d.stop_time as usize];
    // The instant the trip's GTFS times count from, for this run: the departure's
    // instant minus its GTFS time. A frequency instance is the template shifted as a
    // whole, and `d.time` already carries that shift.
    let zero = d.time.timestamp() - i64::from(here.departure);
    sts.iter()
        .map(|st| Call {
            sequence: st.sequence,
            stop_id: &feed.stops[st.stop as usize].id,
            arrival: zero + i64::from(st.arrival),
            departure: zero + i64::from(st.departure),
        })
        .collect()
}

/// Writes a prediction into a departure: expected time, delay, status, platform.
fn apply(
    input: &BoardInput<'_>,
    feed: &FeedTimetable,
    departure: &mut Departure,
    stop: &mut u32,
    scheduled: DateTime<Utc>,
    p: &CallPrediction,
) {
    let tz = input.station.timezone;
    if let Some(assigned) = p.assigned_stop_id.as_deref()
        && let Some(new_stop) = feed.stop_index(assigned)
        && new_stop != *stop
    {
        *stop = new_stop;
        departure.stop_id = format!("{}:{}", feed.id, assigned);
        departure.platform = feed.platform(new_stop);
        departure.platform_changed = true;
    }
    if p.skipped {
        departure.status = DepartureStatus::Skipped;
        departure.realtime = true;
        return;
    }
    let Some(expected) = p.departure.and_then(|t| DateTime::from_timestamp(t, 0)) else {
        return;
    };
    let delay = (expected - scheduled).num_seconds();
    departure.expected = Some(rfc3339(tz, expected));
    departure.delay_s = Some(delay);
    departure.uncertainty_s = p.uncertainty;
    departure.realtime = true;
    let window = i64::from(input.settings.on_time_s);
    departure.status = if delay > window {
        DepartureStatus::Delayed
    } else if delay < -window {
        DepartureStatus::Early
    } else {
        DepartureStatus::OnTime
    };
}

/// Whether a departure belongs on the board at `now`, marking it departed when it
/// has just left. `at` is its expected (else scheduled) instant.
fn keep(
    input: &BoardInput<'_>,
    departure: &mut Departure,
    at: DateTime<Utc>,
    scheduled: DateTime<Utc>,
) -> bool {
    let now = input.now;
    let until = now + Duration::seconds(i64::from(input.settings.horizon_s));
    if at > until {
        return false;
    }
    match departure.status {
        // Kept while their time has not come: passengers must learn of them.
        DepartureStatus::Cancelled | DepartureStatus::Skipped => scheduled >= now,
        _ if departure.expected.is_some() && at < now => {
            let keep = Duration::seconds(i64::from(input.settings.departed_keep_s));
            departure.status = DepartureStatus::Departed;
            departure.boarding = false;
            at >= now - keep
        }
        _ => at >= now,
    }
}

/// The stable id of a departure: `{feed}:{trip_id}:{YYYYMMDD}:{stop_sequence}`, the
/// trip id of a frequency instance being `{trip_id}@HH:MM:SS`.
pub fn departure_id(timetable: &Timetable, d: &ScheduledDeparture) -> String {
    let feed = &timetable.feeds[d.feed];
    let trip = &feed.trips[d.trip as usize];
    let sequence = feed.stop_times[d.stop_time as usize].sequence;
    let instance = d
        .instance
        .map(|s| format!("@{}", format_gtfs_time(s)))
        .unwrap_or_default();
    format!(
        "{}:{}{}:{}:{}",
        feed.id,
        trip.id,
        instance,
        d.service_day.format("%Y%m%d"),
        sequence
    )
}

fn route_ref(route: &Route) -> RouteRef {
    RouteRef {
        id: route.id.clone(),
        short_name: route.short_name.clone(),
        long_name: route.long_name.clone(),
        color: route.color.clone(),
        text_color: route.text_color.clone(),
    }
}

/// The departure as the timetable has it, before realtime.
fn departure(timetable: &Timetable, station: &Station, d: &ScheduledDeparture) -> Departure {
    let feed = &timetable.feeds[d.feed];
    let trip = &feed.trips[d.trip as usize];
    let route = &feed.routes[trip.route as usize];
    let st = &feed.stop_times[d.stop_time as usize];
    let last_stop = feed
        .trip_stop_times(trip)
        .last()
        .map(|s| feed.stop_name(s.stop))
        .unwrap_or_default();
    let (headsign, trip_number) = headsign_and_number(
        st.headsign.as_deref(),
        trip.headsign.as_deref(),
        trip.short_name.as_deref(),
        last_stop,
    );
    Departure {
        id: departure_id(timetable, d),
        mode: route.mode,
        route: route_ref(route),
        headsign,
        trip_number,
        stop_id: format!("{}:{}", feed.id, feed.stops[st.stop as usize].id),
        platform: feed.platform(st.stop),
        platform_changed: false,
        scheduled: rfc3339(station.timezone, d.time),
        expected: None,
        delay_s: None,
        status: DepartureStatus::Scheduled,
        realtime: false,
        uncertainty_s: None,
        boarding: false,
        notice_ids: Vec::new(),
    }
}
