//! Weekly patterns of notices (`weekly: [{days, from, to}]`): validated as
//! written, and turned into the next occurrences in a station's time.

use chrono::{DateTime, Datelike, NaiveTime, TimeZone, Utc, Weekday};

/// A validated weekly slot: days of the week and a time slot of station time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Weekly {
    pub days: Vec<Weekday>,
    pub from: NaiveTime,
    pub to: NaiveTime,
}

impl Weekly {
    /// The slot as written, if it is valid (see [`super::validate`]).
    pub fn parse(slot: &quai_protocol::WeeklySlot) -> Option<Weekly> {
        Some(Weekly {
            days: slot
                .days
                .iter()
                .map(|d| weekday(d))
                .collect::<Option<_>>()?,
            from: time_of_day(&slot.from)?,
            to: time_of_day(&slot.to)?,
        })
    }
}

/// `mon` ... `sun`.
pub fn weekday(day: &str) -> Option<Weekday> {
    use Weekday::*;
    Some(match day {
        "mon" => Mon,
        "tue" => Tue,
        "wed" => Wed,
        "thu" => Thu,
        "fri" => Fri,
        "sat" => Sat,
        "sun" => Sun,
        _ => return None,
    })
}

/// `HH:MM`.
pub fn time_of_day(hhmm: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(hhmm, "%H:%M").ok()
}

/// The occurrences of weekly `slots` from `from` for `days` days, in `tz`, cut to
/// `[start, end)`: (start, end) instants, at most 50.
pub fn periods(
    slots: &[Weekly],
    tz: chrono_tz::Tz,
    from: DateTime<Utc>,
    days: i64,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut out = Vec::new();
    let first = from.with_timezone(&tz).date_naive();
    for day in first.iter_days().take(days.max(0) as usize) {
        for slot in slots {
            if !slot.days.contains(&day.weekday()) {
                continue;
            }
            let at = |time| {
                tz.from_local_datetime(&day.and_time(time))
                    .earliest()
                    .map(|t| t.with_timezone(&Utc))
            };
            let (Some(s), Some(e)) = (at(slot.from), at(slot.to)) else {
                continue;
            };
            let s = start.map_or(s, |st| s.max(st));
            let e = end.map_or(e, |en| e.min(en));
            if s < e && e > from {
                out.push((s, e));
            }
        }
    }
    out.sort();
    out.truncate(50);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use quai_protocol::WeeklySlot;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn weekly_slots_become_the_next_periods_in_station_time() {
        // Weekday mornings 07:00-09:00 in Paris, from Friday 27 March 2026 (the
        // clocks change on Sunday 29th).
        let slots = [WeeklySlot {
            days: vec![
                "mon".into(),
                "tue".into(),
                "wed".into(),
                "thu".into(),
                "fri".into(),
            ],
            from: "07:00".into(),
            to: "09:00".into(),
        }];
        let tz = chrono_tz::Europe::Paris;
        let slots: Vec<Weekly> = slots.iter().filter_map(Weekly::parse).collect();
        let found = periods(&slots, tz, t("2026-03-27T08:00:00+01:00"), 5, None, None);
        let shown: Vec<String> = found
            .iter()
            .map(|(s, e)| {
                format!(
                    "{} {}",
                    crate::timetable::gtfs_time::rfc3339(tz, *s),
                    &crate::timetable::gtfs_time::rfc3339(tz, *e)[11..16]
                )
            })
            .collect();
        assert_eq!(
            shown,
            vec![
                "2026-03-27T07:00:00+01:00 09:00",
                "2026-03-30T07:00:00+02:00 09:00",
                "2026-03-31T07:00:00+02:00 09:00",
            ]
        );
        // Cut to the publication period.
        let cut = periods(
            &slots,
            tz,
            t("2026-03-27T08:00:00+01:00"),
            5,
            None,
            Some(t("2026-03-30T08:00:00+02:00")),
        );
        assert_eq!(cut.len(), 2);
        assert_eq!(cut[1].1, t("2026-03-30T08:00:00+02:00"));
    }
}
