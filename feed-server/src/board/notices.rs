//! GTFS-Realtime alerts as the station's notices, and `notice_ids` on departures.

use std::collections::BTreeSet;

use chrono::DateTime;
use quai_protocol::{ActivePeriod, InformedEntity, Notice, NoticeSource};

use super::{BoardInput, Row};
use crate::realtime::alerts::{Alert, Selector};
use crate::timetable::FeedTimetable;
use crate::timetable::gtfs_time::rfc3339;

/// The notices of the station at `now`, most severe first, and their ids on the
/// departures they touch.
pub(super) fn attach(input: &BoardInput<'_>, rows: &mut [Row]) -> Vec<Notice> {
    let now = input.now.timestamp();
    let mut notices = Vec::new();
    for (fi, view) in input.realtime.iter().enumerate() {
        let Some(alerts) = &view.alerts else { continue };
        let feed = &input.timetable.feeds[fi];
        for alert in alerts.alerts.iter().filter(|a| a.active_at(now)) {
            if !alert
                .selectors
                .iter()
                .any(|s| touches_station(input, fi, feed, s))
            {
                continue;
            }
            let id = format!("gtfs-rt:{}:{}", feed.id, alert.entity_id);
            for row in rows.iter_mut().filter(|r| r.feed == fi) {
                if alert.selectors.iter().any(|s| touches_row(feed, row, s)) {
                    row.departure.notice_ids.push(id.clone());
                }
            }
            notices.push(notice(input, feed, id, alert));
        }
    }
    notices.sort_by(|a, b| {
        b.severity_rank()
            .cmp(&a.severity_rank())
            .then(a.id.cmp(&b.id))
    });
    notices
}

trait Rank {
    fn severity_rank(&self) -> u8;
}

impl Rank for Notice {
    fn severity_rank(&self) -> u8 {
        match self.severity {
            quai_protocol::Severity::Info => 0,
            quai_protocol::Severity::Warning => 1,
            quai_protocol::Severity::Severe => 2,
        }
    }
}

/// Whether a selector (its fields ANDed) concerns the station: its stop is one of the
/// station's, its route or trip leaves from it, or it names only an agency or a mode
/// that serves it.
fn touches_station(input: &BoardInput<'_>, fi: usize, feed: &FeedTimetable, s: &Selector) -> bool {
    let station = input.station;
    if let Some(stop) = &s.stop_id {
        match feed.stop_index(stop) {
            Some(i) if station.has_stop(fi, i) => {}
            _ => return false,
        }
    }
    if let Some(trip) = &s.trip_id {
        match feed.trip_index(trip) {
            Some(t) if station.trips.contains(&(fi, t)) => {}
            _ => return false,
        }
    }
    let serves = |f: &dyn Fn(&crate::timetable::Route) -> bool| {
        station
            .routes
            .iter()
            .any(|&(rf, r)| rf == fi && f(&feed.routes[r as usize]))
    };
    if let Some(route) = &s.route_id
        && !serves(&|r| &r.id == route)
    {
        return false;
    }
    if let Some(agency) = &s.agency_id
        && !serves(&|r| r.agency_id.as_ref().is_none_or(|a| a == agency))
    {
        return false;
    }
    if let Some(rt) = s.route_type
        && !serves(&|r| i32::from(r.route_type) == rt)
    {
        return false;
    }
    true
}

/// Whether a selector concerns one departure.
fn touches_row(feed: &FeedTimetable, row: &Row, s: &Selector) -> bool {
    let route_id = &row.departure.route.id;
    let trip = row.trip.map(|t| &feed.trips[t as usize]);
    let route = feed.routes.iter().find(|r| &r.id == route_id);
    let stop_matches = |stop: &str| {
        row.stop.is_some_and(|i| {
            feed.stops[i as usize].id == stop
                || feed.stops[i as usize]
                    .parent
                    .is_some_and(|p| feed.stops[p as usize].id == stop)
        })
    };
    s.route_id.as_ref().is_none_or(|r| r == route_id)
        && s.trip_id
            .as_ref()
            .is_none_or(|t| trip.is_some_and(|trip| &trip.id == t))
        && s.stop_id.as_deref().is_none_or(stop_matches)
        && s.direction_id
            .is_none_or(|d| trip.and_then(|t| t.direction).map(u32::from) == Some(d))
        && s.agency_id
            .as_ref()
            .is_none_or(|a| route.is_some_and(|r| r.agency_id.as_ref().is_none_or(|ra| ra == a)))
        && s.route_type
            .is_none_or(|rt| route.is_some_and(|r| i32::from(r.route_type) == rt))
}

fn notice(input: &BoardInput<'_>, feed: &FeedTimetable, id: String, alert: &Alert) -> Notice {
    let tz = input.station.timezone;
    let time = |t: u64| DateTime::from_timestamp(t as i64, 0).map(|t| rfc3339(tz, t));
    let mut entities = BTreeSet::new();
    for s in &alert.selectors {
        let mut specific = false;
        if let Some(stop) = &s.stop_id {
            entities.insert(Entity::Stop(format!("{}:{stop}", feed.id)));
            specific = true;
        }
        if let Some(route) = &s.route_id {
            entities.insert(Entity::Route(route.clone()));
            specific = true;
        }
        if let Some(trip) = &s.trip_id {
            entities.insert(Entity::Trip(trip.clone()));
            specific = true;
        }
        if !specific {
            entities.insert(Entity::Station(input.station.id.clone()));
        }
    }
    Notice {
        id,
        source: NoticeSource::GtfsRt,
        severity: alert.severity,
        cause: alert.cause.clone(),
        effect: alert.effect.clone(),
        header: alert.header.clone(),
        description: alert.description.clone(),
        active_periods: alert
            .periods
            .iter()
            .map(|(s, e)| ActivePeriod {
                start: s.and_then(time),
                end: e.and_then(time),
            })
            .collect(),
        informed_entities: entities.into_iter().map(Entity::into_wire).collect(),
        updated_at: time(alert.updated).unwrap_or_else(|| rfc3339(tz, input.now)),
    }
}

/// Ordered stand-in for [`InformedEntity`], to list each once.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Entity {
    Station(String),
    Stop(String),
    Route(String),
    Trip(String),
}

impl Entity {
    fn into_wire(self) -> InformedEntity {
        match self {
            Entity::Station(station) => InformedEntity::Station { station },
            Entity::Stop(stop_id) => InformedEntity::Stop { stop_id },
            Entity::Route(route_id) => InformedEntity::Route { route_id },
            Entity::Trip(trip_id) => InformedEntity::Trip { trip_id },
        }
    }
}
