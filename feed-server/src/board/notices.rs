//! GTFS-Realtime alerts as the station's notices, and `notice_ids` on departures.

use std::collections::BTreeSet;

use chrono::DateTime;
use quai_protocol::{InformedEntity, NoticeSource};

use super::{BoardInput, Notice, Row};
use crate::feed::FeedIdx;
use crate::notice::{Period, weekly};
use crate::realtime::alerts::{Alert, Selector};
use crate::timetable::FeedTimetable;
use crate::timetable::route_type::{direction_number, route_type_code};

/// The notices of the station at `now`, most severe first, and their ids on the
/// departures they touch.
pub(super) fn attach(input: &BoardInput<'_>, rows: &mut [Row]) -> Vec<Notice> {
    let now = input.now.timestamp();
    let mut notices = Vec::new();
    for (fi, view) in input.realtime.enumerate() {
        let feed = input.timetable(fi);
        let feed_id = &input.feeds[fi].id;
        let gtfs_rt = view.alerts.iter().flat_map(|a| &a.alerts);
        let siri = view
            .siri_situations
            .iter()
            .flat_map(|a| &a.alerts)
            // The same disruption sent by GTFS-RT Alerts too (same id, or same
            // text and scope) is shown once, as GTFS-RT sent it.
            .filter(|s| {
                !view
                    .alerts
                    .iter()
                    .flat_map(|a| &a.alerts)
                    .any(|g| same(g, s))
            });
        let sourced = gtfs_rt
            .map(|a| (NoticeSource::GtfsRt, "gtfs-rt", a))
            .chain(siri.map(|a| (NoticeSource::Siri, "siri", a)));
        for (source, prefix, alert) in sourced {
            if !alert.shown_at(now)
                || !(alert.network_wide
                    || alert
                        .selectors
                        .iter()
                        .any(|s| touches_station(input, fi, feed, s)))
            {
                continue;
            }
            let id = format!("{prefix}:{feed_id}:{}", alert.entity_id);
            for row in rows.iter_mut().filter(|r| r.feed == fi) {
                if alert.selectors.iter().any(|s| touches_row(feed, row, s)) {
                    row.departure.notice_ids.push(id.clone());
                }
            }
            let mut notice = notice(input, feed_id.as_str(), id, alert);
            notice.source = source;
            notices.push(notice);
        }
    }
    notices.extend(operator_notices(input, rows));
    notices.extend(input.equipment.iter().cloned());
    notices.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(&b.id)));
    notices
}

/// Whether two alerts are one disruption: the same id, or the same header in
/// a language both give and the same selectors.
fn same(a: &Alert, b: &Alert) -> bool {
    a.entity_id == b.entity_id
        || (a.selectors == b.selectors
            && a.header
                .iter()
                .any(|(lang, text)| b.header.get(lang).is_some_and(|t| t.trim() == text.trim())))
}

/// The operators' published notices in their publication period that concern the
/// station, with their ids on the departures they name (by stop, route or trip; a
/// notice about the whole station tags no departure).
fn operator_notices(input: &BoardInput<'_>, rows: &mut [Row]) -> Vec<Notice> {
    let now = input.now;
    let station = input.station;
    let feeds = input.feeds;
    let tz = station.timezone;
    let mut out = Vec::new();
    for kept in input.operator_notices {
        if !kept.shown_at(now) {
            continue;
        }
        let n = &kept.stored;
        let i = &n.input;
        let touches = |e: &InformedEntity| match e {
            InformedEntity::Station { station: s } => station.id == *s.as_str(),
            InformedEntity::Stop { stop_id } => station
                .stops
                .iter()
                .any(|&stop| feeds.stop_key(stop).to_string() == *stop_id),
            InformedEntity::Route { route_id } => station
                .routes
                .iter()
                .any(|&(f, r)| feeds[f].timetable.routes[r].id == *route_id),
            InformedEntity::Trip { trip_id } => station
                .trips
                .iter()
                .any(|&(f, t)| feeds[f].timetable.trips[t].id == *trip_id),
            InformedEntity::Agency { .. } => false,
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
                InformedEntity::Stop { stop_id } => row.departure.stop.to_string() == *stop_id,
                InformedEntity::Route { route_id } => row.departure.route.id == *route_id,
                InformedEntity::Trip { trip_id } => row
                    .trip
                    .is_some_and(|t| feeds[row.feed].timetable.trips[t].id == *trip_id),
                InformedEntity::Agency { .. } => false,
            });
            if tagged {
                row.departure.notice_ids.push(n.id.clone());
            }
        }
        let weekly = weekly::periods(
            &kept.weekly,
            tz,
            now,
            8,
            kept.publication.start,
            kept.publication.end,
        )
        .into_iter()
        .map(|(start, end)| Period {
            start: Some(start),
            end: Some(end),
        });
        out.push(Notice {
            id: n.id.clone(),
            source: NoticeSource::Operator,
            severity: i.severity,
            cause: kept.cause,
            effect: kept.effect,
            header: i.header.clone(),
            description: i.description.clone(),
            screen_text: i.screen_text.clone(),
            tts_text: i.tts_text.clone(),
            active_periods: kept.active_periods.iter().copied().chain(weekly).collect(),
            informed_entities: i.informed_entities.clone(),
            updated_at: kept.updated_at.unwrap_or_default(),
        });
    }
    out
}

/// Whether a selector (its fields ANDed) concerns the station: its stop is one of the
/// station's, its route or trip leaves from it, or it names only an agency or a mode
/// that serves it.
fn touches_station(
    input: &BoardInput<'_>,
    fi: FeedIdx,
    feed: &FeedTimetable,
    s: &Selector,
) -> bool {
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
            .any(|&(rf, r)| rf == fi && f(&feed.routes[r]))
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
        && !serves(&|r| i32::from(route_type_code(r.route_type)) == rt)
    {
        return false;
    }
    true
}

/// Whether a selector concerns one departure.
fn touches_row(feed: &FeedTimetable, row: &Row, s: &Selector) -> bool {
    let route_id = &row.departure.route.id;
    let trip = row.trip.map(|t| &feed.trips[t]);
    let route = feed.route_index(route_id).map(|r| &feed.routes[r]);
    let stop_matches = |stop: &str| {
        row.stop.is_some_and(|i| {
            feed.stops[i].id == stop
                || feed.stops[i]
                    .parent
                    .is_some_and(|p| feed.stops[p].id == stop)
        })
    };
    s.route_id.as_ref().is_none_or(|r| r == route_id)
        && s.trip_id.as_ref().is_none_or(|t| match trip {
            Some(trip) => &trip.id == t,
            // An added trip is not in the timetable: its id is the update's.
            None => &row.departure.id.trip == t,
        })
        && s.stop_id.as_deref().is_none_or(stop_matches)
        && s.direction_id
            .is_none_or(|d| trip.and_then(|t| t.direction).map(direction_number) == Some(d))
        && s.agency_id
            .as_ref()
            .is_none_or(|a| route.is_some_and(|r| r.agency_id.as_ref().is_none_or(|ra| ra == a)))
        && s.route_type
            .is_none_or(|rt| route.is_some_and(|r| i32::from(route_type_code(r.route_type)) == rt))
}

fn notice(input: &BoardInput<'_>, feed_id: &str, id: String, alert: &Alert) -> Notice {
    let time = |t: u64| DateTime::from_timestamp(t as i64, 0);
    let mut entities = BTreeSet::new();
    for s in &alert.selectors {
        let mut specific = false;
        if let Some(stop) = &s.stop_id {
            entities.insert(Entity::Stop(format!("{feed_id}:{stop}")));
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
            // An agency stays an agency: API clients must tell a network-wide
            // alert from one about this station.
            entities.insert(match &s.agency_id {
                Some(agency) => Entity::Agency(agency.clone()),
                None => Entity::Station(input.station.id.to_string()),
            });
        }
    }
    if entities.is_empty() {
        // About the whole network: at this station, about the station.
        entities.insert(Entity::Station(input.station.id.to_string()));
    }
    Notice {
        id,
        source: NoticeSource::GtfsRt,
        severity: alert.severity,
        cause: alert.cause,
        effect: alert.effect,
        header: alert.header.clone(),
        description: alert.description.clone(),
        screen_text: Default::default(),
        tts_text: Default::default(),
        active_periods: alert
            .periods
            .iter()
            .map(|(s, e)| Period {
                start: s.and_then(time),
                end: e.and_then(time),
            })
            .collect(),
        informed_entities: entities.into_iter().map(Entity::into_wire).collect(),
        updated_at: time(alert.updated).unwrap_or(input.now),
    }
}

/// Ordered stand-in for [`InformedEntity`], to list each once.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum Entity {
    Station(String),
    Stop(String),
    Route(String),
    Trip(String),
    Agency(String),
}

impl Entity {
    fn into_wire(self) -> InformedEntity {
        match self {
            Entity::Station(station) => InformedEntity::Station { station },
            Entity::Stop(stop_id) => InformedEntity::Stop { stop_id },
            Entity::Route(route_id) => InformedEntity::Route { route_id },
            Entity::Trip(trip_id) => InformedEntity::Trip { trip_id },
            Entity::Agency(agency_id) => InformedEntity::Agency { agency_id },
        }
    }
}
