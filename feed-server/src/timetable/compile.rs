//! From GTFS rows to a [`FeedTimetable`].
//!
//! Broken references (a stop_time for an unknown trip, a trip of an unknown route) do
//! not fail the load: real feeds have a few, and a station screen is better with the
//! rest of the timetable than with none. They are counted, the first ones kept as
//! warnings with file and line, and shown by `feed-server check`.
//!
//! Tables are taken in the order their references need: [`Compiler::new`] reads
//! agency, routes, stops, calendars and trips (one long function on purpose: each
//! step is short and says what it reads); the reader of stop_times, the largest
//! table by far, then resolves each row against it as it is read
//! ([`Compiler::trip`], [`Compiler::stop`]) and hands over compact
//! [`StopTimeRow`]s, so that no row of strings is ever kept; [`Compiler::finish`]
//! orders them into trips and adds frequencies.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use chrono_tz::Tz;
use gtfs_structures::{Agency, Calendar, CalendarDate, Exception, RawFrequency, RawTrip};

use super::route_type::mode_of;
use super::{
    FeedTimetable, Frequency, HeadsignIdx, IdIndex, Idx, MAX_TIME, Route, RouteIdx,
    ServiceCalendar, ServiceDays, ServiceIdx, Stop, StopIdx, StopTime, StopTimeIdx, Table, Trip,
    TripIdx,
};

/// Warnings kept in full; the rest are only counted.
const KEPT_WARNINGS: usize = 20;

/// The tables of a feed that stop_times refer to, as read (rows as written), which
/// [`Compiler::new`] compiles. `None`: the optional file is absent.
#[derive(Debug, Default)]
pub struct Tables {
    pub agencies: Vec<Agency>,
    pub routes: Vec<gtfs_structures::Route>,
    pub stops: Vec<gtfs_structures::Stop>,
    pub trips: Vec<RawTrip>,
    pub calendar: Option<Vec<Calendar>>,
    pub calendar_dates: Option<Vec<CalendarDate>>,
}

/// One row of stop_times.txt, resolved: what [`Compiler::finish`] orders into trips.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopTimeRow {
    pub trip: TripIdx,
    pub sequence: u32,
    pub stop: StopIdx,
    /// GTFS seconds; `None` between timepoints (interpolated by `finish`).
    pub arrival: Option<u32>,
    pub departure: Option<u32>,
    /// False when `pickup_type` is 1 (no boarding here).
    pub pickup: bool,
    /// False when `drop_off_type` is 1 (no alighting here).
    pub drop_off: bool,
    pub headsign: Option<HeadsignIdx>,
}

/// A feed being compiled: everything but its stop times and frequencies.
#[derive(Debug)]
pub struct Compiler {
    timezone: Tz,
    lang: Option<String>,
    agencies: usize,
    routes: Table<RouteIdx, Route>,
    stops: Table<StopIdx, Stop>,
    trips: Table<TripIdx, Trip>,
    services: ServiceCalendar,
    platform_labels: BTreeMap<String, String>,
    warnings: Warnings,
    stop_by_id: HashMap<String, StopIdx>,
    trip_by_id: HashMap<String, TripIdx>,
    headsigns: Vec<Box<str>>,
    headsign_by_text: HashMap<Box<str>, HeadsignIdx>,
    children: HashMap<StopIdx, Vec<StopIdx>>,
}

/// Why a feed's tables make no timetable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    #[error("required file {0} is missing")]
    MissingFile(String),
    /// A row that parses but makes no sense (an unknown timezone...).
    #[error("{file}{}: {reason}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    Invalid {
        file: String,
        line: Option<u64>,
        reason: String,
    },
}

impl Compiler {
    /// Compiles the tables stop times refer to. `platform_labels` come from the
    /// configuration.
    pub fn new(
        tables: Tables,
        platform_labels: BTreeMap<String, String>,
    ) -> Result<Compiler, CompileError> {
        let mut warnings = Warnings::default();

        // agency.txt: the timezone of every time in the feed.
        let first = tables
            .agencies
            .first()
            .ok_or_else(|| CompileError::Invalid {
                file: "agency.txt".into(),
                line: None,
                reason: "no agency".into(),
            })?;
        let timezone: Tz = first
            .timezone
            .trim()
            .parse()
            .map_err(|_| CompileError::Invalid {
                file: "agency.txt".into(),
                line: Some(2),
                reason: format!(
                    "agency_timezone `{}` is not an IANA timezone",
                    first.timezone
                ),
            })?;
        let lang = first.lang.clone().filter(|l| !l.trim().is_empty());
        let agencies = tables.agencies.len();

        // routes.txt
        let mut route_by_id = HashMap::with_capacity(tables.routes.len());
        let mut routes = Table::with_capacity(tables.routes.len());
        for r in tables.routes {
            let idx = routes.push(Route {
                mode: mode_of(r.route_type),
                route_type: r.route_type,
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
                id: r.id.clone(),
            });
            route_by_id.insert(r.id, idx);
        }

        // stops.txt
        let mut stop_by_id = HashMap::with_capacity(tables.stops.len());
        let mut stops: Table<StopIdx, Stop> = Table::with_capacity(tables.stops.len());
        let mut parents = Vec::with_capacity(tables.stops.len());
        for s in tables.stops {
            parents.push(s.parent_station.filter(|p| !p.is_empty()));
            let idx = stops.push(Stop {
                name: s.name.unwrap_or_default(),
                platform_code: s.platform_code.filter(|p| !p.trim().is_empty()),
                code: s.code.filter(|c| !c.trim().is_empty()),
                parent: None,
                id: s.id.clone(),
            });
            stop_by_id.insert(s.id, idx);
        }
        let mut children: HashMap<StopIdx, Vec<StopIdx>> = HashMap::new();
        for (i, parent) in parents.into_iter().enumerate() {
            let Some(parent) = parent else { continue };
            let child = StopIdx::new(i);
            match stop_by_id.get(&parent) {
                Some(&p) if p != child => {
                    if let Some(stop) = stops.get_mut(child) {
                        stop.parent = Some(p);
                    }
                    children.entry(p).or_default().push(child);
                }
                _ => warnings.push(format!(
                    "stops.txt, line {}: parent_station `{parent}` is not a stop",
                    i + 2
                )),
            }
        }

        // calendar.txt and calendar_dates.txt
        let mut services = ServiceCalendar::default();
        if tables.calendar.is_none() && tables.calendar_dates.is_none() {
            return Err(CompileError::MissingFile(
                "calendar.txt or calendar_dates.txt".into(),
            ));
        }
        for c in tables.calendar.unwrap_or_default() {
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
        // The last row for a service and a day wins; rows are applied in day order,
        // which keeps every insertion into a service's sorted days an append.
        let mut exceptions: Vec<(ServiceIdx, NaiveDate, usize, Exception)> = Vec::new();
        for (row, d) in tables
            .calendar_dates
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            let Some(day) = naive(d.date) else { continue };
            let (service, _) = services.entry(&d.service_id);
            exceptions.push((service, day, row, d.exception_type));
        }
        exceptions.sort_unstable_by_key(|&(service, day, row, _)| (service, day, row));
        for same_day in exceptions.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
            let Some(&(service, day, _, exception)) = same_day.last() else {
                continue;
            };
            if let Some(s) = services.days_mut(service) {
                match exception {
                    Exception::Added => s.add(day),
                    Exception::Deleted => s.remove(day),
                }
            }
        }

        // trips.txt
        let mut trip_by_id = HashMap::with_capacity(tables.trips.len());
        let mut trips: Table<TripIdx, Trip> = Table::with_capacity(tables.trips.len());
        for (i, t) in tables.trips.into_iter().enumerate() {
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
                .insert(t.id.clone(), trips.next_index())
                .is_some()
            {
                warnings.push(format!(
                    "trips.txt, line {}: trip_id `{}` appears twice; the last one is kept",
                    i + 2,
                    t.id
                ));
            }
            let none = StopTimeIdx::new(0);
            trips.push(Trip {
                id: t.id,
                route,
                service,
                headsign: t.trip_headsign.filter(|h| !h.trim().is_empty()),
                short_name: t.trip_short_name.filter(|h| !h.trim().is_empty()),
                direction: t.direction_id,
                first_stop_time: none,
                end_stop_time: none,
                frequencies: Vec::new(),
            });
        }

        Ok(Compiler {
            timezone,
            lang,
            agencies,
            routes,
            stops,
            trips,
            services,
            platform_labels,
            warnings,
            stop_by_id,
            trip_by_id,
            headsigns: Vec::new(),
            headsign_by_text: HashMap::new(),
            children,
        })
    }

    /// The trip with `trip_id`.
    pub fn trip(&self, trip_id: &str) -> Option<TripIdx> {
        self.trip_by_id.get(trip_id).copied()
    }

    /// The stop with `stop_id`.
    pub fn stop(&self, stop_id: &str) -> Option<StopIdx> {
        self.stop_by_id.get(stop_id).copied()
    }

    /// The stop headsign `text`, kept once however many calls show it.
    pub fn headsign(&mut self, text: &str) -> Option<HeadsignIdx> {
        if let Some(&h) = self.headsign_by_text.get(text) {
            return Some(h);
        }
        let h = HeadsignIdx::nth(self.headsigns.len())?;
        self.headsigns.push(text.into());
        self.headsign_by_text.insert(text.into(), h);
        Some(h)
    }

    /// Records a problem that does not stop the load.
    pub fn warn(&mut self, warning: String) {
        self.warnings.push(warning);
    }

    /// The timetable: `rows` (in any order) grouped by trip, ordered by stop_sequence
    /// (rows with the same sequence keep their order), untimed stops interpolated;
    /// then `frequencies.txt`.
    pub fn finish(
        mut self,
        mut rows: Vec<StopTimeRow>,
        frequencies: Option<Vec<RawFrequency>>,
    ) -> FeedTimetable {
        // Feeds list a trip's rows together and in order, which this stable sort
        // finds as runs and merely checks.
        rows.sort_by_key(|r| (r.trip, r.sequence));
        let mut k = 0;
        let mut kept = 0;
        while k < rows.len() {
            let trip = rows[k].trip;
            let mut end = k;
            while end < rows.len() && rows[end].trip == trip {
                end += 1;
            }
            // Moved down over the rows of skipped trips, if any.
            let start = kept;
            for i in k..end {
                rows.swap(kept, i);
                kept += 1;
            }
            k = end;
            if let Err(reason) = interpolate(&mut rows[start..kept]) {
                self.warnings.push(format!(
                    "stop_times.txt: trip `{}`: {reason}; trip skipped",
                    self.trips[trip].id
                ));
                kept = start;
                continue;
            }
            if let Some(t) = self.trips.get_mut(trip) {
                t.first_stop_time = StopTimeIdx::new(start);
                t.end_stop_time = StopTimeIdx::new(kept);
            }
        }
        rows.truncate(kept);
        let stop_times: Table<StopTimeIdx, StopTime> = rows
            .into_iter()
            .map(|r| StopTime {
                stop: r.stop,
                sequence: r.sequence,
                arrival: r.arrival.unwrap_or_default(),
                departure: r.departure.unwrap_or_default(),
                pickup: r.pickup,
                drop_off: r.drop_off,
                headsign: r.headsign,
            })
            .collect();

        // frequencies.txt
        for (i, f) in frequencies.unwrap_or_default().into_iter().enumerate() {
            let Some(&trip) = self.trip_by_id.get(&f.trip_id) else {
                self.warnings.push(format!(
                    "frequencies.txt, line {}: trip_id `{}` is not in trips.txt",
                    i + 2,
                    f.trip_id
                ));
                continue;
            };
            if f.headway_secs == 0 || f.end_time <= f.start_time || f.end_time > MAX_TIME {
                self.warnings.push(format!(
                    "frequencies.txt, line {}: empty period, zero headway or end past 9999:99:99; ignored",
                    i + 2
                ));
                continue;
            }
            if let Some(t) = self.trips.get_mut(trip) {
                t.frequencies.push(Frequency {
                    start: f.start_time,
                    end: f.end_time,
                    headway: f.headway_secs,
                });
            }
        }

        let Warnings { kept, count } = self.warnings;
        FeedTimetable {
            timezone: self.timezone,
            lang: self.lang,
            agencies: self.agencies,
            stop_by_id: index(self.stops.iter().map(|s| s.id.as_str())),
            trip_by_id: index(self.trips.iter().map(|t| t.id.as_str())),
            route_by_id: index(self.routes.iter().map(|r| r.id.as_str())),
            routes: self.routes,
            stops: self.stops,
            trips: self.trips,
            stop_times,
            stop_headsigns: self.headsigns,
            services: self.services,
            platform_labels: self.platform_labels,
            warnings: kept,
            warning_count: count,
            children: self.children,
        }
    }
}

/// GTFS allows times only at timepoints; the others are interpolated linearly by
/// position between the surrounding timepoints. First and last stop must be timed.
fn interpolate(sts: &mut [StopTimeRow]) -> Result<(), String> {
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

#[derive(Debug, Default)]
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

/// The id index of a table, from its rows' ids in order.
fn index<'a, I: Idx>(ids: impl Iterator<Item = &'a str>) -> IdIndex<I> {
    IdIndex::build(&ids.collect::<Vec<_>>())
}

fn naive(d: jiff::civil::Date) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(
        i32::from(d.year()),
        u32::try_from(d.month()).ok()?,
        u32::try_from(d.day()).ok()?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(arrival: Option<u32>, departure: Option<u32>) -> StopTimeRow {
        StopTimeRow {
            trip: TripIdx::new(0),
            stop: StopIdx::new(0),
            sequence: 0,
            arrival,
            departure,
            pickup: true,
            drop_off: true,
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
}
