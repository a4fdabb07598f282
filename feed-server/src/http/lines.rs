//! Lines and trips over REST, for the kiosk and the passenger app:
//! - `GET /v1/stations/{id}/routes`: the lines leaving from a station;
//! - `GET /v1/routes/{id}`: a line (`{feed}:{route_id}`), its stops per
//!   direction and its notices ([`crate::line`]);
//! - `GET /v1/routes/{id}/departures?station=…`: its next departures from a
//!   station, as the station's board has them;
//! - `GET /v1/trips/{id}`: one run of a trip by any departure id of a board,
//!   its calls with scheduled and expected times ([`crate::trip`]).
//!
//! Refusals say why: 400 for an id that is not one, 404 for a line, trip or
//! station that does not exist, or a trip that does not run that day.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use quai_protocol as wire;

use super::ApiError;
use crate::board::DepartureId;
use crate::line::{self, LineError};
use crate::publish::Boards;
use crate::trip::TripError;

fn line_error(e: LineError) -> ApiError {
    match e {
        LineError::NotALineId(_) => {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_route_id", e.to_string())
        }
        LineError::UnknownFeed(_) | LineError::UnknownRoute { .. } => {
            ApiError::new(StatusCode::NOT_FOUND, "route_not_found", e.to_string())
        }
    }
}

/// `GET /v1/routes/{id}`.
pub async fn route(
    State(boards): State<Boards>,
    Path(id): Path<String>,
) -> Result<Json<wire::RouteDetail>, ApiError> {
    boards
        .trip_views()
        .with_inputs(|calls, notices, now| line::detail(calls, notices, &id, now))
        .map(Json)
        .map_err(line_error)
}

/// Most departures of one line from a station in one answer.
const MAX_LINE_DEPARTURES: usize = 60;

/// `GET /v1/routes/{id}/departures?station=…&limit=…`: the line's next
/// departures from the station within the board's horizon, by the boards'
/// rules (not cut by the board's own `max_limit`: a minor line at a busy hub
/// is still there).
pub async fn route_departures(
    State(boards): State<Boards>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<wire::RouteDepartures>, ApiError> {
    let d = &boards.deployment;
    let mut fields = BTreeMap::new();
    let station_id = query.get("station").filter(|s| !s.is_empty());
    if station_id.is_none() {
        fields.insert(
            "station".to_string(),
            "required: the station the departures leave from (GET /v1/stations lists them)"
                .to_string(),
        );
    }
    let limit = match query.get("limit").map(|l| l.parse::<usize>()) {
        None => 10,
        Some(Ok(n)) if (1..=MAX_LINE_DEPARTURES).contains(&n) => n,
        Some(_) => {
            fields.insert(
                "limit".to_string(),
                format!("must be a whole number from 1 to {MAX_LINE_DEPARTURES}"),
            );
            0
        }
    };
    let Some(station_id) = station_id.filter(|_| fields.is_empty()) else {
        return Err(ApiError::invalid_query(fields));
    };
    let (fi, feed, ri) = line::find(&d.feeds, &id).map_err(line_error)?;
    let route_id = feed.routes[ri].id.clone();
    let station = d.station(station_id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "station_not_found",
            format!("no station has the id `{station_id}`; GET /v1/stations lists them"),
        )
    })?;
    // The station's published board: its seq is the version these come from.
    let seq = boards.publish(station_id).map_or(0, |p| p.wire.seq);
    let board = boards.board_now(station, limit, Some((fi, route_id.as_str())));
    let wire = board.to_wire(seq);
    Ok(Json(wire::RouteDepartures {
        route: id,
        station: wire.station,
        seq,
        generated_at: wire.generated_at,
        departures: wire.departures,
    }))
}

/// `GET /v1/stations/{id}/routes`: the lines leaving from the station, by
/// the timetable, in the order of their short names (numbers by value).
pub async fn station_routes(
    State(boards): State<Boards>,
    Path(id): Path<String>,
) -> Result<Json<wire::StationRoutes>, ApiError> {
    let d = &boards.deployment;
    let station = d.station(&id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "station_not_found",
            format!("no station has the id `{id}`; GET /v1/stations lists them"),
        )
    })?;
    let mut routes: Vec<wire::StationRoute> = station
        .leaving_routes
        .iter()
        .map(|&(fi, ri)| {
            let feed = &d.feeds[fi];
            let route = &feed.timetable.routes[ri];
            wire::StationRoute {
                id: format!("{}:{}", feed.id, route.id),
                mode: route.mode,
                route: crate::board::route_ref(route),
            }
        })
        .collect();
    routes.sort_by_cached_key(|r| {
        let name = r.route.short_name.clone().unwrap_or_default();
        let number: String = name.chars().take_while(char::is_ascii_digit).collect();
        (
            number.parse::<u64>().unwrap_or(u64::MAX),
            name,
            r.id.clone(),
        )
    });
    Ok(Json(wire::StationRoutes {
        station: wire::StationRef {
            id: station.id.to_string(),
            name: station.name.clone(),
            timezone: station.timezone.name().to_string(),
        },
        routes,
    }))
}

/// `GET /v1/trips/{id}`.
pub async fn trip(
    State(boards): State<Boards>,
    Path(id): Path<String>,
) -> Result<Json<wire::Trip>, ApiError> {
    let departure: DepartureId =
        id.parse()
            .map_err(|e: crate::board::departure_id::NotADepartureId| {
                ApiError::new(StatusCode::BAD_REQUEST, "invalid_trip_id", e.to_string())
            })?;
    boards
        .trip_views()
        .view(&departure)
        .map(Json)
        .map_err(|e| match e {
            TripError::NotRunning { .. } => {
                ApiError::new(StatusCode::NOT_FOUND, "trip_not_running", e.to_string())
            }
            _ => ApiError::new(StatusCode::NOT_FOUND, "trip_not_found", e.to_string()),
        })
}
