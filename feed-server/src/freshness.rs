//! How fresh every feed is: the static timetables (never stale: valid until
//! replaced) and each configured realtime endpoint (stale once its last message
//! is older than the feed's limit). `/healthz` and every board's `feeds[]` say
//! the same, from here.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::clock::Clock;
use crate::deployment::Deployment;
use crate::realtime::{Attachment, Kind, RealtimeStore, is_stale};

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
    /// When stale: why its last poll failed, if it did; when degraded: why.
    pub reason: Option<String>,
    /// Fresh, but not doing its job: too few of its trip updates attach to a
    /// running trip (`min_attached_percent`).
    pub degraded: bool,
    /// For trip updates: what the last accepted message attached to.
    pub attachment: Option<Attachment>,
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
                degraded: false,
                attachment: None,
            });
            let state = self.realtime.get(&feed.id);
            let gtfs_rt = feed.config.realtime.iter().flat_map(|rt| rt.endpoints());
            for (kind, _) in gtfs_rt {
                let Some(rt) = &feed.config.realtime else {
                    break;
                };
                let attachment = state
                    .trip_updates
                    .as_ref()
                    .filter(|_| kind == Kind::TripUpdates)
                    .map(|t| t.data.attachment.clone());
                out.push(status(
                    &feed.id,
                    kind,
                    &state,
                    now,
                    rt.stale_after(kind),
                    attachment,
                    rt.min_attached_percent,
                    "feeds.realtime.min_attached_percent",
                ));
            }
            if let Some(siri) = &feed.config.siri {
                for (service, _) in siri.endpoints() {
                    let kind = Kind::Siri(service);
                    let attachment = state
                        .siri_journeys
                        .get(&service)
                        .map(|t| t.data.attachment.clone());
                    out.push(status(
                        &feed.id,
                        kind,
                        &state,
                        now,
                        siri.stale_after(service),
                        attachment,
                        siri.min_attached_percent,
                        "feeds.siri.min_attached_percent",
                    ));
                }
            }
        }
        out
    }
}

/// The freshness of one realtime endpoint of `feed`.
#[allow(clippy::too_many_arguments)]
fn status(
    feed: &crate::id::FeedId,
    kind: Kind,
    state: &crate::realtime::FeedRealtime,
    now: DateTime<Utc>,
    stale_after: std::time::Duration,
    attachment: Option<Attachment>,
    min_attached_percent: u32,
    setting: &str,
) -> FeedStatus {
    let ts = state.header_timestamp(kind);
    let stale = is_stale(ts, now, stale_after);
    let low = attachment
        .as_ref()
        .filter(|a| a.percent().is_some_and(|p| p < min_attached_percent));
    let degraded = !stale && low.is_some();
    let reason = match low {
        Some(a) if !stale => Some(format!(
            "only {} % attach ({setting} {min_attached_percent}): {}",
            a.percent().unwrap_or(0),
            a.summary()
        )),
        _ => state.failures.get(&kind).filter(|_| stale).cloned(),
    };
    FeedStatus {
        id: format!("{feed}:{}", kind.name()),
        last_success: state.received_at(kind),
        age_s: ts.map(|ts| {
            now.timestamp()
                .saturating_sub(i64::try_from(ts).unwrap_or(i64::MAX))
                .max(0)
        }),
        stale,
        reason,
        degraded,
        attachment,
    }
}
