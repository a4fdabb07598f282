//! A configured station resolved against the feeds: its stops in each feed, the
//! routes and trips that leave from it, the index of its departures, and what its
//! configuration says of its Wi-Fi and its place.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::config::{Place, StationConfig, WifiConfig};
use crate::feed::{FeedIdx, Feeds, StopRef};
use crate::id::StationId;
use crate::timetable::gtfs_time::service_day_origin;
use crate::timetable::{FeedTimetable, Idx, RouteIdx, StopIdx, StopTimeIdx, TripIdx};

/// One possible departure at the station: a stop time of a trip (or of one instance
/// of a frequency-based trip), by GTFS time of day. Whether it runs on a given day is
/// decided at query time from the trip's service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    time: u32,
    trip: TripIdx,
    stop_time: StopTimeIdx,
    /// For trips of `frequencies.txt`: the start time of this instance.
    instance: Option<u32>,
}

/// The departures of one feed at the station, sorted by time of day.
#[derive(Debug)]
struct FeedIndex {
    feed: FeedIdx,
    event: Event,
    entries: Vec<Entry>,
    /// How many days back a service day can still have departures (times past 24:00).
    lookback_days: i64,
}

/// A station ready to answer board queries.
#[derive(Debug)]
pub struct Station {
    pub id: StationId,
    pub name: String,
    pub timezone: Tz,
    /// Every stop that belongs to the station (by feed id, then position).
    pub stops: Vec<StopRef>,
    /// Every route that serves the station: those that leave from it, and,
    /// when it shows arrivals, those that only end there (their notices
    /// concern it).
    pub routes: HashSet<(FeedIdx, RouteIdx)>,
    /// The routes that leave from the station (`/v1/stations/{id}/routes`).
    pub leaving_routes: HashSet<(FeedIdx, RouteIdx)>,
    /// Every trip that serves the station, as `routes`.
    pub trips: HashSet<(FeedIdx, TripIdx)>,
    /// The station's public Wi-Fi, when configured.
    pub wifi: Option<WifiConfig>,
    /// Where the station is, for weather warnings.
    pub area: Option<Place>,
    /// The stop ids its configuration names (parent stations unexpanded), by feed id.
    pub configured_stops: Vec<String>,
    indexes: Vec<FeedIndex>,
    /// The arrivals, by arrival time (`Entry::time`), when the station shows
    /// them; empty otherwise.
    arrival_indexes: Vec<FeedIndex>,
}

/// A departure that runs: which stop time of which trip, on which service day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduledDeparture {
    pub feed: FeedIdx,
    pub trip: TripIdx,
    pub stop_time: StopTimeIdx,
    pub service_day: NaiveDate,
    pub instance: Option<u32>,
    pub time: DateTime<Utc>,
}

/// A run's call and the instant it is timetabled to arrive (the call's
/// `time` is its departure, for departures and arrivals alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ScheduledArrival {
    call: ScheduledDeparture,
    time: DateTime<Utc>,
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
    pub fn build(config: &StationConfig, feeds: &Feeds) -> Result<Station, StationError> {
        let mut stops = Vec::new();
        let mut indexes = Vec::new();
        let mut arrival_indexes = Vec::new();
        let mut timezone = config.timezone;
        for (feed_id, stop_ids) in &config.stops {
            let (fi, feed) =
                feeds
                    .find(feed_id.as_str())
                    .ok_or_else(|| StationError::UnknownFeed {
                        station: config.id.to_string(),
                        feed: feed_id.to_string(),
                    })?;
            let timetable = &feed.timetable;
            timezone.get_or_insert(timetable.timezone);
            let mut set = HashSet::new();
            for stop_id in stop_ids {
                let stop =
                    timetable
                        .stop_index(stop_id)
                        .ok_or_else(|| StationError::UnknownStop {
                            station: config.id.to_string(),
                            feed: feed_id.to_string(),
                            stop: stop_id.clone(),
                        })?;
                set.extend(timetable.stop_and_children(stop));
            }
            let mut ordered: Vec<StopIdx> = set.iter().copied().collect();
            ordered.sort_unstable();
            stops.extend(ordered.into_iter().map(|stop| StopRef { feed: fi, stop }));
            let mask = station_mask(&set, timetable);
            indexes.push(index_feed(fi, timetable, &mask, Event::Departure));
            if config.arrivals {
                arrival_indexes.push(index_feed(fi, timetable, &mask, Event::Arrival));
            }
        }
        // A line that only ends at the station serves it too when its
        // arrivals are shown (its notices then concern the station).
        let trips: HashSet<(FeedIdx, TripIdx)> = indexes
            .iter()
            .chain(&arrival_indexes)
            .flat_map(|ix| ix.entries.iter().map(|e| (ix.feed, e.trip)))
            .collect();
        let route_of = |(f, t): (FeedIdx, TripIdx)| (f, feeds[f].timetable.trips[t].route);
        let routes = trips.iter().copied().map(route_of).collect();
        let leaving_routes = indexes
            .iter()
            .flat_map(|ix| ix.entries.iter().map(|e| route_of((ix.feed, e.trip))))
            .collect();
        Ok(Station {
            id: config.id.clone(),
            name: config.name.clone(),
            timezone: timezone.unwrap_or(chrono_tz::UTC),
            stops,
            routes,
            leaving_routes,
            trips,
            wifi: config.wifi.clone(),
            area: config.area.clone(),
            configured_stops: config.stops.values().flatten().cloned().collect(),
            indexes,
            arrival_indexes,
        })
    }

    /// A stand-in station made of a line's or a trip's stops, routes and
    /// trips, with no departures of its own: what the board's notice rules
    /// are run against to find the notices on that line or trip.
    pub fn about(
        id: StationId,
        name: String,
        timezone: Tz,
        stops: Vec<StopRef>,
        routes: HashSet<(FeedIdx, RouteIdx)>,
        trips: HashSet<(FeedIdx, TripIdx)>,
    ) -> Station {
        Station {
            id,
            name,
            timezone,
            stops,
            leaving_routes: routes.clone(),
            routes,
            trips,
            wifi: None,
            area: None,
            configured_stops: Vec::new(),
            indexes: Vec::new(),
            arrival_indexes: Vec::new(),
        }
    }

    /// Departures from `from` to `to` (both inclusive), in time order.
    pub fn departures(
        &self,
        feeds: &Feeds,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<ScheduledDeparture> {
        scheduled(&self.indexes, feeds, from, to)
            .into_iter()
            .map(|a| a.call)
            .collect()
    }

    /// Whether the station shows arrivals (`arrivals = true`).
    pub fn shows_arrivals(&self) -> bool {
        !self.arrival_indexes.is_empty()
    }

    /// Arrivals from `from` to `to` (both inclusive, by arrival time), in
    /// the order of their arrival; none unless the station shows arrivals.
    /// Each is its call, whose `time` is the call's departure.
    pub fn arrivals(
        &self,
        feeds: &Feeds,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Vec<ScheduledDeparture> {
        scheduled(&self.arrival_indexes, feeds, from, to)
            .into_iter()
            .map(|a| a.call)
            .collect()
    }

    /// Whether stop `stop` of feed `feed` belongs to the station.
    pub fn has_stop(&self, feed: FeedIdx, stop: StopIdx) -> bool {
        self.stops.contains(&StopRef { feed, stop })
    }

    /// How many departures the station has on the service day `day` (for `check`).
    pub fn departures_on(&self, feeds: &Feeds, day: NaiveDate) -> usize {
        self.indexes
            .iter()
            .map(|index| {
                let feed = &feeds[index.feed].timetable;
                index
                    .entries
                    .iter()
                    .filter(|e| feed.services.runs_on(feed.trips[e.trip].service, day))
                    .count()
            })
            .sum()
    }
}

/// What runs of `indexes` from `from` to `to` (both inclusive, by the time
/// each index is ordered by), in that order.
fn scheduled(
    indexes: &[FeedIndex],
    feeds: &Feeds,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<ScheduledArrival> {
    let mut out = Vec::new();
    for index in indexes {
        let feed = &*feeds[index.feed].timetable;
        let first_day =
            from.with_timezone(&feed.timezone).date_naive() - Duration::days(index.lookback_days);
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
                let trip = &feed.trips[e.trip];
                if !feed.services.runs_on(trip.service, day) {
                    continue;
                }
                let st = &feed.stop_times[e.stop_time];
                let dwell = Duration::seconds(i64::from(st.departure.saturating_sub(st.arrival)));
                let at = origin + Duration::seconds(i64::from(e.time));
                let (departs, arrives) = match index.event {
                    Event::Departure => (at, at - dwell),
                    Event::Arrival => (at + dwell, at),
                };
                out.push(ScheduledArrival {
                    call: ScheduledDeparture {
                        feed: index.feed,
                        trip: e.trip,
                        stop_time: e.stop_time,
                        service_day: day,
                        instance: e.instance,
                        time: departs,
                    },
                    time: arrives,
                });
            }
        }
    }
    let event = |a: &ScheduledArrival| match indexes.first().map(|i| i.event) {
        Some(Event::Arrival) => a.time,
        _ => a.call.time,
    };
    out.sort_by_key(|a| (event(a), a.call.feed, a.call.trip, a.call.stop_time));
    out
}

/// Which of the feed's stops are the station's, by position: the scan below asks
/// once per stop time of the feed (a hash set made that 300,000 hashes for TER,
/// most of building a station).
fn station_mask(stops: &HashSet<StopIdx>, feed: &FeedTimetable) -> Vec<bool> {
    let mut mask = vec![false; feed.stops.len()];
    for stop in stops {
        if let Some(m) = mask.get_mut(stop.position()) {
            *m = true;
        }
    }
    mask
}

/// Which time of a call a station's index orders by, and a board row shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Departure,
    Arrival,
}

/// For departures, every stop time at one of `stops` where passengers may
/// board and that is not the trip's last stop; for arrivals, every one where
/// they may alight and that is not its first. Frequency-based trips are
/// expanded into their instances.
fn index_feed(fi: FeedIdx, feed: &FeedTimetable, stops: &[bool], event: Event) -> FeedIndex {
    let mut entries = Vec::new();
    for (ti, trip) in feed.trips.enumerate() {
        let sts = feed.trip_stop_times(trip);
        let Some(first) = sts.first() else { continue };
        for (k, st) in sts.iter().enumerate() {
            let at_station = stops.get(st.stop.position()).copied().unwrap_or(false);
            let served = match event {
                Event::Departure => k + 1 < sts.len() && st.pickup,
                Event::Arrival => k > 0 && st.drop_off,
            };
            if !served || !at_station {
                continue;
            }
            let stop_time = feed.call(trip, k);
            let time = match event {
                Event::Departure => st.departure,
                Event::Arrival => st.arrival,
            };
            if trip.frequencies.is_empty() {
                entries.push(Entry {
                    time,
                    trip: ti,
                    stop_time,
                    instance: None,
                });
                continue;
            }
            let offset = time.saturating_sub(first.departure);
            for f in &trip.frequencies {
                let mut start = f.start;
                while start < f.end {
                    entries.push(Entry {
                        time: start + offset,
                        trip: ti,
                        stop_time,
                        instance: Some(start),
                    });
                    // The compiler keeps `end` within 9999:99:99; never wrap around.
                    match start.checked_add(f.headway) {
                        Some(next) => start = next,
                        None => break,
                    }
                }
            }
        }
    }
    entries.sort_unstable_by_key(|e| (e.time, e.trip, e.stop_time));
    let max_time = entries.iter().map(|e| e.time).max().unwrap_or(0);
    FeedIndex {
        feed: fi,
        event,
        entries,
        lookback_days: i64::from(max_time / 86_400) + 1,
    }
}

/// The Wi-Fi block of a board: the QR payload follows the de-facto `WIFI:` URI scheme
/// that phone cameras understand (`WIFI:T:WPA;S:ssid;P:password;;`, `T:nopass` and no
/// `P` for an open network).
pub fn wifi_advert(wifi: Option<&WifiConfig>) -> Option<quai_protocol::Wifi> {
    wifi.map(|w| {
        let password = w
            .password
            .as_deref()
            .map(|p| format!("P:{};", escape_wifi(p)))
            .unwrap_or_default();
        quai_protocol::Wifi {
            ssid: w.ssid.clone(),
            qr_payload: format!(
                "WIFI:T:{};S:{};{password};",
                w.security.as_str(),
                escape_wifi(&w.ssid)
            ),
            portal_url: w.portal_url.as_ref().map(ToString::to_string),
        }
    })
}

/// `\`, `;`, `,`, `:` and `"` are escaped with a backslash in `WIFI:` payloads.
fn escape_wifi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | ';' | ',' | ':' | '"') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wifi_payload_escapes_special_characters() {
        assert_eq!(
            escape_wifi(r#"Gare; "Caudry":1"#),
            r#"Gare\; \"Caudry\"\:1"#
        );
    }

    #[test]
    fn wifi_payloads_for_open_and_protected_networks() {
        use crate::config::WifiSecurity;
        let config = |security: WifiSecurity, password: Option<&str>| WifiConfig {
            ssid: "Gare, Caudry".into(),
            security,
            password: password.map(Into::into),
            portal_url: None,
            venue_info_url: None,
            session_s: None,
            can_extend: false,
            continue_urls: Vec::new(),
        };
        let open = wifi_advert(Some(&config(WifiSecurity::Open, None))).unwrap();
        assert_eq!(open.qr_payload, r"WIFI:T:nopass;S:Gare\, Caudry;;");
        let wpa = wifi_advert(Some(&config(WifiSecurity::Wpa, Some(r"a;b\c")))).unwrap();
        assert_eq!(wpa.qr_payload, r"WIFI:T:WPA;S:Gare\, Caudry;P:a\;b\\c;;");
    }
}
