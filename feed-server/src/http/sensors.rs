//! Sensors and facilities over HTTP:
//! - `POST /v1/sensors/{integration}`: a network server's webhook (ChirpStack
//!   v4 uplink event, The Things Stack v3 uplink message), with the
//!   integration's bearer token. The uplink's device is a space of a
//!   facility; its state is kept if it is news, and the boards follow at once.
//! - `GET /v1/facilities`, `GET /v1/facilities/{id}`: the facilities' lines
//!   (instants in UTC), and one facility's spaces.
//!
//! Refusals say why and write nothing: 401 without a token or with one no
//! integration holds, 403 with another integration's token, 404 for an
//! unknown integration, 400 for a body that is not an uplink of the
//! integration's network server. A device that is no facility's space, or a
//! frame the model cannot read, is answered 200 with the reason (and logged):
//! network servers switch a webhook off after a run of refusals.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use quai_protocol::{FacilityDetail, Space};
use serde_json::{Value, json};

use super::ApiError;
use crate::config::SensorIntegration;
use crate::facility::{Reported, shown};
use crate::publish::Boards;
use crate::sources::lorawan::{ReadingKind, SensorModel, UplinkError, uplink};
use crate::store::token_hash;

/// Largest webhook body: a LoRaWAN uplink event with its radio metadata is a
/// few KiB; a hundred gateways would still fit.
pub const MAX_BODY: usize = 64 * 1024;

fn refuse(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(status, code, message)
}

/// The integration named in the path, if the request's token is its own. The
/// token is checked first: without a valid one, nothing says which
/// integrations exist.
fn integration<'a>(
    boards: &'a Boards,
    name: &str,
    headers: &HeaderMap,
) -> Result<&'a SensorIntegration, ApiError> {
    let integrations = &boards.deployment.sensor_integrations;
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            refuse(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "send Authorization: Bearer <the integration's token>",
            )
        })?;
    let hash = token_hash(token);
    let holder = integrations
        .iter()
        .find(|i| i.token_sha256 == hash)
        .ok_or_else(|| refuse(StatusCode::UNAUTHORIZED, "unauthorized", "unknown token"))?;
    if holder.id.as_str() == name {
        return Ok(holder);
    }
    if integrations.iter().any(|i| i.id.as_str() == name) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "wrong_integration",
            format!("this token is another integration's, not `{name}`'s"),
        ));
    }
    Err(refuse(
        StatusCode::NOT_FOUND,
        "unknown_integration",
        format!("no [[sensor_integrations]] has the id `{name}`"),
    ))
}

/// A 200 that says why nothing was kept. Network servers switch a webhook off
/// after a run of refusals (The Things Stack does), so what is not an error
/// of the request itself (a device Quai was not told of, a frame it cannot
/// read) is answered so, and logged.
fn ignored(reason: String) -> (StatusCode, Json<Value>) {
    (StatusCode::OK, Json(json!({ "ignored": reason })))
}

/// What the sensor endpoint writes to: the boards, and the store that keeps
/// each space's last report across restarts (when the server has one).
#[derive(Clone)]
pub struct SensorDesk {
    pub boards: Boards,
    pub store: Option<std::sync::Arc<crate::store::Store>>,
}

pub async fn uplink_event(
    State(desk): State<SensorDesk>,
    Path(name): Path<String>,
    headers: HeaderMap,
    request: Body,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let boards = desk.boards;
    let integration = integration(&boards, &name, &headers)?.clone();
    let timeout = boards.deployment.server.body_read_timeout;
    let bytes = super::body::read(request, &headers, MAX_BODY, timeout).await?;
    let up = match uplink::parse(integration.server, &bytes) {
        Ok(up) => up,
        // Joins, acks, status events sent to the same URL: not an error.
        Err(UplinkError::NotAnUplink(what)) => {
            return Ok((
                StatusCode::OK,
                Json(json!({"ignored": format!("not an uplink (no `{what}`)")})),
            ));
        }
        Err(e) => {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "invalid_uplink",
                e.to_string(),
            ));
        }
    };
    let placed = boards.deployment.facilities.iter().find_map(|f| {
        let sensors = f.sensors.as_ref()?;
        let label = sensors.spaces.get(&up.dev_eui)?;
        (sensors.integration == integration.id).then_some((f, sensors.model, label))
    });
    let Some((facility, model, space)) = placed else {
        tracing::info!(integration = %name, device = %up.dev_eui, "uplink of a device that is no facility's space");
        return Ok(ignored(format!(
            "device {} is not a space of a facility of `{name}` (add it to [facilities.sensors] spaces)",
            up.dev_eui
        )));
    };
    // The network server's own decoding when it gives `occupied`, else ours
    // (unless the model is the network server's codec).
    let decoded = up
        .decoded
        .as_ref()
        .and_then(|d| d.get("occupied"))
        .and_then(Value::as_bool);
    let (occupied, restarted) = match (decoded, model) {
        (Some(o), _) => (Some(o), false),
        (None, SensorModel::NetworkServerCodec) => (None, false),
        (None, model) => match model.decode(up.f_port, &up.bytes) {
            Ok(reading) => (reading.occupied, reading.kind == Some(ReadingKind::Startup)),
            Err(e) => {
                tracing::warn!(integration = %name, device = %up.dev_eui, "undecodable uplink: {e}");
                return Ok(ignored(format!("undecodable: {e}")));
            }
        },
    };
    let Some(occupied) = occupied else {
        return Ok(ignored("this frame says nothing of the space".into()));
    };
    // When the network server received it (a retried delivery is not news of
    // now), never later than now.
    let now = boards.clock.now();
    let at = up.received_at.map_or(now, |t| t.min(now));
    match boards
        .facilities
        .report(&facility.id, space, up.f_cnt, restarted, occupied, at)
    {
        Reported::NotNews => Ok(ignored(
            "duplicate or late (frame counter not above the last)".into(),
        )),
        Reported::Kept {
            facility: id,
            space,
        } => {
            // Kept for a restart too; a store that fails is logged (the state
            // in memory is right, and the next frame will try again). The
            // demo's simulated sensors are not stored: their frames are
            // made up, and made again at each start.
            let simulated = integration.simulate_with_token.is_some();
            if let (Some(store), Some(state), false) =
                (desk.store, boards.facilities.space(&id, &space), simulated)
            {
                let (f, s) = (id.to_string(), space.clone());
                let written =
                    tokio::task::spawn_blocking(move || store.space_put(&f, &s, state)).await;
                match written {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => {
                        tracing::error!(facility = %id, %space, "space not stored: {e}")
                    }
                    Err(e) => tracing::error!(facility = %id, %space, "space not stored: {e}"),
                }
            }
            for station in &facility.stations {
                boards.publish(station.as_str());
            }
            Ok((
                StatusCode::ACCEPTED,
                Json(json!({"facility": id.to_string(), "space": space, "occupied": occupied})),
            ))
        }
    }
}

fn utc(t: chrono::DateTime<chrono::Utc>) -> String {
    crate::timetable::gtfs_time::rfc3339(chrono_tz::UTC, t)
}

/// `GET /v1/facilities`: every facility, of the configuration and of the
/// facility sources, instants in UTC.
pub async fn list(State(boards): State<Boards>) -> Json<Vec<quai_protocol::Facility>> {
    let now = boards.clock.now();
    Json(
        shown::every(&boards.deployment, &boards.facilities, now)
            .iter()
            .map(|s| crate::board::wire::facility(&s.line, chrono_tz::UTC))
            .collect(),
    )
}

/// `GET /v1/facilities/{id}`: one facility with its stations, its spaces
/// (sensor-equipped ones) and its place.
pub async fn one(
    State(boards): State<Boards>,
    Path(id): Path<String>,
) -> Result<Json<FacilityDetail>, ApiError> {
    let now = boards.clock.now();
    let shown = shown::one(&boards.deployment, &boards.facilities, &id, now).ok_or_else(|| {
        refuse(
            StatusCode::NOT_FOUND,
            "facility_not_found",
            format!("no facility `{id}`"),
        )
    })?;
    let configured = boards
        .deployment
        .facilities
        .iter()
        .find(|f| f.id.as_str() == id);
    let spaces = configured
        .map(|f| {
            boards
                .facilities
                .spaces(f, now)
                .into_iter()
                .map(|(label, state)| Space {
                    label,
                    occupied: state.map(|s| s.occupied),
                    updated_at: state.map(|s| utc(s.at)),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Json(FacilityDetail {
        facility: crate::board::wire::facility(&shown.line, chrono_tz::UTC),
        stations: shown.stations.iter().map(ToString::to_string).collect(),
        spaces,
        location: shown
            .position
            .map(|(lat, lon)| quai_protocol::Location { lat, lon }),
        source: shown.source.map(|s| s.to_string()),
    }))
}
