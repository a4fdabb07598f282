//! Read-only REST: health, metrics, stations and boards.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::IntoResponse;
use quai_protocol::{Board, Health, StationInfo};

use super::ApiError;
use crate::server::AppState;

pub async fn healthz(State(state): State<Arc<AppState>>) -> Json<Health> {
    let feeds = state.feed_statuses(chrono_tz::UTC);
    let status = if feeds.iter().any(|f| f.stale) {
        "degraded"
    } else {
        "ok"
    };
    Json(Health {
        status: status.into(),
        feeds,
    })
}

pub async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let now = state.clock.now();
    let feeds: Vec<(String, u64, i64)> = state
        .deployment
        .timetable
        .feeds
        .iter()
        .zip(&state.deployment.loads)
        .map(|(f, l)| {
            (
                f.id.clone(),
                f.stop_times.len() as u64,
                (now - l.loaded_at).num_seconds(),
            )
        })
        .collect();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(&feeds, &state.hub),
    )
}

pub async fn stations(State(state): State<Arc<AppState>>) -> Json<Vec<StationInfo>> {
    let d = &state.deployment;
    Json(
        d.stations
            .iter()
            .map(|s| StationInfo {
                id: s.id.clone(),
                name: s.name.clone(),
                timezone: s.timezone.name().to_string(),
                stop_ids: s
                    .stops
                    .iter()
                    .map(|(f, stop)| {
                        let feed = &d.timetable.feeds[*f];
                        format!("{}:{}", feed.id, feed.stops[*stop as usize].id)
                    })
                    .collect(),
            })
            .collect(),
    )
}

pub async fn board(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Board>, ApiError> {
    let settings = state.deployment.config.board;
    let mut fields = BTreeMap::new();
    let limit = match query.get("limit") {
        None => settings.limit,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=settings.max_limit).contains(&n) => n,
            _ => {
                fields.insert(
                    "limit".to_string(),
                    format!("must be a whole number from 1 to {}", settings.max_limit),
                );
                0
            }
        },
    };
    if let Some(lang) = query.get("lang") {
        let valid = lang.split(',').all(|tag| {
            !tag.is_empty()
                && tag.len() <= 35
                && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        if !valid {
            fields.insert(
                "lang".to_string(),
                "must be comma-separated language tags, e.g. fr,en".to_string(),
            );
        }
    }
    if !fields.is_empty() {
        return Err(ApiError::invalid_query(fields));
    }
    let board = state.publish(&id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "station_not_found",
            format!("no station has the id `{id}`; GET /v1/stations lists them"),
        )
    })?;
    let mut board = (*board).clone();
    board.departures.truncate(limit);
    Ok(Json(board))
}

pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("nothing is served at {}", uri.path()),
    )
}
