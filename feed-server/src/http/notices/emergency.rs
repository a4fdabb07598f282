//! Emergency takeovers and spoken announcements, for operators:
//! `POST /v1/emergencies`, `GET /v1/emergencies`, `DELETE /v1/emergencies/{id}`
//! (the `emergency` permission), and `POST /v1/stations/{id}/announce` (a
//! scope covering the station).
//!
//! A takeover is acknowledged (201) once it is committed with its audit entry;
//! the boards are republished at once, so every screen of its stations shows
//! it within the second.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use quai_protocol::{EmergencyInput, ServerMessage, StoredEmergency};

use super::access::{limit, operator};
use super::{NoticeDesk, Peer, ip, read_json, shared};
use crate::emergency::validate;
use crate::http::ApiError;
use crate::hub::now_micros;
use crate::id::StationId;
use crate::notice::Scope;
use crate::store::Operator;

/// Refuses an operator without the `emergency` permission.
fn may_take_over(op: &Operator) -> Result<(), ApiError> {
    if op.emergency {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "no_emergency_permission",
        "this operator may not start or end emergency takeovers (feed-server operator add NAME --emergency)",
    ))
}

pub async fn start(
    State(desk): State<NoticeDesk>,
    peer: Peer,
    headers: HeaderMap,
    request: Body,
) -> Result<(StatusCode, Json<StoredEmergency>), ApiError> {
    let op = operator(&desk, &headers, ip(&peer)).await?;
    may_take_over(&op)?;
    let value = read_json(&desk, &headers, request).await?;
    let input: EmergencyInput = serde_json::from_value(value).map_err(|e| {
        let mut err = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_emergency",
            "the takeover does not have the expected fields",
        );
        err.fields.insert("body".into(), e.to_string());
        err
    })?;
    let fields = validate(&input, &desk.boards.deployment, desk.boards.clock.now());
    if !fields.is_empty() {
        let mut err = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_emergency",
            "some fields are not valid",
        );
        err.fields = fields;
        return Err(err);
    }
    // Not counted against `[notices] writes_per_minute`: a takeover must never
    // wait for a notice budget (only operators given the permission get here).
    let started = shared(&desk)?
        .emergency_insert(input, op.name.clone())
        .await?;
    tracing::warn!(id = %started.id, operator = %op.name, "emergency takeover started");
    desk.boards
        .emergencies
        .replace(started.clone(), desk.boards.clock.now());
    desk.boards.publish_all();
    Ok((StatusCode::CREATED, Json(started)))
}

/// The takeovers running now.
pub async fn list(
    State(desk): State<NoticeDesk>,
    peer: Peer,
    headers: HeaderMap,
) -> Result<Json<Vec<StoredEmergency>>, ApiError> {
    operator(&desk, &headers, ip(&peer)).await?;
    let now = desk.boards.clock.now();
    Ok(Json(
        desk.boards
            .emergencies
            .all()
            .iter()
            .filter(|e| e.running_at(now))
            .map(|e| e.stored.clone())
            .collect(),
    ))
}

pub async fn end(
    State(desk): State<NoticeDesk>,
    peer: Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<StoredEmergency>, ApiError> {
    let op = operator(&desk, &headers, ip(&peer)).await?;
    may_take_over(&op)?;
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "emergency_not_found",
            format!("no running takeover `{id}`"),
        )
    };
    // One that ended by itself at its end is not running either.
    let now = desk.boards.clock.now();
    let running = desk
        .boards
        .emergencies
        .all()
        .iter()
        .any(|e| e.stored.id == id && e.running_at(now));
    if !running {
        return Err(not_found());
    }
    let ended = shared(&desk)?
        .emergency_end(id.clone(), op.name.clone())
        .await?
        .ok_or_else(not_found)?;
    tracing::warn!(id = %ended.id, operator = %op.name, "emergency takeover ended");
    desk.boards
        .emergencies
        .replace(ended.clone(), desk.boards.clock.now());
    desk.boards.publish_all();
    Ok(Json(ended))
}

/// What `announce` answers: how many screens were asked.
#[derive(Debug, serde::Serialize)]
pub struct Announced {
    pub station: String,
    /// Stream connections subscribed to the station that the request reached.
    pub screens: usize,
}

/// Asks every screen of the station to read its board aloud now.
pub async fn announce(
    State(desk): State<NoticeDesk>,
    peer: Peer,
    headers: HeaderMap,
    Path(station): Path<String>,
) -> Result<(StatusCode, Json<Announced>), ApiError> {
    let op = operator(&desk, &headers, ip(&peer)).await?;
    let unknown = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "station_not_found",
            format!("no station `{station}`"),
        )
    };
    let id: StationId = station.parse().map_err(|_| unknown())?;
    if desk.boards.deployment.station(id.as_str()).is_none() {
        return Err(unknown());
    }
    let covers = op
        .scopes
        .iter()
        .any(|s| matches!(s, Scope::All) || matches!(s, Scope::Station(s) if *s == id));
    if !covers {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "out_of_scope",
            "announcing needs a scope of station:ID or *",
        ));
    }
    limit(&desk, &op)?;
    let message = ServerMessage::Announce {
        station: id.to_string(),
        server_time: now_micros(),
    };
    let screens = desk.boards.hub.send_now(&id, message).unwrap_or(0);
    tracing::info!(station = %id, operator = %op.name, screens, "announcement asked");
    Ok((
        StatusCode::ACCEPTED,
        Json(Announced {
            station: id.to_string(),
            screens,
        }),
    ))
}
