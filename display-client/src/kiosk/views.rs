//! What each kiosk view shows, as plain data ([`Screenful`]): a title, a few
//! lines of summary, and rows, some of which one can tap. Worked out from the
//! board and the REST answers; drawn by [`super::draw`], read aloud as is by
//! Listen, so that what is heard is what is shown.

use quai_protocol::{
    Advisory, Board, Departure, DepartureStatus, Notice, RouteRef, Severity, Trip, TripCall,
};

use super::api::{Answers, Want};
use super::{Action, DepartureId, Page, RouteId};
use crate::facilities;
use crate::wording::{clock_time, status, status_words};

/// How a row's text is inked; always said in words too (no meaning by colour
/// alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Ink {
    #[default]
    Text,
    Muted,
    Accent,
    Warning,
    Alert,
}

/// One row of a view.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Row {
    /// The control's name, when the row can be tapped (`departure:ID`,
    /// `line:ID`).
    pub control: Option<String>,
    pub action: Option<Action>,
    /// A section's title ("Prochains départs"), not an item.
    pub heading: bool,
    pub badge: Option<RouteRef>,
    /// A mark before the row: ✓ passed, ● the vehicle is here, ▼ it is on
    /// its way, ◆ this station.
    pub marker: String,
    /// Above the text, small and bold: how grave a notice is, in words.
    pub kicker: String,
    pub time: String,
    /// Under the time, small: the planned time when it differs.
    pub time_note: String,
    pub text: String,
    /// Under the text (platform, status, description): may wrap.
    pub detail: String,
    pub ink: Ink,
    /// Struck through (cancelled, not stopping).
    pub struck: bool,
}

/// A view, ready to draw and to read aloud.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Screenful {
    pub title: String,
    pub badge: Option<RouteRef>,
    pub summary: Vec<String>,
    pub rows: Vec<Row>,
    /// The portal's deep link to the same view (`view=…&route=…`).
    pub link: String,
}

impl Screenful {
    /// What Listen says: the title, the summary, then each row.
    pub fn spoken(&self) -> Vec<String> {
        let mut said = vec![self.title.clone()];
        said.extend(self.summary.iter().cloned());
        for r in &self.rows {
            let line = r
                .badge
                .as_ref()
                .and_then(|b| b.short_name.clone())
                .unwrap_or_default();
            // The marks (✓ ● ▼ ◆) are said in the detail's words already.
            let parts = [
                line.as_str(),
                &r.kicker,
                &r.time,
                &r.time_note,
                &r.text,
                &r.detail,
            ];
            let sentence = parts
                .iter()
                .filter(|p| !p.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            if !sentence.is_empty() {
                said.push(sentence);
            }
        }
        said
    }
}

/// French or English.
pub fn tr<'a>(lang: &str, fr: &'a str, en: &'a str) -> &'a str {
    if lang == "fr" { fr } else { en }
}

/// A translated text in `lang`, else French, else any.
fn pick(t: &quai_protocol::Translated, lang: &str) -> String {
    t.get(lang)
        .or_else(|| t.get("fr"))
        .or_else(|| t.values().next())
        .cloned()
        .unwrap_or_default()
}

/// What a view needs from the REST API.
pub fn wants(page: &Page, answers: &Answers) -> Vec<Want> {
    match page {
        Page::Line(id) => {
            let mut w = vec![Want::Route(id.clone()), Want::RouteDepartures(id.clone())];
            // The stops with their next times: those of the next departure.
            if let Some(Ok(next)) = answers.route_departures(id)
                && let Some(d) = next.departures.iter().find(|d| !gone(d))
            {
                w.push(Want::Trip(DepartureId(d.id.clone())));
            }
            w
        }
        Page::Trip(id) => vec![Want::Trip(id.clone())],
        Page::Lines => vec![Want::StationRoutes],
        _ => Vec::new(),
    }
}

fn gone(d: &Departure) -> bool {
    matches!(
        d.status,
        DepartureStatus::Cancelled | DepartureStatus::Skipped | DepartureStatus::Departed
    )
}

/// The view `page` in `lang`.
pub fn screenful(page: &Page, lang: &str, board: Option<&Board>, answers: &Answers) -> Screenful {
    let station = board.map(|b| b.station.name.as_str()).unwrap_or_default();
    let mut s = match page {
        Page::Home => home(lang, board),
        Page::Lines => lines(lang, board, answers),
        Page::Line(id) => line(lang, station, id, answers),
        Page::Trip(id) => trip(lang, station, id, answers),
        Page::Disruptions => disruptions(lang, board),
        Page::Parking => parking(lang, board),
    };
    s.link = match page {
        Page::Line(id) => format!("view=line&route={}", id.0),
        Page::Trip(id) => format!("view=trip&trip={}", id.0),
        other => format!("view={}", other.name()),
    };
    s
}

/// A departure as a row one can tap (to its trip).
fn departure_row(lang: &str, d: &Departure) -> Row {
    let struck = matches!(
        d.status,
        DepartureStatus::Cancelled | DepartureStatus::Skipped
    );
    let planned = clock_time(&d.scheduled);
    let (time, time_note) = match d.expected.as_deref().map(clock_time) {
        Some(e) if e != planned && !struck => (e, planned_note(lang, &planned)),
        _ => (planned, String::new()),
    };
    let mut detail = Vec::new();
    if let Some(p) = &d.platform {
        let word = tr(lang, "quai", "platform");
        let changed = if d.platform_changed {
            tr(lang, " (changé)", " (changed)")
        } else {
            ""
        };
        detail.push(format!("{word} {p}{changed}"));
    }
    detail.push(status(lang, d));
    Row {
        control: Some(format!("departure:{}", d.id)),
        action: Some(Action::Open(Page::Trip(DepartureId(d.id.clone())))),
        badge: Some(d.route.clone()),
        time,
        time_note,
        text: d.headsign.clone(),
        detail: detail.join(" · "),
        ink: match d.status {
            DepartureStatus::Cancelled | DepartureStatus::Skipped => Ink::Alert,
            DepartureStatus::Delayed => Ink::Warning,
            _ if d.platform_changed => Ink::Accent,
            _ => Ink::Text,
        },
        struck,
        ..Row::default()
    }
}

fn heading(text: &str) -> Row {
    Row {
        heading: true,
        text: text.to_string(),
        ink: Ink::Accent,
        ..Row::default()
    }
}

fn notice_row(lang: &str, n: &Notice) -> Row {
    let (marker, ink) = match n.severity {
        Severity::Severe => (tr(lang, "Grave", "Severe"), Ink::Alert),
        Severity::Warning => (tr(lang, "Attention", "Warning"), Ink::Warning),
        Severity::Info => (tr(lang, "Info", "Info"), Ink::Text),
    };
    Row {
        kicker: marker.to_string(),
        text: pick(&n.header, lang),
        detail: pick(&n.description, lang),
        ink,
        ..Row::default()
    }
}

fn advisory_row(lang: &str, a: &Advisory) -> Row {
    let level = match a.level {
        quai_protocol::AdvisoryLevel::Yellow => tr(lang, "Vigilance jaune", "Yellow warning"),
        quai_protocol::AdvisoryLevel::Orange => tr(lang, "Vigilance orange", "Orange warning"),
        quai_protocol::AdvisoryLevel::Red => tr(lang, "Vigilance rouge", "Red warning"),
    };
    let advice = a
        .advice
        .get(lang)
        .or_else(|| a.advice.get("fr"))
        .cloned()
        .unwrap_or_default();
    Row {
        kicker: level.to_string(),
        text: pick(&a.headline, lang),
        detail: advice.join(" "),
        ink: match a.level {
            quai_protocol::AdvisoryLevel::Red => Ink::Alert,
            _ => Ink::Warning,
        },
        ..Row::default()
    }
}

fn home(lang: &str, board: Option<&Board>) -> Screenful {
    let departures: Vec<Row> = board
        .map(|b| {
            b.departures
                .iter()
                .map(|d| departure_row(lang, d))
                .collect()
        })
        .unwrap_or_default();
    let mut summary = vec![
        tr(
            lang,
            "Touchez un départ pour suivre son trajet.",
            "Touch a departure to follow its trip.",
        )
        .to_string(),
    ];
    if let Some(b) = board {
        let disrupted = b.notices.len() + b.advisories.len();
        if disrupted > 0 {
            summary.push(match lang {
                "fr" => format!("{disrupted} perturbation(s) ou alerte(s) en cours."),
                _ => format!("{disrupted} disruption(s) or warning(s) now."),
            });
        }
        if departures.is_empty() {
            summary.push(
                tr(
                    lang,
                    "Aucun départ dans les prochaines heures.",
                    "No departure in the next hours.",
                )
                .to_string(),
            );
        }
    }
    Screenful {
        title: tr(lang, "Prochains départs", "Next departures").into(),
        summary,
        rows: departures,
        ..Screenful::default()
    }
}

/// The lines leaving from here, by the timetable; each with where its
/// departures on the board go, when it has some.
fn lines(lang: &str, board: Option<&Board>, answers: &Answers) -> Screenful {
    let mut s = Screenful {
        title: tr(lang, "Lignes", "Lines").into(),
        ..Screenful::default()
    };
    let routes = match answers.station_routes() {
        None => {
            s.summary.push(loading(lang));
            return s;
        }
        Some(Err(e)) => {
            s.summary.push(unavailable(lang, e));
            return s;
        }
        Some(Ok(r)) => r,
    };
    s.summary.push(
        tr(
            lang,
            "Les lignes au départ d'ici. Touchez-en une.",
            "The lines leaving from here. Touch one.",
        )
        .into(),
    );
    let departures = board.map(|b| &b.departures[..]).unwrap_or_default();
    s.rows = routes
        .routes
        .iter()
        .map(|r| {
            // A departure's route id is the GTFS one; the line id adds the feed.
            let mut towards: Vec<&str> = Vec::new();
            for d in departures {
                let same =
                    d.id.split_once(':')
                        .is_some_and(|(feed, _)| format!("{feed}:{}", d.route.id) == r.id);
                if same && !towards.contains(&d.headsign.as_str()) {
                    towards.push(&d.headsign);
                }
            }
            let detail = if towards.is_empty() {
                tr(
                    lang,
                    "pas de départ dans les prochaines heures",
                    "no departure in the next hours",
                )
                .to_string()
            } else {
                format!("{} {}", tr(lang, "vers", "to"), towards.join(", "))
            };
            Row {
                control: Some(format!("line:{}", r.id)),
                action: Some(Action::Open(Page::Line(RouteId(r.id.clone())))),
                text: r.route.long_name.clone().unwrap_or_default(),
                detail,
                badge: Some(r.route.clone()),
                ..Row::default()
            }
        })
        .collect();
    s
}

fn loading(lang: &str) -> String {
    tr(lang, "Chargement…", "Loading…").into()
}

fn unavailable(lang: &str, why: &str) -> String {
    format!(
        "{} ({why})",
        tr(lang, "Information indisponible", "Information unavailable")
    )
}

fn line(lang: &str, station: &str, id: &RouteId, answers: &Answers) -> Screenful {
    let mut s = Screenful::default();
    match answers.route(id) {
        None => {
            s.title = tr(lang, "Ligne", "Line").into();
            s.summary.push(loading(lang));
        }
        Some(Err(e)) => {
            s.title = tr(lang, "Ligne", "Line").into();
            s.summary.push(unavailable(lang, e));
        }
        Some(Ok(route)) => {
            s.title = route
                .route
                .long_name
                .clone()
                .or_else(|| route.route.short_name.clone())
                .unwrap_or_default();
            s.badge = Some(route.route.clone());
            for d in &route.directions {
                s.summary.push(format!(
                    "{} {} ({} {})",
                    tr(lang, "Vers", "To"),
                    d.headsign,
                    d.stops.len(),
                    tr(lang, "arrêts", "stops")
                ));
            }
            if !route.notices.is_empty() {
                s.rows
                    .push(heading(tr(lang, "Perturbations", "Disruptions")));
                s.rows
                    .extend(route.notices.iter().map(|n| notice_row(lang, n)));
            }
        }
    }
    let next = answers.route_departures(id);
    let heading_text = match lang {
        "fr" => format!("Prochains départs de {station}"),
        _ => format!("Next departures from {station}"),
    };
    s.rows.push(heading(&heading_text));
    match next {
        None => s.rows.push(Row {
            text: loading(lang),
            ink: Ink::Muted,
            ..Row::default()
        }),
        Some(Err(e)) => s.rows.push(Row {
            text: unavailable(lang, e),
            ink: Ink::Muted,
            ..Row::default()
        }),
        Some(Ok(next)) if next.departures.is_empty() => s.rows.push(Row {
            text: tr(
                lang,
                "Pas de départ dans les prochaines heures.",
                "No departure in the next hours.",
            )
            .into(),
            ink: Ink::Muted,
            ..Row::default()
        }),
        Some(Ok(next)) => {
            s.rows
                .extend(next.departures.iter().map(|d| departure_row(lang, d)));
            // The stops it serves from here, with the next bus's times.
            let first = next.departures.iter().find(|d| !gone(d));
            if let Some(d) = first
                && let Some(Ok(trip)) = answers.trip(&DepartureId(d.id.clone()))
            {
                let text = match lang {
                    "fr" => format!("Arrêts desservis, vers {}", trip.headsign),
                    _ => format!("Stops served, to {}", trip.headsign),
                };
                s.rows.push(heading(&text));
                let from = trip
                    .calls
                    .iter()
                    .position(|c| c.departure_id == d.id)
                    .unwrap_or(0);
                s.rows.extend(
                    trip.calls[from..]
                        .iter()
                        .map(|c| call_row(lang, c, &d.id, None)),
                );
            } else if let Some(Ok(route)) = answers.route(id) {
                for dir in &route.directions {
                    let text = match lang {
                        "fr" => format!("Arrêts desservis, vers {}", dir.headsign),
                        _ => format!("Stops served, to {}", dir.headsign),
                    };
                    s.rows.push(heading(&text));
                    s.rows.extend(dir.stops.iter().map(|stop| Row {
                        text: stop.name.clone(),
                        ..Row::default()
                    }));
                }
            }
        }
    }
    s
}

/// "prévu 07:40" / "planned 07:40", under an expected time.
fn planned_note(lang: &str, planned: &str) -> String {
    format!("{} {planned}", tr(lang, "prévu", "planned"))
}

/// When a call is expected (departure, else arrival) and when it was planned.
fn call_times(c: &TripCall) -> (Option<String>, Option<String>) {
    let planned = c
        .scheduled_departure
        .as_deref()
        .or(c.scheduled_arrival.as_deref())
        .map(clock_time);
    let expected = c
        .expected_departure
        .as_deref()
        .or(c.expected_arrival.as_deref())
        .map(clock_time);
    (planned, expected)
}

/// Where the vehicle is, relative to `c`: `Some("●")` standing there,
/// `Some("▼")` on its way to it.
fn vehicle_mark(trip: Option<&Trip>, c: &TripCall) -> Option<&'static str> {
    let v = trip?.vehicle.as_ref()?;
    (v.stop_sequence? == c.stop_sequence).then_some(if v.stopped { "●" } else { "▼" })
}

fn call_row(lang: &str, c: &TripCall, here: &str, trip: Option<&Trip>) -> Row {
    let (planned, expected) = call_times(c);
    let struck = matches!(
        c.status,
        DepartureStatus::Cancelled | DepartureStatus::Skipped
    );
    let (time, time_note) = match (&planned, &expected) {
        (Some(p), Some(e)) if p != e && !struck => (e.clone(), planned_note(lang, p)),
        (_, Some(e)) => (e.clone(), String::new()),
        (Some(p), None) => (p.clone(), String::new()),
        (None, None) => (String::new(), String::new()),
    };
    let passed = c.status == DepartureStatus::Departed;
    let mut detail = Vec::new();
    let mut marker = if passed { "✓" } else { "" };
    if let Some(mark) = vehicle_mark(trip, c) {
        marker = mark;
        detail.push(
            if mark == "●" {
                tr(lang, "le véhicule est ici", "the vehicle is here")
            } else {
                tr(lang, "le véhicule arrive", "the vehicle is coming")
            }
            .to_string(),
        );
    }
    if c.departure_id == here {
        if marker.is_empty() {
            marker = "◆";
        }
        detail.push(tr(lang, "vous êtes ici", "you are here").into());
    }
    if let Some(p) = &c.platform {
        let changed = if c.platform_changed {
            tr(lang, " (changé)", " (changed)")
        } else {
            ""
        };
        detail.push(format!("{} {p}{changed}", tr(lang, "quai", "platform")));
    }
    if struck || passed || c.status == DepartureStatus::Delayed {
        detail.push(status_words(lang, c.status, c.delay_s));
    }
    Row {
        marker: marker.into(),
        time,
        time_note,
        text: c.stop_name.clone(),
        detail: detail.join(" · "),
        ink: if struck {
            Ink::Alert
        } else if passed {
            Ink::Muted
        } else if c.departure_id == here {
            Ink::Accent
        } else {
            Ink::Text
        },
        struck,
        ..Row::default()
    }
}

fn trip(lang: &str, station: &str, id: &DepartureId, answers: &Answers) -> Screenful {
    let mut s = Screenful {
        title: tr(lang, "Trajet", "Trip").into(),
        ..Screenful::default()
    };
    let trip = match answers.trip(id) {
        None => {
            s.summary.push(loading(lang));
            return s;
        }
        Some(Err(e)) => {
            s.summary.push(unavailable(lang, e));
            return s;
        }
        Some(Ok(t)) => t,
    };
    s.badge = Some(trip.route.clone());
    s.title = match &trip.trip_number {
        Some(n) => format!("→ {} ({} {n})", trip.headsign, tr(lang, "n°", "no.")),
        None => format!("→ {}", trip.headsign),
    };
    if trip.cancelled {
        s.summary
            .push(tr(lang, "Ce trajet est supprimé.", "This trip is cancelled.").into());
    }
    if let Some(here) = trip.calls.iter().find(|c| c.departure_id == id.0) {
        let (planned, expected) = call_times(here);
        let at = expected.or(planned).unwrap_or_default();
        let platform = here
            .platform
            .as_ref()
            .map(|p| format!(", {} {p}", tr(lang, "quai", "platform")))
            .unwrap_or_default();
        s.summary.push(match lang {
            "fr" => format!("Départ de {station} à {at}{platform}."),
            _ => format!("Leaves {station} at {at}{platform}."),
        });
    }
    if let Some(v) = &trip.vehicle {
        let at = v
            .stop_sequence
            .and_then(|seq| trip.calls.iter().find(|c| c.stop_sequence == seq));
        let text = match (at, v.stopped) {
            (Some(c), true) => match lang {
                "fr" => format!("Le véhicule est à l'arrêt {}.", c.stop_name),
                _ => format!("The vehicle is at {}.", c.stop_name),
            },
            (Some(c), false) => match lang {
                "fr" => format!("Le véhicule roule vers {}.", c.stop_name),
                _ => format!("The vehicle is on its way to {}.", c.stop_name),
            },
            (None, _) => tr(lang, "Le véhicule est localisé.", "The vehicle is located.").into(),
        };
        s.summary.push(text);
    } else if !trip.realtime {
        s.summary.push(
            tr(
                lang,
                "Horaires théoriques : pas d'information en direct pour ce trajet.",
                "Scheduled times: no live information for this trip.",
            )
            .into(),
        );
    }
    if !trip.notices.is_empty() {
        s.rows
            .push(heading(tr(lang, "Perturbations", "Disruptions")));
        s.rows
            .extend(trip.notices.iter().map(|n| notice_row(lang, n)));
    }
    s.rows.push(heading(tr(lang, "Arrêts", "Stops")));
    s.rows.extend(
        trip.calls
            .iter()
            .map(|c| call_row(lang, c, &id.0, Some(trip))),
    );
    s
}

fn disruptions(lang: &str, board: Option<&Board>) -> Screenful {
    let mut rows: Vec<Row> = Vec::new();
    if let Some(b) = board {
        rows.extend(b.notices.iter().map(|n| notice_row(lang, n)));
        rows.extend(b.advisories.iter().map(|a| advisory_row(lang, a)));
    }
    let summary = if rows.is_empty() {
        tr(lang, "Aucune perturbation en cours.", "No disruption now.").to_string()
    } else {
        match lang {
            "fr" => format!("{} en cours, en entier.", rows.len()),
            _ => format!("{} now, in full.", rows.len()),
        }
    };
    Screenful {
        title: tr(lang, "Perturbations", "Disruptions").into(),
        summary: vec![summary],
        rows,
        ..Screenful::default()
    }
}

fn parking(lang: &str, board: Option<&Board>) -> Screenful {
    let rows: Vec<Row> = board
        .map(|b| &b.facilities[..])
        .unwrap_or_default()
        .iter()
        .map(|f| {
            use quai_protocol::{FacilityKind, FacilityStatus};
            let kind = match f.kind {
                FacilityKind::Carpool => tr(lang, "Aire de covoiturage", "Carpool area"),
                FacilityKind::ParkAndRide => tr(lang, "Parc relais", "Park and ride"),
                FacilityKind::CarPark => tr(lang, "Parking", "Car park"),
                FacilityKind::BikeShare => tr(lang, "Vélos en libre-service", "Bike share"),
            };
            let mut detail = vec![kind.to_string()];
            if let Some(n) = f.capacity_pmr.filter(|&n| n > 0) {
                detail.push(match lang {
                    "fr" => format!("{n} place(s) PMR"),
                    _ => format!("{n} accessible place(s)"),
                });
            }
            if let Some(n) = f.capacity_ev.filter(|&n| n > 0) {
                detail.push(match lang {
                    "fr" => format!("{n} borne(s) de recharge"),
                    _ => format!("{n} charging point(s)"),
                });
            }
            if let Some(at) = &f.updated_at {
                detail.push(format!("{} {}", tr(lang, "à", "at"), clock_time(at)));
            }
            detail.insert(0, facilities::state(lang, f));
            Row {
                text: f.name.clone(),
                detail: detail.join(" · "),
                ink: match f.status {
                    FacilityStatus::Full | FacilityStatus::Closed => Ink::Alert,
                    FacilityStatus::Unknown => Ink::Muted,
                    FacilityStatus::Open => Ink::Text,
                },
                ..Row::default()
            }
        })
        .collect();
    let summary = if rows.is_empty() {
        tr(
            lang,
            "Aucun stationnement renseigné ici.",
            "No parking information here.",
        )
    } else {
        tr(
            lang,
            "Places libres en ce moment, selon les capteurs et les exploitants.",
            "Free places now, from sensors and operators.",
        )
    };
    Screenful {
        title: tr(
            lang,
            "Stationnement et covoiturage",
            "Parking and carpooling",
        )
        .into(),
        summary: vec![summary.into()],
        rows,
        ..Screenful::default()
    }
}
