//! Operator notices: what makes one valid ([`validate`]), what an operator may
//! touch ([`scope`]), and the notices the server holds, parsed once for the
//! boards ([`kept`]).

pub mod kept;
pub mod scope;
pub mod watch;
pub mod weekly;

use chrono::DateTime;
use quai_protocol::{FieldErrors, InformedEntity, NoticeInput, NoticeStatus};

use crate::deployment::Deployment;
use crate::realtime::{Cause, Effect};
pub use kept::{KeptNotice, Notices, Period};
pub use scope::Scope;

/// Longest ticker line, in characters.
pub const MAX_SCREEN_TEXT: usize = 140;
const MAX_HEADER: usize = 200;
const MAX_DESCRIPTION: usize = 4000;
const MAX_ENTITIES: usize = 50;

/// Every reason the notice cannot be stored, by field.
/// Characters no notice text may hold: control characters (but line breaks
/// where `lines` allows them), and the bidirectional embeddings, overrides and
/// isolates (U+202A–U+202E, U+2066–U+2069), which turn "Quai C fermé" into
/// "émref C iauQ" on a screen. Right-to-left text itself is fine: the screen
/// orders it by its letters, without these.
pub(crate) fn forbidden_char(c: char, lines: bool) -> bool {
    (c.is_control() && !(lines && c == '\n'))
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

pub fn validate(input: &NoticeInput, deployment: &Deployment) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let mut bad = |field: String, reason: String| {
        errors.entry(field).or_insert(reason);
    };
    if input.cause.parse::<Cause>().is_err() {
        bad("cause".into(), format!("must be one of {}", Cause::list()));
    }
    if input.effect.parse::<Effect>().is_err() {
        bad(
            "effect".into(),
            format!("must be one of {}", Effect::list()),
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
    // (field, texts, longest, whether line breaks are allowed)
    let texts = [
        ("header", &input.header, MAX_HEADER, false),
        ("description", &input.description, MAX_DESCRIPTION, true),
        ("screen_text", &input.screen_text, MAX_SCREEN_TEXT, false),
        ("tts_text", &input.tts_text, MAX_DESCRIPTION, true),
    ];
    for (name, texts, max, lines) in texts {
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
            } else if let Some(c) = text.chars().find(|&c| forbidden_char(c, lines)) {
                bad(
                    format!("{name}.{lang}"),
                    format!(
                        "must not contain U+{:04X} (control characters and bidirectional overrides would garble screens)",
                        u32::from(c)
                    ),
                );
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
                        .feeds
                        .find(feed)
                        .is_some_and(|(_, f)| f.timetable.stop_index(stop).is_some())
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
                    .feeds
                    .iter()
                    .any(|f| f.timetable.route_index(route_id).is_some());
                if !known {
                    bad(
                        format!("{field}.route_id"),
                        format!("no route `{route_id}`"),
                    );
                }
            }
            InformedEntity::Agency { .. } => bad(
                format!("{field}.agency_id"),
                "a network-wide scope comes from feeds' alerts; name the stations, stops, routes or trips".into(),
            ),
            InformedEntity::Trip { trip_id } => {
                let known = deployment
                    .feeds
                    .iter()
                    .any(|f| f.timetable.trip_index(trip_id).is_some());
                if !known {
                    bad(format!("{field}.trip_id"), format!("no trip `{trip_id}`"));
                }
            }
        }
    }
    for (i, slot) in input.weekly.iter().enumerate() {
        let field = format!("weekly[{i}]");
        if slot.days.is_empty() || slot.days.iter().any(|d| weekly::weekday(d).is_none()) {
            bad(
                format!("{field}.days"),
                "days among mon, tue, wed, thu, fri, sat, sun".into(),
            );
        }
        match (
            weekly::time_of_day(&slot.from),
            weekly::time_of_day(&slot.to),
        ) {
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

#[cfg(test)]
mod tests {
    use super::forbidden_char;

    #[test]
    fn controls_and_bidi_overrides_are_refused_but_not_rtl_text() {
        for c in ['\0', '\u{7}', '\u{1b}', '\u{202E}', '\u{2066}', '\u{85}'] {
            assert!(forbidden_char(c, true), "U+{:04X}", u32::from(c));
        }
        assert!(forbidden_char('\n', false));
        assert!(!forbidden_char('\n', true));
        for c in "Quai C fermé — الرصيف ג".chars() {
            assert!(!forbidden_char(c, false), "{c}");
        }
    }
}
