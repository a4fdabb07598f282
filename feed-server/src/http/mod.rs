//! The HTTP surface: one module per group of routes.

pub mod api;
pub mod demo;
pub mod error;
pub mod stream;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;

use crate::metrics::Metrics;
use crate::server::AppState;
pub use error::ApiError;

/// All routes of the server.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(api::metrics))
        .route("/v1/stations", get(api::stations))
        .route("/v1/stations/{id}/board", get(api::board))
        .route("/v1/stream", get(stream::upgrade))
        .route("/demo/gtfs-rt/trip-updates", get(demo::trip_updates))
        .route(
            "/demo/gtfs-rt/vehicle-positions",
            get(demo::vehicle_positions),
        )
        .route("/demo/gtfs-rt/alerts", get(demo::alerts))
        .route("/demo/cap/heatwave", get(demo::heatwave))
        .fallback(api::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            count_requests,
        ))
        .with_state(state)
}

async fn count_requests(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    Metrics::count(&state.metrics.http_requests);
    let response = next.run(req).await;
    if response.status().is_client_error() || response.status().is_server_error() {
        Metrics::count(&state.metrics.http_errors);
    }
    response
}
