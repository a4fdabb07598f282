//! Operator notices: what makes one valid, and what an operator may touch.

use chrono::DateTime;
use quai_protocol::{FieldErrors, InformedEntity, NoticeInput, NoticeStatus};

use crate::deployment::Deployment;

/// GTFS-Realtime Alert causes, as the contract writes them.
pub const CAUSES: &[&str] = &[
    "unknown_cause",
    "other_cause",
    "technical_problem",
    "strike",
    "demonstration",
    "accident",
    "holiday",
    "weather",
    "maintenance",
    "construction",
    "police_activity",
    "medical_emergency",
];

/// GTFS-Realtime Alert effects.
pub const EFFECTS: &[&str] = &[
    "no_service",
    "reduced_service",
    "significant_delays",
    "detour",
    "additional_service",
    "modified_service",
    "other_effect",
    "unknown_effect",
    "stop_moved",
    "no_effect",
    "accessibility_issue",
];

/// Longest ticker line, in characters.
pub const MAX_SCREEN_TEXT: usize = 140;
const MAX_HEADER: usize = 200;
const MAX_DESCRIPTION: usize = 4000;
const MAX_ENTITIES: usize = 50;

/// Every reason the notice cannot be stored, by field.
pub fn validate(input: &NoticeInput, deployment: &Deployment) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let mut bad = |field: String, reason: String| {
        errors.entry(field).or_insert(reason);
    };
    if !CAUSES.contains(&input.cause.as_str()) {
        bad(
            "cause".into(),
            format!("must be one of {}", CAUSES.join(", ")),
        );
    }
    if !EFFECTS.contains(&input.effect.as_str()) {
        bad(
            "effect".into(),
            format!("must be one of {}", EFFECTS.join(", ")),
        );
    }
    if input.status == NoticeStatus::Ended {
        bad(
            "status".into(),
            "must be draft or published (DELETE ends a notice)".into(),
        );
    }
    if input.header.get("fr").is_none_or(|h| h.trim().is_empty()) {
        bad("header.fr".into(), "a French header is required".into());
    }
    let texts = [
        ("header", &input.header, MAX_HEADER),
        ("description", &input.description, MAX_DESCRIPTION),
        ("screen_text", &input.screen_text, MAX_SCREEN_TEXT),
        ("tts_text", &input.tts_text, MAX_DESCRIPTION),
    ];
    for (name, texts, max) in texts {
        for (lang, text) in texts {
            let tag_ok = (2..=8).contains(&lang.len())
                && lang.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !tag_ok {
                bad(
                    format!("{name}.{lang}"),
                    "not a language tag (e.g. fr, en)".into(),
                );
            } else if text.chars().count() > max {
                bad(
                    format!("{name}.{lang}"),
                    format!("at most {max} characters"),
                );
            } else if text.trim().is_empty() {
                bad(format!("{name}.{lang}"), "must not be empty".into());
            }
        }
    }
    if input.informed_entities.is_empty() {
        bad(
            "informed_entities".into(),
            "name at least one station, stop, route or trip".into(),
        );
    }
    if input.informed_entities.len() > MAX_ENTITIES {
        bad(
            "informed_entities".into(),
            format!("at most {MAX_ENTITIES}"),
        );
    }
    for (i, e) in input.informed_entities.iter().enumerate() {
        let field = format!("informed_entities[{i}]");
        match e {
            InformedEntity::Station { station } => {
                if deployment.station(station).is_none() {
                    bad(
                        format!("{field}.station"),
                        format!("no station `{station}`"),
                    );
                }
            }
            InformedEntity::Stop { stop_id } => {
                let known = stop_id.split_once(':').is_some_and(|(feed, stop)| {
                    deployment
                        .timetable
                        .feed(feed)
                        .is_some_and(|(_, f)| f.stop_index(stop).is_some())
                });
                if !known {
                    bad(
                        format!("{field}.stop_id"),
                        format!("no stop `{stop_id}` (write it feed:stop_id, as boards do)"),
                    );
                }
            }
            InformedEntity::Route { route_id } => {
                let known = deployment
                    .timetable
                    .feeds
                    .iter()
                    .any(|f| f.routes.iter().any(|r| &r.id == route_id));
                if !known {
                    bad(
                        format!("{field}.route_id"),
                        format!("no route `{route_id}`"),
                    );
                }
            }
            InformedEntity::Trip { trip_id } => {
                let known = deployment
                    .timetable
                    .feeds
                    .iter()
                    .any(|f| f.trip_index(trip_id).is_some());
                if !known {
                    bad(format!("{field}.trip_id"), format!("no trip `{trip_id}`"));
                }
            }
        }
    }
    for (i, slot) in input.weekly.iter().enumerate() {
        let field = format!("weekly[{i}]");
        if slot.days.is_empty() || slot.days.iter().any(|d| weekday(d).is_none()) {
            bad(
                format!("{field}.days"),
                "days among mon, tue, wed, thu, fri, sat, sun".into(),
            );
        }
        match (time_of_day(&slot.from), time_of_day(&slot.to)) {
            (None, _) => bad(format!("{field}.from"), "HH:MM".into()),
            (_, None) => bad(format!("{field}.to"), "HH:MM".into()),
            (Some(f), Some(t)) if t <= f => bad(format!("{field}.to"), "must be after from".into()),
            _ => {}
        }
    }
    let instant = |v: &Option<String>| v.as_deref().map(DateTime::parse_from_rfc3339);
    let mut periods = vec![(
        "publication".to_string(),
        &input.publication.start,
        &input.publication.end,
    )];
    periods.extend(
        input
            .active_periods
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("active_periods[{i}]"), &p.start, &p.end)),
    );
    for (field, start, end) in periods {
        match (instant(start), instant(end)) {
            (Some(Err(_)), _) => bad(format!("{field}.start"), "not an RFC 3339 date-time".into()),
            (_, Some(Err(_))) => bad(format!("{field}.end"), "not an RFC 3339 date-time".into()),
            (Some(Ok(s)), Some(Ok(e))) if e <= s => {
                bad(format!("{field}.end"), "must be after start".into())
            }
            _ => {}
        }
    }
    errors
}

pub fn weekday(day: &str) -> Option<chrono::Weekday> {
    use chrono::Weekday::*;
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

pub fn time_of_day(hhmm: &str) -> Option<chrono::NaiveTime> {
    chrono::NaiveTime::parse_from_str(hhmm, "%H:%M").ok()
}

/// The occurrences of weekly `slots` from `from` for `days` days, in `tz`, cut to
/// `[start, end)`: (start, end) instants, at most 50.
pub fn weekly_periods(
    slots: &[quai_protocol::WeeklySlot],
    tz: chrono_tz::Tz,
    from: DateTime<chrono::Utc>,
    days: i64,
    start: Option<DateTime<chrono::Utc>>,
    end: Option<DateTime<chrono::Utc>>,
) -> Vec<(DateTime<chrono::Utc>, DateTime<chrono::Utc>)> {
    use chrono::{Datelike, TimeZone};
    let mut out = Vec::new();
    let first = from.with_timezone(&tz).date_naive();
    for day in first.iter_days().take(days.max(0) as usize) {
        for slot in slots {
            if !slot.days.iter().any(|d| weekday(d) == Some(day.weekday())) {
                continue;
            }
            let (Some(f), Some(t)) = (time_of_day(&slot.from), time_of_day(&slot.to)) else {
                continue;
            };
            let at = |time| {
                tz.from_local_datetime(&day.and_time(time))
                    .earliest()
                    .map(|t| t.with_timezone(&chrono::Utc))
            };
            let (Some(s), Some(e)) = (at(f), at(t)) else {
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

/// Whether an operator with `scopes` may write a notice informing `entities`:
/// each entity must fall under one scope (`*`, `station:ID` covering the station,
/// its stops and the routes and trips leaving from it, or `route:ID` covering the
/// route and its trips).
pub fn in_scope(scopes: &[String], entities: &[InformedEntity], deployment: &Deployment) -> bool {
    if scopes.iter().any(|s| s == "*") {
        return true;
    }
    let stations: Vec<&str> = scopes
        .iter()
        .filter_map(|s| s.strip_prefix("station:"))
        .collect();
    let routes: Vec<&str> = scopes
        .iter()
        .filter_map(|s| s.strip_prefix("route:"))
        .collect();
    let scoped_stations = || {
        deployment
            .stations
            .iter()
            .filter(|s| stations.contains(&s.id.as_str()))
    };
    // Under a station scope alone, a route or trip is allowed only beside one of the
    // operator's stations or stops (it then narrows the notice to those departures,
    // and does not reach the route's other stations).
    let stop_in_scope = |stop_id: &str| {
        deployment
            .stations
            .iter()
            .filter(|s| stations.contains(&s.id.as_str()))
            .any(|s| {
                s.stops.iter().any(|&(f, stop)| {
                    let feed = &deployment.timetable.feeds[f];
                    format!("{}:{}", feed.id, feed.stops[stop as usize].id) == stop_id
                })
            })
    };
    let names_own_place = entities.iter().any(|e| match e {
        InformedEntity::Station { station } => stations.contains(&station.as_str()),
        InformedEntity::Stop { stop_id } => stop_in_scope(stop_id),
        _ => false,
    });
    entities.iter().all(|e| match e {
        InformedEntity::Station { station } => stations.contains(&station.as_str()),
        InformedEntity::Stop { stop_id } => stop_in_scope(stop_id),
        InformedEntity::Route { route_id } => {
            routes.contains(&route_id.as_str())
                || names_own_place
                    && scoped_stations().any(|s| {
                        s.routes.iter().any(|&(f, r)| {
                            deployment.timetable.feeds[f].routes[r as usize].id == *route_id
                        })
                    })
        }
        InformedEntity::Trip { trip_id } => {
            deployment
                .timetable
                .feeds
                .iter()
                .enumerate()
                .any(|(fi, f)| {
                    f.trip_index(trip_id).is_some_and(|t| {
                        let route = &f.routes[f.trips[t as usize].route as usize].id;
                        routes.contains(&route.as_str())
                            || names_own_place
                                && scoped_stations().any(|s| s.trips.contains(&(fi, t)))
                    })
                })
        }
    })
}

/// Checks the form of a scope written on the command line.
pub fn check_scope(scope: &str, deployment: &Deployment) -> Result<(), String> {
    if scope == "*" {
        return Ok(());
    }
    if let Some(station) = scope.strip_prefix("station:") {
        return deployment
            .station(station)
            .map(|_| ())
            .ok_or_else(|| format!("no station `{station}`"));
    }
    if let Some(route) = scope.strip_prefix("route:") {
        let known = deployment
            .timetable
            .feeds
            .iter()
            .any(|f| f.routes.iter().any(|r| r.id == route));
        return if known {
            Ok(())
        } else {
            Err(format!("no route `{route}`"))
        };
    }
    Err(format!("`{scope}`: write station:ID, route:ID or *"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
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
        let periods = weekly_periods(&slots, tz, t("2026-03-27T08:00:00+01:00"), 5, None, None);
        let shown: Vec<String> = periods
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
        let cut = weekly_periods(
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
