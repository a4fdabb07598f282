//! A line as `GET /v1/routes/{id}` shows it: its name, colours and mode,
//! the stops of each direction in order, and the notices on the line, its
//! trips or its stops (the board's notice rules run against a stand-in
//! station made of them).
//!
//! A line is named `{feed}:{route_id}` (the GTFS route id, which may hold
//! `:` itself: the feed id cannot). The stops of a direction are those of
//! its longest stopping pattern, the one that serves the most stops.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use quai_protocol as wire;

use crate::board::{self, CallInputs};
use crate::feed::{FeedIdx, StopRef};
use crate::notice::KeptNotice;
use crate::station::Station;
use crate::timetable::route_type::direction_number;
use crate::timetable::{FeedTimetable, RouteIdx};
use crate::trip::STAND_IN;

/// Why there is no such line.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LineError {
    #[error("`{0}` is not a line id (feed:route_id)")]
    NotALineId(String),
    #[error("no feed has the id `{0}`")]
    UnknownFeed(String),
    #[error("feed `{feed}` has no route `{route}`")]
    UnknownRoute { feed: String, route: String },
}

/// The feed and route of a line id.
pub fn find<'a>(
    calls: &CallInputs<'a>,
    id: &str,
) -> Result<(FeedIdx, &'a FeedTimetable, RouteIdx), LineError> {
    let (feed_id, route_id) = id
        .split_once(':')
        .filter(|(f, r)| !f.is_empty() && !r.is_empty())
        .ok_or_else(|| LineError::NotALineId(id.to_string()))?;
    let (fi, feed) = calls
        .feeds
        .find(feed_id)
        .ok_or_else(|| LineError::UnknownFeed(feed_id.to_string()))?;
    let timetable = &*feed.timetable;
    let ri = timetable
        .route_index(route_id)
        .ok_or_else(|| LineError::UnknownRoute {
            feed: feed_id.to_string(),
            route: route_id.to_string(),
        })?;
    Ok((fi, timetable, ri))
}

/// The line `id` at `now`.
pub fn detail(
    calls: &CallInputs<'_>,
    operator_notices: &[Arc<KeptNotice>],
    id: &str,
    now: DateTime<Utc>,
) -> Result<wire::RouteDetail, LineError> {
    let (fi, feed, ri) = find(calls, id)?;
    let route = &feed.routes[ri];
    let feed_id = &calls.feeds[fi].id;
    let trips: Vec<_> = feed
        .trips
        .enumerate()
        .filter(|(_, t)| t.route == ri)
        .collect();
    // Per direction: the longest pattern, and how often each destination is
    // written on its trips.
    let mut longest: BTreeMap<Option<u8>, (usize, usize)> = BTreeMap::new();
    let mut headsigns: HashMap<Option<u8>, HashMap<String, usize>> = HashMap::new();
    for (i, (_, trip)) in trips.iter().enumerate() {
        let direction = trip
            .direction
            .and_then(|d| u8::try_from(direction_number(d)).ok());
        let calls_n = feed.trip_stop_times(trip).len();
        let best = longest.entry(direction).or_insert((i, calls_n));
        if calls_n > best.1 {
            *best = (i, calls_n);
        }
        let last = feed
            .trip_stop_times(trip)
            .last()
            .map(|s| feed.stop_name(s.stop).to_string())
            .unwrap_or_default();
        let headsign = trip
            .headsign
            .clone()
            .filter(|h| !h.trim().is_empty())
            .unwrap_or(last);
        *headsigns
            .entry(direction)
            .or_default()
            .entry(headsign)
            .or_default() += 1;
    }
    let directions = longest
        .iter()
        .map(|(direction, &(i, _))| {
            let (_, trip) = trips[i];
            let headsign = headsigns
                .get(direction)
                .and_then(|h| h.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))))
                .map(|(h, _)| h.clone())
                .unwrap_or_default();
            wire::RouteDirection {
                direction_id: *direction,
                headsign,
                stops: feed
                    .trip_stop_times(trip)
                    .iter()
                    .map(|s| wire::RouteStop {
                        stop_id: format!("{feed_id}:{}", feed.stops[s.stop].id),
                        name: feed.stop_name(s.stop).to_string(),
                        platform: feed.platform(s.stop),
                    })
                    .collect(),
            }
        })
        .collect();
    let stops: std::collections::BTreeSet<StopRef> = trips
        .iter()
        .flat_map(|(_, t)| feed.trip_stop_times(t))
        .map(|s| StopRef {
            feed: fi,
            stop: s.stop,
        })
        .collect();
    let about = Station::about(
        STAND_IN
            .parse()
            .unwrap_or_else(|_| unreachable!("a valid station id")),
        route
            .long_name
            .clone()
            .or_else(|| route.short_name.clone())
            .unwrap_or_default(),
        feed.timezone,
        stops.into_iter().collect(),
        HashSet::from([(fi, ri)]),
        trips.iter().map(|&(t, _)| (fi, t)).collect(),
    );
    let tz = feed.timezone;
    let notices = board::notices_of(calls, &about, operator_notices, now)
        .iter()
        .map(|n| {
            let mut n = n.to_wire(tz);
            for e in &mut n.informed_entities {
                if matches!(e, wire::InformedEntity::Station { station } if station == STAND_IN) {
                    *e = wire::InformedEntity::Route {
                        route_id: route.id.clone(),
                    };
                }
            }
            n
        })
        .collect();
    Ok(wire::RouteDetail {
        id: id.to_string(),
        mode: route.mode,
        route: board::route_ref(route),
        directions,
        notices,
    })
}
