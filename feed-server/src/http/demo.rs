//! `/demo/gtfs-rt/{trip-updates,vehicle-positions,alerts}`: the demo's simulated
//! realtime feeds (protobuf), present only when the built-in demo network is loaded.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use prost::Message as _;

use super::ApiError;
use crate::clock::Clock;
use crate::demo::realtime::{self, DemoFeed};
use crate::deployment::Deployment;

/// What the demo simulators read: the network and the clock.
#[derive(Debug, Clone)]
pub struct Demo {
    pub deployment: Arc<Deployment>,
    pub clock: Clock,
}

fn reply(demo: &Demo, which: DemoFeed) -> Response {
    match realtime::message(&demo.deployment, demo.clock.now(), which) {
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

pub async fn trip_updates(State(demo): State<Demo>) -> Response {
    reply(&demo, DemoFeed::TripUpdates)
}

pub async fn vehicle_positions(State(demo): State<Demo>) -> Response {
    reply(&demo, DemoFeed::VehiclePositions)
}

pub async fn alerts(State(demo): State<Demo>) -> Response {
    reply(&demo, DemoFeed::Alerts)
}

/// `/demo/siri/estimated-timetable` and `/demo/siri/situation-exchange`: the
/// demo's SIRI Lite deliveries (XML).
pub async fn siri_estimated_timetable(State(demo): State<Demo>) -> Response {
    siri(crate::demo::siri::estimated_timetable(
        &demo.deployment,
        demo.clock.now(),
    ))
}

pub async fn siri_situation_exchange(State(demo): State<Demo>) -> Response {
    siri(crate::demo::siri::situation_exchange(
        &demo.deployment,
        demo.clock.now(),
    ))
}

fn siri(root: Option<crate::sources::xml::Element>) -> Response {
    match root {
        Some(root) => (
            [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
            crate::http::siri_sx::render::xml(&root),
        )
            .into_response(),
        None => ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "the demo SIRI feeds exist only with the built-in demo network",
        )
        .into_response(),
    }
}

/// `/demo/cap/heatwave`: the demo's CAP weather warning.
pub async fn heatwave(State(demo): State<Demo>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/cap+xml; charset=utf-8")],
        crate::demo::weather::heatwave(demo.clock.now()),
    )
        .into_response()
}
