//! The compiled schedule of one feed: what it runs, and where, ready to be cut
//! into boards.
//!
//! GTFS is read once (see [`compile`]) into compact tables addressed by typed
//! positions ([`StopIdx`], [`TripIdx`], [`RouteIdx`]...), so that answering
//! "what leaves this station in the next three hours" is a binary search per
//! service day, not a scan of the feed. A [`FeedTimetable`] knows nothing of the
//! other feeds nor of stations: those are [`crate::feed`] and [`crate::station`].

pub mod cache;
pub mod compile;
pub mod gtfs_time;
pub mod id_index;
pub mod index;
pub mod route_type;
pub mod service_days;

use std::collections::{BTreeMap, HashMap};

use chrono_tz::Tz;
use gtfs_structures::{DirectionType, RouteType};
use quai_protocol::Mode;
use serde::{Deserialize, Serialize};

pub use cache::{ArchiveDigest, ArchiveStamp, CacheKey, CacheMiss, TimetableCache};
pub use compile::{CompileError, Compiler, StopTimeRow, Tables};
pub use id_index::IdIndex;
pub use index::{Idx, RouteIdx, ServiceIdx, StopIdx, StopTimeIdx, Table, TripIdx};
pub use service_days::{ServiceCalendar, ServiceDays};

/// A line.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    pub route_type: RouteType,
    pub agency_id: Option<String>,
}

/// A stop, platform or station of a feed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stop {
    pub id: String,
    pub name: String,
    pub platform_code: Option<String>,
    /// `stop_code`: the short code passengers see (and some SIRI producers
    /// use as their stop reference).
    pub code: Option<String>,
    pub parent: Option<StopIdx>,
}

/// One run of a vehicle along a route.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Trip {
    pub id: String,
    pub route: RouteIdx,
    pub service: ServiceIdx,
    pub headsign: Option<String>,
    pub short_name: Option<String>,
    pub direction: Option<DirectionType>,
    /// Its calls in [`FeedTimetable::stop_times`], ordered by stop_sequence:
    /// from `first_stop_time` (inclusive) to `end_stop_time` (exclusive).
    pub first_stop_time: StopTimeIdx,
    pub end_stop_time: StopTimeIdx,
    /// From `frequencies.txt`: the trip is a template repeated at these headways.
    pub frequencies: Vec<Frequency>,
}

/// The latest GTFS time Quai takes, in seconds: `9999:99:99` (the hours of a
/// stop time have at most four digits; frequencies beyond it are ignored).
pub const MAX_TIME: u32 = 9999 * 3600 + 99 * 60 + 99;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frequency {
    pub start: u32,
    pub end: u32,
    pub headway: u32,
}

/// A call of a trip at a stop. Times are GTFS seconds of the service day.
///
/// 24 bytes: a feed has millions of them (the stop headsign, rare and repeated, is
/// kept once in [`FeedTimetable::stop_headsign`]'s table).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopTime {
    pub stop: StopIdx,
    pub sequence: u32,
    pub arrival: u32,
    pub departure: u32,
    /// False when `pickup_type` is 1 (no boarding here).
    pub pickup: bool,
    /// False when `drop_off_type` is 1 (no alighting here): not an arrival.
    pub drop_off: bool,
    pub headsign: Option<HeadsignIdx>,
}

// What the doc comment of `StopTime` promises.
const _: () = assert!(std::mem::size_of::<StopTime>() == 24);

/// One of a feed's distinct stop headsigns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HeadsignIdx(std::num::NonZeroU32);

impl HeadsignIdx {
    /// The `n`-th headsign (from 0).
    pub fn nth(n: usize) -> Option<HeadsignIdx> {
        u32::try_from(n + 1)
            .ok()
            .and_then(std::num::NonZeroU32::new)
            .map(HeadsignIdx)
    }

    pub fn position(self) -> usize {
        self.0.get() as usize - 1
    }
}

/// One feed, compiled.
#[derive(Debug)]
pub struct FeedTimetable {
    /// The agency timezone: GTFS times of this feed are local to it.
    pub timezone: Tz,
    pub agencies: usize,
    /// The first agency's `agency_lang`: the language of texts that do not say theirs.
    pub lang: Option<String>,
    pub routes: Table<RouteIdx, Route>,
    pub stops: Table<StopIdx, Stop>,
    pub trips: Table<TripIdx, Trip>,
    pub stop_times: Table<StopTimeIdx, StopTime>,
    /// The distinct stop headsigns, which [`StopTime::headsign`] points into.
    pub stop_headsigns: Vec<Box<str>>,
    pub services: ServiceCalendar,
    /// Platform labels from the configuration, for stops without `platform_code`.
    pub platform_labels: BTreeMap<String, String>,
    /// Problems that did not stop the load (dangling references...), first ones only.
    pub warnings: Vec<String>,
    /// How many problems there were in all.
    pub warning_count: usize,
    stop_by_id: IdIndex<StopIdx>,
    trip_by_id: IdIndex<TripIdx>,
    route_by_id: IdIndex<RouteIdx>,
    children: HashMap<StopIdx, Vec<StopIdx>>,
}

impl FeedTimetable {
    pub fn stop_index(&self, stop_id: &str) -> Option<StopIdx> {
        self.stop_by_id.find(stop_id, |i| &self.stops[i].id)
    }

    pub fn trip_index(&self, trip_id: &str) -> Option<TripIdx> {
        self.trip_by_id.find(trip_id, |i| &self.trips[i].id)
    }

    pub fn route_index(&self, route_id: &str) -> Option<RouteIdx> {
        self.route_by_id.find(route_id, |i| &self.routes[i].id)
    }

    /// The stop and, for a station, its platforms (recursively: station -> platform ->
    /// boarding area).
    pub fn stop_and_children(&self, stop: StopIdx) -> Vec<StopIdx> {
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

    /// The stop headsign of a call, if it has one.
    pub fn stop_headsign(&self, st: &StopTime) -> Option<&str> {
        st.headsign
            .and_then(|h| self.stop_headsigns.get(h.position()))
            .map(|h| &**h)
    }

    /// The calls of `trip`, in order.
    pub fn trip_stop_times(&self, trip: &Trip) -> &[StopTime] {
        self.stop_times
            .slice(trip.first_stop_time, trip.end_stop_time)
    }

    /// The position of the `k`-th call of `trip`.
    pub fn call(&self, trip: &Trip, k: usize) -> StopTimeIdx {
        StopTimeIdx::new(trip.first_stop_time.position() + k)
    }

    /// Which call of its trip `stop_time` is (0 for the first).
    pub fn call_number(&self, trip: &Trip, stop_time: StopTimeIdx) -> usize {
        stop_time.position() - trip.first_stop_time.position()
    }

    /// Stop name, or its parent station's when the stop has none.
    pub fn stop_name(&self, stop: StopIdx) -> &str {
        let s = &self.stops[stop];
        if s.name.is_empty()
            && let Some(p) = s.parent
        {
            return &self.stops[p].name;
        }
        &s.name
    }

    /// The platform label of a stop: `platform_code`, else the configured label.
    pub fn platform(&self, stop: StopIdx) -> Option<String> {
        let s = &self.stops[stop];
        s.platform_code
            .clone()
            .or_else(|| self.platform_labels.get(&s.id).cloned())
    }

    /// The route of a trip.
    pub fn route_of(&self, trip: TripIdx) -> &Route {
        &self.routes[self.trips[trip].route]
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
