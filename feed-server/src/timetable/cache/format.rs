//! The layout of a cache file (see the table in [`super`]) and its two parts:
//! writing a timetable, and reading one back checked.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::{CacheKey, FORMAT, stop_times};
use crate::timetable::{
    FeedTimetable, IdIndex, Idx, MAX_TIME, Route, RouteIdx, ServiceCalendar, Stop, StopIdx, Table,
    Trip, TripIdx,
};

const MAGIC: &[u8; 8] = b"QUAI-TT\n";
const HEADER: usize = 8 + 4 + 32 + 8 + 4;

/// The timetable but its stop times, as stored, borrowed for writing.
#[derive(Serialize)]
struct StoredRef<'a> {
    timezone: &'a str,
    agencies: usize,
    lang: &'a Option<String>,
    routes: &'a Table<RouteIdx, Route>,
    stops: &'a Table<StopIdx, Stop>,
    trips: &'a Table<TripIdx, Trip>,
    stop_headsigns: &'a [Box<str>],
    services: &'a ServiceCalendar,
    platform_labels: &'a BTreeMap<String, String>,
    warnings: &'a Vec<String>,
    warning_count: usize,
    route_index: &'a [u32],
    stop_index: &'a [u32],
    trip_index: &'a [u32],
}

/// The same, owned, for reading (field for field in the same order).
#[derive(Deserialize)]
struct Stored {
    timezone: String,
    agencies: usize,
    lang: Option<String>,
    routes: Table<RouteIdx, Route>,
    stops: Table<StopIdx, Stop>,
    trips: Table<TripIdx, Trip>,
    stop_headsigns: Vec<Box<str>>,
    services: ServiceCalendar,
    platform_labels: BTreeMap<String, String>,
    warnings: Vec<String>,
    warning_count: usize,
    route_index: Vec<u32>,
    stop_index: Vec<u32>,
    trip_index: Vec<u32>,
}

pub(super) fn encode(key: CacheKey, t: &FeedTimetable) -> Result<Vec<u8>, postcard::Error> {
    let stop_times = stop_times::encode(&t.stop_times);
    let rest = postcard::to_allocvec(&StoredRef {
        timezone: t.timezone.name(),
        agencies: t.agencies,
        lang: &t.lang,
        routes: &t.routes,
        stops: &t.stops,
        trips: &t.trips,
        stop_headsigns: &t.stop_headsigns,
        services: &t.services,
        platform_labels: &t.platform_labels,
        warnings: &t.warnings,
        warning_count: t.warning_count,
        route_index: t.route_by_id.positions(),
        stop_index: t.stop_by_id.positions(),
        trip_index: t.trip_by_id.positions(),
    })?;
    let mut payload = Vec::with_capacity(8 + stop_times.len() + rest.len());
    payload.extend_from_slice(&(stop_times.len() as u64).to_le_bytes());
    payload.extend_from_slice(&stop_times);
    payload.extend_from_slice(&rest);
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

pub(super) enum Decode {
    Format(Option<u32>),
    Stale,
    Damaged(String),
}

/// The timetable of `bytes`, if compiled with `key` (compared first) and intact.
pub(super) fn decode(bytes: &[u8], key: CacheKey) -> Result<FeedTimetable, Decode> {
    if bytes.len() < HEADER || &bytes[..8] != MAGIC {
        return Err(Decode::Format(None));
    }
    let number = |at: usize, n: usize| {
        bytes[at..at + n]
            .iter()
            .rev()
            .fold(0u64, |v, &b| v << 8 | u64::from(b))
    };
    let format = number(8, 4) as u32;
    if format != FORMAT {
        return Err(Decode::Format(Some(format)));
    }
    if &bytes[12..44] != key.as_bytes() {
        return Err(Decode::Stale);
    }
    let damaged = |why: &str| Decode::Damaged(why.to_string());
    let payload = &bytes[HEADER..];
    if payload.len() as u64 != number(44, 8) {
        return Err(Decode::Damaged(format!(
            "{} bytes of payload where the header says {}",
            payload.len(),
            number(44, 8)
        )));
    }
    if u64::from(crc32fast::hash(payload)) != number(52, 4) {
        return Err(damaged("checksum mismatch"));
    }
    let split = payload
        .get(..8)
        .map(|n| n.iter().rev().fold(0u64, |v, &b| v << 8 | u64::from(b)))
        .and_then(|n| usize::try_from(n).ok())
        .and_then(|n| n.checked_add(8))
        .filter(|&end| end <= payload.len())
        .ok_or_else(|| damaged("stop times beyond the payload"))?;
    let (stop_times, rest) = (&payload[8..split], &payload[split..]);
    // The two parts at once: stop times on a thread of their own.
    let (stop_times, stored) = std::thread::scope(|s| {
        let stop_times = s.spawn(|| stop_times::decode(stop_times));
        let stored = postcard::from_bytes::<Stored>(rest).map_err(|e| e.to_string());
        let stop_times = stop_times
            .join()
            .unwrap_or_else(|_| Err("the stop times decoder panicked".into()));
        (stop_times, stored)
    });
    let (stop_times, stored) = (
        stop_times.map_err(Decode::Damaged)?,
        stored.map_err(Decode::Damaged)?,
    );
    let timezone = stored
        .timezone
        .parse()
        .map_err(|_| Decode::Damaged(format!("unknown timezone {}", stored.timezone)))?;
    let route_by_id = IdIndex::from_positions(stored.route_index, stored.routes.len());
    let stop_by_id = IdIndex::from_positions(stored.stop_index, stored.stops.len());
    let trip_by_id = IdIndex::from_positions(stored.trip_index, stored.trips.len());
    let mut t = FeedTimetable {
        timezone,
        agencies: stored.agencies,
        lang: stored.lang,
        route_by_id: route_by_id.map_err(Decode::Damaged)?,
        stop_by_id: stop_by_id.map_err(Decode::Damaged)?,
        trip_by_id: trip_by_id.map_err(Decode::Damaged)?,
        routes: stored.routes,
        stops: stored.stops,
        trips: stored.trips,
        stop_times,
        stop_headsigns: stored.stop_headsigns,
        services: stored.services,
        platform_labels: stored.platform_labels,
        warnings: stored.warnings,
        warning_count: stored.warning_count,
        children: HashMap::new(),
    };
    check_consistency(&t).map_err(Decode::Damaged)?;
    // Children in the order of stops.txt, as the compiler lists them.
    for (i, stop) in t.stops.enumerate() {
        if let Some(parent) = stop.parent {
            t.children.entry(parent).or_default().push(i);
        }
    }
    Ok(t)
}

/// What the compiler guarantees, checked on a timetable read back: every position
/// points into its table (what indexing relies on), times within [`MAX_TIME`],
/// frequencies that end, service days sorted.
fn check_consistency(t: &FeedTimetable) -> Result<(), String> {
    let within = |what: &str, position: usize, len: usize| {
        if position < len {
            Ok(())
        } else {
            Err(format!("{what} {position} of {len}"))
        }
    };
    for stop in t.stops.iter() {
        if let Some(parent) = stop.parent {
            within("parent stop", parent.position(), t.stops.len())?;
        }
    }
    for trip in t.trips.iter() {
        within("route", trip.route.position(), t.routes.len())?;
        within("service", trip.service.position(), t.services.len())?;
        let (first, end) = (
            trip.first_stop_time.position(),
            trip.end_stop_time.position(),
        );
        if first > end || end > t.stop_times.len() {
            return Err(format!(
                "stop times {first}..{end} of {}",
                t.stop_times.len()
            ));
        }
        if let Some(f) = trip
            .frequencies
            .iter()
            .find(|f| f.headway == 0 || f.end <= f.start || f.end > MAX_TIME)
        {
            return Err(format!("frequency {f:?}"));
        }
    }
    if !t.services.is_well_formed() {
        return Err("service days out of order".into());
    }
    for st in t.stop_times.iter() {
        within("stop", st.stop.position(), t.stops.len())?;
        if st.arrival > MAX_TIME || st.departure > MAX_TIME {
            return Err(format!(
                "time {} past 9999:99:99",
                st.arrival.max(st.departure)
            ));
        }
        if let Some(h) = st.headsign {
            within("stop headsign", h.position(), t.stop_headsigns.len())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::gtfs_static::{self, Archive};

    fn demo() -> (FeedTimetable, CacheKey) {
        let bytes = crate::sources::builtin::gtfs_zip().expect("demo zip");
        let key = CacheKey::new([bytes.as_slice()], &BTreeMap::new());
        let id = "demo".parse().expect("feed id");
        let labels = [("CAUDRY:A".to_string(), "Quai A".to_string())].into();
        let t = gtfs_static::load(&id, "demo", &Archive::Zip(bytes), labels, &|_, _| {})
            .expect("demo loads");
        (t, key)
    }

    /// Everything a timetable holds, as text.
    fn dump(t: &FeedTimetable) -> String {
        let mut lookups = Vec::new();
        for s in t.stops.iter() {
            lookups.push(format!(
                "{:?}",
                (
                    t.stop_index(&s.id),
                    t.stop_and_children(t.stop_index(&s.id).expect("stop"))
                )
            ));
        }
        for r in t.trips.iter() {
            lookups.push(format!("{:?}", t.trip_index(&r.id)));
        }
        for r in t.routes.iter() {
            lookups.push(format!("{:?}", t.route_index(&r.id)));
        }
        format!(
            "{} {} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
            t.timezone,
            t.agencies,
            t.lang,
            t.routes.iter().collect::<Vec<_>>(),
            t.stops.iter().collect::<Vec<_>>(),
            t.trips.iter().collect::<Vec<_>>(),
            t.stop_times.iter().collect::<Vec<_>>(),
            t.stop_headsigns,
            t.platform_labels,
            (&t.warnings, t.warning_count),
            lookups,
            (
                t.stop_index("nowhere"),
                t.trip_index(""),
                t.route_index("~")
            ),
        )
    }

    #[test]
    fn a_timetable_comes_back_as_it_went() {
        let (t, key) = demo();
        let bytes = encode(key, &t).expect("encodes");
        let Ok(back) = decode(&bytes, key) else {
            panic!("decodes")
        };
        assert_eq!(dump(&back), dump(&t));
        assert!(back.services == t.services);
        let other = CacheKey::new([&b"another archive"[..]], &BTreeMap::new());
        assert!(matches!(decode(&bytes, other), Err(Decode::Stale)));
        assert!(t.stop_times.iter().any(|st| !st.pickup));
    }

    #[test]
    fn damage_is_found_and_never_panics() {
        let (t, key) = demo();
        let bytes = encode(key, &t).expect("encodes");
        for cut in [0, 7, HEADER - 1, HEADER, bytes.len() - 1] {
            assert!(decode(&bytes[..cut], key).is_err(), "cut at {cut}");
        }
        let mut flipped = bytes.clone();
        flipped[HEADER + 100] ^= 1;
        assert!(
            matches!(decode(&flipped, key), Err(Decode::Damaged(why)) if why == "checksum mismatch")
        );
        let mut other = bytes.clone();
        other[8] = 99;
        assert!(matches!(decode(&other, key), Err(Decode::Format(Some(99)))));
        // Past the checksum (a file written by something else): every single-byte
        // change decodes to an error or to a consistent timetable, never a panic.
        for at in (HEADER..bytes.len()).step_by(7) {
            let mut b = bytes.clone();
            b[at] = b[at].wrapping_add(0x41);
            let crc = crc32fast::hash(&b[HEADER..]).to_le_bytes();
            b[52..56].copy_from_slice(&crc);
            if let Ok(t) = decode(&b, key) {
                check_consistency(&t).expect("consistent");
            }
        }
    }

    #[test]
    fn the_key_changes_with_the_archive_and_the_labels() {
        let labels = BTreeMap::from([("A".to_string(), "1".to_string())]);
        let a = CacheKey::new([&b"zip"[..]], &BTreeMap::new());
        assert_eq!(a, CacheKey::new([&b"zip"[..]], &BTreeMap::new()));
        assert_ne!(a, CacheKey::new([&b"zap"[..]], &BTreeMap::new()));
        assert_ne!(a, CacheKey::new([&b"zip"[..]], &labels));
        // Parts are delimited: ("ab", "c") is not ("a", "bc").
        assert_ne!(
            CacheKey::new([&b"ab"[..], b"c"], &BTreeMap::new()),
            CacheKey::new([&b"a"[..], b"bc"], &BTreeMap::new())
        );
    }
}
