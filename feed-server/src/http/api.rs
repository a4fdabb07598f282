//! Read-only REST: health, stations and boards.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse as _, Response};
use quai_protocol::{Health, StationInfo};

use super::ApiError;
use crate::board::wire::feed_status;
use crate::freshness::Freshness;
use crate::publish::Boards;

/// What `/healthz` reads: the feeds' freshness, and what this node is.
#[derive(Clone)]
pub struct HealthDesk {
    pub freshness: Freshness,
    pub node: crate::node::Node,
    pub hub: std::sync::Arc<crate::hub::Hub>,
}

/// `GET /healthz`: every feed's freshness; on an ingest or edge node, its
/// role and link to NATS. An edge polls no feed: its feeds are those of the
/// boards it received, and it is degraded while NATS is out of reach, no
/// ingest node renews the lease, or a station has no board yet.
pub async fn healthz(State(desk): State<HealthDesk>) -> Json<Health> {
    let node = &desk.node;
    let nats = node.nats();
    let (feeds, degraded) = if let crate::node::Node::Edge { .. } = node {
        let mut feeds: Vec<quai_protocol::FeedStatus> = Vec::new();
        let mut missing = false;
        for station in &desk.freshness.deployment.stations {
            let Some(board) = desk.hub.current(station.id.as_str()) else {
                missing = true;
                continue;
            };
            for feed in &board.wire.feeds {
                if !feeds.iter().any(|f| f.id == feed.id) {
                    // In UTC, as `/healthz` writes instants (boards use
                    // the station's offset).
                    let mut feed = feed.clone();
                    feed.last_success = feed.last_success.as_deref().map(|t| {
                        chrono::DateTime::parse_from_rfc3339(t).map_or_else(
                            |_| t.to_string(),
                            |t| t.with_timezone(&chrono::Utc).to_rfc3339(),
                        )
                    });
                    feeds.push(feed);
                }
            }
        }
        // Out of reach of NATS, or no ingest node renews the lease: the
        // boards no longer move.
        let linked = nats
            .as_ref()
            .is_some_and(|n| n.connected && n.lease_holder.is_some());
        let degraded = missing || !linked || feeds.iter().any(|f| f.stale);
        (feeds, degraded)
    } else {
        let statuses = desk.freshness.statuses();
        let degraded = statuses.iter().any(|f| f.stale || f.degraded);
        let feeds = statuses
            .iter()
            .map(|f| feed_status(f, chrono_tz::UTC))
            .collect();
        (feeds, degraded)
    };
    Json(Health {
        status: if degraded { "degraded" } else { "ok" }.into(),
        feeds,
        role: node.role().into(),
        node: node.name().map(str::to_string),
        nats,
    })
}

pub async fn stations(State(boards): State<Boards>) -> Json<Vec<StationInfo>> {
    let d = &boards.deployment;
    Json(
        d.stations
            .iter()
            .map(|s| StationInfo {
                id: s.id.to_string(),
                name: s.name.clone(),
                timezone: s.timezone.name().to_string(),
                stop_ids: s
                    .stops
                    .iter()
                    .map(|&stop| d.feeds.stop_key(stop).to_string())
                    .collect(),
            })
            .collect(),
    )
}

/// What the board route reads: the published boards, and the store whose
/// archive holds the earlier ones (`?seq=`).
#[derive(Clone)]
pub struct BoardDesk {
    pub boards: Boards,
    pub store: Option<std::sync::Arc<crate::store::Store>>,
}

/// `GET /v1/stations/{id}/board`: the board as published, its first `limit`
/// departures and arrivals (of the `platforms` or `stops` asked, for a
/// one-bay sign). Its `ETag` names the published version (`seq`) and the limit:
/// a client that sends it back in `If-None-Match` gets `304 Not Modified` until
/// the board changes. With `seq=N`, the board published at that seq, from
/// the archive ([`crate::archive`]) when it is an earlier one.
pub async fn board(
    State(desk): State<BoardDesk>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let boards = &desk.boards;
    let settings = boards.deployment.board;
    let mut fields = BTreeMap::new();
    let seq = match query.get("seq").map(|v| v.parse::<u64>()) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(_)) => {
            fields.insert(
                "seq".to_string(),
                "a board's seq, a whole number".to_string(),
            );
            None
        }
    };
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
    // A one-bay or one-platform sign: only these platforms' or stops'
    // departures (comma-separated; either or both).
    let list = |name: &str| -> Vec<String> {
        query
            .get(name)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let (platforms, stops) = (list("platforms"), list("stops"));
    for (name, values) in [("platforms", &platforms), ("stops", &stops)] {
        if values.len() > 32 || values.iter().any(|v| v.len() > 200) {
            fields.insert(
                name.to_string(),
                "at most 32 comma-separated values of 200 characters".to_string(),
            );
        }
    }
    if !fields.is_empty() {
        return Err(ApiError::invalid_query(fields));
    }
    let published = boards.publish(&id).ok_or_else(|| match boards.deployment.station(&id) {
        // An edge node before the station's first board from NATS.
        Some(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_board_yet",
            format!("this edge node has not received `{id}`'s first board yet; ask again in a few seconds"),
        ),
        None => ApiError::new(
            StatusCode::NOT_FOUND,
            "station_not_found",
            format!("no station has the id `{id}`; GET /v1/stations lists them"),
        ),
    })?;
    // An earlier board: from the archive.
    let archived = match seq {
        Some(n) if n != published.wire.seq => {
            let store = desk.store.clone().ok_or_else(|| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    "board_not_kept",
                    "this server keeps no earlier boards (it has no data dir, or is an edge node: ask the ingest node)",
                )
            })?;
            let station = id.clone();
            let found =
                tokio::task::spawn_blocking(move || crate::archive::board_at(&store, &station, n))
                    .await
                    .map_err(|_| {
                        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "task failed")
                    })?;
            match found {
                Ok((board, _)) => Some(board),
                Err(crate::archive::NotKept::Missing(_)) => {
                    return Err(ApiError::new(
                        StatusCode::NOT_FOUND,
                        "board_not_kept",
                        format!(
                            "the board of seq {n} is not kept: older than [screens] keep_days, or never published (the current one is {})",
                            published.wire.seq
                        ),
                    ));
                }
                Err(crate::archive::NotKept::Store(e)) => {
                    return Err(ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "store_unavailable",
                        e.to_string(),
                    ));
                }
            }
        }
        _ => None,
    };
    let wire = archived.as_ref().unwrap_or(&published.wire);
    let filtered = !(platforms.is_empty() && stops.is_empty());
    let etag = if filtered {
        // The filter is part of the version: another sign's board is another.
        let mut h = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(&(&platforms, &stops), &mut h);
        format!(
            "\"{}-{limit}-{:x}\"",
            wire.seq,
            std::hash::Hasher::finish(&h)
        )
    } else {
        format!("\"{}-{limit}\"", wire.seq)
    };
    let cached = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if cached {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let json = if filtered || archived.is_some() {
            let mut board = wire.clone();
            let asked = |platform: &Option<String>, stop_id: &String| {
                (platforms.is_empty() || platform.as_ref().is_some_and(|p| platforms.contains(p)))
                    && (stops.is_empty() || stops.contains(stop_id))
            };
            board.departures.retain(|d| asked(&d.platform, &d.stop_id));
            board.departures.truncate(limit);
            board.arrivals.retain(|a| asked(&a.platform, &a.stop_id));
            board.arrivals.truncate(limit);
            serde_json::to_vec(&board).map(axum::body::Bytes::from)
        } else {
            published.json(limit)
        }
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
        ([(header::CONTENT_TYPE, "application/json")], json).into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// `GET /v1/openapi.json`: the REST API's OpenAPI 3.1 document
/// (docs/openapi.yaml, as JSON: `scripts/openapi-json.py` writes it).
pub async fn openapi() -> Response {
    super::page::file(
        include_str!("../../../docs/openapi.json"),
        "application/json",
    )
}

/// `GET /v1/schemas/quai.schema.json`: the JSON Schemas the OpenAPI and
/// AsyncAPI documents refer to (`./schemas/quai.schema.json` beside them).
pub async fn schemas() -> Response {
    super::page::file(
        include_str!("../../../docs/schemas/quai.schema.json"),
        "application/schema+json",
    )
}

pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("nothing is served at {}", uri.path()),
    )
}
