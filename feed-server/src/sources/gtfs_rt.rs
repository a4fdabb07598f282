//! GTFS-Realtime polling: one task per feed and kind (trip updates, vehicle
//! positions, alerts).
//!
//! Each poll is a conditional GET (`If-None-Match` / `If-Modified-Since`, so an
//! unchanged feed costs a 304), with a timeout and a body cap. A body that does not
//! decode, or whose header timestamp is older than the last accepted one, is
//! rejected and logged: the last good state stays. Errors back off exponentially with
//! jitter, up to `max_backoff_s`; `Retry-After` on 429/503 is honoured.

use std::hash::{BuildHasher as _, RandomState};
use std::sync::Arc;
use std::time::Duration;

use prost::Message as _;
use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER};
use tokio_util::sync::CancellationToken;

use super::http;
use crate::config::RealtimeConfig;
use crate::metrics::Metrics;
use crate::realtime::{Accepted, Alerts, Kind, TripUpdates, Vehicles};
use crate::server::AppState;

/// Longest `Retry-After` we wait for.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Why a poll brought nothing new.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error("request failed: {0}")]
    Transport(String),
    #[error("HTTP {status}")]
    Status {
        status: StatusCode,
        retry_after: Option<Duration>,
    },
    #[error("body {0}")]
    Body(#[from] http::BodyError),
    #[error("not a GTFS-Realtime FeedMessage: {0}")]
    Decode(String),
    #[error("header timestamp {got} is older than the last accepted {last}; kept the last one")]
    Backwards { got: u64, last: u64 },
}

/// What a successful poll did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polled {
    Accepted,
    /// 304, or the same header timestamp as the state we hold.
    Unchanged,
}

/// Conditional-request validators of the last accepted response.
#[derive(Debug, Default, Clone)]
struct Validators {
    etag: Option<String>,
    last_modified: Option<String>,
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
    let client = match http::client(rt.timeout) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(feed = %config.id, kind = kind.name(), "no HTTP client: {e}");
            return;
        }
    };
    let mut validators = Validators::default();
    let mut failures = 0u32;
    loop {
        let wait = match poll_once(&state, feed, kind, &client, &url, &rt, &mut validators).await {
            Ok(outcome) => {
                if failures > 0 {
                    tracing::info!(feed = %config.id, kind = kind.name(), "realtime feed recovered");
                }
                failures = 0;
                if outcome == Polled::Accepted {
                    Metrics::count(&state.metrics.realtime_accepted);
                }
                rt.poll
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                Metrics::count(&state.metrics.realtime_rejected);
                let retry_after = match &e {
                    PollError::Status { retry_after, .. } => *retry_after,
                    _ => None,
                };
                let wait =
                    backoff(rt.poll, rt.max_backoff, failures).max(retry_after.unwrap_or_default());
                tracing::warn!(
                    feed = %config.id,
                    kind = kind.name(),
                    %url,
                    failures,
                    retry_in_ms = wait.as_millis() as u64,
                    "realtime poll failed: {e}"
                );
                wait
            }
        };
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(wait) => {}
        }
    }
}

async fn poll_once(
    state: &AppState,
    feed: usize,
    kind: Kind,
    client: &reqwest::Client,
    url: &str,
    rt: &RealtimeConfig,
    validators: &mut Validators,
) -> Result<Polled, PollError> {
    let mut request = client.get(url);
    if !rt.query.is_empty() {
        request = request.query(&rt.query);
    }
    for (name, value) in &rt.headers {
        request = request.header(name, value);
    }
    if let Some(etag) = &validators.etag {
        request = request.header(IF_NONE_MATCH, etag);
    }
    if let Some(lm) = &validators.last_modified {
        request = request.header(IF_MODIFIED_SINCE, lm);
    }
    let response = request
        .send()
        .await
        .map_err(|e| PollError::Transport(http::describe(&e)))?;
    let status = response.status();
    if status == StatusCode::NOT_MODIFIED {
        return Ok(Polled::Unchanged);
    }
    if !status.is_success() {
        let retry_after = if status == StatusCode::TOO_MANY_REQUESTS
            || status == StatusCode::SERVICE_UNAVAILABLE
        {
            response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, chrono::Utc::now()))
        } else {
            None
        };
        return Err(PollError::Status {
            status,
            retry_after,
        });
    }
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    let next = Validators {
        etag: header(ETAG),
        last_modified: header(LAST_MODIFIED),
    };
    let body = http::read_capped(response, rt.max_bytes).await?;
    let outcome = ingest(state, feed, kind, &body)?;
    *validators = next;
    Ok(outcome)
}

/// Decodes a body and, if it is newer than what we hold, indexes and stores it.
pub fn ingest(state: &AppState, feed: usize, kind: Kind, body: &[u8]) -> Result<Polled, PollError> {
    let message =
        gtfs_realtime::FeedMessage::decode(body).map_err(|e| PollError::Decode(e.to_string()))?;
    let now = state.clock.now();
    // A message without a timestamp is dated by its arrival.
    let ts = message
        .header
        .timestamp
        .unwrap_or_else(|| now.timestamp().max(0) as u64);
    let config = &state.deployment.config.feeds[feed];
    if let Some(last) = state.realtime.get(&config.id).header_timestamp(kind) {
        if ts < last {
            return Err(PollError::Backwards { got: ts, last });
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
            let data = Alerts::from_message(&message, lang);
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

/// `poll * 2^(failures-1)`, at most `max`, times a random factor in [0.5, 1) so that
/// many screens' servers do not retry in step.
pub fn backoff(poll: Duration, max: Duration, failures: u32) -> Duration {
    let exp = poll.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    let capped = exp.min(max.max(poll));
    let random = RandomState::new().hash_one(failures) as f64 / u64::MAX as f64;
    capped.mul_f64(0.5 + 0.5 * random)
}

/// `Retry-After`: delay-seconds or an HTTP date; at most an hour.
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    let wait = if let Ok(secs) = value.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
        (at.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or_default()
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_with_jitter_and_a_cap() {
        let poll = Duration::from_secs(30);
        let max = Duration::from_secs(300);
        for _ in 0..50 {
            let first = backoff(poll, max, 1);
            assert!(
                first >= Duration::from_secs(15) && first < poll,
                "{first:?}"
            );
            let third = backoff(poll, max, 3);
            assert!(third >= Duration::from_secs(60) && third < Duration::from_secs(120));
            let many = backoff(poll, max, 40);
            assert!(many >= Duration::from_secs(150) && many < max, "{many:?}");
        }
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = chrono::DateTime::parse_from_rfc3339("2025-02-03T07:30:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Mon, 03 Feb 2025 07:31:30 GMT", now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(parse_retry_after("999999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
