//! From GTFS rows to a [`FeedTimetable`].
//!
//! Broken references (a stop_time for an unknown trip, a trip of an unknown route) do
//! not fail the load: real feeds have a few, and a station screen is better with the
//! rest of the timetable than with none. They are counted, the first ones kept as
//! warnings with file and line, and shown by `feed-server check`.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use chrono_tz::Tz;
use gtfs_structures::{Exception, PickupDropOffType, RawGtfs, RouteType};
use quai_protocol::Mode;

use super::{FeedTimetable, Frequency, Route, ServiceCalendar, ServiceDays, Stop, StopTime, Trip};
use crate::sources::gtfs_static::FeedError;

/// Warnings kept in full; the rest are only counted.
const KEPT_WARNINGS: usize = 20;

/// Called with (rows done, rows in all) while stop_times are compiled.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// Compiles a parsed feed read from `location` (named in errors). `platform_labels`
/// come from the configuration.
pub fn compile(
    feed_id: &str,
    location: &str,
    raw: RawGtfs,
    platform_labels: BTreeMap<String, String>,
    progress: Progress<'_>,
) -> Result<FeedTimetable, FeedError> {
    let invalid = |file: &str, line: Option<u64>, reason: String| FeedError::Invalid {
        feed: feed_id.to_string(),
        file: file.to_string(),
        line,
        reason,
    };
    let mut warnings = Warnings::default();
    let convert = |e| crate::sources::gtfs_static::convert(feed_id, location, e);

    // agency.txt: the timezone of every time in the feed.
    let agencies = raw.agencies.map_err(convert)?;
    let first = agencies
        .first()
        .ok_or_else(|| invalid("agency.txt", None, "no agency".into()))?;
    let timezone: Tz = first.timezone.trim().parse().map_err(|_| {
        invalid(
            "agency.txt",
            Some(2),
            format!(
                "agency_timezone `{}` is not an IANA timezone",
                first.timezone
            ),
        )
    })?;

    // routes.txt
    let raw_routes = raw.routes.map_err(convert)?;
    let mut route_by_id = HashMap::with_capacity(raw_routes.len());
    let mut routes = Vec::with_capacity(raw_routes.len());
    for r in raw_routes {
        route_by_id.insert(r.id.clone(), routes.len() as u32);
        routes.push(Route {
            mode: mode_of(r.route_type),
            route_type: route_type_code(r.route_type),
            agency_id: r.agency_id.filter(|a| !a.is_empty()),
            color: r
                .color
                .map(|c| format!("#{:02X}{:02X}{:02X}", c.r, c.g, c.b))
                .unwrap_or_else(|| "#FFFFFF".into()),
            text_color: r
                .text_color
                .map(|c| format!("#{:02X}{:02X}{:02X}", c.r, c.g, c.b))
                .unwrap_or_else(|| "#000000".into()),
            short_name: r.short_name.filter(|s| !s.trim().is_empty()),
            long_name: r.long_name.filter(|s| !s.trim().is_empty()),
            id: r.id,
        });
    }

    // stops.txt
    let raw_stops = raw.stops.map_err(convert)?;
    let mut stop_by_id = HashMap::with_capacity(raw_stops.len());
    let mut stops = Vec::with_capacity(raw_stops.len());
    let mut parents = Vec::with_capacity(raw_stops.len());
    for s in raw_stops {
        stop_by_id.insert(s.id.clone(), stops.len() as u32);
        parents.push(s.parent_station.filter(|p| !p.is_empty()));
        stops.push(Stop {
            name: s.name.unwrap_or_default(),
            platform_code: s.platform_code.filter(|p| !p.trim().is_empty()),
            parent: None,
            id: s.id,
        });
    }
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for (i, parent) in parents.into_iter().enumerate() {
        let Some(parent) = parent else { continue };
        match stop_by_id.get(&parent) {
            Some(&p) if p as usize != i => {
                stops[i].parent = Some(p);
                children.entry(p).or_default().push(i as u32);
            }
            _ => warnings.push(format!(
                "stops.txt, line {}: parent_station `{parent}` is not a stop",
                i + 2
            )),
        }
    }

    // calendar.txt and calendar_dates.txt
    let mut services = ServiceCalendar::default();
    let calendar = raw.calendar.transpose().map_err(convert)?;
    let calendar_dates = raw.calendar_dates.transpose().map_err(convert)?;
    if calendar.is_none() && calendar_dates.is_none() {
        return Err(FeedError::MissingFile {
            feed: feed_id.to_string(),
            location: location.to_string(),
            file: "calendar.txt or calendar_dates.txt".into(),
        });
    }
    for c in calendar.unwrap_or_default() {
        let (Some(start), Some(end)) = (naive(c.start_date), naive(c.end_date)) else {
            continue;
        };
        let days = ServiceDays::weekly(
            [
                c.monday,
                c.tuesday,
                c.wednesday,
                c.thursday,
                c.friday,
                c.saturday,
                c.sunday,
            ],
            start,
            end,
        );
        services.set(&c.id, days);
    }
    for d in calendar_dates.unwrap_or_default() {
        let Some(day) = naive(d.date) else { continue };
        let (_, s) = services.entry(&d.service_id);
        match d.exception_type {
            Exception::Added => s.add(day),
            Exception::Deleted => s.remove(day),
        }
    }

    // trips.txt
    let raw_trips = raw.trips.map_err(convert)?;
    let mut trip_by_id = HashMap::with_capacity(raw_trips.len());
    let mut trips = Vec::with_capacity(raw_trips.len());
    for (i, t) in raw_trips.into_iter().enumerate() {
        let Some(&route) = route_by_id.get(&t.route_id) else {
            warnings.push(format!(
                "trips.txt, line {}: route_id `{}` is not in routes.txt; trip skipped",
                i + 2,
                t.route_id
            ));
            continue;
        };
        let service = match services.index(&t.service_id) {
            Some(s) => s,
            None => {
                warnings.push(format!(
                    "trips.txt, line {}: service_id `{}` has no calendar; the trip never runs",
                    i + 2,
                    t.service_id
                ));
                services.entry(&t.service_id).0
            }
        };
        if trip_by_id
            .insert(t.id.clone(), trips.len() as u32)
            .is_some()
        {
            warnings.push(format!(
                "trips.txt, line {}: trip_id `{}` appears twice; the last one is kept",
                i + 2,
                t.id
            ));
        }
        trips.push(Trip {
            id: t.id,
            route,
            service,
            headsign: t.trip_headsign.filter(|h| !h.trim().is_empty()),
            short_name: t.trip_short_name.filter(|h| !h.trim().is_empty()),
            direction: t.direction_id.map(|d| match d {
                gtfs_structures::DirectionType::Outbound => 0,
                gtfs_structures::DirectionType::Inbound => 1,
            }),
            stop_times: 0..0,
            frequencies: Vec::new(),
        });
    }

    // stop_times.txt: group by trip, order by stop_sequence, fill missing times.
    let raw_stop_times = raw.stop_times.map_err(convert)?;
    let total = raw_stop_times.len() as u64;
    let mut keyed: Vec<(u32, u32, u32)> = Vec::with_capacity(raw_stop_times.len());
    for (i, st) in raw_stop_times.iter().enumerate() {
        match trip_by_id.get(&st.trip_id) {
            Some(&trip) => keyed.push((trip, st.stop_sequence, i as u32)),
            None => warnings.push(format!(
                "stop_times.txt, line {}: trip_id `{}` is not in trips.txt; row skipped",
                i + 2,
                st.trip_id
            )),
        }
    }
    keyed.sort_unstable();
    let mut stop_times = Vec::with_capacity(keyed.len());
    let mut done = 0u64;
    let mut k = 0;
    while k < keyed.len() {
        let trip = keyed[k].0;
        let start = stop_times.len() as u32;
        while k < keyed.len() && keyed[k].0 == trip {
            let row = keyed[k].2 as usize;
            let st = &raw_stop_times[row];
            k += 1;
            done += 1;
            if done.is_multiple_of(20_000) {
                progress(done, total);
            }
            let Some(&stop) = stop_by_id.get(&st.stop_id) else {
                warnings.push(format!(
                    "stop_times.txt, line {}: stop_id `{}` is not in stops.txt; row skipped",
                    row + 2,
                    st.stop_id
                ));
                continue;
            };
            stop_times.push(Partial {
                stop,
                sequence: st.stop_sequence,
                arrival: st.arrival_time.or(st.departure_time),
                departure: st.departure_time.or(st.arrival_time),
                pickup: !matches!(st.pickup_type, PickupDropOffType::NotAvailable),
                headsign: st
                    .stop_headsign
                    .as_deref()
                    .map(str::trim)
                    .filter(|h| !h.is_empty())
                    .map(Into::into),
            });
        }
        let end = stop_times.len() as u32;
        if let Err(reason) = interpolate(&mut stop_times[start as usize..end as usize]) {
            warnings.push(format!(
                "stop_times.txt: trip `{}`: {reason}; trip skipped",
                trips[trip as usize].id
            ));
            stop_times.truncate(start as usize);
            continue;
        }
        trips[trip as usize].stop_times = start..end;
    }
    progress(total, total);
    let stop_times: Vec<StopTime> = stop_times
        .into_iter()
        .map(|p| StopTime {
            stop: p.stop,
            sequence: p.sequence,
            arrival: p.arrival.unwrap_or_default(),
            departure: p.departure.unwrap_or_default(),
            pickup: p.pickup,
            headsign: p.headsign,
        })
        .collect();

    // frequencies.txt
    if let Some(frequencies) = raw.frequencies.transpose().map_err(convert)? {
        for (i, f) in frequencies.into_iter().enumerate() {
            let Some(&trip) = trip_by_id.get(&f.trip_id) else {
                warnings.push(format!(
                    "frequencies.txt, line {}: trip_id `{}` is not in trips.txt",
                    i + 2,
                    f.trip_id
                ));
                continue;
            };
            if f.headway_secs == 0 || f.end_time <= f.start_time {
                warnings.push(format!(
                    "frequencies.txt, line {}: empty period or zero headway; ignored",
                    i + 2
                ));
                continue;
            }
            trips[trip as usize].frequencies.push(Frequency {
                start: f.start_time,
                end: f.end_time,
                headway: f.headway_secs,
            });
        }
    }

    let Warnings { kept, count } = warnings;
    Ok(FeedTimetable {
        id: feed_id.to_string(),
        timezone,
        lang: first.lang.clone().filter(|l| !l.trim().is_empty()),
        agencies: agencies.len(),
        routes,
        stops,
        trips,
        stop_times,
        services,
        platform_labels,
        warnings: kept,
        warning_count: count,
        stop_by_id,
        trip_by_id,
        children,
    })
}

struct Partial {
    stop: u32,
    sequence: u32,
    arrival: Option<u32>,
    departure: Option<u32>,
    pickup: bool,
    headsign: Option<Box<str>>,
}

/// GTFS allows times only at timepoints; the others are interpolated linearly by
/// position between the surrounding timepoints. First and last stop must be timed.
fn interpolate(sts: &mut [Partial]) -> Result<(), String> {
    if sts.len() < 2 {
        return Err("fewer than two stops".into());
    }
    let last = sts.len() - 1;
    if sts[0].departure.is_none() || sts[last].arrival.is_none() {
        return Err("first or last stop has no time".into());
    }
    let mut prev = 0;
    for i in 1..sts.len() {
        if sts[i].arrival.is_none() {
            continue;
        }
        if i > prev + 1 {
            let (t0, t1) = (
                sts[prev].departure.unwrap_or_default(),
                sts[i].arrival.unwrap_or_default(),
            );
            let span = (i - prev) as u64;
            for (j, st) in sts.iter_mut().enumerate().take(i).skip(prev + 1) {
                let t = t0 as u64 + (t1.saturating_sub(t0) as u64) * (j - prev) as u64 / span;
                st.arrival = Some(t as u32);
                st.departure = Some(t as u32);
            }
        }
        prev = i;
    }
    Ok(())
}

#[derive(Default)]
struct Warnings {
    kept: Vec<String>,
    count: usize,
}

impl Warnings {
    fn push(&mut self, w: String) {
        self.count += 1;
        if self.kept.len() < KEPT_WARNINGS {
            self.kept.push(w);
        }
    }
}

fn naive(d: jiff::civil::Date) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(
        i32::from(d.year()),
        u32::try_from(d.month()).ok()?,
        u32::try_from(d.day()).ok()?,
    )
}

/// The GTFS `route_type` number.
pub fn route_type_code(route_type: RouteType) -> i16 {
    match route_type {
        RouteType::Tramway => 0,
        RouteType::Subway => 1,
        RouteType::Rail => 2,
        RouteType::Bus => 3,
        RouteType::Ferry => 4,
        RouteType::CableCar => 5,
        RouteType::Gondola => 6,
        RouteType::Funicular => 7,
        RouteType::Extended(e) => e as i16,
        RouteType::Other(i) => i,
    }
}

/// The kind of vehicle from a GTFS route_type, basic or extended.
pub fn mode_of(route_type: RouteType) -> Mode {
    match route_type_code(route_type) {
        0 => Mode::Tram,
        1 => Mode::Metro,
        2 => Mode::Rail,
        3 => Mode::Bus,
        4 => Mode::Ferry,
        5 => Mode::CableTram,
        6 => Mode::AerialLift,
        7 => Mode::Funicular,
        11 => Mode::Trolleybus,
        12 => Mode::Monorail,
        100..=199 => Mode::Rail,
        200..=299 => Mode::Coach,
        405 => Mode::Monorail,
        400..=499 => Mode::Metro,
        700..=799 => Mode::Bus,
        800..=899 => Mode::Trolleybus,
        900..=999 => Mode::Tram,
        1000..=1099 | 1200..=1299 => Mode::Ferry,
        1100..=1199 => Mode::Air,
        1300..=1399 => Mode::AerialLift,
        1400..=1499 => Mode::Funicular,
        1500..=1599 => Mode::Taxi,
        _ => Mode::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(arrival: Option<u32>, departure: Option<u32>) -> Partial {
        Partial {
            stop: 0,
            sequence: 0,
            arrival,
            departure,
            pickup: true,
            headsign: None,
        }
    }

    #[test]
    fn untimed_stops_are_interpolated_between_timepoints() {
        let mut sts = vec![
            p(Some(100), Some(100)),
            p(None, None),
            p(None, None),
            p(Some(400), Some(460)),
        ];
        interpolate(&mut sts).unwrap();
        let times: Vec<_> = sts.iter().map(|s| s.departure.unwrap()).collect();
        assert_eq!(times, vec![100, 200, 300, 460]);
        assert!(interpolate(&mut [p(None, None), p(Some(1), Some(1))]).is_err());
    }

    #[test]
    fn route_types_basic_and_extended() {
        assert_eq!(mode_of(RouteType::Rail), Mode::Rail);
        assert_eq!(mode_of(RouteType::Other(11)), Mode::Trolleybus);
        assert_eq!(mode_of(RouteType::Other(12)), Mode::Monorail);
        assert_eq!(mode_of(RouteType::Other(1700)), Mode::Other);
    }
}
