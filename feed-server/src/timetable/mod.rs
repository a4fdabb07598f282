//! The compiled schedule: what each feed runs, and for each configured station the
//! departures sorted by time of day, ready to be cut into boards.
//!
//! GTFS is read once (see [`compile`]) into compact vectors indexed by integers, so
//! that answering "what leaves this station in the next three hours" is a binary
//! search per service day, not a scan of the feed.

pub mod compile;
pub mod gtfs_time;
pub mod service_days;
pub mod station;

use std::collections::{BTreeMap, HashMap};

use chrono_tz::Tz;
use quai_protocol::Mode;

pub use compile::compile;
pub use service_days::{ServiceCalendar, ServiceDays};
pub use station::{ScheduledDeparture, Station};

/// A line.
#[derive(Debug, Clone)]
pub struct Route {
    pub id: String,
    pub short_name: Option<String>,
    pub long_name: Option<String>,
    /// `#RRGGBB`.
    pub color: String,
    /// `#RRGGBB`.
    pub text_color: String,
    pub mode: Mode,
    /// The GTFS `route_type` as written (basic or extended).
    pub route_type: i16,
    pub agency_id: Option<String>,
}

/// A stop, platform or station of a feed.
#[derive(Debug, Clone)]
pub struct Stop {
    pub id: String,
    pub name: String,
    pub platform_code: Option<String>,
    pub parent: Option<u32>,
}

/// One run of a vehicle along a route.
#[derive(Debug, Clone)]
pub struct Trip {
    pub id: String,
    pub route: u32,
    pub service: u32,
    pub headsign: Option<String>,
    pub short_name: Option<String>,
    /// `direction_id`: 0 or 1.
    pub direction: Option<u8>,
    /// Range in [`FeedTimetable::stop_times`], ordered by stop_sequence.
    pub stop_times: std::ops::Range<u32>,
    /// From `frequencies.txt`: the trip is a template repeated at these headways.
    pub frequencies: Vec<Frequency>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frequency {
    pub start: u32,
    pub end: u32,
    pub headway: u32,
}

/// A call of a trip at a stop. Times are GTFS seconds of the service day.
#[derive(Debug, Clone)]
pub struct StopTime {
    pub stop: u32,
    pub sequence: u32,
    pub arrival: u32,
    pub departure: u32,
    /// False when `pickup_type` is 1 (no boarding here).
    pub pickup: bool,
    pub headsign: Option<Box<str>>,
}

/// One feed, compiled.
#[derive(Debug)]
pub struct FeedTimetable {
    pub id: String,
    /// The agency timezone: GTFS times of this feed are local to it.
    pub timezone: Tz,
    pub agencies: usize,
    /// The first agency's `agency_lang`: the language of texts that do not say theirs.
    pub lang: Option<String>,
    pub routes: Vec<Route>,
    pub stops: Vec<Stop>,
    pub trips: Vec<Trip>,
    pub stop_times: Vec<StopTime>,
    pub services: ServiceCalendar,
    /// Platform labels from the configuration, for stops without `platform_code`.
    pub platform_labels: BTreeMap<String, String>,
    /// Problems that did not stop the load (dangling references...), first ones only.
    pub warnings: Vec<String>,
    /// How many problems there were in all.
    pub warning_count: usize,
    stop_by_id: HashMap<String, u32>,
    trip_by_id: HashMap<String, u32>,
    children: HashMap<u32, Vec<u32>>,
}

impl FeedTimetable {
    pub fn stop_index(&self, stop_id: &str) -> Option<u32> {
        self.stop_by_id.get(stop_id).copied()
    }

    pub fn trip_index(&self, trip_id: &str) -> Option<u32> {
        self.trip_by_id.get(trip_id).copied()
    }

    /// The stop and, for a station, its platforms (recursively: station -> platform ->
    /// boarding area).
    pub fn stop_and_children(&self, stop: u32) -> Vec<u32> {
        let mut out = vec![stop];
        let mut i = 0;
        while i < out.len() {
            for &child in self.children.get(&out[i]).into_iter().flatten() {
                if !out.contains(&child) {
                    out.push(child);
                }
            }
            i += 1;
        }
        out
    }

    pub fn trip_stop_times(&self, trip: &Trip) -> &[StopTime] {
        &self.stop_times[trip.stop_times.start as usize..trip.stop_times.end as usize]
    }

    /// Stop name, or its parent station's when the stop has none.
    pub fn stop_name(&self, stop: u32) -> &str {
        let s = &self.stops[stop as usize];
        if s.name.is_empty()
            && let Some(p) = s.parent
        {
            return &self.stops[p as usize].name;
        }
        &s.name
    }

    /// The platform label of a stop: `platform_code`, else the configured label.
    pub fn platform(&self, stop: u32) -> Option<String> {
        let s = &self.stops[stop as usize];
        s.platform_code
            .clone()
            .or_else(|| self.platform_labels.get(&s.id).cloned())
    }
}

/// All feeds of a deployment.
#[derive(Debug, Default)]
pub struct Timetable {
    pub feeds: Vec<FeedTimetable>,
}

impl Timetable {
    pub fn feed(&self, id: &str) -> Option<(usize, &FeedTimetable)> {
        self.feeds.iter().enumerate().find(|(_, f)| f.id == id)
    }
}

/// The headsign passengers read, and the train number when there is one.
///
/// `stop_headsign`, else `trip_headsign`, else the name of the trip's last stop. Some
/// feeds (SNCF TER) put the train number in `trip_headsign`: a purely numeric
/// headsign is no destination, so it falls back to the last stop and is kept as the
/// trip number instead.
pub fn headsign_and_number(
    stop_headsign: Option<&str>,
    trip_headsign: Option<&str>,
    trip_short_name: Option<&str>,
    last_stop_name: &str,
) -> (String, Option<String>) {
    let is_number = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let mut number = trip_short_name
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let mut pick = None;
    for candidate in [stop_headsign, trip_headsign].into_iter().flatten() {
        let candidate = candidate.trim();
        if candidate.is_empty() {
            continue;
        }
        if is_number(candidate) {
            number.get_or_insert_with(|| candidate.to_string());
            continue;
        }
        pick = Some(candidate.to_string());
        break;
    }
    (pick.unwrap_or_else(|| last_stop_name.to_string()), number)
}

#[cfg(test)]
mod tests {
    use super::headsign_and_number as h;

    #[test]
    fn headsign_prefers_the_stop_headsign() {
        assert_eq!(
            h(
                Some("Cambrai via Ligny"),
                Some("Cambrai"),
                None,
                "Cambrai Gare"
            ),
            ("Cambrai via Ligny".into(), None)
        );
    }

    #[test]
    fn headsign_falls_back_to_the_trip_headsign_then_the_last_stop() {
        assert_eq!(
            h(None, Some("Cambrai"), None, "X"),
            ("Cambrai".into(), None)
        );
        assert_eq!(
            h(Some(" "), None, None, "Le Cateau"),
            ("Le Cateau".into(), None)
        );
    }

    #[test]
    fn a_numeric_headsign_is_a_train_number_not_a_destination() {
        assert_eq!(
            h(None, Some("843850"), None, "Lille Flandres"),
            ("Lille Flandres".into(), Some("843850".into()))
        );
        // trip_short_name wins as the number when both exist.
        assert_eq!(
            h(None, Some("843850"), Some("K843850"), "Lille Flandres"),
            ("Lille Flandres".into(), Some("K843850".into()))
        );
        // A headsign with letters and digits is a destination ("Line 2 Express").
        assert_eq!(
            h(None, Some("Ligne 2"), None, "X"),
            ("Ligne 2".into(), None)
        );
    }
}
