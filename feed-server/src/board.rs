//! The merge: timetable (and, in later steps, realtime, notices and advisories) in,
//! one station's [`Board`] out.
//!
//! This is a pure function of its inputs and the instant `now`: no clock, no I/O, no
//! shared state. That is what lets the hub diff two boards, the tests replay any
//! moment of a real feed, and the realtime merge slot in without touching the rest.

use chrono::{DateTime, Duration, Utc};
use quai_protocol::{Board, Departure, DepartureStatus, FeedStatus, RouteRef, StationRef, Wifi};

use crate::timetable::gtfs_time::{format_gtfs_time, rfc3339};
use crate::timetable::{ScheduledDeparture, Station, Timetable, headsign_and_number};

/// Everything a board is made of.
pub struct BoardInput<'a> {
    pub timetable: &'a Timetable,
    pub station: &'a Station,
    pub now: DateTime<Utc>,
    /// Most departures on the board.
    pub limit: usize,
    /// How far ahead to look, in seconds.
    pub horizon_s: u32,
    pub wifi: Option<&'a Wifi>,
    pub feeds: Vec<FeedStatus>,
}

/// Builds the board. `seq` is left at 0: the hub numbers published boards.
pub fn build(input: &BoardInput<'_>) -> Board {
    let tz = input.station.timezone;
    let until = input.now + Duration::seconds(i64::from(input.horizon_s));
    let departures: Vec<Departure> = input
        .station
        .departures(input.timetable, input.now, until)
        .into_iter()
        .take(input.limit)
        .map(|d| departure(input.timetable, input.station, &d))
        .collect();
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
        generated_at: rfc3339(tz, input.now),
        seq: 0,
        departures,
        notices: Vec::new(),
        advisories: Vec::new(),
        wifi: input.wifi.cloned(),
        feeds: input.feeds.clone(),
        next_service,
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
        route: RouteRef {
            id: route.id.clone(),
            short_name: route.short_name.clone(),
            long_name: route.long_name.clone(),
            color: route.color.clone(),
            text_color: route.text_color.clone(),
        },
        headsign,
        trip_number,
        stop_id: format!("{}:{}", feed.id, feed.stops[st.stop as usize].id),
        platform: feed.platform(st.stop),
        scheduled: rfc3339(station.timezone, d.time),
        expected: None,
        delay_s: None,
        status: DepartureStatus::Scheduled,
        realtime: false,
        notice_ids: Vec::new(),
    }
}
