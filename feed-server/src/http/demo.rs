//! `/demo/gtfs-rt/{trip-updates,vehicle-positions,alerts}`: the demo's simulated
//! realtime feeds (protobuf), present only when the built-in demo network is loaded.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use prost::Message as _;

use super::ApiError;
use crate::demo_realtime::{self, DemoFeed};
use crate::server::AppState;

fn reply(state: &AppState, which: DemoFeed) -> Response {
    match demo_realtime::message(state, which) {
        Some(message) => (
            [(header::CONTENT_TYPE, "application/x-protobuf")],
            message.encode_to_vec(),
        )
            .into_response(),
        None => ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "the demo realtime feeds exist only with the built-in demo network",
        )
        .into_response(),
    }
}

pub async fn trip_updates(State(state): State<Arc<AppState>>) -> Response {
    reply(&state, DemoFeed::TripUpdates)
}

pub async fn vehicle_positions(State(state): State<Arc<AppState>>) -> Response {
    reply(&state, DemoFeed::VehiclePositions)
}

pub async fn alerts(State(state): State<Arc<AppState>>) -> Response {
    reply(&state, DemoFeed::Alerts)
}

/// `/demo/cap/heatwave`: the demo's CAP weather warning.
pub async fn heatwave(State(state): State<Arc<AppState>>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/cap+xml; charset=utf-8")],
        crate::demo_weather::heatwave(&state),
    )
        .into_response()
}
