//! `feed-server check`, realtime part: one fetch of each realtime endpoint,
//! read exactly as the server reads it, so that a technician learns before
//! going live whether its updates attach to the timetable (another operator's
//! trip ids, a holiday with weekday trips...), not only whether it answers.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::config::{EndpointUrl, Kind};
use crate::deployment::Deployment;
use crate::realtime::ingest::Limits;
use crate::realtime::{RealtimeStore, ingest};
use crate::sources::poll::{ConditionalGet, Upstream};

/// A line (or a few) per realtime endpoint of every feed.
pub async fn summary(d: &Deployment, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    for feed in d.feeds.iter() {
        let Some(rt) = &feed.config.realtime else {
            continue;
        };
        for (kind, endpoint) in rt.endpoints() {
            let label = format!("realtime {}:{}", feed.id, kind.name());
            let url = match endpoint {
                EndpointUrl::Http(url) => url.to_string(),
                EndpointUrl::SelfPath(path) => {
                    let _ = writeln!(
                        out,
                        "{label}: self:{path} is served by this server once it runs (the demo); not fetched"
                    );
                    continue;
                }
            };
            let get = ConditionalGet::new(Upstream {
                url,
                timeout: rt.timeout,
                max_bytes: rt.max_bytes,
                headers: rt.headers.clone(),
                query: rt.query.clone(),
                redirects: rt.redirects,
            });
            let fetched = match get {
                Ok(get) => get.fetch().await,
                Err(e) => {
                    let _ = writeln!(out, "{label}: no HTTP client: {e}");
                    continue;
                }
            };
            let body = match fetched {
                Ok(Some(f)) => f.body,
                Ok(None) => {
                    let _ = writeln!(out, "{label}: not modified (304) on a first request");
                    continue;
                }
                Err(e) => {
                    let _ = writeln!(out, "{label}: FAILED: {e}");
                    continue;
                }
            };
            let store = RealtimeStore::default();
            let limits = Limits {
                max_entities: rt.max_entities,
                delay_bounds: rt.delay_bounds,
            };
            if let Err(e) = ingest(&store, &feed.id, &feed.timetable, kind, &body, limits, now) {
                let _ = writeln!(out, "{label}: REFUSED: {e}");
                continue;
            }
            let state = store.get(&feed.id);
            let line = match kind {
                Kind::TripUpdates => state.trip_updates.map(|t| {
                    let a = &t.data.attachment;
                    let mut line = a.summary();
                    let _ = write!(
                        line,
                        "; stop updates: {} dropped (unknown stop), {} read by stop_id; {} implausible times dropped; {} trips whose own predictions decrease",
                        a.unknown_stop, a.stop_corrected, a.implausible, a.decreasing
                    );
                    if a.percent().is_some_and(|p| p < rt.min_attached_percent) {
                        line.push_str(&format!(
                            "\n  warning: under {} % attach (feeds.realtime.min_attached_percent): are these the timetable's trip ids, and is today in its service days?",
                            rt.min_attached_percent
                        ));
                    }
                    line
                }),
                Kind::VehiclePositions => state.vehicles.map(|v| {
                    format!(
                        "{} vehicle positions, {} on trips of the timetable",
                        v.data.entity_count,
                        v.data.entities.len()
                    )
                }),
                Kind::Alerts => state
                    .alerts
                    .map(|a| format!("{} alerts", a.data.alerts.len())),
                Kind::Siri(_) => None,
            };
            let _ = writeln!(out, "{label}: {}", line.unwrap_or_default());
        }
    }
    out
}
