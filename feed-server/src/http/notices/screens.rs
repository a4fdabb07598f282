//! The screen fleet's routes: a screen reports what it shows
//! (`POST /v1/screens/{id}/reports`, with its own token: scope `screen:ID`),
//! operators list every screen of their stations with its health
//! (`GET /v1/screens`) and read which boards one drew and when
//! (`GET /v1/screens/{id}/history?from=&to=`). See [`crate::fleet`].

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Duration, Utc};
use quai_protocol::{Screen, ScreenDraw, ScreenHistory, ScreenReport};

use super::{NoticeDesk, Peer, blocking, ip, read_json, store_error};
use crate::fleet;
use crate::http::ApiError;
use crate::id::ScreenId;
use crate::notice::Scope;
use crate::store::Operator;

/// Largest picture a screen may send.
const MAX_PNG: usize = 8 << 20;

/// Longest period one history answer covers.
const MAX_HISTORY: Duration = Duration::days(7);

fn screen_id(id: &str) -> Result<ScreenId, ApiError> {
    id.parse().map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "screen_not_found",
            format!("`{id}` is not a screen id (a-z, 0-9, - and _)"),
        )
    })
}

/// Refuses a token that is not screen `id`'s own (scope `screen:ID`, or `*`).
fn own_token(op: &Operator, id: &ScreenId) -> Result<(), ApiError> {
    if op
        .scopes
        .iter()
        .any(|s| *s == Scope::All || *s == Scope::Screen(id.clone()))
    {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "out_of_scope",
        format!("this token may not speak as screen `{id}` (its scopes need screen:{id})"),
    ))
}

/// Whether `op` may read screens of `station`.
fn sees(op: &Operator, station: &str) -> bool {
    op.scopes.iter().any(|s| match s {
        Scope::All => true,
        Scope::Station(id) => id.as_str() == station,
        Scope::Route(_) | Scope::Screen(_) => false,
    })
}

/// `POST /v1/screens/{id}/reports`: the screen's report (a
/// `ScreenReport`), kept once it is on disk.
pub async fn report(
    State(desk): State<NoticeDesk>,
    peer: Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
    request: Body,
) -> Result<StatusCode, ApiError> {
    let desk = &desk;
    let op = super::operator(desk, &headers, ip(&peer)).await?;
    let id = screen_id(&id)?;
    own_token(&op, &id)?;
    let report: ScreenReport = serde_json::from_value(read_json(desk, &headers, request).await?)
        .map_err(|e| {
            let mut err = ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_report",
                "the report does not have the expected fields",
            );
            err.fields.insert("body".into(), e.to_string());
            err
        })?;
    let mut fields = BTreeMap::new();
    if desk.boards.deployment.station(&report.station).is_none() {
        fields.insert(
            "station".to_string(),
            format!("no station has the id `{}`", report.station),
        );
    }
    let long = |s: &str| s.chars().count() > 200;
    for (name, value) in [
        ("layout", Some(&report.layout)),
        ("lang", Some(&report.lang)),
        ("version", Some(&report.version)),
        ("last_error", report.last_error.as_ref()),
    ] {
        if value.is_some_and(|v| long(v) || v.chars().any(char::is_control)) {
            fields.insert(
                name.to_string(),
                "at most 200 characters, no control characters".to_string(),
            );
        }
    }
    if !fields.is_empty() {
        let mut err = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_report",
            "some fields are not valid",
        );
        err.fields = fields;
        return Err(err);
    }
    // A screen belongs to the station it first reported for: its token
    // cannot move it to another's list (and stream).
    if let Some(before) = desk.fleet.get(id.as_str())
        && before.report.station != report.station
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "screen_of_another_station",
            format!(
                "screen `{id}` reports for station `{}`; a screen moved to another station takes a new id",
                before.report.station
            ),
        ));
    }
    let now = desk.boards.clock.now();
    let (kept, drew, store_now) = desk
        .fleet
        .prepare(&id, report, now)
        .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "fleet_full", e.to_string()))?;
    if store_now || drew.is_some() {
        let stored = kept.stored(&id);
        let store = desk.store.clone();
        blocking(move || match &store {
            Some(store) => store.screen_put(&stored, drew).map_err(store_error),
            None => Err(no_store()),
        })
        .await?;
    } else if desk.store.is_none() {
        return Err(no_store());
    }
    desk.fleet.put(id, kept);
    Ok(StatusCode::NO_CONTENT)
}

fn no_store() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "no_store",
        "this server runs without a data dir: the fleet is off",
    )
}

/// Which screens of `op`'s stations show each notice: the notice ids of the
/// board each screen last said it drew (the current board, or from the
/// archive; remembered, as a board of a seq never changes), turned round:
/// notice id -> screen ids. A silent screen shows nothing anyone can vouch
/// for: left out.
pub(super) async fn showing(desk: &NoticeDesk, op: &Operator) -> HashMap<String, Vec<String>> {
    let now = desk.boards.clock.now();
    let settings = desk.boards.deployment.screens;
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (screen, kept) in desk.fleet.all() {
        let station = kept.report.station.clone();
        let Some(seq) = kept.report.seq else { continue };
        if !sees(op, &station)
            || fleet::health(&kept, now, None, &settings).0 == quai_protocol::ScreenHealth::Silent
        {
            continue;
        }
        let ids = match desk.fleet.carried(&station, seq) {
            Some(ids) => ids,
            None => {
                let ids: Vec<String> = match desk.boards.hub.current(&station) {
                    Some(p) if p.wire.seq == seq => {
                        p.wire.notices.iter().map(|n| n.id.clone()).collect()
                    }
                    _ => {
                        let (store, at) = (desk.store.clone(), station.clone());
                        tokio::task::spawn_blocking(move || {
                            store
                                .and_then(|s| crate::archive::board_at(&s, &at, seq).ok())
                                .map(|(b, _)| b.notices.into_iter().map(|n| n.id).collect())
                                .unwrap_or_default()
                        })
                        .await
                        .unwrap_or_default()
                    }
                };
                let ids = std::sync::Arc::new(ids);
                desk.fleet.remember(&station, seq, ids.clone());
                ids
            }
        };
        for id in ids.iter() {
            out.entry(id.clone()).or_default().push(screen.to_string());
        }
    }
    out
}

/// The station's current board's seq, and the newest published 30 s ago.
fn current(desk: &NoticeDesk, station: &str) -> Option<(u64, u64)> {
    desk.boards.hub.settled(station, fleet::BEHIND_GRACE)
}

/// `GET /v1/screens[?station=ID]`: every screen of the operator's stations,
/// with its last report and health.
pub async fn list(
    State(desk): State<NoticeDesk>,
    peer: Peer,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<Screen>>, ApiError> {
    let desk = &desk;
    let op = super::operator(desk, &headers, ip(&peer)).await?;
    let now = desk.boards.clock.now();
    let settings = desk.boards.deployment.screens;
    let station = query.get("station");
    Ok(Json(
        desk.fleet
            .all()
            .iter()
            .filter(|(_, k)| sees(&op, &k.report.station))
            .filter(|(_, k)| station.is_none_or(|st| *st == k.report.station))
            .map(|(id, k)| {
                let shot = desk.fleet.shot(id.as_str()).map(|s| s.taken_at);
                fleet::wire(
                    id,
                    k,
                    now,
                    current(desk, &k.report.station),
                    &settings,
                    shot,
                )
            })
            .collect(),
    ))
}

/// `GET /v1/screens/{id}/history?from=&to=` (RFC 3339; default the last
/// hour; at most 7 days): the boards the screen drew, led by the one on
/// screen at `from`.
pub async fn history(
    State(desk): State<NoticeDesk>,
    peer: Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<ScreenHistory>, ApiError> {
    let desk = &desk;
    let op = super::operator(desk, &headers, ip(&peer)).await?;
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "screen_not_found",
            format!("no screen `{id}` has reported (GET /v1/screens lists them)"),
        )
    };
    let kept = desk.fleet.get(&id).ok_or_else(not_found)?;
    if !sees(&op, &kept.report.station) {
        return Err(not_found());
    }
    let now = desk.boards.clock.now();
    let mut fields = BTreeMap::new();
    let mut instant = |name: &str, default: DateTime<Utc>| {
        match query.get(name) {
        None => default,
        Some(v) => DateTime::parse_from_rfc3339(v)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|_| {
                fields.insert(
                    name.to_string(),
                    "an RFC 3339 instant, e.g. 2026-03-09T07:42:00Z or 2026-03-09T07:42:00%2B01:00 (+ written %2B in a URL)".to_string(),
                );
                default
            }),
    }
    };
    let to = instant("to", now);
    let from = instant("from", to - Duration::hours(1));
    if fields.is_empty() && (from > to || to - from > MAX_HISTORY) {
        fields.insert(
            "from".to_string(),
            "must be before `to`, at most 7 days before".to_string(),
        );
    }
    if !fields.is_empty() {
        return Err(ApiError::invalid_query(fields));
    }
    let store = desk.store.clone();
    let screen = id.clone();
    let draws = blocking(move || match &store {
        Some(store) => store.screen_draws(&screen, from, to).map_err(store_error),
        None => Err(no_store()),
    })
    .await?;
    let utc = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    Ok(Json(ScreenHistory {
        screen: id,
        station: kept.report.station,
        from: utc(from),
        to: utc(to),
        draws: draws
            .into_iter()
            .map(|(seq, at)| ScreenDraw { seq, at: utc(at) })
            .collect(),
    }))
}

/// The screen `id` as its operators see it, or 404.
fn visible(desk: &NoticeDesk, op: &Operator, id: &str) -> Result<fleet::Kept, ApiError> {
    desk.fleet
        .get(id)
        .filter(|k| sees(op, &k.report.station))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "screen_not_found",
                format!("no screen `{id}` has reported (GET /v1/screens lists them)"),
            )
        })
}

/// `POST /v1/screens/{id}/screenshot`: asks the screen for a picture of what
/// it shows, through its station's stream; it sends it within seconds
/// (`GET` it then). 202, with how many of the station's stream clients were
/// told (the screen among them when it is connected).
pub async fn ask_screenshot(
    State(desk): State<NoticeDesk>,
    peer: Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let op = super::operator(&desk, &headers, ip(&peer)).await?;
    let kept = visible(&desk, &op, &id)?;
    let station: crate::id::StationId = kept.report.station.parse().map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "screen_not_found",
            "its station is gone",
        )
    })?;
    let asked_at = desk.boards.clock.now();
    let told = desk
        .boards
        .hub
        .send_now(
            &station,
            quai_protocol::ServerMessage::ScreenshotRequest {
                station: station.to_string(),
                screen: id.clone(),
                server_time: crate::hub::now_micros(),
            },
        )
        .unwrap_or(0);
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({
            "asked_at": asked_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "stream_clients_told": told,
        })),
    ))
}

/// `PUT /v1/screens/{id}/screenshot`: the screen's picture (`image/png`),
/// with its own token.
pub async fn put_screenshot(
    State(desk): State<NoticeDesk>,
    peer: Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
    request: Body,
) -> Result<StatusCode, ApiError> {
    let op = super::operator(&desk, &headers, ip(&peer)).await?;
    let id = screen_id(&id)?;
    own_token(&op, &id)?;
    let timeout = desk.boards.deployment.server.body_read_timeout;
    let png = crate::http::body::read(request, &headers, MAX_PNG, timeout).await?;
    if !png.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not_png",
            "send the picture as PNG",
        ));
    }
    desk.fleet.keep_shot(
        id,
        fleet::Shot {
            png: png.into(),
            // The wall clock: a picture is of now, whatever `--now` says.
            taken_at: chrono::Utc::now(),
        },
    );
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/screens/{id}/screenshot`: the screen's latest picture, PNG,
/// `Last-Modified` when it came; 404 before the first.
pub async fn get_screenshot(
    State(desk): State<NoticeDesk>,
    peer: Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse as _;
    let op = super::operator(&desk, &headers, ip(&peer)).await?;
    visible(&desk, &op, &id)?;
    let shot = desk.fleet.shot(&id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "no_screenshot",
            "no picture yet: POST to ask the screen for one",
        )
    })?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "image/png".to_string()),
            (axum::http::header::CACHE_CONTROL, "no-store".to_string()),
            (
                axum::http::header::LAST_MODIFIED,
                shot.taken_at
                    .format("%a, %d %b %Y %H:%M:%S GMT")
                    .to_string(),
            ),
        ],
        shot.png,
    )
        .into_response())
}
