//! The compiled-timetable cache: a restart with an unchanged feed reads the
//! timetable it compiled last time instead of the GTFS archive.
//!
//! One file per feed, `<dir>/<feed id>.timetable`:
//!
//! | bytes | what |
//! |---|---|
//! | 8 | `QUAI-TT\n` |
//! | 4 | [`FORMAT`], little-endian |
//! | 32 | the key: SHA-256 of the archive's content, the platform labels, [`FORMAT`] and the server's version |
//! | 8 | payload length, little-endian |
//! | 4 | CRC-32 of the payload |
//! | 8 | length of the stop times' part, little-endian |
//! | … | the stop times ([`stop_times`]'s format) |
//! | … | the rest of the timetable, in `postcard` |
//!
//! A file is used only when every one of those matches and the timetable it holds
//! is consistent (every position within its table); anything else (another feed
//! version, another server version, a torn or damaged file) is ignored with a
//! warning, the archive is read as on a cold start, and the file is written anew.
//! Writes go to a temporary file renamed into place, so a crash leaves the old
//! file or the new one, never half of one.
//!
//! Reading it back is what a warm restart waits for, so the two parts are decoded
//! at once, on two threads.

mod stop_times;

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use ring::digest::{Context, SHA256};
use serde::{Deserialize, Serialize};

use super::{
    FeedTimetable, IdIndex, Idx, Route, RouteIdx, ServiceCalendar, Stop, StopIdx, Table, Trip,
    TripIdx,
};

/// The layout of the payload. Bump it whenever a stored type or the rules of
/// [`super::Compiler`] change: the key includes it, so older files are ignored.
pub const FORMAT: u32 = 1;

const MAGIC: &[u8; 8] = b"QUAI-TT\n";
const HEADER: usize = 8 + 4 + 32 + 8 + 4;

/// What identifies one compiled timetable: the archive and everything else that
/// went into compiling it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheKey([u8; 32]);

impl CacheKey {
    /// The key of a timetable compiled from `content` (the archive's bytes, or its
    /// files' names and bytes) with `platform_labels`.
    pub fn new<'a>(
        content: impl IntoIterator<Item = &'a [u8]>,
        platform_labels: &BTreeMap<String, String>,
    ) -> CacheKey {
        let mut ctx = Context::new(&SHA256);
        ctx.update(b"quai compiled timetable\0");
        ctx.update(&FORMAT.to_le_bytes());
        ctx.update(env!("CARGO_PKG_VERSION").as_bytes());
        for part in content {
            ctx.update(&(part.len() as u64).to_le_bytes());
            ctx.update(part);
        }
        for (stop, label) in platform_labels {
            for s in [stop, label] {
                ctx.update(&(s.len() as u64).to_le_bytes());
                ctx.update(s.as_bytes());
            }
        }
        let mut key = [0; 32];
        key.copy_from_slice(ctx.finish().as_ref());
        CacheKey(key)
    }
}

/// Why a cache file was not used (logged; the feed is then read from its archive).
#[derive(Debug, thiserror::Error)]
pub enum CacheMiss {
    #[error("no cached timetable")]
    Absent,
    #[error("cannot read {0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("{0} is not a compiled timetable of this server version (format {1:?})")]
    Format(PathBuf, Option<u32>),
    #[error("{0} is of another version of the feed")]
    Stale(PathBuf),
    #[error("{0} is damaged: {1}")]
    Damaged(PathBuf, String),
}

/// A timetable read back, and the key it was compiled under.
#[derive(Debug)]
pub struct Cached {
    pub key: CacheKey,
    pub timetable: FeedTimetable,
}

impl Cached {
    /// The timetable, if it was compiled from the archive of `key`.
    pub fn take(self, key: CacheKey, path: &Path) -> Result<FeedTimetable, CacheMiss> {
        if self.key == key {
            Ok(self.timetable)
        } else {
            Err(CacheMiss::Stale(path.to_path_buf()))
        }
    }
}

/// The folder holding compiled timetables.
#[derive(Debug, Clone)]
pub struct TimetableCache {
    dir: PathBuf,
}

impl TimetableCache {
    pub fn new(dir: impl Into<PathBuf>) -> TimetableCache {
        TimetableCache { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of `feed`.
    pub fn path(&self, feed: &str) -> PathBuf {
        self.dir.join(format!("{feed}.timetable"))
    }

    /// The timetable of `feed` the cache holds, if intact, with the key it was
    /// compiled under (the caller compares it with the archive's: reading the
    /// cache need not wait for the archive).
    pub fn read(&self, feed: &str) -> Result<Cached, CacheMiss> {
        let path = self.path(feed);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(CacheMiss::Absent),
            Err(e) => return Err(CacheMiss::Io(path, e)),
        };
        decode(&bytes).map_err(|miss| match miss {
            Decode::Format(f) => CacheMiss::Format(path, f),
            Decode::Damaged(why) => CacheMiss::Damaged(path, why),
        })
    }

    /// Stores `timetable` as compiled with `key` (atomically: a temporary file
    /// renamed over the old one).
    pub fn write(
        &self,
        feed: &str,
        key: CacheKey,
        timetable: &FeedTimetable,
    ) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let bytes = encode(key, timetable).map_err(std::io::Error::other)?;
        let path = self.path(feed);
        let tmp = self
            .dir
            .join(format!(".{feed}.timetable.{}", std::process::id()));
        let written = (|| {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            std::fs::rename(&tmp, &path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }
}

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

fn encode(key: CacheKey, t: &FeedTimetable) -> Result<Vec<u8>, postcard::Error> {
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
    out.extend_from_slice(&key.0);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

enum Decode {
    Format(Option<u32>),
    Damaged(String),
}

fn decode(bytes: &[u8]) -> Result<Cached, Decode> {
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
    let mut key = [0; 32];
    key.copy_from_slice(&bytes[12..44]);
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
    let route_by_id =
        IdIndex::from_positions(stored.route_index, stored.routes.len(), |i: RouteIdx| {
            &stored.routes[i].id
        });
    let stop_by_id =
        IdIndex::from_positions(stored.stop_index, stored.stops.len(), |i: StopIdx| {
            &stored.stops[i].id
        });
    let trip_by_id =
        IdIndex::from_positions(stored.trip_index, stored.trips.len(), |i: TripIdx| {
            &stored.trips[i].id
        });
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
    check_positions(&t).map_err(Decode::Damaged)?;
    // Children in the order of stops.txt, as the compiler lists them.
    for (i, stop) in t.stops.enumerate() {
        if let Some(parent) = stop.parent {
            t.children.entry(parent).or_default().push(i);
        }
    }
    Ok(Cached {
        key: CacheKey(key),
        timetable: t,
    })
}

/// Every position in `t` points into its table (what indexing relies on).
fn check_positions(t: &FeedTimetable) -> Result<(), String> {
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
    }
    for st in t.stop_times.iter() {
        within("stop", st.stop.position(), t.stops.len())?;
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
        let Ok(back) = decode(&bytes) else {
            panic!("decodes")
        };
        assert_eq!(back.key, key);
        assert_eq!(dump(&back.timetable), dump(&t));
        assert!(back.timetable.services == t.services);
        assert!(t.stop_times.iter().any(|st| !st.pickup));
    }

    #[test]
    fn damage_is_found_and_never_panics() {
        let (t, key) = demo();
        let bytes = encode(key, &t).expect("encodes");
        for cut in [0, 7, HEADER - 1, HEADER, bytes.len() - 1] {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut flipped = bytes.clone();
        flipped[HEADER + 100] ^= 1;
        assert!(
            matches!(decode(&flipped), Err(Decode::Damaged(why)) if why == "checksum mismatch")
        );
        let mut other = bytes.clone();
        other[8] = 99;
        assert!(matches!(decode(&other), Err(Decode::Format(Some(99)))));
        // Past the checksum (a file written by something else): every single-byte
        // change decodes to an error or to a consistent timetable, never a panic.
        for at in (HEADER..bytes.len()).step_by(7) {
            let mut b = bytes.clone();
            b[at] = b[at].wrapping_add(0x41);
            let crc = crc32fast::hash(&b[HEADER..]).to_le_bytes();
            b[52..56].copy_from_slice(&crc);
            if let Ok(c) = decode(&b) {
                check_positions(&c.timetable).expect("consistent");
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
