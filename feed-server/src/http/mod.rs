//! The HTTP surface: one module per group of routes.

pub mod api;
pub mod console;
pub mod demo;
pub mod error;
pub mod gtfs_rt;
pub mod notices;
pub mod page;
pub mod portal;
pub mod stream;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
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
        .route("/v1/notices", get(notices::list).post(notices::create))
        .route(
            "/v1/notices/{id}",
            get(notices::get_one)
                .patch(notices::patch)
                .delete(notices::end),
        )
        .route("/captive-portal/api", get(portal::api))
        .route("/portal", get(portal::page))
        .route("/portal.js", get(portal::script))
        .route("/portal.css", get(portal::style))
        .route("/console", get(console::page))
        .route("/console.js", get(console::script))
        .route("/console.css", get(console::style))
        .merge(
            Router::new()
                .route("/gtfs-rt/trip-updates", get(gtfs_rt::trip_updates))
                .route(
                    "/gtfs-rt/vehicle-positions",
                    get(gtfs_rt::vehicle_positions),
                )
                .route("/gtfs-rt/alerts", get(gtfs_rt::alerts))
                .layer(tower_http::compression::CompressionLayer::new()),
        )
        .route("/demo/gtfs-rt/trip-updates", get(demo::trip_updates))
        .route(
            "/demo/gtfs-rt/vehicle-positions",
            get(demo::vehicle_positions),
        )
        .route("/demo/gtfs-rt/alerts", get(demo::alerts))
        .route("/demo/cap/heatwave", get(demo::heatwave))
        .fallback(api::not_found)
        // Bodies over 64 KiB get our JSON 413 (notices::MAX_BODY); this outer limit
        // only stops much larger ones before they are read.
        .layer(DefaultBodyLimit::max(16 * notices::MAX_BODY))
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
