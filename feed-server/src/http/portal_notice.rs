//! `GET /portal/notices/{id}`: one notice in full on the Wi-Fi page, for the
//! QR code a screen shows beside a ticker item cut short (the screen has room
//! for a line; a passenger's phone has room for all of it). Every language
//! the notice has, its periods, a link back to the station's board. Any
//! notice on a station's board now: an operator's or a feed's alert.

use std::fmt::Write as _;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use quai_protocol as wire;

use super::page::{self, text};
use crate::publish::Boards;

/// The languages of a notice, French first.
fn languages(n: &wire::Notice) -> Vec<&str> {
    let mut langs: Vec<&str> = n
        .header
        .keys()
        .chain(n.description.keys())
        .map(String::as_str)
        .collect();
    langs.sort_by_key(|l| (*l != "fr", *l != "en", *l));
    langs.dedup();
    langs
}

fn html(n: &wire::Notice, station: &wire::StationRef) -> String {
    let mut body = String::new();
    for lang in languages(n) {
        let header = n.header.get(lang).or_else(|| n.header.get("fr"));
        let _ = write!(body, "<section lang=\"{}\">", page::attribute(lang));
        if let Some(h) = header {
            let _ = write!(body, "<h2>{}</h2>", text(h));
        }
        if let Some(d) = n.description.get(lang) {
            for para in d.split('\n').filter(|p| !p.trim().is_empty()) {
                let _ = write!(body, "<p>{}</p>", text(para));
            }
        }
        body.push_str("</section>");
    }
    if !n.active_periods.is_empty() {
        body.push_str("<section><h2>Quand / When</h2><ul>");
        for p in &n.active_periods {
            let at = |t: &Option<String>| {
                t.as_deref()
                    .map(|t| t.get(..16).unwrap_or(t).replace('T', " "))
                    .unwrap_or_else(|| "…".into())
            };
            let _ = write!(
                body,
                "<li>{} → {}</li>",
                text(&at(&p.start)),
                text(&at(&p.end))
            );
        }
        body.push_str("</ul></section>");
    }
    format!(
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/portal.css\"></head>\
         <body><header><h1>{station}</h1></header><main class=\"notice-page\">{body}\
         <p><a href=\"/portal?station={id}\">← Prochains départs / Next departures</a></p>\
         </main></body></html>",
        title = text(
            n.header
                .get("fr")
                .or_else(|| n.header.values().next())
                .map_or("", String::as_str)
        ),
        station = text(&station.name),
        id = page::attribute(&station.id),
    )
}

/// `GET /portal/notices/{id}`.
pub async fn page(State(boards): State<Boards>, Path(id): Path<String>) -> Response {
    let found = boards.deployment.stations.iter().find_map(|s| {
        let published = boards.publish(s.id.as_str())?;
        let notice = published.wire.notices.iter().find(|n| n.id == id)?.clone();
        Some((notice, published.wire.station.clone()))
    });
    match found {
        Some((notice, station)) => page::html(html(&notice, &station)),
        None => {
            let mut response = page::html(
                "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">\
                 <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
                 <title>Quai</title><link rel=\"stylesheet\" href=\"/portal.css\"></head>\
                 <body><main><p>Cette information n'est plus en cours. / This notice is no longer current.</p>\
                 <p><a href=\"/portal\">← Prochains départs / Next departures</a></p></main></body></html>"
                    .to_string(),
            );
            *response.status_mut() = StatusCode::NOT_FOUND;
            response.into_response()
        }
    }
}
