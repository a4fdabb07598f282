//! What the screen writes, in French and English: times, countdowns, delays and
//! statuses. Status is always in words as well as colour, for passengers who do not
//! see colours.

use quai_protocol::{Departure, DepartureStatus};

/// `HH:MM` of an RFC 3339 instant written in the station's offset.
pub fn clock_time(rfc3339: &str) -> String {
    rfc3339.get(11..16).unwrap_or_default().to_string()
}

/// "4 min" in both languages (short enough for the big digits of a platform
/// sign), "à quai" / "now" under a minute.
pub fn countdown(lang: &str, minutes: i64) -> String {
    match (lang, minutes) {
        ("fr", m) if m <= 0 => "à quai".into(),
        (_, m) if m <= 0 => "now".into(),
        (_, m) => format!("{m} min"),
    }
}

/// The countdown of a screen that counts walking time: the minutes before
/// one must leave for the stop ("partez" when it is time: the column is too
/// narrow for "partez dans 4 min").
pub fn leave_in(lang: &str, minutes: i64) -> String {
    match (lang, minutes) {
        ("fr", m) if m <= 0 => "partez".into(),
        (_, m) if m <= 0 => "go now".into(),
        (_, m) => format!("{m} min"),
    }
}

/// The status column.
pub fn status(lang: &str, d: &Departure) -> String {
    status_words(lang, d.status, d.delay_s)
}

/// A status in words, with the delay in minutes (a trip's call, a departure).
pub fn status_words(lang: &str, s: DepartureStatus, delay_s: Option<i64>) -> String {
    let fr = lang == "fr";
    let minutes = delay_s
        .map(|s| (s as f64 / 60.0).round() as i64)
        .unwrap_or(0);
    match s {
        DepartureStatus::Scheduled => if fr { "horaire prévu" } else { "scheduled" }.into(),
        DepartureStatus::OnTime => if fr { "à l'heure" } else { "on time" }.into(),
        DepartureStatus::Delayed if fr => format!("retardé +{minutes} min"),
        DepartureStatus::Delayed => format!("delayed +{minutes} min"),
        DepartureStatus::Early if fr => format!("en avance {} min", minutes.abs()),
        DepartureStatus::Early => format!("early {} min", minutes.abs()),
        DepartureStatus::Cancelled => if fr { "supprimé" } else { "cancelled" }.into(),
        DepartureStatus::Skipped => if fr {
            "arrêt non desservi"
        } else {
            "not stopping"
        }
        .into(),
        DepartureStatus::Departed => if fr { "parti" } else { "departed" }.into(),
    }
}

/// How full the vehicle is, in words with a gauge (▮▯▯ to ▮▮▮): never
/// by colour alone. None when the feed does not say.
pub fn occupancy(lang: &str, o: Option<quai_protocol::Occupancy>) -> Option<String> {
    use quai_protocol::Occupancy as O;
    let fr = lang == "fr";
    let (gauge, fr_words, en_words) = match o? {
        O::Empty | O::ManySeatsAvailable => ("▮▯▯", "peu de monde", "plenty of room"),
        O::FewSeatsAvailable => ("▮▮▯", "peu de places assises", "few seats left"),
        O::StandingRoomOnly => ("▮▮▯", "places debout", "standing room only"),
        O::CrushedStandingRoomOnly | O::Full => ("▮▮▮", "bondé", "very full"),
        O::NotAcceptingPassengers => ("▮▮▮", "complet", "full, not boarding"),
    };
    Some(format!("{gauge} {}", if fr { fr_words } else { en_words }))
}

/// Under a changed platform: the change in words, short enough for the
/// platform column ("voie" is feminine, "quai" masculine).
pub fn platform_changed(lang: &str, mode: quai_protocol::Mode) -> &'static str {
    use quai_protocol::Mode;
    match (lang, mode) {
        ("fr", Mode::Rail | Mode::Metro | Mode::Tram | Mode::Monorail) => "changée",
        ("fr", _) => "changé",
        _ => "changed",
    }
}

/// Where a train leaves from is a "voie", a bus a "quai"; "platform" in English.
pub fn platform_word(lang: &str, mode: quai_protocol::Mode) -> &'static str {
    use quai_protocol::Mode;
    match (lang, mode) {
        ("fr", Mode::Rail | Mode::Metro | Mode::Tram | Mode::Monorail) => "voie",
        ("fr", _) => "quai",
        _ => "platform",
    }
}

/// A translated text in `lang`, else in French, else in any language.
pub fn pick<'a>(t: &'a quai_protocol::Translated, lang: &str) -> Option<&'a str> {
    t.get(lang)
        .or_else(|| t.get("fr"))
        .or_else(|| t.values().next())
        .map(String::as_str)
}

/// The screen's fixed phrases, by key.
pub fn phrase(lang: &str, key: &str) -> &'static str {
    let fr = lang == "fr";
    match key {
        "departures" => {
            if fr {
                "Prochains départs"
            } else {
                "Next departures"
            }
        }
        "arrivals" => {
            if fr {
                "Arrivées"
            } else {
                "Arrivals"
            }
        }
        "no_arrivals" => {
            if fr {
                "Pas d'arrivée prévue pour le moment"
            } else {
                "No arrival due for now"
            }
        }
        "platform" => {
            if fr {
                "Quai"
            } else {
                "Platform"
            }
        }
        "destination" => "Destination",
        "not_live" => {
            if fr {
                "Horaires théoriques – information en direct indisponible"
            } else {
                "Scheduled times – live information unavailable"
            }
        }
        "no_service" => {
            if fr {
                "Bonne nuit – reprise du service à"
            } else {
                "Good night – service resumes at"
            }
        }
        "none_here" => {
            if fr {
                "Pas de départ d'ici pour le moment"
            } else {
                "No departure from here for now"
            }
        }
        "starting" => {
            if fr {
                "Démarrage…"
            } else {
                "Starting…"
            }
        }
        "wifi" => {
            if fr {
                "Wi-Fi gratuit"
            } else {
                "Free Wi-Fi"
            }
        }
        _ => "",
    }
}

/// Which page of `total` rows shows at `elapsed_s`, with `per_page` rows and a page
/// every `paging_s`: (page index, page count).
pub fn page(total: usize, per_page: usize, paging_s: f32, elapsed_s: f64) -> (usize, usize) {
    let pages = total.div_ceil(per_page.max(1)).max(1);
    if pages == 1 || paging_s <= 0.0 {
        return (0, pages);
    }
    ((elapsed_s / f64::from(paging_s)) as usize % pages, pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn departure(status: DepartureStatus, delay: Option<i64>) -> Departure {
        serde_json::from_value(serde_json::json!({
            "id": "x", "mode": "bus",
            "route": {"id": "r", "short_name": "1", "long_name": null, "color": "#FFFFFF", "text_color": "#000000"},
            "headsign": "Cambrai", "stop_id": "s", "platform": "A",
            "scheduled": "2026-03-09T07:45:00+01:00", "expected": null,
            "delay_s": delay, "status": status, "realtime": true, "notice_ids": []
        }))
        .unwrap()
    }

    #[test]
    fn statuses_in_french_and_english() {
        let late = departure(DepartureStatus::Delayed, Some(420));
        assert_eq!(status("fr", &late), "retardé +7 min");
        assert_eq!(status("en", &late), "delayed +7 min");
        assert_eq!(
            status("fr", &departure(DepartureStatus::OnTime, Some(20))),
            "à l'heure"
        );
        assert_eq!(
            status("en", &departure(DepartureStatus::Cancelled, None)),
            "cancelled"
        );
        assert_eq!(
            status("fr", &departure(DepartureStatus::Early, Some(-120))),
            "en avance 2 min"
        );
    }

    #[test]
    fn how_full_in_words_and_a_gauge() {
        use quai_protocol::Occupancy as O;
        assert_eq!(
            occupancy("fr", Some(O::StandingRoomOnly)).as_deref(),
            Some("▮▮▯ places debout")
        );
        assert_eq!(
            occupancy("en", Some(O::Full)).as_deref(),
            Some("▮▮▮ very full")
        );
        assert_eq!(
            occupancy("fr", Some(O::Empty)).as_deref(),
            Some("▮▯▯ peu de monde")
        );
        assert_eq!(occupancy("fr", None), None);
    }

    #[test]
    fn times_countdowns_and_pages() {
        assert_eq!(clock_time("2026-03-09T07:45:00+01:00"), "07:45");
        assert_eq!(countdown("fr", 4), "4 min");
        assert_eq!(countdown("fr", 0), "à quai");
        assert_eq!(countdown("en", 0), "now");
        assert_eq!(page(25, 10, 8.0, 0.0), (0, 3));
        assert_eq!(page(25, 10, 8.0, 17.0), (2, 3));
        assert_eq!(page(25, 10, 8.0, 24.5), (0, 3));
        assert_eq!(page(5, 10, 8.0, 100.0), (0, 1));
        // Three years on, pages still turn every 8 s (an f32 clock would not).
        let years = 3.0e8;
        assert_eq!(page(25, 10, 8.0, years + 8.5), (1, 3));
        assert_eq!(page(25, 10, 8.0, years + 16.5), (2, 3));
    }
}
