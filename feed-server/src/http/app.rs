//! The passenger app (`/app`): an installable web app for phones, served by
//! the feed server itself (nothing to download from a store). Search for a
//! station, a stop or a line, see its live board, keep favourites on the
//! phone, follow a trip live, and see the last boards and trips offline.
//! docs/app.md explains it.
//!
//! Without JavaScript the page still works for the basic board: the board of
//! `?station=` or `?stop=` (the first station by default) and the results of
//! the search form (`?q=`) are rendered here, on the server. With it,
//! `app.js` takes over: the live stream, favourites, trips, offline. Its
//! service worker (`/app/sw.js`) keeps the app's files and the last answers
//! of the API; a page served from it says how old its data is.
//!
//! Every text is escaped here and set with `textContent` in the script; the
//! pages carry the strict policy of [`super::page`], with the manifest, the
//! worker and the search form allowed.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use quai_protocol as wire;

use super::page::{self, text};
use crate::publish::Boards;

const PAGE: &str = include_str!("app/app.html");

/// Departures listed without JavaScript.
const STATIC_ROWS: usize = 15;

/// A departure's status in words.
fn status(fr: bool, d: &wire::Departure) -> String {
    use wire::DepartureStatus as S;
    let minutes = d.delay_s.map_or(0, |s| (s as f64 / 60.0).round() as i64);
    match (d.status, fr) {
        (S::Scheduled, true) => "horaire prévu".into(),
        (S::Scheduled, false) => "scheduled".into(),
        (S::OnTime, true) => "à l'heure".into(),
        (S::OnTime, false) => "on time".into(),
        (S::Delayed, true) => format!("retardé +{minutes} min"),
        (S::Delayed, false) => format!("delayed +{minutes} min"),
        (S::Early, true) => format!("en avance {} min", minutes.abs()),
        (S::Early, false) => format!("early {} min", minutes.abs()),
        (S::Cancelled, true) => "supprimé".into(),
        (S::Cancelled, false) => "cancelled".into(),
        (S::Skipped, true) => "arrêt non desservi".into(),
        (S::Skipped, false) => "not stopping".into(),
        (S::Departed, true) => "parti".into(),
        (S::Departed, false) => "departed".into(),
    }
}

/// The board rendered for a browser without JavaScript.
fn board_html(b: &wire::Board, lang: &str) -> String {
    let fr = lang == "fr";
    let mut out = format!("<h2>{}</h2><ol class=\"board\">", text(&b.station.name));
    for d in b.departures.iter().take(STATIC_ROWS) {
        let time = d.expected.as_deref().unwrap_or(&d.scheduled);
        let line = d
            .route
            .short_name
            .as_deref()
            .or(d.route.long_name.as_deref())
            .unwrap_or_default();
        let status = status(fr, d);
        let platform = d
            .platform
            .as_deref()
            .map(|p| format!(" · {} {}", if fr { "quai" } else { "platform" }, text(p)))
            .unwrap_or_default();
        out.push_str(&format!(
            "<li><span class=\"time\">{}</span> <strong>{}</strong> {}{platform} · {}</li>",
            text(time.get(11..16).unwrap_or_default()),
            text(line),
            text(&d.headsign),
            text(&status),
        ));
    }
    out.push_str("</ol>");
    if b.departures.is_empty() {
        out.push_str(if fr {
            "<p>Aucun départ dans les prochaines heures.</p>"
        } else {
            "<p>No departure in the next hours.</p>"
        });
    }
    for n in &b.notices {
        let pick = |t: &wire::Translated| {
            t.get(lang)
                .or_else(|| t.get("fr"))
                .or_else(|| t.values().next())
                .cloned()
                .unwrap_or_default()
        };
        out.push_str(&format!(
            "<div class=\"notice\"><strong>{}</strong> {}</div>",
            text(&pick(&n.header)),
            text(&pick(&n.description))
        ));
    }
    out
}

/// Search results as links, for a browser without JavaScript.
fn results_html(results: &[wire::Place]) -> String {
    let mut out = String::from("<ul class=\"results\">");
    for p in results {
        let (href, name) = match p {
            wire::Place::Station { id, name, .. } => (format!("/app?station={id}"), name),
            wire::Place::Stop {
                id, name, station, ..
            } => (
                match station {
                    Some(s) => format!("/app?station={s}"),
                    None => format!("/app?stop={}", wire::encode_id(id)),
                },
                name,
            ),
            wire::Place::Line { id, name, .. } => {
                (format!("/app?line={}", wire::encode_id(id)), name)
            }
        };
        out.push_str(&format!(
            "<li><a href=\"{}\">{}</a></li>",
            page::attribute(&href),
            text(name)
        ));
    }
    out.push_str("</ul>");
    out
}

/// `template` with each placeholder replaced, in one pass: what a value
/// holds (a station's name, a notice) is never taken for a placeholder.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() * 2);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        match values.iter().find(|(key, _)| tail.starts_with(key)) {
            Some((key, value)) => {
                out.push_str(value);
                rest = &tail[key.len()..];
            }
            None => {
                out.push_str("{{");
                rest = &tail[2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `GET /app?station=…|stop=…|q=…|line=…|trip=…&lang=…`.
pub async fn page(
    State(boards): State<Boards>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let d = &boards.deployment;
    let lang = match query.get("lang").map(String::as_str) {
        Some("en") => "en",
        _ => "fr",
    };
    let q = query.get("q").map(|q| q.trim()).filter(|q| !q.is_empty());
    let static_html = if let Some(q) = q {
        let q: String = q.chars().take(super::places::MAX_QUERY).collect();
        results_html(&d.search.ready().await.find(&q, 20))
    } else if let Some(stop) = query.get("stop") {
        let (b, stop) = (boards.clone(), stop.clone());
        let built = tokio::task::spawn_blocking(move || {
            super::places::stop_board_now(&b, stop, STATIC_ROWS)
        })
        .await;
        match built {
            Ok(Ok(b)) => board_html(&b, lang),
            Ok(Err(e)) => format!("<p>{}</p>", text(&e.message)),
            Err(_) => String::new(),
        }
    } else if query.contains_key("trip") || query.contains_key("line") {
        let fr = lang == "fr";
        format!(
            "<noscript><p>{}</p></noscript>",
            if fr {
                "Suivre un trajet ou une ligne demande JavaScript."
            } else {
                "Following a trip or a line needs JavaScript."
            }
        )
    } else {
        match query.get("station") {
            Some(id) => match d.station(id).and_then(|s| boards.publish(s.id.as_str())) {
                Some(p) => board_html(&p.wire, lang),
                None => format!("<p>{}</p>", text(&format!("no station has the id `{id}`"))),
            },
            None => d
                .stations
                .first()
                .and_then(|s| boards.publish(s.id.as_str()))
                .map(|p| board_html(&p.wire, lang))
                .unwrap_or_default(),
        }
    };
    let config = serde_json::json!({
        "stations": d.stations.iter().map(|s| serde_json::json!({"id": s.id.as_str(), "name": s.name})).collect::<Vec<_>>(),
    });
    let html = fill(
        PAGE,
        &[
            ("{{CONFIG}}", &page::attribute(&config.to_string())),
            ("{{LANG}}", lang),
            ("{{STATIC}}", &static_html),
        ],
    );
    let mut response = page::app_html(html);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `GET /app/app.js`.
pub async fn script() -> Response {
    page::file(include_str!("app/app.js"), page::JS)
}

/// `GET /app/app.css`.
pub async fn style() -> Response {
    page::file(include_str!("app/app.css"), page::CSS)
}

/// The version of the app's files (a hash of them), for the worker's cache.
fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        // FNV-1a: a change of any file changes it.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for file in [
            PAGE,
            include_str!("app/app.js"),
            include_str!("app/app.css"),
            include_str!("app/sw.js"),
            include_str!("app/manifest.webmanifest"),
        ] {
            for b in file.bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        format!("{h:016x}")
    })
}

/// `GET /app/sw.js`: the service worker, allowed the scope `/app` (the page
/// itself, not only what is under `/app/`), with the files' version in it.
pub async fn worker() -> Response {
    static WORKER: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let body = WORKER.get_or_init(|| include_str!("app/sw.js").replace("{{VERSION}}", version()));
    let mut response = page::file(body.as_str(), page::JS);
    let h = response.headers_mut();
    h.insert("service-worker-allowed", HeaderValue::from_static("/app"));
    // A new worker is looked for at each visit.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `GET /app/manifest.webmanifest`.
pub async fn manifest() -> Response {
    let mut response = include_str!("app/manifest.webmanifest").into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/manifest+json"),
    );
    response
}

fn png(bytes: &'static [u8]) -> Response {
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    response
}

pub async fn icon_192() -> Response {
    png(include_bytes!("app/icon-192.png"))
}

pub async fn icon_512() -> Response {
    png(include_bytes!("app/icon-512.png"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_never_taken_for_placeholders() {
        let html = fill(
            "<b a=\"{{A}}\">{{B}}</b>{{C",
            &[("{{A}}", "x {{B}} y"), ("{{B}}", "{{A}}")],
        );
        assert_eq!(html, "<b a=\"x {{B}} y\">{{A}}</b>{{C");
    }
}
