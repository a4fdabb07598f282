//! Counters for `GET /metrics`, in the Prometheus text format.
//!
//! A handful of atomics written by hand: the set is small and fixed, and a metrics
//! framework would cost more compile time than it saves.

use std::fmt::Write as _;
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

    /// Renders the counters plus the per-feed gauges and the hub's figures.
    pub fn render(&self, feeds: &[(String, u64, i64)], hub: &crate::hub::Hub) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, value: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        };
        counter(
            "quai_http_requests_total",
            "HTTP requests received.",
            self.http_requests.load(Ordering::Relaxed),
        );
        counter(
            "quai_http_errors_total",
            "HTTP requests answered with an error status.",
            self.http_errors.load(Ordering::Relaxed),
        );
        counter(
            "quai_connections_refused_total",
            "Connections refused because their address had too many open.",
            self.connections_refused.load(Ordering::Relaxed),
        );
        counter(
            "quai_realtime_accepted_total",
            "GTFS-Realtime messages accepted.",
            self.realtime_accepted.load(Ordering::Relaxed),
        );
        counter(
            "quai_realtime_failed_polls_total",
            "GTFS-Realtime polls that failed or were rejected (last good state kept).",
            self.realtime_rejected.load(Ordering::Relaxed),
        );
        counter(
            "quai_boards_built_total",
            "Station boards computed.",
            self.boards_built.load(Ordering::Relaxed),
        );
        let c = &hub.counters;
        counter(
            "quai_stream_messages_sent_total",
            "Stream messages written to clients.",
            self.stream_messages.load(Ordering::Relaxed),
        );
        counter(
            "quai_stream_bytes_sent_total",
            "Bytes of stream messages written to clients.",
            self.stream_bytes.load(Ordering::Relaxed),
        );
        counter(
            "quai_stream_boards_published_total",
            "Board changes published (deltas).",
            c.published.load(Ordering::Relaxed),
        );
        counter(
            "quai_stream_dropped_slow_total",
            "Stream clients dropped as too slow (queue full or write timed out).",
            c.dropped_slow.load(Ordering::Relaxed),
        );
        counter(
            "quai_stream_replay_hits_total",
            "Subscriptions with since served from the replay log.",
            c.replay_hits.load(Ordering::Relaxed),
        );
        counter(
            "quai_stream_replay_misses_total",
            "Subscriptions with since answered with a snapshot.",
            c.replay_misses.load(Ordering::Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP quai_stream_connections Open stream connections.\n# TYPE quai_stream_connections gauge\nquai_stream_connections {}",
            self.stream_connections.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP quai_stream_subscriptions Stream subscriptions per station.\n# TYPE quai_stream_subscriptions gauge"
        );
        for (station, n) in hub.subscriber_counts() {
            let _ = writeln!(
                out,
                "quai_stream_subscriptions{{station=\"{station}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP quai_feed_stop_times Stop times loaded per feed.\n# TYPE quai_feed_stop_times gauge"
        );
        for (id, stop_times, _) in feeds {
            let _ = writeln!(out, "quai_feed_stop_times{{feed=\"{id}\"}} {stop_times}");
        }
        let _ = writeln!(
            out,
            "# HELP quai_feed_age_seconds Seconds since the feed was last loaded.\n# TYPE quai_feed_age_seconds gauge"
        );
        for (id, _, age) in feeds {
            let _ = writeln!(out, "quai_feed_age_seconds{{feed=\"{id}\"}} {age}");
        }
        out
    }
}
