//! The identity of a departure, stable across updates:
//! `{feed}:{trip_id}:{service_date YYYYMMDD}:{stop_sequence}`, the trip id of an
//! instance of a `frequencies.txt` trip being `{trip_id}@HH:MM:SS` (its start
//! time), as GTFS-Realtime matches such trips by trip id and start time.
//!
//! Clients key rows by its text, so [`Display`](fmt::Display) and
//! [`FromStr`] round-trip exactly; trip ids may themselves hold `:` and `@`.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use crate::id::FeedId;
use crate::timetable::gtfs_time::{format_gtfs_time, parse_time};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DepartureId {
    pub feed: FeedId,
    /// The trip as named on the board: a timetabled or added trip's id, or the
    /// name of a DUPLICATED copy.
    pub trip: String,
    /// For an instance of a frequency-based trip (and a copy named by its start):
    /// its start time, in seconds of the service day.
    pub start_time: Option<u32>,
    pub service_day: NaiveDate,
    pub stop_sequence: u32,
}

impl fmt::Display for DepartureId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.feed, self.trip)?;
        if let Some(start) = self.start_time {
            write!(f, "@{}", format_gtfs_time(start))?;
        }
        write!(
            f,
            ":{}:{}",
            self.service_day.format("%Y%m%d"),
            self.stop_sequence
        )
    }
}

/// Why a text is not a departure id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a departure id (feed:trip:YYYYMMDD:sequence)")]
pub struct NotADepartureId(String);

impl FromStr for DepartureId {
    type Err = NotADepartureId;

    fn from_str(s: &str) -> Result<DepartureId, NotADepartureId> {
        let wrong = || NotADepartureId(s.to_string());
        let (rest, sequence) = s.rsplit_once(':').ok_or_else(wrong)?;
        let (rest, date) = rest.rsplit_once(':').ok_or_else(wrong)?;
        let (feed, trip) = rest.split_once(':').ok_or_else(wrong)?;
        // `@HH:MM:SS` at the end of the trip part is an instance's start time.
        let (trip, start_time) = match trip.rsplit_once('@') {
            Some((t, time)) if time.len() == 8 && time.as_bytes()[2] == b':' => {
                (t, Some(parse_time(time).ok_or_else(wrong)?))
            }
            _ => (trip, None),
        };
        Ok(DepartureId {
            feed: feed.parse().map_err(|_| wrong())?,
            trip: trip.to_string(),
            start_time,
            service_day: NaiveDate::parse_from_str(date, "%Y%m%d").map_err(|_| wrong())?,
            stop_sequence: sequence.parse().map_err(|_| wrong())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(text: &str) -> DepartureId {
        let id: DepartureId = text.parse().unwrap();
        assert_eq!(id.to_string(), text);
        id
    }

    #[test]
    fn departure_ids_split_back_into_trip_day_and_call() {
        let id = round_trip("demo:CA2C:N:WD:LOOP@07:40:00:20260309:1");
        assert_eq!(
            (
                id.feed.as_str(),
                id.trip.as_str(),
                id.start_time,
                id.stop_sequence
            ),
            ("demo", "CA2C:N:WD:LOOP", Some(7 * 3600 + 40 * 60), 1)
        );
        assert_eq!(id.service_day, NaiveDate::from_ymd_opt(2026, 3, 9).unwrap());
        let id = round_trip("ter:OCESN843800F3798765:2025-01-22T00:42:25Z:20250203:5");
        assert_eq!(id.trip, "OCESN843800F3798765:2025-01-22T00:42:25Z");
        assert_eq!(id.start_time, None);
        // A DUPLICATED copy without a new trip id: its run is named by day and start.
        let id = round_trip("demo:TER:843800:WD~20260309@06:53:00:20260309:6");
        assert_eq!(
            (id.trip.as_str(), id.start_time),
            ("TER:843800:WD~20260309", Some(6 * 3600 + 53 * 60))
        );
        // Past midnight, as GTFS writes it.
        round_trip("demo:NIGHT@25:10:00:20260309:3");
        assert!("demo:x:2026:1".parse::<DepartureId>().is_err());
    }
}
