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
use crate::feed::FeedIdx;
use crate::notice::KeptNotice;
use crate::timetable::route_type::direction_number;
use crate::timetable::{FeedTimetable, RouteIdx};
use crate::trip::{StandIn, network_wide, stand_in_notices};

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
    feeds: &'a crate::feed::Feeds,
    id: &str,
) -> Result<(FeedIdx, &'a FeedTimetable, RouteIdx), LineError> {
    let (feed_id, route_id) = id
        .split_once(':')
        .filter(|(f, r)| !f.is_empty() && !r.is_empty())
        .ok_or_else(|| LineError::NotALineId(id.to_string()))?;
    let (fi, feed) = feeds
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
    let (fi, feed, ri) = find(calls.feeds, id)?;
    let route = &feed.routes[ri];
    let feed_id = &calls.feeds[fi].id;
    let trips: Vec<_> = feed
        .trips
        .enumerate()
        .filter(|(_, t)| t.route == ri)
        .collect();
    // Per direction: the longest pattern; then, of the trips that end where
    // it ends, the destination they give most often (SNCF's numeric
    // headsigns are train numbers, not destinations: `headsign_and_number`).
    let mut longest: BTreeMap<Option<u8>, (usize, usize)> = BTreeMap::new();
    let direction_of = |trip: &crate::timetable::Trip| {
        trip.direction
            .and_then(|d| u8::try_from(direction_number(d)).ok())
    };
    for (i, (_, trip)) in trips.iter().enumerate() {
        let calls_n = feed.trip_stop_times(trip).len();
        let best = longest.entry(direction_of(trip)).or_insert((i, calls_n));
        if calls_n > best.1 {
            *best = (i, calls_n);
        }
    }
    let directions = longest
        .iter()
        .map(|(direction, &(i, _))| {
            let (_, pattern) = trips[i];
            let end = feed.trip_stop_times(pattern).last().map(|s| s.stop);
            let mut counts: HashMap<String, usize> = HashMap::new();
            for (_, trip) in trips.iter().filter(|(_, t)| {
                direction_of(t) == *direction
                    && feed.trip_stop_times(t).last().map(|s| s.stop) == end
            }) {
                let last = end.map(|s| feed.stop_name(s)).unwrap_or_default();
                let (headsign, _) = crate::timetable::headsign_and_number(
                    None,
                    trip.headsign.as_deref(),
                    trip.short_name.as_deref(),
                    last,
                );
                *counts.entry(headsign).or_default() += 1;
            }
            let headsign = counts
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
                .map(|(h, _)| h)
                .unwrap_or_default();
            wire::RouteDirection {
                direction_id: *direction,
                headsign,
                stops: feed
                    .trip_stop_times(pattern)
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
    Ok(wire::RouteDetail {
        id: id.to_string(),
        mode: route.mode,
        route: board::route_ref(route),
        directions,
        notices: notices(calls, operator_notices, id, now)?,
    })
}

/// The notices on line `id` at `now`, most severe first (what its detail
/// shows, and what a push subscription to it is told of).
pub fn notices(
    calls: &CallInputs<'_>,
    operator_notices: &[Arc<KeptNotice>],
    id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<wire::Notice>, LineError> {
    let (fi, feed, ri) = find(calls.feeds, id)?;
    let route = &feed.routes[ri];
    let trips: Vec<_> = feed
        .trips
        .enumerate()
        .filter(|(_, t)| t.route == ri)
        .collect();
    let stops: std::collections::BTreeSet<crate::timetable::StopIdx> = trips
        .iter()
        .flat_map(|(_, t)| feed.trip_stop_times(t))
        .map(|s| s.stop)
        .collect();
    let trip_ids: HashSet<&str> = trips.iter().map(|(_, t)| t.id.as_str()).collect();
    Ok(stand_in_notices(
        calls,
        StandIn {
            feed: fi,
            stops: stops.into_iter().collect(),
            routes: HashSet::from([(fi, ri)]),
            trips: trips.iter().map(|&(t, _)| (fi, t)).collect(),
            about: network_wide(route),
        },
        |e| match e {
            wire::InformedEntity::Route { route_id } => *route_id == route.id,
            wire::InformedEntity::Trip { trip_id } => trip_ids.contains(trip_id.as_str()),
            _ => false,
        },
        operator_notices,
        now,
    ))
}
