//! GTFS-Realtime alerts as the station's notices, and `notice_ids` on departures.

use std::collections::BTreeSet;

use chrono::DateTime;
use quai_protocol::{ActivePeriod, InformedEntity, Notice, NoticeSource, NoticeStatus};

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
    notices.extend(operator_notices(input, rows));
    notices.sort_by(|a, b| {
        b.severity_rank()
            .cmp(&a.severity_rank())
            .then(a.id.cmp(&b.id))
    });
    notices
}

/// The operators' published notices in their publication period that concern the
/// station, with their ids on the departures they name (by stop, route or trip; a
/// notice about the whole station tags no departure).
fn operator_notices(input: &BoardInput<'_>, rows: &mut [Row]) -> Vec<Notice> {
    let now = input.now;
    let station = input.station;
    let timetable = input.timetable;
    let tz = station.timezone;
    let parse = |t: &Option<String>| {
        t.as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    let stop_name = |f: usize, stop: u32| {
        let feed = &timetable.feeds[f];
        format!("{}:{}", feed.id, feed.stops[stop as usize].id)
    };
    let mut out = Vec::new();
    for n in input.operator_notices {
        let i = &n.input;
        if i.status != NoticeStatus::Published
            || parse(&i.publication.start).is_some_and(|s| now < s)
            || parse(&i.publication.end).is_some_and(|e| now >= e)
        {
            continue;
        }
        let touches = |e: &InformedEntity| match e {
            InformedEntity::Station { station: s } => *s == station.id,
            InformedEntity::Stop { stop_id } => station
                .stops
                .iter()
                .any(|&(f, s)| stop_name(f, s) == *stop_id),
            InformedEntity::Route { route_id } => station
                .routes
                .iter()
                .any(|&(f, r)| timetable.feeds[f].routes[r as usize].id == *route_id),
            InformedEntity::Trip { trip_id } => station
                .trips
                .iter()
                .any(|&(f, t)| timetable.feeds[f].trips[t as usize].id == *trip_id),
        };
        // A notice that names stations or stops is about those places: its routes
        // and trips then only say which departures there it concerns.
        let placed = i.informed_entities.iter().any(|e| {
            matches!(
                e,
                InformedEntity::Station { .. } | InformedEntity::Stop { .. }
            )
        });
        let concerned = i.informed_entities.iter().any(|e| {
            let place = matches!(
                e,
                InformedEntity::Station { .. } | InformedEntity::Stop { .. }
            );
            (place || !placed) && touches(e)
        });
        if !concerned {
            continue;
        }
        for row in rows.iter_mut() {
            let tagged = i.informed_entities.iter().any(|e| match e {
                InformedEntity::Station { .. } => false,
                InformedEntity::Stop { stop_id } => row.departure.stop_id == *stop_id,
                InformedEntity::Route { route_id } => row.departure.route.id == *route_id,
                InformedEntity::Trip { trip_id } => row
                    .trip
                    .is_some_and(|t| timetable.feeds[row.feed].trips[t as usize].id == *trip_id),
            });
            if tagged {
                row.departure.notice_ids.push(n.id.clone());
            }
        }
        let local = |t: &Option<String>| parse(t).map(|t| rfc3339(tz, t));
        out.push(Notice {
            id: n.id.clone(),
            source: NoticeSource::Operator,
            severity: i.severity,
            cause: i.cause.clone(),
            effect: i.effect.clone(),
            header: i.header.clone(),
            description: i.description.clone(),
            screen_text: i.screen_text.clone(),
            active_periods: i
                .active_periods
                .iter()
                .map(|p| ActivePeriod {
                    start: local(&p.start),
                    end: local(&p.end),
                })
                .chain(
                    crate::notice::weekly_periods(
                        &i.weekly,
                        tz,
                        now,
                        8,
                        parse(&i.publication.start),
                        parse(&i.publication.end),
                    )
                    .into_iter()
                    .map(|(s, e)| ActivePeriod {
                        start: Some(rfc3339(tz, s)),
                        end: Some(rfc3339(tz, e)),
                    }),
                )
                .collect(),
            informed_entities: i.informed_entities.clone(),
            updated_at: local(&Some(n.updated_at.clone())).unwrap_or_else(|| n.updated_at.clone()),
        });
    }
    out
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
    // A selector that names nothing (only a direction, say) selects nothing.
    if s.agency_id.is_none()
        && s.route_id.is_none()
        && s.route_type.is_none()
        && s.trip_id.is_none()
        && s.stop_id.is_none()
    {
        return false;
    }
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
        screen_text: Default::default(),
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
