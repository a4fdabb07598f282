//! GTFS-Realtime polling: one task per feed and kind (trip updates, vehicle
//! positions, alerts), through [`super::poll`] (conditional GET, body cap, backoff,
//! Retry-After). A body that does not decode, or whose header timestamp is older
//! than the last accepted one, is rejected and logged: the last good state stays.

use std::sync::Arc;

use prost::Message as _;
use tokio_util::sync::CancellationToken;

use super::poll::{self, ConditionalGet, Failure, Poll, Schedule};
use crate::metrics::Metrics;
use crate::realtime::{Accepted, Alerts, Kind, TripUpdates, Vehicles};
use crate::server::AppState;

/// Why a body was refused.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("not a GTFS-Realtime FeedMessage: {0}")]
    Decode(String),
    #[error("header timestamp {got} is older than the last accepted {last}; kept the last one")]
    Backwards { got: u64, last: u64 },
    #[error(
        "header timestamp {got} is {ahead_s} s in the future (clock skew or milliseconds?); refused"
    )]
    Future { got: u64, ahead_s: i64 },
}

/// What an accepted body did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polled {
    Accepted,
    /// The same header timestamp as the state we hold.
    Unchanged,
}

/// Polls `url` for `kind` of feed number `feed` until `cancel` fires.
pub async fn run(
    state: Arc<AppState>,
    feed: usize,
    kind: Kind,
    url: String,
    cancel: CancellationToken,
) {
    let config = &state.deployment.config.feeds[feed];
    let Some(rt) = config.realtime.clone() else {
        return;
    };
    let get = match ConditionalGet::new(
        url,
        rt.timeout,
        rt.max_bytes,
        rt.headers.clone(),
        rt.query.clone(),
    ) {
        Ok(g) => g,
        Err(e) => {
            tracing::error!(feed = %config.id, kind = kind.name(), "no HTTP client: {e}");
            return;
        }
    };
    let label = format!("{}:{} {}", config.id, kind.name(), get.url);
    let schedule = Schedule {
        every: rt.poll,
        max_backoff: rt.max_backoff,
    };
    let mut poller = Poller {
        state: state.clone(),
        feed,
        kind,
        get,
    };
    poll::run(&label, schedule, cancel, &mut poller).await;
}

struct Poller {
    state: Arc<AppState>,
    feed: usize,
    kind: Kind,
    get: ConditionalGet,
}

impl Poll for Poller {
    async fn poll_once(&mut self) -> Result<(), Failure> {
        let outcome = self.fetch_and_ingest().await;
        if outcome.is_err() {
            Metrics::count(&self.state.metrics.realtime_rejected);
        }
        outcome
    }
}

impl Poller {
    async fn fetch_and_ingest(&mut self) -> Result<(), Failure> {
        let fetched = self.get.fetch().await.map_err(|e| Failure {
            reason: e.to_string(),
            retry_after: e.retry_after(),
        })?;
        let Some(fetched) = fetched else {
            return Ok(());
        };
        let polled = ingest(&self.state, self.feed, self.kind, &fetched.body)?;
        self.get.accept(fetched.validators);
        if polled == Polled::Accepted {
            Metrics::count(&self.state.metrics.realtime_accepted);
        }
        Ok(())
    }
}

/// Decodes a body and, if it is newer than what we hold, indexes and stores it.
pub fn ingest(
    state: &AppState,
    feed: usize,
    kind: Kind,
    body: &[u8],
) -> Result<Polled, IngestError> {
    let message =
        gtfs_realtime::FeedMessage::decode(body).map_err(|e| IngestError::Decode(e.to_string()))?;
    let now = state.clock.now();
    // A message without a timestamp is dated by its arrival.
    let ts = message
        .header
        .timestamp
        .unwrap_or_else(|| now.timestamp().max(0) as u64);
    // A message from the future would block every later one (they would all look
    // older) and never turn stale: refuse it.
    let ahead_s = i64::try_from(ts)
        .unwrap_or(i64::MAX)
        .saturating_sub(now.timestamp());
    if ahead_s > 300 {
        return Err(IngestError::Future { got: ts, ahead_s });
    }
    let config = &state.deployment.config.feeds[feed];
    if let Some(last) = state.realtime.get(&config.id).header_timestamp(kind) {
        if ts < last {
            return Err(IngestError::Backwards { got: ts, last });
        }
        if ts == last {
            return Ok(Polled::Unchanged);
        }
    }
    let timetable = &state.deployment.timetable.feeds[feed];
    match kind {
        Kind::TripUpdates => {
            let data = TripUpdates::from_message(&message, |t| timetable.trip_index(t).is_some());
            state
                .realtime
                .put_trip_updates(&config.id, accepted(data, ts, now));
        }
        Kind::VehiclePositions => {
            let data = Vehicles::from_message(&message);
            state
                .realtime
                .put_vehicles(&config.id, accepted(data, ts, now));
        }
        Kind::Alerts => {
            let lang = timetable.lang.as_deref().unwrap_or("und");
            let mut data = Alerts::from_message(&message, lang);
            if let Some(previous) = state.realtime.get(&config.id).alerts {
                data.keep_unchanged_times(&previous.data);
            }
            state
                .realtime
                .put_alerts(&config.id, accepted(data, ts, now));
        }
    }
    tracing::debug!(feed = %config.id, kind = kind.name(), header_timestamp = ts, "accepted");
    Ok(Polled::Accepted)
}

fn accepted<T>(data: T, ts: u64, now: chrono::DateTime<chrono::Utc>) -> Accepted<T> {
    Accepted {
        data: Arc::new(data),
        header_timestamp: ts,
        received_at: now,
    }
}
