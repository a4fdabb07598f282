//! Which services run on which day, from `calendar.txt` and `calendar_dates.txt`.
//!
//! Either file may be missing (SNCF TER publishes only `calendar_dates.txt`); an
//! exception in `calendar_dates.txt` always wins over the weekly pattern.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};

use super::{ServiceIdx, Table};

/// The days of one service. Days are kept as numbers (days since 1 January of
/// year 1, chrono's `num_days_from_ce`), sorted: what the compiled-timetable cache
/// stores and reads back as they are, and what a day is compared against.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServiceDays {
    /// Monday = bit 0 ... Sunday = bit 6; empty when the service has no calendar row.
    weekdays: u8,
    start: Option<i32>,
    end: Option<i32>,
    /// Sorted, without duplicates.
    added: Vec<i32>,
    /// Sorted, without duplicates.
    removed: Vec<i32>,
}

fn number(day: NaiveDate) -> i32 {
    day.num_days_from_ce()
}

fn date(n: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(n)
}

/// Inserts `day` in the sorted `days`, once. Days given in order (what the
/// compiler does) are appended; others cost a move of the later ones.
fn insert(days: &mut Vec<i32>, day: i32) {
    if days.last().is_none_or(|&last| last < day) {
        days.push(day);
    } else if let Err(at) = days.binary_search(&day) {
        days.insert(at, day);
    }
}

fn remove(days: &mut Vec<i32>, day: i32) {
    if let Ok(at) = days.binary_search(&day) {
        days.remove(at);
    }
}

impl ServiceDays {
    /// Whether the days are as this type keeps them (sorted, no duplicates, no day
    /// both added and removed): what a timetable read back from the cache must be.
    pub fn is_well_formed(&self) -> bool {
        let sorted = |d: &[i32]| d.windows(2).all(|w| w[0] < w[1]);
        sorted(&self.added)
            && sorted(&self.removed)
            && self
                .added
                .iter()
                .all(|d| self.removed.binary_search(d).is_err())
    }

    /// A weekly pattern, `weekdays[0]` being Monday, valid from `start` to `end` inclusive.
    pub fn weekly(weekdays: [bool; 7], start: NaiveDate, end: NaiveDate) -> ServiceDays {
        let mask = weekdays
            .iter()
            .enumerate()
            .filter(|(_, on)| **on)
            .fold(0u8, |m, (i, _)| m | 1 << i);
        ServiceDays {
            weekdays: mask,
            start: Some(number(start)),
            end: Some(number(end)),
            ..ServiceDays::default()
        }
    }

    pub fn add(&mut self, day: NaiveDate) {
        remove(&mut self.removed, number(day));
        insert(&mut self.added, number(day));
    }

    pub fn remove(&mut self, day: NaiveDate) {
        remove(&mut self.added, number(day));
        insert(&mut self.removed, number(day));
    }

    pub fn runs_on(&self, day: NaiveDate) -> bool {
        let n = number(day);
        if self.removed.binary_search(&n).is_ok() {
            return false;
        }
        if self.added.binary_search(&n).is_ok() {
            return true;
        }
        match (self.start, self.end) {
            (Some(start), Some(end)) if start <= n && n <= end => {
                self.weekdays & (1 << day.weekday().num_days_from_monday()) != 0
            }
            _ => false,
        }
    }

    /// First and last day the service may run, if it runs at all.
    pub fn range(&self) -> Option<(NaiveDate, NaiveDate)> {
        let weekly = match (self.start, self.end) {
            (Some(s), Some(e)) if self.weekdays != 0 && s <= e => Some((s, e)),
            _ => None,
        };
        let added = self
            .added
            .first()
            .zip(self.added.last())
            .map(|(a, b)| (*a, *b));
        let (first, last) = match (weekly, added) {
            (Some((s, e)), Some((a, b))) => (s.min(a), e.max(b)),
            (w, a) => w.or(a)?,
        };
        date(first).zip(date(last))
    }
}

/// All services of a feed, by index.
#[derive(Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ServiceCalendar {
    services: Table<ServiceIdx, ServiceDays>,
    by_id: HashMap<String, ServiceIdx>,
}

impl ServiceCalendar {
    /// The index of `service_id`, creating an empty service if it is new.
    pub fn entry(&mut self, service_id: &str) -> (ServiceIdx, &mut ServiceDays) {
        let idx = match self.by_id.get(service_id) {
            Some(&idx) => idx,
            None => {
                let idx = self.services.push(ServiceDays::default());
                self.by_id.insert(service_id.to_string(), idx);
                idx
            }
        };
        let days = self
            .services
            .get_mut(idx)
            .expect("an index the calendar gave out");
        (idx, days)
    }

    pub fn set(&mut self, service_id: &str, days: ServiceDays) {
        let (_, slot) = self.entry(service_id);
        let (added, removed) = (
            std::mem::take(&mut slot.added),
            std::mem::take(&mut slot.removed),
        );
        *slot = days;
        for day in added {
            insert(&mut slot.added, day);
        }
        for day in removed {
            insert(&mut slot.removed, day);
        }
    }

    /// The days of `service`, to change them.
    pub fn days_mut(&mut self, service: ServiceIdx) -> Option<&mut ServiceDays> {
        self.services.get_mut(service)
    }

    pub fn index(&self, service_id: &str) -> Option<ServiceIdx> {
        self.by_id.get(service_id).copied()
    }

    pub fn runs_on(&self, service: ServiceIdx, day: NaiveDate) -> bool {
        self.services.get(service).is_some_and(|s| s.runs_on(day))
    }

    /// The first and last day any service runs.
    pub fn range(&self) -> Option<(NaiveDate, NaiveDate)> {
        self.services
            .iter()
            .filter_map(ServiceDays::range)
            .reduce(|(a, b), (c, d)| (a.min(c), b.max(d)))
    }

    pub fn len(&self) -> usize {
        self.services.len()
    }

    /// Whether every service's days are well formed and every id names a service
    /// (see [`ServiceDays::is_well_formed`]).
    pub fn is_well_formed(&self) -> bool {
        self.services.iter().all(ServiceDays::is_well_formed)
            && self.by_id.values().all(|i| self.services.get(*i).is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    const WEEKDAYS: [bool; 7] = [true, true, true, true, true, false, false];

    #[test]
    fn weekly_pattern_within_its_dates() {
        let s = ServiceDays::weekly(WEEKDAYS, day(2025, 1, 1), day(2025, 12, 31));
        assert!(s.runs_on(day(2025, 2, 3))); // Monday
        assert!(!s.runs_on(day(2025, 2, 8))); // Saturday
        assert!(!s.runs_on(day(2026, 2, 2))); // Monday, after the end
        assert!(s.runs_on(day(2025, 12, 31))); // end date is inclusive
    }

    #[test]
    fn calendar_dates_override_the_week() {
        let mut cal = ServiceCalendar::default();
        cal.set(
            "WK",
            ServiceDays::weekly(WEEKDAYS, day(2025, 1, 1), day(2025, 12, 31)),
        );
        cal.entry("WK").1.remove(day(2025, 5, 1)); // Thursday, Labour Day
        cal.entry("SUN").1.add(day(2025, 5, 1));
        let (wk, sun) = (cal.index("WK").unwrap(), cal.index("SUN").unwrap());
        assert!(!cal.runs_on(wk, day(2025, 5, 1)));
        assert!(cal.runs_on(sun, day(2025, 5, 1)));
        assert!(!cal.runs_on(sun, day(2025, 5, 2)));
        assert!(cal.runs_on(wk, day(2025, 5, 2)));
    }

    #[test]
    fn exceptions_read_before_the_calendar_are_kept() {
        let mut cal = ServiceCalendar::default();
        cal.entry("WK").1.remove(day(2025, 5, 1));
        cal.set(
            "WK",
            ServiceDays::weekly(WEEKDAYS, day(2025, 1, 1), day(2025, 12, 31)),
        );
        assert!(!cal.runs_on(cal.index("WK").unwrap(), day(2025, 5, 1)));
    }

    #[test]
    fn services_with_only_calendar_dates() {
        let mut cal = ServiceCalendar::default();
        cal.entry("000003").1.add(day(2025, 2, 3));
        cal.entry("000003").1.add(day(2025, 2, 4));
        let s = cal.index("000003").unwrap();
        assert!(cal.runs_on(s, day(2025, 2, 3)));
        assert!(!cal.runs_on(s, day(2025, 2, 5)));
        assert_eq!(cal.range(), Some((day(2025, 2, 3), day(2025, 2, 4))));
    }
}
