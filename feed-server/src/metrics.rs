//! Counters for `GET /metrics` (rendered by `http::metrics`), moved by the parts
//! of the server that count things: the accept loop, the request layer, the
//! pollers, the publisher and the stream.
//!
//! A handful of atomics written by hand: the set is small and fixed, and a metrics
//! framework would cost more compile time than it saves.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Metrics {
    pub http_requests: AtomicU64,
    pub boards_built: AtomicU64,
    pub http_errors: AtomicU64,
    pub realtime_accepted: AtomicU64,
    pub realtime_rejected: AtomicU64,
    /// Open stream connections (a gauge).
    pub stream_connections: AtomicU64,
    pub stream_messages: AtomicU64,
    pub stream_bytes: AtomicU64,
    /// Connections refused at accept (over `max_connections_per_ip`).
    pub connections_refused: AtomicU64,
}

impl Metrics {
    pub fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}
