//! Polling an upstream over HTTP, shared by every periodic source (GTFS-Realtime,
//! weather alerts).
//!
//! Each poll is a conditional GET (`If-None-Match` / `If-Modified-Since` from the
//! last accepted response, so an unchanged upstream costs a 304), with a timeout and
//! a body cap. After a failure the next poll waits `every × 2^(n−1)` (at most
//! `max_backoff`) times a random factor in [0.5, 1), so that many servers do not
//! retry in step; `Retry-After` on 429/503 is honoured (at most an hour).

use std::collections::BTreeMap;
use std::hash::{BuildHasher as _, RandomState};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, RETRY_AFTER};
use tokio_util::sync::CancellationToken;

use super::http;
use crate::config::Redirects;

/// Longest `Retry-After` we wait for.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Why a fetch brought nothing.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("request failed: {0}")]
    Transport(String),
    #[error("HTTP {status}")]
    Status {
        status: StatusCode,
        retry_after: Option<Duration>,
    },
    #[error("body {0}")]
    Body(#[from] http::BodyError),
}

impl FetchError {
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Conditional-request validators of a response.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Validators {
    etag: Option<String>,
    last_modified: Option<String>,
}

/// A new body, with the validators to keep once it has been accepted.
pub struct Fetched {
    pub body: Vec<u8>,
    pub validators: Validators,
}

/// What a polled upstream is and how to ask it.
pub struct Upstream {
    pub url: String,
    pub timeout: Duration,
    pub max_bytes: u64,
    /// Extra request headers and query parameters (API keys...): never logged.
    pub headers: BTreeMap<String, String>,
    pub query: BTreeMap<String, String>,
    pub redirects: Redirects,
}

/// One upstream URL polled with conditional requests.
pub struct ConditionalGet {
    client: reqwest::Client,
    pub url: String,
    headers: BTreeMap<String, String>,
    query: BTreeMap<String, String>,
    max_bytes: u64,
    validators: Validators,
    /// A body to POST instead of a GET (a SIRI `ServiceRequest`).
    post: Option<Vec<u8>>,
}

impl ConditionalGet {
    /// POST `body` (XML) on the following fetches instead of a GET; None: GET.
    pub fn set_post(&mut self, body: Option<Vec<u8>>) {
        self.post = body;
    }

    pub fn new(upstream: Upstream) -> Result<ConditionalGet, reqwest::Error> {
        Ok(ConditionalGet {
            client: http::upstream_client(upstream.timeout, &upstream.url, upstream.redirects)?,
            url: upstream.url,
            headers: upstream.headers,
            query: upstream.query,
            max_bytes: upstream.max_bytes,
            validators: Validators::default(),
            post: None,
        })
    }

    /// GETs the URL; `Ok(None)` when the upstream answers 304 Not Modified.
    pub async fn fetch(&self) -> Result<Option<Fetched>, FetchError> {
        self.fetch_url(&self.url, true)
            .await
            .map_err(|e| self.redacted(e))
    }

    /// GETs another URL of the same origin with the same client, headers and caps
    /// (no validators): the documents an index links to. A link to another
    /// origin is not followed.
    pub async fn fetch_other(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        let same_origin = reqwest::Url::parse(url)
            .ok()
            .zip(reqwest::Url::parse(&self.url).ok())
            .is_some_and(|(a, b)| a.origin() == b.origin());
        if !same_origin {
            return Err(FetchError::Transport(
                "a link to another origin than the index's is not followed".into(),
            ));
        }
        match self
            .fetch_url(url, false)
            .await
            .map_err(|e| self.redacted(e))?
        {
            Some(f) => Ok(f.body),
            None => Ok(Vec::new()),
        }
    }

    /// The error with every configured header and query value hidden.
    fn redacted(&self, e: FetchError) -> FetchError {
        let secrets: Vec<String> = self
            .headers
            .values()
            .chain(self.query.values())
            .cloned()
            .collect();
        match e {
            FetchError::Transport(t) => FetchError::Transport(http::redact(&t, &secrets)),
            FetchError::Body(http::BodyError::Transport(t)) => {
                FetchError::Body(http::BodyError::Transport(http::redact(&t, &secrets)))
            }
            other => other,
        }
    }

    async fn fetch_url(&self, url: &str, conditional: bool) -> Result<Option<Fetched>, FetchError> {
        let mut request = match &self.post {
            Some(body) => self
                .client
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=utf-8")
                .body(body.clone()),
            None => self.client.get(url),
        };
        if !self.query.is_empty() {
            request = request.query(&self.query);
        }
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        if conditional {
            if let Some(etag) = &self.validators.etag {
                request = request.header(IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &self.validators.last_modified {
                request = request.header(IF_MODIFIED_SINCE, lm);
            }
        }
        let response = request
            .send()
            .await
            .map_err(|e| FetchError::Transport(http::describe(&e)))?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED && conditional {
            return Ok(None);
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
            return Err(FetchError::Status {
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
        let validators = Validators {
            etag: header(ETAG),
            last_modified: header(LAST_MODIFIED),
        };
        let body = http::read_capped(response, self.max_bytes).await?;
        Ok(Some(Fetched { body, validators }))
    }

    /// Keeps the validators of a body that was accepted, so that the next poll can
    /// be answered 304. Rejected bodies are asked for again in full.
    pub fn accept(&mut self, validators: Validators) {
        self.validators = validators;
    }
}

/// How often to poll.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub every: Duration,
    pub max_backoff: Duration,
}

/// Why one poll failed, and how long the upstream asked us to wait.
pub struct Failure {
    pub reason: String,
    pub retry_after: Option<Duration>,
}

impl Failure {
    /// A failed fetch, with the wait the upstream asked for.
    pub fn from_fetch(e: FetchError) -> Failure {
        Failure {
            retry_after: e.retry_after(),
            reason: e.to_string(),
        }
    }
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure {
            reason: e.to_string(),
            retry_after: None,
        }
    }
}

/// Something polled on a schedule.
pub trait Poll {
    /// One poll: fetch, check, ingest.
    fn poll_once(&mut self) -> impl std::future::Future<Output = Result<(), Failure>> + Send;
}

/// Polls `source` at `schedule` until `cancel` fires, backing off after failures.
/// `label` names the upstream in logs.
pub async fn run(
    label: &str,
    schedule: Schedule,
    cancel: CancellationToken,
    source: &mut impl Poll,
) {
    let mut failures = 0u32;
    loop {
        let wait = match source.poll_once().await {
            Ok(()) => {
                if failures > 0 {
                    tracing::info!(upstream = label, "upstream recovered");
                }
                failures = 0;
                schedule.every
            }
            Err(f) => {
                failures = failures.saturating_add(1);
                let wait = backoff(schedule.every, schedule.max_backoff, failures)
                    .max(f.retry_after.unwrap_or_default());
                tracing::warn!(
                    upstream = label,
                    failures,
                    retry_in_ms = wait.as_millis() as u64,
                    "poll failed: {}",
                    f.reason
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

/// `every * 2^(failures-1)`, at most `max`, times a random factor in [0.5, 1).
pub fn backoff(every: Duration, max: Duration, failures: u32) -> Duration {
    let exp = every.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    let capped = exp.min(max.max(every));
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
        let every = Duration::from_secs(30);
        let max = Duration::from_secs(300);
        for _ in 0..50 {
            let first = backoff(every, max, 1);
            assert!(
                first >= Duration::from_secs(15) && first < every,
                "{first:?}"
            );
            let third = backoff(every, max, 3);
            assert!(third >= Duration::from_secs(60) && third < Duration::from_secs(120));
            let many = backoff(every, max, 40);
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
