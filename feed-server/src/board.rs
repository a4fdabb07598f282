//! The merge: timetable + realtime + notices + advisories in, one station's
//! [`Board`] out.
//!
//! This is a pure function of its inputs and the instant `now`: no clock, no I/O, no
//! shared state. That is what lets the hub diff two boards, the tests replay any
//! moment of a real feed, and each new source slot in without touching the rest.
//! The board it makes is the internal [`model`]; [`wire`] writes it for clients.

mod added;
pub mod departure_id;
pub mod model;
mod notices;
pub mod predict;
pub mod wire;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use quai_protocol::{DepartureStatus, RouteRef};

use crate::advisory::Advisory;
use crate::config::BoardSettings;
use crate::emergency::KeptEmergency;
use crate::feed::{FeedIdx, Feeds, StopKey};
use crate::freshness::FeedStatus;
use crate::notice::KeptNotice;
use crate::realtime::RealtimeView;
use crate::realtime::trip_updates::{TripRelationship, TripUpdate};
pub use crate::station::Event;
use crate::station::{ScheduledDeparture, Station, wifi_advert};
use crate::timetable::{FeedTimetable, Route, StopIdx, Table, TripIdx, headsign_and_number};
pub use departure_id::DepartureId;
pub use model::{Arrival, Board, Departure, Notice};
use predict::{Call, CallPrediction, predict};

/// Everything a board is made of.
pub struct BoardInput<'a> {
    pub feeds: &'a Feeds,
    pub station: &'a Station,
    pub now: DateTime<Utc>,
    /// Most departures on the board.
    pub limit: usize,
    pub settings: BoardSettings,
    /// Fresh realtime data per feed (feeds without realtime have an empty view).
    pub realtime: &'a Table<FeedIdx, RealtimeView>,
    pub feed_statuses: Vec<FeedStatus>,
    /// Weather advisories in force at the station.
    pub advisories: Vec<Advisory>,
    /// Every operator notice (the board keeps the published ones that concern the
    /// station now).
    pub operator_notices: &'a [Arc<KeptNotice>],
    /// The emergency takeover running at the station, if any.
    pub emergency: Option<&'a KeptEmergency>,
    /// The lines of the facilities shown at the station.
    pub facilities: Vec<crate::facility::FacilityLine>,
    /// Its lifts and escalators out of service, as notices
    /// ([`crate::facility::equipment`]).
    pub equipment: Vec<Notice>,
    /// Only this line's departures (its feed and GTFS route id): a line's
    /// departures from the station (`/v1/routes/{id}/departures`).
    pub route: Option<(FeedIdx, &'a str)>,
}

impl BoardInput<'_> {
    fn timetable(&self, feed: FeedIdx) -> &FeedTimetable {
        &self.feeds[feed].timetable
    }

    fn calls(&self) -> CallInputs<'_> {
        CallInputs {
            feeds: self.feeds,
            realtime: self.realtime,
            settings: self.settings,
        }
    }
}

/// What one call's departure is made of: the timetables, their realtime and
/// the board settings (the on-time window). Boards and trip views share it.
#[derive(Clone, Copy)]
pub struct CallInputs<'a> {
    pub feeds: &'a Feeds,
    pub realtime: &'a Table<FeedIdx, RealtimeView>,
    pub settings: BoardSettings,
}

impl<'a> CallInputs<'a> {
    /// The GTFS-Realtime and the SIRI update of the run `d`, if any.
    pub fn updates(
        &self,
        d: &ScheduledDeparture,
    ) -> (Option<&'a TripUpdate>, Option<&'a TripUpdate>) {
        let feed = &self.feeds[d.feed].timetable;
        let realtime: &'a Table<FeedIdx, RealtimeView> = self.realtime;
        let trip_id = &feed.trips[d.trip].id;
        let view = realtime.get(d.feed);
        let tu = view
            .and_then(|v| v.trip_updates.as_ref())
            .and_then(|t| t.find(trip_id, d.service_day, d.instance));
        let siri = view.and_then(|v| {
            v.siri_journeys
                .iter()
                .find_map(|t| t.find(trip_id, d.service_day, d.instance))
        });
        (tu, siri)
    }
}

/// A departure (or an arrival) with what alerts are matched on.
struct Row {
    departure: Departure,
    feed: FeedIdx,
    /// The timetabled trip, if the departure has one.
    trip: Option<TripIdx>,
    stop: Option<StopIdx>,
    /// For an arrival: where the run comes from, and whether it ends here.
    arrival: Option<(String, bool)>,
}

/// Builds the board.
pub fn build(input: &BoardInput<'_>) -> Board {
    let now = input.now;
    let settings = input.settings;
    let until = now + chrono_duration(settings.horizon);
    let any_trip_updates = input.realtime.iter().any(RealtimeView::has_trip_updates);
    // Late departures are still to come: with realtime, look back for them.
    let from = if any_trip_updates {
        now - chrono_duration(settings.realtime_lookback)
    } else {
        now
    };

    let mut rows = event_rows(input, Event::Departure, from, until);
    if input.station.shows_arrivals() {
        // An arrival past its time stays while its vehicle stands at the
        // stop, which vehicle positions alone may say: always look back.
        let back = now - chrono_duration(settings.realtime_lookback);
        rows.extend(event_rows(input, Event::Arrival, back, until));
    }
    if let Some((feed, route_id)) = input.route {
        rows.retain(|r| r.feed == feed && r.departure.route.id == route_id);
    }
    let notices = notices::attach(input, &mut rows);
    let (arrival_rows, rows): (Vec<Row>, Vec<Row>) =
        rows.into_iter().partition(|r| r.arrival.is_some());
    let departures: Vec<Departure> = in_board_order(rows, input.limit)
        .into_iter()
        .map(|r| r.departure)
        .collect();
    let arrivals = in_board_order(arrival_rows, input.limit)
        .into_iter()
        .filter_map(|r| {
            let (origin, terminates) = r.arrival?;
            Some(Arrival {
                call: r.departure,
                origin,
                terminates,
            })
        })
        .collect();

    let next_service = if departures.is_empty() {
        // Nothing within the horizon: tell when service resumes (night gap, Sunday).
        input
            .station
            .departures(input.feeds, until, until + Duration::hours(48))
            .first()
            .map(|d| d.time)
    } else {
        None
    };
    Board {
        station: input.station.id.clone(),
        station_name: input.station.name.clone(),
        timezone: input.station.timezone,
        generated_at: now,
        departures,
        arrivals,
        notices,
        advisories: input.advisories.clone(),
        wifi: wifi_advert(input.station.wifi.as_ref()),
        feeds: input.feed_statuses.clone(),
        next_service,
        emergency: input.emergency.map(|e| model::Emergency {
            id: e.stored.id.clone(),
            screen_text: e.stored.input.screen_text.clone(),
            tts_text: e.speech(),
            started_at: e.started_at,
            ends_at: e.ends_at,
            repeat_s: e.stored.input.repeat_s,
        }),
        facilities: input.facilities.clone(),
    }
}

/// The notices that concern `station` at `now` (feed alerts and operators'
/// notices), most severe first, as its board would carry them: for a
/// stand-in station of a line or a trip ([`Station::about`]).
pub fn notices_of(
    calls: &CallInputs<'_>,
    station: &Station,
    operator_notices: &[Arc<KeptNotice>],
    now: DateTime<Utc>,
) -> Vec<Notice> {
    let input = BoardInput {
        feeds: calls.feeds,
        station,
        now,
        limit: 0,
        settings: calls.settings,
        realtime: calls.realtime,
        feed_statuses: Vec::new(),
        advisories: Vec::new(),
        operator_notices,
        emergency: None,
        facilities: Vec::new(),
        equipment: Vec::new(),
        route: None,
    };
    notices::attach(&input, &mut [])
}

/// The timetabled and the realtime-only rows of one kind (departures or
/// arrivals) from `from` to `until`, in no order.
fn event_rows(
    input: &BoardInput<'_>,
    event: Event,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<Row> {
    let station = input.station;
    let scheduled = match event {
        Event::Departure => station.departures(input.feeds, from, until),
        Event::Arrival => station.arrivals(input.feeds, from, until),
    };
    let mut rows = Vec::new();
    for d in scheduled {
        let (tu, siri) = input.calls().updates(&d);
        if let Some(row) = merged_row(input, &d, tu, siri, event) {
            rows.push(row);
        }
    }
    for (fi, view) in input.realtime.enumerate() {
        for tus in view.trip_updates.iter().chain(&view.siri_journeys) {
            rows.extend(added::rows(input, fi, tus, from, until, event));
        }
    }
    rows
}

/// Rows in the order clients see, each id once, at most `limit`.
fn in_board_order(mut rows: Vec<Row>, limit: usize) -> Vec<Row> {
    // Simultaneous departures of one line are ordered by their ids' text, which
    // is what clients see.
    rows.sort_by_cached_key(|r| {
        (
            r.departure.at(),
            r.departure.route.short_name.clone(),
            r.departure.id.to_string(),
        )
    });
    // Ids are what clients key rows by: a producer sending one trip twice (two
    // entities, or two copies with one new id) must not give two rows one id.
    // The first in board order stays.
    let mut seen = std::collections::HashSet::new();
    rows.retain(|r| seen.insert(r.departure.id.clone()));
    rows.truncate(limit);
    rows
}

/// A configured duration as chrono's, for instant arithmetic.
fn chrono_duration(d: std::time::Duration) -> Duration {
    Duration::from_std(d).unwrap_or(Duration::MAX)
}

/// A timetabled departure with its realtime applied, if it still belongs on the
/// board at `now`.
fn merged_row(
    input: &BoardInput<'_>,
    d: &ScheduledDeparture,
    tu: Option<&TripUpdate>,
    siri: Option<&TripUpdate>,
    event: Event,
) -> Option<Row> {
    let (mut departure, stop) = call_event(&input.calls(), d, tu, siri, event);
    let arrival = (event == Event::Arrival).then(|| {
        let feed = input.timetable(d.feed);
        let sts = feed.trip_stop_times(&feed.trips[d.trip]);
        let origin = sts
            .first()
            .map(|s| feed.stop_name(s.stop).to_string())
            .unwrap_or_default();
        let last = sts.last().map(|s| s.sequence);
        (origin, last == Some(feed.stop_times[d.stop_time].sequence))
    });
    keep(input, &mut departure, event).then_some(Row {
        departure,
        feed: d.feed,
        trip: Some(d.trip),
        stop: Some(stop),
        arrival,
    })
}

/// The departure of the call `d` with its realtime applied, and the stop it
/// leaves from (the realtime one when the platform changed). `tu` is the
/// GTFS-Realtime update of its trip, `siri` the SIRI one: GTFS-Realtime's
/// times win when both speak of the trip, and SIRI still brings what only it
/// carries (platform, destination shown, vehicle at the stop).
pub fn call_departure(
    input: &CallInputs<'_>,
    d: &ScheduledDeparture,
    tu: Option<&TripUpdate>,
    siri: Option<&TripUpdate>,
) -> (Departure, StopIdx) {
    call_event(input, d, tu, siri, Event::Departure)
}

/// [`call_departure`], or with `Event::Arrival` the call's arrival: its
/// times are the arrival's, timetabled and expected.
fn call_event(
    input: &CallInputs<'_>,
    d: &ScheduledDeparture,
    tu: Option<&TripUpdate>,
    siri: Option<&TripUpdate>,
    event: Event,
) -> (Departure, StopIdx) {
    let feed = &input.feeds[d.feed].timetable;
    let trip = &feed.trips[d.trip];
    let st = &feed.stop_times[d.stop_time];
    let mut departure = departure(input.feeds, d);
    if event == Event::Arrival {
        let dwell = i64::from(st.departure.saturating_sub(st.arrival));
        departure.scheduled = d.time - Duration::seconds(dwell);
    }
    let mut stop = st.stop;
    let calls = || trip_calls(feed, trip, d);
    let k = feed.call_number(trip, d.stop_time);
    let at_call = |u: &TripUpdate| {
        predict(&calls(), &u.stop_updates, u.delay)
            .into_iter()
            .nth(k)
            .unwrap_or_default()
    };

    let mut extras = None;
    match tu.or(siri) {
        Some(u) if u.relationship == TripRelationship::Canceled => {
            departure.status = DepartureStatus::Cancelled;
            departure.realtime = true;
        }
        Some(u) => {
            let p = at_call(u);
            let scheduled = departure.scheduled;
            apply(input, feed, &mut departure, &mut stop, scheduled, &p, event);
            extras = Some(p.extras);
        }
        None => {}
    }
    if tu.is_some()
        && let Some(s) = siri
        && s.relationship != TripRelationship::Canceled
    {
        // The times are GTFS-Realtime's: so is the status.
        let mut from_siri = at_call(s).extras;
        from_siri.status = None;
        from_siri.arrival_status = None;
        extras = Some(from_siri);
    }
    let at_stop = extras.as_ref().is_some_and(|e| e.vehicle_at_stop);
    if let Some(mut extras) = extras {
        // An arrival takes the producer's word on the arrival only.
        if event == Event::Arrival {
            extras.status = extras.arrival_status;
        }
        apply_extras(&mut departure, extras);
    }

    let vehicles = input.realtime.get(d.feed).and_then(|v| v.vehicles.as_ref());
    departure.boarding = (at_stop
        || vehicles.is_some_and(|v| {
            v.stopped_at(&trip.id, d.service_day, &feed.stops[stop].id, st.sequence)
        }))
        && departure.status != DepartureStatus::Cancelled;
    // How full it is: the run's vehicle, when it says (a board's runs are
    // all near now: an undated report may be of it).
    departure.occupancy = vehicles
        .and_then(|v| v.of_trip(&trip.id, d.service_day, d.instance, true))
        .and_then(|v| v.occupancy)
        .filter(|_| departure.status != DepartureStatus::Cancelled);
    (departure, stop)
}

/// The trip's calls as POSIX seconds on the departure's service day (and instance).
pub fn trip_calls<'a>(
    feed: &'a FeedTimetable,
    trip: &'a crate::timetable::Trip,
    d: &ScheduledDeparture,
) -> Vec<Call<'a>> {
    let sts = feed.trip_stop_times(trip);
    let here = &feed.stop_times[d.stop_time];
    // The instant the trip's GTFS times count from, for this run: the departure's
    // instant minus its GTFS time. A frequency instance is the template shifted as a
    // whole, and `d.time` already carries that shift.
    let zero = d.time.timestamp() - i64::from(here.departure);
    sts.iter()
        .map(|st| Call {
            sequence: st.sequence,
            stop_id: &feed.stops[st.stop].id,
            arrival: zero + i64::from(st.arrival),
            departure: zero + i64::from(st.departure),
        })
        .collect()
}

/// Writes a prediction into a departure: expected time, delay, status, platform.
fn apply(
    input: &CallInputs<'_>,
    feed: &FeedTimetable,
    departure: &mut Departure,
    stop: &mut StopIdx,
    scheduled: DateTime<Utc>,
    p: &CallPrediction,
    event: Event,
) {
    if let Some(assigned) = p.assigned_stop_id.as_deref()
        && let Some(new_stop) = feed.stop_index(assigned)
        && new_stop != *stop
    {
        *stop = new_stop;
        departure.stop.stop_id = assigned.to_string();
        departure.platform = feed.platform(new_stop);
        departure.platform_changed = true;
    }
    if p.skipped {
        departure.status = DepartureStatus::Skipped;
        departure.realtime = true;
        return;
    }
    let predicted = match event {
        Event::Departure => p.departure,
        Event::Arrival => p.arrival,
    };
    let Some(expected) = predicted.and_then(|t| DateTime::from_timestamp(t, 0)) else {
        return;
    };
    let delay = (expected - scheduled).num_seconds();
    departure.expected = Some(expected);
    departure.delay_s = Some(delay);
    departure.uncertainty_s = p.uncertainty;
    departure.realtime = true;
    departure.status = status(input, delay);
}

/// What SIRI says of the call beyond its times: the platform (changed when the
/// timetable planned another), the destination shown from there.
fn apply_extras(departure: &mut Departure, extras: crate::realtime::trip_updates::CallExtras) {
    if let Some(platform) = extras.platform
        && departure.platform.as_deref() != Some(platform.as_str())
    {
        departure.platform_changed |= departure.platform.is_some();
        departure.platform = Some(platform);
    }
    if let Some(headsign) = extras.headsign.filter(|h| !h.trim().is_empty()) {
        departure.headsign = headsign;
    }
    if let Some(status) = extras.status
        && departure.expected.is_some()
        && matches!(
            departure.status,
            DepartureStatus::OnTime | DepartureStatus::Early | DepartureStatus::Delayed
        )
    {
        departure.status = status;
    }
}

/// The status a delay gives: on time within `on_time_s`, else delayed or early.
fn status(input: &CallInputs<'_>, delay: i64) -> DepartureStatus {
    let window = input.settings.on_time.as_secs() as i64;
    if delay > window {
        DepartureStatus::Delayed
    } else if delay < -window {
        DepartureStatus::Early
    } else {
        DepartureStatus::OnTime
    }
}

/// Whether a row still belongs on the board at `now`, with its status then.
/// A departure is kept a while (`departed_keep`) once gone, marked departed;
/// an arrival while its vehicle stands at the stop.
fn keep(input: &BoardInput<'_>, departure: &mut Departure, event: Event) -> bool {
    let now = input.now;
    let at = departure.at();
    let until = now + chrono_duration(input.settings.horizon);
    if at > until {
        return false;
    }
    match departure.status {
        // Kept while their time has not come: passengers must learn of them.
        DepartureStatus::Cancelled | DepartureStatus::Skipped => departure.scheduled >= now,
        _ if event == Event::Arrival => at >= now || departure.boarding,
        _ if departure.expected.is_some() && at < now => {
            let keep = chrono_duration(input.settings.departed_keep);
            departure.status = DepartureStatus::Departed;
            departure.boarding = false;
            at >= now - keep
        }
        _ => at >= now,
    }
}

pub(crate) fn route_ref(route: &Route) -> RouteRef {
    RouteRef {
        id: route.id.clone(),
        short_name: route.short_name.clone(),
        long_name: route.long_name.clone(),
        color: route.color.clone(),
        text_color: route.text_color.clone(),
    }
}

/// The departure as the timetable has it, before realtime.
fn departure(feeds: &Feeds, d: &ScheduledDeparture) -> Departure {
    let feed_record = &feeds[d.feed];
    let feed = &*feed_record.timetable;
    let trip = &feed.trips[d.trip];
    let route = &feed.routes[trip.route];
    let st = &feed.stop_times[d.stop_time];
    let last_stop = feed
        .trip_stop_times(trip)
        .last()
        .map(|s| feed.stop_name(s.stop))
        .unwrap_or_default();
    let (headsign, trip_number) = headsign_and_number(
        feed.stop_headsign(st),
        trip.headsign.as_deref(),
        trip.short_name.as_deref(),
        last_stop,
    );
    Departure {
        id: DepartureId {
            feed: feed_record.id.clone(),
            trip: trip.id.clone(),
            start_time: d.instance,
            service_day: d.service_day,
            stop_sequence: st.sequence,
        },
        mode: route.mode,
        route: route_ref(route),
        headsign,
        trip_number,
        stop: StopKey {
            feed: feed_record.id.clone(),
            stop_id: feed.stops[st.stop].id.clone(),
        },
        platform: feed.platform(st.stop),
        platform_changed: false,
        scheduled: d.time,
        expected: None,
        delay_s: None,
        status: DepartureStatus::Scheduled,
        realtime: false,
        uncertainty_s: None,
        boarding: false,
        occupancy: None,
        notice_ids: Vec::new(),
    }
}
