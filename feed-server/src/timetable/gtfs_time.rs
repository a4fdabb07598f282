//! GTFS times of day and service days.
//!
//! A GTFS time such as `25:10:00` is not a clock time: it counts seconds from "noon
//! minus 12 h" of its service day, in the agency's timezone. On ordinary days that is
//! midnight; on the days clocks change it is not, and the spec says to count from it
//! anyway, so that a schedule keeps its running times across the change.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The instant from which GTFS times of `service_day` count: local noon minus 12 h.
pub fn service_day_origin(tz: Tz, service_day: NaiveDate) -> DateTime<Utc> {
    let noon = service_day.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default());
    // Noon exists and is unambiguous in every real timezone (changes happen at night);
    // `earliest` still gives an answer if some zone ever makes it ambiguous.
    let local_noon = tz
        .from_local_datetime(&noon)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&noon));
    local_noon - Duration::hours(12)
}

/// The instant of GTFS time `seconds` on `service_day`.
pub fn instant(tz: Tz, service_day: NaiveDate, seconds: u32) -> DateTime<Utc> {
    service_day_origin(tz, service_day) + Duration::seconds(i64::from(seconds))
}

/// `HH:MM:SS` as GTFS writes it (hours may exceed 23).
pub fn format_gtfs_time(seconds: u32) -> String {
    format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

/// `YYYYMMDD`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y%m%d").ok()
}

/// `HH:MM:SS` (hours may pass 24) to seconds.
pub fn parse_time(s: &str) -> Option<u32> {
    let mut parts = s.trim().split(':');
    let h: u32 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let sec: u32 = parts.next()?.parse().ok()?;
    (parts.next().is_none() && h <= 96 && m < 60 && sec < 60).then_some(h * 3600 + m * 60 + sec)
}

/// RFC 3339 with the offset of `tz` at that instant, to the second.
pub fn rfc3339(tz: Tz, t: DateTime<Utc>) -> String {
    t.with_timezone(&tz)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Paris;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn times_and_dates_of_trip_descriptors() {
        assert_eq!(parse_time("25:10:00"), Some(25 * 3600 + 600));
        assert_eq!(parse_time("7:04:00"), Some(7 * 3600 + 240));
        assert_eq!(parse_time("7:64:00"), None);
        assert_eq!(parse_date("20231107"), NaiveDate::from_ymd_opt(2023, 11, 7));
        assert_eq!(parse_date("2023-11-07"), None);
    }

    #[test]
    fn on_ordinary_days_times_count_from_midnight() {
        let t = instant(Paris, day(2025, 2, 3), 7 * 3600 + 45 * 60);
        assert_eq!(rfc3339(Paris, t), "2025-02-03T07:45:00+01:00");
    }

    #[test]
    fn times_past_24h_belong_to_the_previous_service_day() {
        let t = instant(Paris, day(2025, 2, 3), 25 * 3600 + 10 * 60);
        assert_eq!(rfc3339(Paris, t), "2025-02-04T01:10:00+01:00");
        assert_eq!(format_gtfs_time(25 * 3600 + 10 * 60), "25:10:00");
    }

    #[test]
    fn spring_forward_day_counts_from_noon_minus_12h() {
        // 30 March 2025: Paris goes from +01:00 to +02:00 at 02:00. Noon is 10:00Z, so
        // the origin is 22:00Z on the 29th, i.e. 23:00 local the evening before.
        let origin = service_day_origin(Paris, day(2025, 3, 30));
        assert_eq!(origin.to_rfc3339(), "2025-03-29T22:00:00+00:00");
        // 00:04:00 on that service day is 23:04 on the 29th (a real TER case).
        assert_eq!(
            rfc3339(Paris, instant(Paris, day(2025, 3, 30), 4 * 60)),
            "2025-03-29T23:04:00+01:00"
        );
        // 07:41:00 is 07:41 summer time.
        assert_eq!(
            rfc3339(Paris, instant(Paris, day(2025, 3, 30), 7 * 3600 + 41 * 60)),
            "2025-03-30T07:41:00+02:00"
        );
        // 24:00:00 on the day before still counts from its own midnight (23:00Z).
        assert_eq!(
            rfc3339(Paris, instant(Paris, day(2025, 3, 29), 24 * 3600)),
            "2025-03-30T00:00:00+01:00"
        );
    }

    #[test]
    fn fall_back_day_counts_from_noon_minus_12h() {
        // 26 October 2025: +02:00 to +01:00 at 03:00. Noon is 11:00Z, so the origin is
        // 23:00Z on the 25th, i.e. 01:00 local summer time: the day "starts" an hour late.
        let origin = service_day_origin(Paris, day(2025, 10, 26));
        assert_eq!(origin.to_rfc3339(), "2025-10-25T23:00:00+00:00");
        assert_eq!(
            rfc3339(Paris, instant(Paris, day(2025, 10, 26), 3600)),
            "2025-10-26T02:00:00+02:00"
        );
        assert_eq!(
            rfc3339(Paris, instant(Paris, day(2025, 10, 26), 8 * 3600)),
            "2025-10-26T08:00:00+01:00"
        );
    }
}
