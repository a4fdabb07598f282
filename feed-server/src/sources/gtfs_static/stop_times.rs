//! stop_times.txt, read straight into [`StopTimeRow`]s.
//!
//! It is most of a feed (300,000 rows for SNCF TER, millions for a city's buses), so
//! it is not read into rows of strings first: each field is parsed where it lies in
//! the CSV buffer, and trip and stop ids are resolved against the trips and stops
//! already compiled. What is kept per call is 36 bytes (stop headsigns are kept
//! once each by the compiler).

use std::io::Read;

use csv::ByteRecord;

use super::FeedError;
use super::table::{Place, headers, reader};
use crate::timetable::{Compiler, StopTimeRow, TripIdx};

/// Called with (bytes read, bytes in all) while stop_times are read.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// The columns used, by position.
struct Columns {
    trip_id: usize,
    arrival_time: Option<usize>,
    departure_time: Option<usize>,
    stop_id: usize,
    stop_sequence: usize,
    stop_headsign: Option<usize>,
    pickup_type: Option<usize>,
    drop_off_type: Option<usize>,
}

impl Columns {
    fn find(headers: &ByteRecord, place: &Place<'_>) -> Result<Columns, FeedError> {
        let at = |name: &str| headers.iter().position(|h| h == name.as_bytes());
        let required = |name: &str| {
            at(name).ok_or_else(|| place.invalid(1, format!("the header has no {name} column")))
        };
        Ok(Columns {
            trip_id: required("trip_id")?,
            arrival_time: at("arrival_time"),
            departure_time: at("departure_time"),
            stop_id: required("stop_id")?,
            stop_sequence: required("stop_sequence")?,
            stop_headsign: at("stop_headsign"),
            pickup_type: at("pickup_type"),
            drop_off_type: at("drop_off_type"),
        })
    }
}

/// Reads every row of stop_times.txt from `source` (`size` bytes as declared, for
/// `progress`). Rows naming an unknown trip or stop are skipped with a warning
/// (kept in `compiler`); a field that does not parse fails the load with its place.
pub(super) fn read(
    source: &mut dyn Read,
    size: u64,
    place: &Place<'_>,
    compiler: &mut Compiler,
    progress: Progress<'_>,
) -> Result<Vec<StopTimeRow>, FeedError> {
    let mut reader = reader(source);
    let Some(headers) = headers(&mut reader, place)? else {
        return Err(place.empty());
    };
    let columns = Columns::find(&headers, place)?;
    // About 50 bytes a row in the CSV: one allocation for most feeds.
    // The size is the archive's word, not trusted: at most a million rows reserved.
    let mut rows = Vec::with_capacity(usize::try_from(size / 48).unwrap_or(0).min(1 << 20));
    let mut record = ByteRecord::new();
    // Rows of a trip come together: look its id up once per trip, not per row.
    let mut last_trip: (Vec<u8>, Option<TripIdx>) = (Vec::new(), None);
    let mut count = 0u64;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(place.error(e, &headers, None)),
        }
        count += 1;
        if count.is_multiple_of(20_000) {
            progress(reader.position().byte(), size);
        }
        let line = record.position().map(|p| p.line()).unwrap_or(count + 1);
        let fail = |column: usize, reason: String| FeedError::Csv {
            feed: place.feed.to_string(),
            file: place.file.to_string(),
            line,
            column: Some(column as u64 + 1),
            field: Some(String::from_utf8_lossy(&headers[column]).into_owned()),
            reason,
        };
        // Fields are trimmed here, where they are used (see `table::reader`).
        let bytes = |column: usize| record.get(column).unwrap_or_default().trim_ascii();
        // Ids and headsigns lose Unicode spaces too (see `table::trim_field`).
        let text = |column: usize| -> Result<&str, FeedError> {
            std::str::from_utf8(bytes(column))
                .map(str::trim)
                .map_err(|_| fail(column, "not valid UTF-8".into()))
        };
        let time = |column: Option<usize>| -> Result<Option<u32>, FeedError> {
            let Some(column) = column else {
                return Ok(None);
            };
            let field = bytes(column);
            if field.is_empty() {
                return Ok(None);
            }
            parse_time(field).map(Some).ok_or_else(|| {
                fail(
                    column,
                    format!("'{}' is not a valid time", String::from_utf8_lossy(field)),
                )
            })
        };
        let arrival = time(columns.arrival_time)?;
        let departure = time(columns.departure_time)?;
        let sequence_field = text(columns.stop_sequence)?;
        let sequence: u32 = sequence_field.parse().map_err(|_| {
            fail(
                columns.stop_sequence,
                format!("'{sequence_field}' is not a valid stop_sequence"),
            )
        })?;
        // 1 is "none here"; 0, 2 and 3 (regular, phone, ask the driver) all
        // let passengers on or off; unknown integers are read as regular.
        let allowed = |column: Option<usize>| match column.map(text).transpose()? {
            None | Some("" | "0" | "2" | "3") => Ok(true),
            Some("1") => Ok(false),
            Some(other) => {
                if other.parse::<i16>().is_err() {
                    return Err(fail(
                        column.unwrap_or_default(),
                        format!("invalid value for PickupDropOffType, must be an integer: {other}"),
                    ));
                }
                Ok(true)
            }
        };
        let pickup = allowed(columns.pickup_type)?;
        let drop_off = allowed(columns.drop_off_type)?;
        let headsign = match columns.stop_headsign.map(text).transpose()? {
            Some(h) if !h.is_empty() => compiler.headsign(h),
            _ => None,
        };
        let trip_id = bytes(columns.trip_id);
        if trip_id != last_trip.0.as_slice() {
            let id = text(columns.trip_id)?;
            last_trip = (trip_id.to_vec(), compiler.trip(id));
        }
        let Some(trip) = last_trip.1 else {
            compiler.warn(format!(
                "stop_times.txt, line {line}: trip_id `{}` is not in trips.txt; row skipped",
                String::from_utf8_lossy(trip_id)
            ));
            continue;
        };
        let stop_id = text(columns.stop_id)?;
        let Some(stop) = compiler.stop(stop_id) else {
            compiler.warn(format!(
                "stop_times.txt, line {line}: stop_id `{stop_id}` is not in stops.txt; row skipped"
            ));
            continue;
        };
        rows.push(StopTimeRow {
            trip,
            sequence,
            stop,
            arrival: arrival.or(departure),
            departure: departure.or(arrival),
            pickup,
            drop_off,
            headsign,
        });
    }
    progress(size, size);
    Ok(rows)
}

/// `H:MM:SS` (hours may pass 24, and have one digit or more) in seconds.
fn parse_time(field: &[u8]) -> Option<u32> {
    let mut parts = field.split(|&b| b == b':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || h.is_empty() || h.len() > 4 || m.len() != 2 || s.len() != 2 {
        return None;
    }
    let number = |digits: &[u8]| -> Option<u32> {
        digits.iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let (h, m, s) = (number(h)?, number(m)?, number(s)?);
    // Minutes and seconds are not checked against 60: the time is what it adds up to.
    Some(h * 3600 + m * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn times_as_gtfs_writes_them() {
        assert_eq!(parse_time(b"07:45:00"), Some(7 * 3600 + 45 * 60));
        assert_eq!(parse_time(b"4:05:30"), Some(4 * 3600 + 5 * 60 + 30));
        assert_eq!(parse_time(b"25:10:00"), Some(25 * 3600 + 600));
        for bad in [
            &b"7h45"[..],
            b"07:45",
            b"07:5:00",
            b"07:45:00:00",
            b"-1:00:00",
            b":00:00",
            b"+7:00:00",
        ] {
            assert_eq!(parse_time(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }
}
