//! The layout of a cache file (see the table in [`super`]) and its two uses:
//! writing a timetable, and reading one back checked.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufWriter, Seek, SeekFrom, Write};

use serde::{Deserialize, Serialize};

use super::archive::STAMP_BYTES;
use super::stop_times::{self, Bounds};
use super::{ArchiveDigest, ArchiveStamp, CacheKey, FORMAT};
use crate::timetable::{
    FeedTimetable, IdIndex, Idx, MAX_TIME, Route, RouteIdx, ServiceCalendar, Stop, StopIdx,
    StopTime, StopTimeIdx, Table, Trip, TripIdx,
};

const MAGIC: &[u8; 8] = b"QUAI-TT\n";
pub(super) const HEADER: usize = 8 + 4 + 32 + 32 + STAMP_BYTES + 8 + 4;
/// Where the payload's length and checksum are in the header.
const LENGTH_AT: usize = HEADER - 12;
const CRC_AT: usize = HEADER - 4;

/// The stops and the lines, stored apart from the trips so that the two parts
/// are decoded at once (this one after the stop times, on the second thread).
#[derive(Serialize)]
struct PlacesRef<'a> {
    routes: &'a Table<RouteIdx, Route>,
    stops: &'a Table<StopIdx, Stop>,
    stop_headsigns: &'a [Box<str>],
    route_index: &'a [u32],
    stop_index: &'a [u32],
}

/// The same, owned, for reading (field for field in the same order).
#[derive(Deserialize)]
struct Places {
    routes: Table<RouteIdx, Route>,
    stops: Table<StopIdx, Stop>,
    stop_headsigns: Vec<Box<str>>,
    route_index: Vec<u32>,
    stop_index: Vec<u32>,
}

/// The trips and everything else, borrowed for writing.
#[derive(Serialize)]
struct TripsRef<'a> {
    timezone: &'a str,
    agencies: usize,
    lang: &'a Option<String>,
    trips: &'a Table<TripIdx, Trip>,
    services: &'a ServiceCalendar,
    platform_labels: &'a BTreeMap<String, String>,
    warnings: &'a Vec<String>,
    warning_count: usize,
    trip_index: &'a [u32],
}

/// The same, owned, for reading.
#[derive(Deserialize)]
struct Trips {
    timezone: String,
    agencies: usize,
    lang: Option<String>,
    trips: Table<TripIdx, Trip>,
    services: ServiceCalendar,
    platform_labels: BTreeMap<String, String>,
    warnings: Vec<String>,
    warning_count: usize,
    trip_index: Vec<u32>,
}

/// What the second thread reads: the stop times, then the places they point to.
struct Decoded {
    stop_times: Table<StopTimeIdx, StopTime>,
    bounds: Bounds,
    places: Places,
    route_by_id: IdIndex<RouteIdx>,
    stop_by_id: IdIndex<StopIdx>,
    children: HashMap<StopIdx, Vec<StopIdx>>,
}

/// Writes `t` to `out` as a cache file, streamed: nothing but a buffer of the
/// file is held beside the timetable (written after a cold load, while the server
/// serves, so this is the load's peak memory; a copy of the file in memory was a
/// third of it for SNCF TER). The header's length and checksum are written last.
pub(super) fn encode(
    key: CacheKey,
    digest: &ArchiveDigest,
    stamp: Option<&ArchiveStamp>,
    t: &FeedTimetable,
    out: &mut (impl Write + Seek),
) -> std::io::Result<()> {
    let start = out.stream_position()?;
    out.write_all(MAGIC)?;
    out.write_all(&FORMAT.to_le_bytes())?;
    out.write_all(key.as_bytes())?;
    out.write_all(&digest.0)?;
    out.write_all(&ArchiveStamp::to_bytes(stamp))?;
    out.write_all(&[0; 12])?;
    let mut payload = Summed {
        // Large writes: the page cache then holds the file in large folios, read
        // back a little faster (TER's 6 MB here: 0.56 ms written 1 MiB at a
        // time, 0.69 ms written 8 KiB at a time; best of 15 reads each).
        out: BufWriter::with_capacity(1 << 20, &mut *out),
        crc: crc32fast::Hasher::new(),
        len: 0,
    };
    let bounds = Bounds {
        stops: t.stops.len(),
        headsigns: t.stop_headsigns.len(),
    };
    stop_times::encode(&t.stop_times, bounds, &mut payload)?;
    let stop_times = payload.len;
    let io = |e: postcard::Error| std::io::Error::other(e);
    let places = PlacesRef {
        routes: &t.routes,
        stops: &t.stops,
        stop_headsigns: &t.stop_headsigns,
        route_index: t.route_by_id.positions(),
        stop_index: t.stop_by_id.positions(),
    };
    postcard::to_io(&places, &mut payload).map_err(io)?;
    let places = payload.len - stop_times;
    let trips = TripsRef {
        timezone: t.timezone.name(),
        agencies: t.agencies,
        lang: &t.lang,
        trips: &t.trips,
        services: &t.services,
        platform_labels: &t.platform_labels,
        warnings: &t.warnings,
        warning_count: t.warning_count,
        trip_index: t.trip_by_id.positions(),
    };
    postcard::to_io(&trips, &mut payload).map_err(io)?;
    payload.write_all(&stop_times.to_le_bytes())?;
    payload.write_all(&places.to_le_bytes())?;
    let Summed {
        out: buffer,
        crc,
        len,
    } = payload;
    let out = buffer.into_inner().map_err(|e| e.into_error())?;
    out.seek(SeekFrom::Start(start + LENGTH_AT as u64))?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(&crc.finalize().to_le_bytes())?;
    out.seek(SeekFrom::End(0))?;
    Ok(())
}

/// The payload on its way out: counted and checksummed.
struct Summed<W> {
    out: W,
    crc: crc32fast::Hasher,
    len: u64,
}

impl<W: Write> Write for Summed<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.crc.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

pub(super) enum Decode {
    Format(Option<u32>),
    Stale,
    Damaged(String),
}

/// The payload's three parts (stop times, places, trips), by the lengths of the
/// first two at its end.
fn parts(payload: &[u8]) -> Result<[&[u8]; 3], String> {
    let damaged = || "parts beyond the payload".to_string();
    let (body, lengths) = payload
        .split_at_checked(payload.len().checked_sub(16).ok_or_else(damaged)?)
        .ok_or_else(damaged)?;
    let length = |at: usize| {
        let mut n = [0; 8];
        n.copy_from_slice(&lengths[at..at + 8]);
        usize::try_from(u64::from_le_bytes(n)).map_err(|_| damaged())
    };
    let (stop_times, rest) = body.split_at_checked(length(0)?).ok_or_else(damaged)?;
    let (places, trips) = rest.split_at_checked(length(8)?).ok_or_else(damaged)?;
    Ok([stop_times, places, trips])
}

/// What a file's header says the timetable was compiled from.
pub(super) struct Kept {
    pub digest: ArchiveDigest,
    pub stamp: Option<ArchiveStamp>,
}

/// The header of `bytes`, if it is a file of this [`FORMAT`]. (Not covered by the
/// checksum: a damaged digest or stamp makes another key, or vouches for no file,
/// and the archive is read.)
pub(super) fn header(bytes: &[u8]) -> Result<Kept, Decode> {
    if bytes.len() < HEADER || &bytes[..8] != MAGIC {
        return Err(Decode::Format(None));
    }
    let format = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if format != FORMAT {
        return Err(Decode::Format(Some(format)));
    }
    let mut digest = [0; 32];
    digest.copy_from_slice(&bytes[44..76]);
    let mut stamp = [0; STAMP_BYTES];
    stamp.copy_from_slice(&bytes[76..76 + STAMP_BYTES]);
    Ok(Kept {
        digest: ArchiveDigest(digest),
        stamp: ArchiveStamp::from_bytes(&stamp),
    })
}

/// The timetable of `bytes`, if compiled with `key` (compared first) and intact.
///
/// What a warm start waits for, so it is read on two threads of about equal
/// work (SNCF TER: 10-11 ms each, decoded one after the other here): this one
/// reads the trips, the other the stop times, then the stops and lines and the
/// stops' children.
pub(super) fn decode(bytes: &[u8], key: CacheKey) -> Result<FeedTimetable, Decode> {
    header(bytes)?;
    let number = |at: usize, n: usize| {
        bytes[at..at + n]
            .iter()
            .rev()
            .fold(0u64, |v, &b| v << 8 | u64::from(b))
    };
    if &bytes[12..44] != key.as_bytes() {
        return Err(Decode::Stale);
    }
    let payload = &bytes[HEADER..];
    if payload.len() as u64 != number(LENGTH_AT, 8) {
        return Err(Decode::Damaged(format!(
            "{} bytes of payload where the header says {}",
            payload.len(),
            number(LENGTH_AT, 8)
        )));
    }
    if u64::from(crc32fast::hash(payload)) != number(CRC_AT, 4) {
        return Err(Decode::Damaged("checksum mismatch".into()));
    }
    let [stop_times, places, trips] = parts(payload).map_err(Decode::Damaged)?;
    let (decoded, trips) = std::thread::scope(|s| {
        let decoded = s.spawn(|| decode_places(stop_times, places));
        let trips = postcard::from_bytes::<Trips>(trips)
            .map_err(|e| e.to_string())
            .and_then(|mut t| {
                let positions = std::mem::take(&mut t.trip_index);
                let index = IdIndex::from_positions(positions, t.trips.len())?;
                Ok((t, index))
            });
        let decoded = decoded
            .join()
            .unwrap_or_else(|_| Err("the stop times decoder panicked".into()));
        (decoded, trips)
    });
    let (decoded, (trips, trip_by_id)) = (
        decoded.map_err(Decode::Damaged)?,
        trips.map_err(Decode::Damaged)?,
    );
    let timezone = trips
        .timezone
        .parse()
        .map_err(|_| Decode::Damaged(format!("unknown timezone {}", trips.timezone)))?;
    let Decoded {
        stop_times,
        bounds,
        places,
        route_by_id,
        stop_by_id,
        children,
    } = decoded;
    let t = FeedTimetable {
        timezone,
        agencies: trips.agencies,
        lang: trips.lang,
        route_by_id,
        stop_by_id,
        trip_by_id,
        routes: places.routes,
        stops: places.stops,
        trips: trips.trips,
        stop_times,
        stop_headsigns: places.stop_headsigns,
        services: trips.services,
        platform_labels: trips.platform_labels,
        warnings: trips.warnings,
        warning_count: trips.warning_count,
        children,
    };
    let read = Bounds {
        stops: t.stops.len(),
        headsigns: t.stop_headsigns.len(),
    };
    if bounds != read {
        return Err(Decode::Damaged(format!(
            "stop times written for {bounds:?}, read beside {read:?}"
        )));
    }
    check_consistency(&t).map_err(Decode::Damaged)?;
    Ok(t)
}

/// The second thread's part: the stop times (checked against the bounds written
/// with them), the stops and lines, their id tables, and which stops each
/// station holds.
fn decode_places(stop_times: &[u8], places: &[u8]) -> Result<Decoded, String> {
    let (stop_times, bounds) = stop_times::decode(stop_times)?;
    let mut places = postcard::from_bytes::<Places>(places).map_err(|e| e.to_string())?;
    let route_by_id =
        IdIndex::from_positions(std::mem::take(&mut places.route_index), places.routes.len())?;
    let stop_by_id =
        IdIndex::from_positions(std::mem::take(&mut places.stop_index), places.stops.len())?;
    // Children in the order of stops.txt, as the compiler lists them.
    let mut children: HashMap<StopIdx, Vec<StopIdx>> = HashMap::new();
    for (i, stop) in places.stops.enumerate() {
        if let Some(parent) = stop.parent {
            if parent.position() >= places.stops.len() {
                return Err(format!(
                    "parent stop {} of {}",
                    parent.position(),
                    places.stops.len()
                ));
            }
            children.entry(parent).or_default().push(i);
        }
    }
    Ok(Decoded {
        stop_times,
        bounds,
        places,
        route_by_id,
        stop_by_id,
        children,
    })
}

/// What the compiler guarantees, checked on a timetable read back, for what the
/// two threads could not check alone: the trips' positions in the other tables
/// (what indexing relies on), frequencies that end, service days sorted. The
/// stop times and the stops' parents were checked as they were decoded.
fn check_consistency(t: &FeedTimetable) -> Result<(), String> {
    let within = |what: &str, position: usize, len: usize| {
        if position < len {
            Ok(())
        } else {
            Err(format!("{what} {position} of {len}"))
        }
    };
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::gtfs_static::{self, Archive};

    fn encoded(key: CacheKey, digest: &ArchiveDigest, t: &FeedTimetable) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        encode(key, digest, None, t, &mut out).expect("encodes");
        out.into_inner()
    }

    fn demo() -> (FeedTimetable, CacheKey) {
        let bytes = crate::sources::builtin::gtfs_zip().expect("demo zip");
        let key = CacheKey::new(&ArchiveDigest::of([bytes.as_slice()]), &BTreeMap::new());
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
        let digest = ArchiveDigest::of([&b"zip"[..]]);
        let bytes = encoded(key, &digest, &t);
        let Ok(back) = decode(&bytes, key) else {
            panic!("decodes")
        };
        assert_eq!(dump(&back), dump(&t));
        assert!(back.services == t.services);
        assert!(header(&bytes).is_ok_and(|kept| kept.digest == digest && kept.stamp.is_none()));
        let other = CacheKey::new(&ArchiveDigest::of([&b"another"[..]]), &BTreeMap::new());
        assert!(matches!(decode(&bytes, other), Err(Decode::Stale)));
        assert!(t.stop_times.iter().any(|st| !st.pickup));
    }

    /// What the decoding threads check, checked again on the result.
    fn every_call_and_stop_within(t: &FeedTimetable) {
        for st in t.stop_times.iter() {
            assert!(st.stop.position() < t.stops.len());
            assert!(st.arrival <= MAX_TIME && st.departure <= MAX_TIME);
            assert!(
                st.headsign
                    .is_none_or(|h| h.position() < t.stop_headsigns.len())
            );
        }
        for stop in t.stops.iter() {
            assert!(stop.parent.is_none_or(|p| p.position() < t.stops.len()));
        }
    }

    #[test]
    fn damage_is_found_and_never_panics() {
        let (t, key) = demo();
        let bytes = encoded(key, &ArchiveDigest::of([]), &t);
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
            b[CRC_AT..HEADER].copy_from_slice(&crc);
            if let Ok(t) = decode(&b, key) {
                check_consistency(&t).expect("consistent");
                every_call_and_stop_within(&t);
            }
        }
    }

    #[test]
    fn the_key_changes_with_the_archive_and_the_labels() {
        let labels = BTreeMap::from([("A".to_string(), "1".to_string())]);
        let key = |parts: &[&[u8]], labels: &BTreeMap<String, String>| {
            CacheKey::new(&ArchiveDigest::of(parts.iter().copied()), labels)
        };
        let a = key(&[b"zip"], &BTreeMap::new());
        assert_eq!(a, key(&[b"zip"], &BTreeMap::new()));
        assert_ne!(a, key(&[b"zap"], &BTreeMap::new()));
        assert_ne!(a, key(&[b"zip"], &labels));
        // Parts are delimited: ("ab", "c") is not ("a", "bc").
        assert_ne!(
            key(&[b"ab", b"c"], &BTreeMap::new()),
            key(&[b"a", b"bc"], &BTreeMap::new())
        );
    }
}
