//! How fresh every feed is: the static timetables (never stale: valid until
//! replaced) and each configured realtime endpoint (stale once its last message
//! is older than the feed's limit). `/healthz` and every board's `feeds[]` say
//! the same, from here.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::clock::Clock;
use crate::deployment::Deployment;
use crate::realtime::{RealtimeStore, is_stale};

/// Freshness of one upstream feed: `{feed}` for a timetable,
/// `{feed}:{kind}` for a realtime endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedStatus {
    pub id: String,
    /// When its last good data arrived; None when it never did.
    pub last_success: Option<DateTime<Utc>>,
    /// Seconds since it was made (a timetable: since it was loaded).
    pub age_s: Option<i64>,
    pub stale: bool,
    /// When stale: why its last poll failed, if it did.
    pub reason: Option<String>,
}

/// Reads the freshness of every feed of a deployment.
#[derive(Debug, Clone)]
pub struct Freshness {
    pub deployment: Arc<Deployment>,
    pub realtime: RealtimeStore,
    pub clock: Clock,
}

impl Freshness {
    /// Every feed, in configuration order, each timetable followed by its
    /// realtime endpoints.
    pub fn statuses(&self) -> Vec<FeedStatus> {
        let now = self.clock.now();
        let mut out = Vec::new();
        for feed in self.deployment.feeds.iter() {
            out.push(FeedStatus {
                id: feed.id.to_string(),
                last_success: Some(feed.load.loaded_at),
                age_s: Some((now - feed.load.loaded_at).num_seconds().max(0)),
                stale: false,
                reason: None,
            });
            let Some(rt) = &feed.config.realtime else {
                continue;
            };
            let state = self.realtime.get(&feed.id);
            for (kind, _) in rt.endpoints() {
                let ts = state.header_timestamp(kind);
                let stale = is_stale(ts, now, rt.stale_after(kind));
                out.push(FeedStatus {
                    id: format!("{}:{}", feed.id, kind.name()),
                    last_success: state.received_at(kind),
                    age_s: ts.map(|ts| {
                        now.timestamp()
                            .saturating_sub(i64::try_from(ts).unwrap_or(i64::MAX))
                            .max(0)
                    }),
                    stale,
                    reason: state.failures.get(&kind).filter(|_| stale).cloned(),
                });
            }
        }
        out
    }
}
