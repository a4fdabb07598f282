//! GTFS-Realtime polling: one task per feed and kind (trip updates, vehicle
//! positions, alerts), through [`super::poll`] (conditional GET, body cap, backoff,
//! Retry-After). Each body goes to [`crate::realtime::ingest`]; one that does not
//! decode, or whose header timestamp is older than the last accepted one, is
//! rejected and logged: the last good state stays.
//!
//! A poller holds only what it needs: the realtime store it writes to, its
//! feed's timetable (to match trips), the clock and the two counters it moves.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::poll::{self, ConditionalGet, Failure, Poll, Schedule, Upstream};
use crate::clock::Clock;
use crate::config::RealtimeConfig;
use crate::id::FeedId;
use crate::metrics::Metrics;
use crate::realtime::ingest::Limits;
use crate::realtime::{Kind, Polled, RealtimeStore, ingest};
use crate::timetable::FeedTimetable;

/// What one realtime poller writes to and reads.
pub struct Target {
    pub feed: FeedId,
    pub kind: Kind,
    /// What one message may hold and say.
    pub limits: Limits,
    pub timetable: Arc<FeedTimetable>,
    pub store: RealtimeStore,
    pub clock: Clock,
    pub metrics: Arc<Metrics>,
}

/// Polls `url` for `target` with the feed's settings until `cancel` fires.
pub async fn run(target: Target, config: RealtimeConfig, url: String, cancel: CancellationToken) {
    let get = match ConditionalGet::new(Upstream {
        url,
        timeout: config.timeout,
        max_bytes: config.max_bytes,
        headers: config.headers,
        query: config.query,
        redirects: config.redirects,
    }) {
        Ok(g) => g,
        Err(e) => {
            tracing::error!(feed = %target.feed, kind = target.kind.name(), "no HTTP client: {e}");
            return;
        }
    };
    let label = format!("{}:{} {}", target.feed, target.kind.name(), get.url);
    let schedule = Schedule {
        every: config.poll,
        max_backoff: config.max_backoff,
    };
    let mut poller = Poller { target, get };
    poll::run(&label, schedule, cancel, &mut poller).await;
}

struct Poller {
    target: Target,
    get: ConditionalGet,
}

impl Poll for Poller {
    async fn poll_once(&mut self) -> Result<(), Failure> {
        let outcome = self.fetch_and_ingest().await;
        let t = &self.target;
        match &outcome {
            Ok(()) => t.store.recovered(&t.feed, t.kind),
            Err(f) => {
                Metrics::count(&t.metrics.realtime_rejected);
                t.store.fail(&t.feed, t.kind, f.reason.clone());
            }
        }
        outcome
    }
}

impl Poller {
    async fn fetch_and_ingest(&mut self) -> Result<(), Failure> {
        let Some(fetched) = self.get.fetch().await.map_err(Failure::from_fetch)? else {
            return Ok(());
        };
        let t = &self.target;
        let polled = ingest(
            &t.store,
            &t.feed,
            &t.timetable,
            t.kind,
            &fetched.body,
            t.limits,
            t.clock.now(),
        )?;
        self.get.accept(fetched.validators);
        if polled == Polled::Accepted {
            Metrics::count(&t.metrics.realtime_accepted);
        }
        Ok(())
    }
}
