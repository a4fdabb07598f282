//! The HTTP surface: one module per group of routes, each handler taking the
//! sub-state it reads (the routes and their wiring are in `server::routes`).

pub mod api;
pub mod app;
pub mod body;
pub mod console;
pub mod demo;
pub mod edge;
pub mod error;
pub mod facility_exports;
pub mod gtfs_rt;
pub mod lines;
pub mod metrics;
pub mod notices;
pub mod page;
pub mod places;
pub mod portal;
pub mod portal_notice;
pub mod push;
pub mod sensors;
pub mod siri_sx;
pub mod stream;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument as _;

use crate::accept::Remote;
pub use error::ApiError;

static NEXT_REQUEST: AtomicU64 = AtomicU64::new(1);

/// Around every request: a tracing span (request id, method, path, peer) that
/// every line logged while answering carries, the request counters, and a
/// debug line with the status and the time taken.
pub async fn observe(
    State(metrics): State<Arc<crate::metrics::Metrics>>,
    req: Request,
    next: Next,
) -> Response {
    crate::metrics::Metrics::count(&metrics.http_requests);
    let remote = req
        .extensions()
        .get::<Remote>()
        .map(|r| r.0.to_string())
        .unwrap_or_default();
    let span = tracing::info_span!(
        "request",
        id = NEXT_REQUEST.fetch_add(1, Ordering::Relaxed),
        method = %req.method(),
        path = req.uri().path(),
        remote,
    );
    let started = std::time::Instant::now();
    let response = next.run(req).instrument(span.clone()).await;
    let status = response.status();
    if status.is_client_error() || status.is_server_error() {
        crate::metrics::Metrics::count(&metrics.http_errors);
    }
    span.in_scope(|| {
        tracing::debug!(
            status = status.as_u16(),
            elapsed_us = started.elapsed().as_micros() as u64,
            "answered"
        )
    });
    response
}
