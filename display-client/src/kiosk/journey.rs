//! The kiosk's views of a journey: a line (its directions, notices, next
//! departures from here and the stops it serves with the next bus's times)
//! and a trip (every call with its expected time, where the vehicle is,
//! the station one stands in, the notices).

use quai_protocol::{DepartureStatus, Trip, TripCall};

use super::api::Answers;
use super::views::{
    Ink, Row, Screenful, answered, departure_row, gone, heading, loading, notice_row, planned_note,
    platform_words, tr, unavailable,
};
use super::{DepartureId, RouteId};
use crate::speech::sentences;
use crate::wording::{clock_time, status_words};

pub(super) fn line(lang: &str, station: &str, id: &RouteId, answers: &Answers) -> Screenful {
    let mut s = Screenful {
        title: tr(lang, "Ligne", "Line").into(),
        ..Screenful::default()
    };
    if let Some(route) = answered(lang, answers.route(id), &mut s) {
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
                        .map(|c| call_row(lang, c, &d.id, trip)),
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
fn vehicle_mark(trip: &Trip, c: &TripCall) -> Option<&'static str> {
    let v = trip.vehicle.as_ref()?;
    (v.stop_sequence? == c.stop_sequence).then_some(if v.stopped { "●" } else { "▼" })
}

fn call_row(lang: &str, c: &TripCall, here: &str, trip: &Trip) -> Row {
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
    // Gone by: said so, or behind the vehicle.
    let behind = trip
        .vehicle
        .as_ref()
        .and_then(|v| v.stop_sequence)
        .is_some_and(|at| c.stop_sequence < at);
    let passed = c.status == DepartureStatus::Departed || behind;
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
        detail.push(platform_words(lang, trip.mode, p, c.platform_changed));
    }
    if passed && !struck {
        detail.push(status_words(lang, DepartureStatus::Departed, None));
    } else if !matches!(
        c.status,
        DepartureStatus::OnTime | DepartureStatus::Scheduled
    ) {
        detail.push(status_words(lang, c.status, c.delay_s));
    }
    // For the ear: the stop, its time as said (« 7 h 40 »), the rest.
    let when = c
        .expected_departure
        .as_deref()
        .or(c.expected_arrival.as_deref())
        .or(c.scheduled_departure.as_deref())
        .or(c.scheduled_arrival.as_deref());
    let mut said = vec![c.stop_name.clone()];
    said.extend(when.map(|w| sentences::time(lang, w)));
    said.extend(detail.iter().cloned());
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
        said: said.join(", "),
        ..Row::default()
    }
}

pub(super) fn trip(lang: &str, station: &str, id: &DepartureId, answers: &Answers) -> Screenful {
    let mut s = Screenful {
        title: tr(lang, "Trajet", "Trip").into(),
        ..Screenful::default()
    };
    let Some(trip) = answered(lang, answers.trip(id), &mut s) else {
        return s;
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
            .map(|p| {
                format!(
                    ", {}",
                    platform_words(lang, trip.mode, p, here.platform_changed)
                )
            })
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
    s.rows
        .extend(trip.calls.iter().map(|c| call_row(lang, c, &id.0, trip)));
    s
}
