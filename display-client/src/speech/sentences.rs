//! What the screen says, in French and in English: the departures it shows
//! (line, destination, time, platform, delay, cancellation, a changed
//! platform), the notices (`tts_text`, else `screen_text`, else the header)
//! and the weather advisory (headline and first advice). Written for the ear:
//! "19 h 45" in French, "19:45" in English, whole sentences, no symbols.

use quai_protocol::{Advisory, Board, Departure, DepartureStatus, Notice, Translated};

use crate::wording::{clock_time, platform_word};

/// Text in `lang`, else French, else any.
fn pick<'a>(t: &'a Translated, lang: &str) -> Option<&'a str> {
    crate::wording::pick(t, lang).filter(|s| !s.trim().is_empty())
}

/// A time of day as said: "19 h 45", "7 h" in French; "19:45" in English.
pub fn time(lang: &str, rfc3339: &str) -> String {
    let hhmm = clock_time(rfc3339);
    let (h, m) = hhmm.split_once(':').unwrap_or((&hhmm, "00"));
    let hour = h.trim_start_matches('0');
    let hour = if hour.is_empty() { "0" } else { hour };
    match lang {
        "fr" if m == "00" => format!("{hour} h"),
        "fr" => format!("{hour} h {m}"),
        _ => format!("{hour}:{m}"),
    }
}

/// "4 minutes", "1 minute".
fn minutes(lang: &str, n: i64) -> String {
    let n = n.abs();
    match (lang, n) {
        (_, 1) => "1 minute".into(),
        _ => format!("{n} minutes"),
    }
}

/// The line as said: its short name, else its long name.
fn line(d: &Departure) -> &str {
    d.route
        .short_name
        .as_deref()
        .or(d.route.long_name.as_deref())
        .unwrap_or("")
}

/// One departure, as one sentence.
pub fn departure(lang: &str, d: &Departure) -> String {
    call(lang, d, false)
}

/// « de » and a place's name, contracted as French says it: « du Cateau »,
/// « des Lilas », « d'Inchy », « de Lille » (an h is taken as aspirated:
/// « de Honnechy »).
fn de(place: &str) -> String {
    if let Some(rest) = place.strip_prefix("Le ") {
        format!("du {rest}")
    } else if let Some(rest) = place.strip_prefix("Les ") {
        format!("des {rest}")
    } else if place
        .chars()
        .next()
        .is_some_and(|c| "AEIOUYÂÀÉÈÊËÎÏÔÛÙÜaeiouyâàéèêëîïôûùü".contains(c))
    {
        format!("d'{place}")
    } else {
        format!("de {place}")
    }
}

/// One arrival (a row of an arrivals board: `headsign` is where it comes
/// from), as one sentence.
pub fn arrival(lang: &str, d: &Departure) -> String {
    call(lang, d, true)
}

fn call(lang: &str, d: &Departure, arrival: bool) -> String {
    let fr = lang == "fr";
    let at = time(lang, &d.scheduled);
    let delay_min = d
        .delay_s
        .map(|s| (s as f64 / 60.0).round() as i64)
        .unwrap_or(0);
    let mut s = match (fr, arrival) {
        (true, false) => format!("Ligne {}, direction {}", line(d), d.headsign),
        (false, false) => format!("Line {} to {}", line(d), d.headsign),
        (true, true) => format!("Ligne {}, en provenance {}", line(d), de(&d.headsign)),
        (false, true) => format!("Line {} from {}", line(d), d.headsign),
    };
    let (event_fr, event_en) = if arrival {
        ("arrivée", "arriving")
    } else {
        ("départ", "departing")
    };
    match d.status {
        DepartureStatus::Cancelled => {
            s += &if fr {
                // « une arrivée supprimée », « un départ supprimé ».
                let e = if arrival { "e" } else { "" };
                format!(", {event_fr} de {at} : supprimé{e}.")
            } else {
                format!(", {event_en} at {at}, is cancelled.")
            };
            return s;
        }
        DepartureStatus::Skipped => {
            s += &if fr {
                format!(", {event_fr} de {at} : ne s'arrête pas ici.")
            } else {
                format!(", {event_en} at {at}, does not stop here.")
            };
            return s;
        }
        _ => {}
    }
    s += &if fr {
        format!(
            ", {event_fr} prévu{} à {at}",
            if arrival { "e" } else { "" }
        )
    } else {
        format!(", {event_en} at {at}")
    };
    if let Some(p) = d.platform.as_deref().filter(|p| !p.trim().is_empty()) {
        let word = platform_word(lang, d.mode);
        s += &match (fr, d.platform_changed) {
            (true, true) => format!(", changement de {word} : {word} {p}"),
            (false, true) => format!(", platform changed to {p}"),
            (_, false) => format!(", {word} {p}"),
        };
    }
    s += &match d.status {
        DepartureStatus::Delayed if delay_min > 0 => {
            if fr {
                format!(", retard de {}", minutes(lang, delay_min))
            } else {
                format!(", {} late", minutes(lang, delay_min))
            }
        }
        DepartureStatus::Early if delay_min < 0 => {
            if fr {
                format!(", en avance de {}", minutes(lang, delay_min))
            } else {
                format!(", {} early", minutes(lang, delay_min))
            }
        }
        DepartureStatus::OnTime => if fr { ", à l'heure" } else { ", on time" }.into(),
        DepartureStatus::Departed => if fr { ", parti" } else { ", departed" }.into(),
        _ => String::new(),
    };
    // How full it is, in the screen's words without the gauge.
    if let Some(o) = crate::wording::occupancy(lang, d.occupancy)
        && let Some((_, words)) = o.split_once(' ')
    {
        s += &format!(", {words}");
    }
    s.push('.');
    s
}

/// A notice: its spoken text, else its ticker line, else its header.
pub fn notice(lang: &str, n: &Notice) -> Option<String> {
    let text = pick(&n.tts_text, lang)
        .or_else(|| pick(&n.screen_text, lang))
        .or_else(|| pick(&n.header, lang))?;
    // A lift or an escalator out of service: said as such (who needs
    // step-free access listens for it).
    let lead = match (lang == "fr", n.accessibility) {
        (true, false) => "Information : ",
        (false, false) => "Information: ",
        (true, true) => "Accessibilité : ",
        (false, true) => "Step-free access: ",
    };
    Some(end_sentence(format!("{lead}{text}")))
}

/// A weather advisory: its headline and its first advice.
pub fn advisory(lang: &str, a: &Advisory) -> Option<String> {
    let headline = pick(&a.headline, lang)?;
    let advice = a
        .advice
        .get(lang)
        .or_else(|| a.advice.get("fr"))
        .and_then(|lines| lines.first());
    Some(match advice {
        Some(first) => format!(
            "{} {}",
            end_sentence(headline.into()),
            end_sentence(first.clone())
        ),
        None => end_sentence(headline.into()),
    })
}

fn end_sentence(mut s: String) -> String {
    let trimmed = s.trim_end();
    if !trimmed.ends_with(['.', '!', '?', ':']) {
        s.truncate(trimmed.len());
        s.push('.');
    }
    s
}

/// Everything read for the board, in `lang`: the station, the departures
/// given (those on screen, in their order; on an arrivals board, its
/// arrivals), the notices, the advisory.
pub fn board(lang: &str, board: &Board, departures: &[&Departure], arrivals: bool) -> Vec<String> {
    let fr = lang == "fr";
    let name = &board.station.name;
    let mut out = vec![match (fr, arrivals) {
        (true, false) => format!("{name}, prochains départs."),
        (false, false) => format!("{name}, next departures."),
        (true, true) => format!("{name}, prochaines arrivées."),
        (false, true) => format!("{name}, next arrivals."),
    }];
    if arrivals {
        if departures.is_empty() {
            out.push(
                if fr {
                    "Pas d'arrivée prévue."
                } else {
                    "No arrival due."
                }
                .into(),
            );
        }
        out.extend(departures.iter().map(|d| arrival(lang, d)));
    } else if departures.is_empty() {
        out.push(match (&board.next_service, fr) {
            (Some(next), true) => format!("Pas de départ avant {}.", time(lang, next)),
            (Some(next), false) => format!("No departure before {}.", time(lang, next)),
            (None, true) => "Pas de départ prévu.".into(),
            (None, false) => "No departure scheduled.".into(),
        });
    }
    if !arrivals {
        out.extend(departures.iter().map(|d| departure(lang, d)));
    }
    out.extend(board.notices.iter().filter_map(|n| notice(lang, n)));
    out.extend(board.advisories.first().and_then(|a| advisory(lang, a)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(json: serde_json::Value) -> Departure {
        let mut base = serde_json::json!({
            "id": "d1", "mode": "bus",
            "route": {"id": "K40", "short_name": "K40", "long_name": null, "color": "#FFFFFF", "text_color": "#000000"},
            "headsign": "Saint-Quentin", "stop_id": "s", "platform": "1",
            "scheduled": "2026-12-03T19:45:00+01:00", "expected": "2026-12-03T19:49:00+01:00",
            "delay_s": 240, "status": "delayed", "realtime": true, "notice_ids": []
        });
        if let (Some(b), Some(extra)) = (base.as_object_mut(), json.as_object()) {
            for (k, v) in extra {
                b.insert(k.clone(), v.clone());
            }
        }
        serde_json::from_value(base).expect("departure")
    }

    #[test]
    fn a_delayed_bus_in_both_languages() {
        let d = dep(serde_json::json!({}));
        assert_eq!(
            departure("fr", &d),
            "Ligne K40, direction Saint-Quentin, départ prévu à 19 h 45, quai 1, retard de 4 minutes."
        );
        assert_eq!(
            departure("en", &d),
            "Line K40 to Saint-Quentin, departing at 19:45, platform 1, 4 minutes late."
        );
    }

    #[test]
    fn an_arrival_says_where_it_comes_from() {
        // A row of an arrivals board: `headsign` is its origin.
        let d = dep(serde_json::json!({"headsign": "Cambrai"}));
        assert_eq!(
            arrival("fr", &d),
            "Ligne K40, en provenance de Cambrai, arrivée prévue à 19 h 45, quai 1, retard de 4 minutes."
        );
        assert_eq!(
            arrival("en", &d),
            "Line K40 from Cambrai, arriving at 19:45, platform 1, 4 minutes late."
        );
        let cateau = dep(serde_json::json!({"headsign": "Le Cateau-Cambrésis"}));
        assert!(
            arrival("fr", &cateau).starts_with("Ligne K40, en provenance du Cateau-Cambrésis,"),
            "{}",
            arrival("fr", &cateau)
        );
        let inchy = dep(serde_json::json!({"headsign": "Inchy – Église"}));
        assert!(arrival("fr", &inchy).starts_with("Ligne K40, en provenance d'Inchy – Église,"));
        let gone = dep(serde_json::json!({"headsign": "Cambrai", "status": "cancelled"}));
        assert_eq!(
            arrival("fr", &gone),
            "Ligne K40, en provenance de Cambrai, arrivée de 19 h 45 : supprimée."
        );
        let board: Board = serde_json::from_value(serde_json::json!({
            "station": {"id": "caudry", "name": "Caudry", "timezone": "Europe/Paris"},
            "generated_at": "2026-12-03T19:40:00+01:00", "seq": 1, "departures": [],
            "notices": [], "advisories": [], "wifi": null, "feeds": [], "next_service": null
        }))
        .expect("board");
        assert_eq!(
            super::board("fr", &board, &[&d], true)[..2],
            [
                "Caudry, prochaines arrivées.".to_string(),
                arrival("fr", &d)
            ]
        );
        assert_eq!(super::board("en", &board, &[], true)[1], "No arrival due.");
    }

    #[test]
    fn a_train_on_time_leaves_from_a_voie_and_a_changed_one_is_said() {
        let d = dep(
            serde_json::json!({"mode": "rail", "status": "on_time", "delay_s": 0,
            "scheduled": "2026-12-03T07:00:00+01:00", "platform": "B", "platform_changed": true}),
        );
        assert_eq!(
            departure("fr", &d),
            "Ligne K40, direction Saint-Quentin, départ prévu à 7 h, changement de voie : voie B, à l'heure."
        );
        assert_eq!(
            departure("en", &d),
            "Line K40 to Saint-Quentin, departing at 7:00, platform changed to B, on time."
        );
    }

    #[test]
    fn cancelled_and_skipped_are_said_plainly() {
        let d = dep(serde_json::json!({"status": "cancelled"}));
        assert_eq!(
            departure("fr", &d),
            "Ligne K40, direction Saint-Quentin, départ de 19 h 45 : supprimé."
        );
        assert_eq!(
            departure("en", &d),
            "Line K40 to Saint-Quentin, departing at 19:45, is cancelled."
        );
        let d = dep(serde_json::json!({"status": "early", "delay_s": -60}));
        assert!(departure("fr", &d).ends_with("en avance de 1 minute."));
        assert!(departure("en", &d).ends_with("1 minute early."));
    }

    #[test]
    fn times_read_naturally() {
        assert_eq!(time("fr", "2026-12-03T09:05:00+01:00"), "9 h 05");
        assert_eq!(time("fr", "2026-12-03T00:30:00+01:00"), "0 h 30");
        assert_eq!(time("en", "2026-12-03T09:05:00+01:00"), "9:05");
    }

    #[test]
    fn how_full_the_bus_is_is_said_too() {
        let mut d = dep(serde_json::json!({
            "id": "x", "mode": "bus",
            "route": {"id": "r", "short_name": "5", "long_name": null, "color": "#FFFFFF", "text_color": "#000000"},
            "headsign": "Viesly", "stop_id": "s", "platform": "E",
            "scheduled": "2026-07-01T07:34:00+02:00", "expected": null,
            "delay_s": 0, "status": "on_time", "realtime": true, "notice_ids": []
        }));
        d.occupancy = Some(quai_protocol::Occupancy::StandingRoomOnly);
        assert_eq!(
            departure("fr", &d),
            "Ligne 5, direction Viesly, départ prévu à 7 h 34, quai E, à l'heure, places debout."
        );
        assert_eq!(
            departure("en", &d),
            "Line 5 to Viesly, departing at 7:34, platform E, on time, standing room only."
        );
    }
}
