//! A configured station: its stops in each feed, and the index of its departures.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::gtfs_time::service_day_origin;
use super::{FeedTimetable, Timetable};
use crate::config::StationConfig;

/// One possible departure at the station: a stop time of a trip (or of one instance
/// of a frequency-based trip), by GTFS time of day. Whether it runs on a given day is
/// decided at query time from the trip's service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    time: u32,
    trip: u32,
    stop_time: u32,
    /// For trips of `frequencies.txt`: the start time of this instance.
    instance: Option<u32>,
}

/// The departures of one feed at the station, sorted by time of day.
#[derive(Debug, Default)]
struct FeedIndex {
    feed: usize,
    entries: Vec<Entry>,
    /// How many days back a service day can still have departures (times past 24:00).
    lookback_days: i64,
}

/// A station ready to answer board queries.
#[derive(Debug)]
pub struct Station {
    pub id: String,
    pub name: String,
    pub timezone: Tz,
    /// `(feed index, stop index)` of every stop that belongs to the station.
    pub stops: Vec<(usize, u32)>,
    /// `(feed index, route index)` of every route that leaves from the station.
    pub routes: HashSet<(usize, u32)>,
    /// `(feed index, trip index)` of every trip that leaves from the station.
    pub trips: HashSet<(usize, u32)>,
    indexes: Vec<FeedIndex>,
}

/// A departure that runs: which stop time of which trip, on which service day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduledDeparture {
    pub feed: usize,
    pub trip: u32,
    pub stop_time: u32,
    pub service_day: NaiveDate,
    pub instance: Option<u32>,
    pub time: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum StationError {
    #[error("station `{station}`: stop `{stop}` is not in feed `{feed}` (stops.txt)")]
    UnknownStop {
        station: String,
        feed: String,
        stop: String,
    },
    #[error("station `{station}`: feed `{feed}` is not loaded")]
    UnknownFeed { station: String, feed: String },
}

impl Station {
    /// Resolves the configured stops (a parent station brings its platforms) and builds
    /// the index of departures.
    pub fn build(config: &StationConfig, timetable: &Timetable) -> Result<Station, StationError> {
        let mut stops = Vec::new();
        let mut indexes = Vec::new();
        let mut timezone = config.timezone;
        for (feed_id, stop_ids) in &config.stops {
            let (fi, feed) = timetable
                .feed(feed_id)
                .ok_or_else(|| StationError::UnknownFeed {
                    station: config.id.clone(),
                    feed: feed_id.clone(),
                })?;
            timezone.get_or_insert(feed.timezone);
            let mut set = HashSet::new();
            for stop_id in stop_ids {
                let stop = feed
                    .stop_index(stop_id)
                    .ok_or_else(|| StationError::UnknownStop {
                        station: config.id.clone(),
                        feed: feed_id.clone(),
                        stop: stop_id.clone(),
                    })?;
                set.extend(feed.stop_and_children(stop));
            }
            let mut ordered: Vec<u32> = set.iter().copied().collect();
            ordered.sort_unstable();
            stops.extend(ordered.into_iter().map(|s| (fi, s)));
            indexes.push(index_feed(fi, feed, &set));
        }
        let trips: HashSet<(usize, u32)> = indexes
            .iter()
            .flat_map(|ix| ix.entries.iter().map(|e| (ix.feed, e.trip)))
            .collect();
        let routes = trips
            .iter()
            .map(|&(f, t)| (f, timetable.feeds[f].trips[t as usize].route))
            .collect();
        Ok(Station {
            id: config.id.clone(),
            name: config.name.clone(),
            timezone: timezone.unwrap_or(chrono_tz::UTC),
            stops,
            routes,
            trips,
            indexes,
        })
    }

    /// Departures from `from` to `to` (both inclusive), in time order.
    pub fn departures(
        &self,
        timetable: &Timetable,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<ScheduledDeparture> {
        let mut out = Vec::new();
        for index in &self.indexes {
            let feed = &timetable.feeds[index.feed];
            let first_day = from.with_timezone(&feed.timezone).date_naive()
                - Duration::days(index.lookback_days);
            let last_day = to.with_timezone(&feed.timezone).date_naive();
            for day in first_day.iter_days().take_while(|d| *d <= last_day) {
                let origin = service_day_origin(feed.timezone, day);
                // A departure at 07:34:00 has left at 07:34:00.5: round `from` up.
                let since = from - origin;
                let lo =
                    since.num_seconds() + i64::from(since > Duration::seconds(since.num_seconds()));
                let hi = (to - origin).num_seconds();
                if hi < 0 {
                    continue;
                }
                let lo = lo.clamp(0, i64::from(u32::MAX)) as u32;
                let hi = hi.min(i64::from(u32::MAX)) as u32;
                let start = index.entries.partition_point(|e| e.time < lo);
                for e in index.entries[start..].iter().take_while(|e| e.time <= hi) {
                    let trip = &feed.trips[e.trip as usize];
                    if feed.services.runs_on(trip.service, day) {
                        out.push(ScheduledDeparture {
                            feed: index.feed,
                            trip: e.trip,
                            stop_time: e.stop_time,
                            service_day: day,
                            instance: e.instance,
                            time: origin + Duration::seconds(i64::from(e.time)),
                        });
                    }
                }
            }
        }
        out.sort_by_key(|d| (d.time, d.feed, d.trip, d.stop_time));
        out
    }

    /// Whether stop `stop` of feed `feed` belongs to the station.
    pub fn has_stop(&self, feed: usize, stop: u32) -> bool {
        self.stops.contains(&(feed, stop))
    }

    /// How many departures the station has on the service day `day` (for `check`).
    pub fn departures_on(&self, timetable: &Timetable, day: NaiveDate) -> usize {
        self.indexes
            .iter()
            .map(|index| {
                let feed = &timetable.feeds[index.feed];
                index
                    .entries
                    .iter()
                    .filter(|e| {
                        feed.services
                            .runs_on(feed.trips[e.trip as usize].service, day)
                    })
                    .count()
            })
            .sum()
    }
}

/// Every stop time at one of `stops` where passengers may board and that is not the
/// trip's last stop, with frequency-based trips expanded into their instances.
fn index_feed(fi: usize, feed: &FeedTimetable, stops: &HashSet<u32>) -> FeedIndex {
    let mut entries = Vec::new();
    for (ti, trip) in feed.trips.iter().enumerate() {
        let sts = feed.trip_stop_times(trip);
        let Some(first) = sts.first() else { continue };
        for (k, st) in sts.iter().enumerate() {
            if k + 1 == sts.len() || !st.pickup || !stops.contains(&st.stop) {
                continue;
            }
            let stop_time = trip.stop_times.start + k as u32;
            if trip.frequencies.is_empty() {
                entries.push(Entry {
                    time: st.departure,
                    trip: ti as u32,
                    stop_time,
                    instance: None,
                });
                continue;
            }
            let offset = st.departure.saturating_sub(first.departure);
            for f in &trip.frequencies {
                let mut start = f.start;
                while start < f.end {
                    entries.push(Entry {
                        time: start + offset,
                        trip: ti as u32,
                        stop_time,
                        instance: Some(start),
                    });
                    start += f.headway;
                }
            }
        }
    }
    entries.sort_unstable_by_key(|e| (e.time, e.trip, e.stop_time));
    let max_time = entries.iter().map(|e| e.time).max().unwrap_or(0);
    FeedIndex {
        feed: fi,
        entries,
        lookback_days: i64::from(max_time / 86_400) + 1,
    }
}
