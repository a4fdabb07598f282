//! SIRI references resolved against one feed's timetable, as
//! `[feeds.siri.match]` says: stops (`StopPointRef`, through a pattern and
//! `stop_id` templates, a station standing for its platforms), lines
//! (`LineRef`, through templates, then the route's short name) and trips by
//! number (`trip_short_name`). Built once per poller: the timetable it reads
//! does not change under it.

use std::collections::HashMap;

use crate::config::Matching;
use crate::config::siri::captured;
use crate::timetable::{FeedTimetable, RouteIdx, StopIdx, TripIdx};

pub struct References {
    pub matching: Matching,
    by_number: HashMap<String, Vec<TripIdx>>,
    by_route: HashMap<RouteIdx, Vec<TripIdx>>,
    route_by_short_name: HashMap<String, RouteIdx>,
    stop_by_code: HashMap<String, StopIdx>,
}

impl References {
    pub fn new(timetable: &FeedTimetable, matching: Matching) -> References {
        let mut by_number: HashMap<String, Vec<TripIdx>> = HashMap::new();
        let mut by_route: HashMap<RouteIdx, Vec<TripIdx>> = HashMap::new();
        for (i, trip) in timetable.trips.enumerate() {
            // The number is `trip_short_name`, else a headsign that is a
            // number: SNCF's TER GTFS writes the train number there.
            let numeric = |s: &&str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
            let number = trip
                .short_name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .or_else(|| trip.headsign.as_deref().map(str::trim).filter(numeric));
            if let Some(number) = number {
                by_number.entry(number.to_string()).or_default().push(i);
            }
            by_route.entry(trip.route).or_default().push(i);
        }
        let mut route_by_short_name = HashMap::new();
        for (i, route) in timetable.routes.enumerate() {
            if let Some(name) = route.short_name.as_deref().map(str::trim)
                && !name.is_empty()
            {
                route_by_short_name.entry(name.to_string()).or_insert(i);
            }
        }
        let mut stop_by_code = HashMap::new();
        for (i, stop) in timetable.stops.enumerate() {
            if let Some(code) = stop.code.as_deref() {
                stop_by_code.entry(code.trim().to_string()).or_insert(i);
            }
        }
        References {
            matching,
            stop_by_code,
            by_number,
            by_route,
            route_by_short_name,
        }
    }

    /// The stops a `StopPointRef` may name (the first template that resolves
    /// wins; a station brings its platforms).
    pub fn stops(&self, timetable: &FeedTimetable, stop_ref: &str) -> Vec<StopIdx> {
        let Some(key) = captured(self.matching.stop_pattern.as_ref(), stop_ref) else {
            return Vec::new();
        };
        for template in &self.matching.stop_ids {
            let id = template.replacen("{}", &key, 1);
            if let Some(stop) = timetable.stop_index(&id) {
                return timetable.stop_and_children(stop);
            }
        }
        match self.stop_by_code.get(key.as_str()) {
            Some(&stop) => timetable.stop_and_children(stop),
            None => Vec::new(),
        }
    }

    /// The route a `LineRef` (or a published line name) names.
    pub fn route(&self, timetable: &FeedTimetable, line_ref: &str) -> Option<RouteIdx> {
        let key = captured(self.matching.line_pattern.as_ref(), line_ref)?;
        self.matching
            .route_ids
            .iter()
            .find_map(|t| timetable.route_index(&t.replacen("{}", &key, 1)))
            .or_else(|| self.route_by_short_name.get(key.as_str()).copied())
            .or_else(|| self.route_by_short_name.get(line_ref.trim()).copied())
    }

    /// The trip a journey ref names under `trip_id_pattern`.
    pub fn trip(&self, timetable: &FeedTimetable, journey_ref: &str) -> Option<TripIdx> {
        let id = captured(self.matching.trip_id_pattern.as_ref(), journey_ref)?;
        timetable.trip_index(&id)
    }

    /// Trips whose `trip_short_name` is `number` (leading zeros aside).
    pub fn numbered(&self, number: &str) -> &[TripIdx] {
        let n = number.trim();
        self.by_number
            .get(n)
            .or_else(|| self.by_number.get(n.trim_start_matches('0')))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    pub fn of_route(&self, route: RouteIdx) -> &[TripIdx] {
        self.by_route
            .get(&route)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}
