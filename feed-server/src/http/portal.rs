//! The station Wi-Fi: the RFC 8908 Captive Portal API (`/captive-portal/api`) and
//! the splash page (`/portal`) a phone lands on: the live board, notices, weather
//! advice, terms of use and an "accept and connect" button.
//!
//! The page is one self-contained HTML file (no external assets: it must load on a
//! cheap phone before the phone has Internet access). It renders every text with
//! `textContent`, never as HTML, and takes the access point's continue URL only if
//! it is http(s).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::ApiError;
use crate::deployment::Deployment;
use crate::station::Station;

const PAGE: &str = include_str!("portal.html");

/// The station asked for with `?station=`, else the first one with Wi-Fi.
fn station<'a>(
    deployment: &'a Deployment,
    query: &HashMap<String, String>,
) -> Result<&'a Station, ApiError> {
    let stations = &deployment.stations;
    let found = match query.get("station") {
        Some(id) => deployment.station(id),
        None => stations
            .iter()
            .find(|s| s.wifi.is_some())
            .or(stations.first()),
    };
    found.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "station_not_found",
            "no such station; GET /v1/stations lists them",
        )
    })
}

/// `GET /captive-portal/api`: RFC 8908 JSON for the station's Wi-Fi.
pub async fn api(
    State(deployment): State<Arc<Deployment>>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let station = station(&deployment, &query)?;
    let Some(wifi) = &station.wifi else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_wifi",
            format!("station `{}` has no Wi-Fi configured", station.id),
        ));
    };
    let mut body = serde_json::Map::new();
    body.insert("captive".into(), true.into());
    if let Some(url) = &wifi.portal_url {
        body.insert("user-portal-url".into(), url.to_string().into());
    }
    if let Some(url) = &wifi.venue_info_url {
        body.insert("venue-info-url".into(), url.to_string().into());
    }
    if let Some(s) = wifi.session_s {
        body.insert("seconds-remaining".into(), s.into());
    }
    body.insert("can-extend-session".into(), wifi.can_extend.into());
    let mut response = serde_json::Value::Object(body).to_string().into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/captive+json"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}

/// `GET /portal?station=…&continue=…`: the splash page.
pub async fn page(
    State(deployment): State<Arc<Deployment>>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let station = station(&deployment, &query)?;
    let timezone = station.timezone.name().to_string();
    // Only where the station's configuration allows (its access point), or a
    // path here: the page is no open redirect.
    let continue_url = query
        .get("continue")
        .filter(|u| station.wifi.as_ref().is_some_and(|w| w.may_continue_to(u)));
    let config = serde_json::json!({
        "station": station.id.as_str(),
        "station_name": station.name,
        "ssid": station.wifi.as_ref().map(|w| w.ssid.clone()),
        "timezone": timezone,
        "continue_url": continue_url,
    });
    // In an attribute: escaped so that nothing in the JSON can close it.
    let html = PAGE.replace("{{CONFIG}}", &super::page::attribute(&config.to_string()));
    let mut response = super::page::html(html);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `GET /portal.js`: the splash page's script.
pub async fn script() -> Response {
    super::page::file(include_str!("portal.js"), super::page::JS)
}

/// `GET /portal.css`: the splash page's style sheet.
pub async fn style() -> Response {
    super::page::file(include_str!("portal.css"), super::page::CSS)
}
