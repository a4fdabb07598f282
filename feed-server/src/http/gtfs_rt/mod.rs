//! `GET /gtfs-rt/trip-updates`, `/gtfs-rt/vehicle-positions`, `/gtfs-rt/alerts`:
//! the merged live data re-published as GTFS-Realtime FeedMessages (FULL_DATASET),
//! for the apps passengers already use.
//!
//! Trip updates carry what the boards show after the merge (expected times,
//! propagated delays, cancellations, skipped stops, platform changes, added trips),
//! for every departure of every configured station that has realtime. Alerts carry
//! the notices on the boards. Vehicle positions are passed through from upstream.
//! Trip, route and stop ids are the static GTFS ones (without Quai's feed prefix).
//!
//! Responses have an `ETag` and a `Last-Modified` that change only when the
//! content does, so a consumer polling every few seconds mostly gets 304s;
//! `?format=json` gives the same message as JSON for people.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::DateTime;
use gtfs_realtime::FeedEntity;
use serde::Deserialize;

use crate::clock::Clock;
use crate::deployment::Deployment;
use crate::hub::Hub;
use crate::realtime::RealtimeStore;
use cache::inputs;
use entities::{alert_entities, trip_update_entities};

/// What the export reads: the published boards (as the server made them), the
/// deployment (to know its trips and stations), the realtime store (vehicle
/// positions pass through) and the export's validators.
#[derive(Debug, Clone)]
pub struct Export {
    pub hub: Arc<Hub>,
    pub deployment: Arc<Deployment>,
    pub realtime: RealtimeStore,
    pub clock: Clock,
    pub cache: Arc<ExportCache>,
    /// On an edge: the feeds are the ingest node's, as relayed through
    /// NATS (`edge::exports`), not rendered here.
    pub received: bool,
}

/// The three feeds, by the names their routes and the relay use.
pub const FEEDS: [&str; 3] = ["trip-updates", "vehicle-positions", "alerts"];

mod cache;
mod entities;

pub use cache::{ExportCache, Rendered};
#[derive(Debug, Deserialize)]
pub struct Format {
    format: Option<String>,
}

impl Export {
    /// The seq of every station's published board: what the trip updates and
    /// alerts are made from.
    fn board_seqs(&self) -> u64 {
        inputs(
            self.deployment
                .stations
                .iter()
                .map(|s| self.hub.current(s.id.as_str()).map(|p| p.wire.seq))
                .collect::<Vec<_>>(),
        )
    }
}

/// Feed `name` (one of [`FEEDS`]) as this node has it now: rendered here
/// (from the cache while its inputs are the same), or on an edge as last
/// received (None before the first).
pub fn rendered(export: &Export, name: &'static str) -> Option<Arc<Rendered>> {
    if export.received {
        return export.cache.received(name);
    }
    let now = export.clock.now();
    Some(match name {
        "trip-updates" => export.cache.render(name, export.board_seqs(), now, || {
            trip_update_entities(export)
        }),
        "alerts" => export
            .cache
            .render(name, export.board_seqs(), now, || alert_entities(export)),
        _ => vehicle_positions_now(export, now),
    })
}

/// Feed `name`, or 503 on an edge that has not received it yet.
fn answer(export: &Export, name: &'static str, format: &Format, headers: &HeaderMap) -> Response {
    match rendered(export, name) {
        Some(r) => reply(&r, format, headers),
        None => super::ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_export_yet",
            format!("this edge has not received the {name} feed from the ingest node yet"),
        )
        .into_response(),
    }
}

pub async fn trip_updates(
    State(export): State<Export>,
    Query(format): Query<Format>,
    headers: HeaderMap,
) -> Response {
    answer(&export, "trip-updates", &format, &headers)
}

pub async fn alerts(
    State(export): State<Export>,
    Query(format): Query<Format>,
    headers: HeaderMap,
) -> Response {
    answer(&export, "alerts", &format, &headers)
}

pub async fn vehicle_positions(
    State(export): State<Export>,
    Query(format): Query<Format>,
    headers: HeaderMap,
) -> Response {
    answer(&export, "vehicle-positions", &format, &headers)
}

/// The upstream vehicle positions of every feed, fresh ones only.
fn vehicle_positions_now(export: &Export, now: chrono::DateTime<chrono::Utc>) -> Arc<Rendered> {
    let views: Vec<_> = export
        .deployment
        .feeds
        .iter()
        .map(|feed| {
            let state = export.realtime.get(&feed.id);
            let fresh = state.view(&feed.config, now).vehicles.is_some();
            (feed, state.vehicles.filter(|_| fresh))
        })
        .collect();
    let key = inputs(
        views
            .iter()
            .map(|(f, v)| (f.id.as_str(), v.as_ref().map(|a| a.header_timestamp)))
            .collect::<Vec<_>>(),
    );
    export.cache.render("vehicle-positions", key, now, || {
        let mut entities = Vec::new();
        for (feed, vehicles) in &views {
            if let Some(vehicles) = vehicles {
                entities.extend(vehicles.data.entities.iter().map(|e| FeedEntity {
                    id: format!("{}:{}", feed.id, e.id),
                    ..e.clone()
                }));
            }
        }
        entities
    })
}

/// The message (protobuf, or JSON with `?format=json`) with validators,
/// answering 304 when the client already has this content.
fn reply(rendered: &Rendered, format: &Format, headers: &HeaderMap) -> Response {
    let (etag, modified) = (rendered.etag.clone(), rendered.modified);
    let json = format.format.as_deref() == Some("json");
    let etag = if json {
        format!("\"j{}", &etag[1..])
    } else {
        etag
    };
    let last_modified = modified.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let not_modified = match headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        Some(inm) => inm.split(',').any(|t| t.trim() == etag || t.trim() == "*"),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
            .is_some_and(|since| modified.timestamp() <= since.timestamp()),
    };
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else if json {
        (
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::to_string_pretty(&rendered.message).unwrap_or_default(),
        )
            .into_response()
    } else {
        (
            [(header::CONTENT_TYPE, "application/x-protobuf")],
            rendered.protobuf.clone(),
        )
            .into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&last_modified) {
        h.insert(header::LAST_MODIFIED, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
