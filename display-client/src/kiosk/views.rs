//! What each kiosk view shows, as plain data ([`Screenful`]): a title, a few
//! lines of summary, and rows, some of which one can tap. Worked out from the
//! board and the REST answers; drawn by [`super::draw`], read aloud as is by
//! Listen, so that what is heard is what is shown.

use quai_protocol::{Advisory, Board, Departure, DepartureStatus, Notice, RouteRef, Severity};

use super::api::{Answers, Want, encode};
use super::{Action, DepartureId, Page, RouteId};
use crate::facilities;
use crate::view::View;
use crate::wording::{clock_time, platform_changed, platform_word, status};

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
    /// What Listen says of it, when the screen's words are not for the ear
    /// ("07:40" is said « 7 h 40 »); empty: its texts.
    pub said: String,
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
    /// What Listen says, in `lang`: the title, the summary, then each row,
    /// with the screen's signs in words (an arrow is not read aloud well).
    pub fn spoken(&self, lang: &str) -> Vec<String> {
        let towards = format!("{} ", tr(lang, "direction", "to"));
        let words = |s: &str| s.replace("→ ", &towards).replace(" · ", ", ");
        let mut said = vec![words(&self.title)];
        said.extend(self.summary.iter().map(|s| words(s)));
        for r in &self.rows {
            if !r.said.is_empty() {
                said.push(r.said.clone());
                continue;
            }
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
                said.push(words(&sentence));
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
    crate::wording::pick(t, lang)
        .unwrap_or_default()
        .to_string()
}

/// "quai 2", "voie B (changée)", "platform 2 (changed)".
pub(super) fn platform_words(
    lang: &str,
    mode: quai_protocol::Mode,
    platform: &str,
    changed: bool,
) -> String {
    let word = platform_word(lang, mode);
    if changed {
        format!("{word} {platform} ({})", platform_changed(lang, mode))
    } else {
        format!("{word} {platform}")
    }
}

/// "prévu 07:40" / "planned 07:40", under an expected time.
pub(super) fn planned_note(lang: &str, planned: &str) -> String {
    format!("{} {planned}", tr(lang, "prévu", "planned"))
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

pub(super) fn gone(d: &Departure) -> bool {
    matches!(
        d.status,
        DepartureStatus::Cancelled | DepartureStatus::Skipped | DepartureStatus::Departed
    )
}

/// The view `page` in `lang`, from the board as `view` shows it (when not
/// live, without what has left, and no counts of then as counts of now).
pub fn screenful(
    page: &Page,
    lang: &str,
    board: Option<&Board>,
    view: &View,
    answers: &Answers,
) -> Screenful {
    let station = board.map(|b| b.station.name.as_str()).unwrap_or_default();
    let mut s = match page {
        Page::Home => home(lang, board, view),
        Page::Lines => lines(lang, board, answers),
        Page::Line(id) => super::journey::line(lang, station, id, answers),
        Page::Trip(id) => super::journey::trip(lang, station, id, answers),
        Page::Disruptions => disruptions(lang, board),
        Page::Parking => parking(lang, board, view.live),
    };
    s.link = match page {
        Page::Line(id) => format!("view=line&route={}", encode(&id.0)),
        Page::Trip(id) => format!("view=trip&trip={}", encode(&id.0)),
        other => format!("view={}", other.name()),
    };
    if lang != "fr" {
        s.link.push_str(&format!("&lang={}", encode(lang)));
    }
    s
}

/// A departure as a row one can tap (to its trip).
pub(super) fn departure_row(lang: &str, d: &Departure) -> Row {
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
        detail.push(platform_words(lang, d.mode, p, d.platform_changed));
    }
    detail.push(status(lang, d));
    if !struck {
        detail.extend(crate::wording::occupancy(lang, d.occupancy));
    }
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
        said: crate::speech::sentences::departure(lang, d),
        ..Row::default()
    }
}

pub(super) fn heading(text: &str) -> Row {
    Row {
        heading: true,
        text: text.to_string(),
        ink: Ink::Accent,
        ..Row::default()
    }
}

pub(super) fn notice_row(lang: &str, n: &Notice) -> Row {
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

fn home(lang: &str, board: Option<&Board>, view: &View) -> Screenful {
    // Not live, what has left by the screen's clock is not offered.
    let departures: Vec<Row> = board
        .map(|b| view.departures(b).map(|d| departure_row(lang, d)).collect())
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
            summary.push(match (&b.next_service, lang) {
                (Some(at), "fr") => format!("Prochain départ à {}.", clock_time(at)),
                (Some(at), _) => format!("Next departure at {}.", clock_time(at)),
                (None, _) => tr(
                    lang,
                    "Aucun départ dans les prochaines heures.",
                    "No departure in the next hours.",
                )
                .to_string(),
            });
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
    let Some(routes) = answered(lang, answers.station_routes(), &mut s) else {
        return s;
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

/// An answer of the API, or why there is none yet (said in the summary).
pub(super) fn answered<'a, T>(
    lang: &str,
    answer: Option<Result<&'a T, &str>>,
    s: &mut Screenful,
) -> Option<&'a T> {
    match answer {
        None => {
            s.summary.push(loading(lang));
            None
        }
        Some(Err(e)) => {
            s.summary.push(unavailable(lang, e));
            None
        }
        Some(Ok(t)) => Some(t),
    }
}

pub(super) fn loading(lang: &str) -> String {
    tr(lang, "Chargement…", "Loading…").into()
}

pub(super) fn unavailable(lang: &str, why: &str) -> String {
    format!(
        "{} ({why})",
        tr(lang, "Information indisponible", "Information unavailable")
    )
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

fn parking(lang: &str, board: Option<&Board>, live: bool) -> Screenful {
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
            // Not live: counts of then are not said as counts of now.
            let state = if live {
                facilities::state(lang, f)
            } else {
                tr(lang, "information indisponible", "information unavailable").to_string()
            };
            detail.insert(0, state);
            Row {
                text: f.name.clone(),
                detail: detail.join(" · "),
                ink: match f.status {
                    _ if !live => Ink::Muted,
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
    } else if !live {
        tr(
            lang,
            "Les places libres ne sont pas connues en ce moment (pas de liaison avec le serveur).",
            "Free places are not known now (no link with the server).",
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
