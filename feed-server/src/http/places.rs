//! Finding a place and its departures, for the passenger app:
//! - `GET /v1/search?q=…&limit=…`: stations, stops and lines by name
//!   ([`crate::search`]);
//! - `GET /v1/stops/{id}/board?limit=…`: the board of any stop of a feed
//!   (`{feed}:{stop_id}`), by the boards' rules ([`crate::stop_station`]).

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use quai_protocol as wire;

use super::ApiError;
use crate::publish::Boards;
use crate::stop_station::StopError;

/// Most results in one answer.
const MAX_RESULTS: usize = 50;
/// The longest query taken.
pub const MAX_QUERY: usize = 200;

/// `GET /v1/search?q=…&limit=…` (limit 1-50, default 10).
pub async fn search(
    State(boards): State<Boards>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<wire::SearchResults>, ApiError> {
    let mut fields = BTreeMap::new();
    let q = query.get("q").map(|q| q.trim()).unwrap_or_default();
    if q.is_empty() || q.chars().count() > MAX_QUERY {
        fields.insert(
            "q".to_string(),
            format!("required: 1 to {MAX_QUERY} characters of a name"),
        );
    }
    let limit = match query.get("limit").map(|l| l.parse::<usize>()) {
        None => 10,
        Some(Ok(n)) if (1..=MAX_RESULTS).contains(&n) => n,
        Some(_) => {
            fields.insert(
                "limit".to_string(),
                format!("must be a whole number from 1 to {MAX_RESULTS}"),
            );
            0
        }
    };
    if !fields.is_empty() {
        return Err(ApiError::invalid_query(fields));
    }
    Ok(Json(wire::SearchResults {
        query: q.to_string(),
        results: boards.deployment.search.ready().await.find(q, limit),
    }))
}

/// `GET /v1/stops/{id}/board?limit=…`: the stop's board now (limit 1 to the
/// board's `max_limit`, default its `limit`). Not on the stream: a client
/// asks again (a configured station's board is on the stream).
pub async fn stop_board(
    State(boards): State<Boards>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<wire::Board>, ApiError> {
    let settings = boards.deployment.board;
    let limit = match query.get("limit").map(|l| l.parse::<usize>()) {
        None => settings.limit,
        Some(Ok(n)) if (1..=settings.max_limit).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::invalid_query(BTreeMap::from([(
                "limit".to_string(),
                format!("must be a whole number from 1 to {}", settings.max_limit),
            )])));
        }
    };
    // Building a stop's station reads its feed's stop times: off the async
    // workers.
    tokio::task::spawn_blocking(move || stop_board_now(&boards, id, limit))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
        .map(Json)
}

/// The board of stop `id` now, its first `limit` departures.
pub fn stop_board_now(boards: &Boards, id: String, limit: usize) -> Result<wire::Board, ApiError> {
    let d = &boards.deployment;
    let station = boards
        .stop_stations
        .get(&d.feeds, &id)
        .map_err(|e| match e {
            StopError::NotAStopId(_) => {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_stop_id", e.to_string())
            }
            StopError::UnknownFeed(_) | StopError::UnknownStop { .. } => {
                ApiError::new(StatusCode::NOT_FOUND, "stop_not_found", e.to_string())
            }
            StopError::Station(_) => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
            }
        })?;
    let board = boards.board_now(&station, limit, None);
    let now = boards.clock.now();
    // Made on demand: its version is when it was made (ms), as station boards'
    // seqs start from the clock.
    let seq = u64::try_from(now.timestamp_millis()).unwrap_or(1).max(1);
    let mut wire = board.to_wire(seq);
    wire.station.id = id;
    Ok(wire)
}
