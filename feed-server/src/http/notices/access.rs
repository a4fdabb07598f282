//! Who may write notices, and how often: the operator behind a bearer token,
//! a budget of failed token checks per address (so that tokens cannot be
//! guessed at thousands a second), and the write rate per operator.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode, header};

use super::{NoticeDesk, store_error};
use crate::http::ApiError;
use crate::store::Operator;

const MINUTE: Duration = Duration::from_secs(60);

/// Addresses followed at most, for the failure budget: past that, the oldest
/// are forgotten (an attacker with that many addresses is a different fight).
const MAX_ADDRESSES: usize = 10_000;

/// Recent events per key in a one-minute window: writes per operator, failed
/// token checks per address.
#[derive(Debug)]
pub struct PerMinute<K> {
    events: Mutex<HashMap<K, VecDeque<Instant>>>,
}

impl<K> Default for PerMinute<K> {
    fn default() -> Self {
        PerMinute {
            events: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: std::hash::Hash + Eq + Clone> PerMinute<K> {
    /// How long `key` must wait before its next event when it had `max` in
    /// the last minute; None when it may go on.
    fn wait(&self, key: &K, max: usize) -> Option<Duration> {
        let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        let recent = events.get_mut(key)?;
        let now = Instant::now();
        while recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= MINUTE)
        {
            recent.pop_front();
        }
        let oldest = *recent.front()?;
        (recent.len() >= max).then(|| MINUTE.saturating_sub(now.duration_since(oldest)))
    }

    fn record(&self, key: &K) {
        let mut events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        if events.len() >= MAX_ADDRESSES && !events.contains_key(key) {
            let now = Instant::now();
            events.retain(|_, r| r.back().is_some_and(|t| now.duration_since(*t) < MINUTE));
            if events.len() >= MAX_ADDRESSES {
                events.clear();
            }
        }
        events
            .entry(key.clone())
            .or_default()
            .push_back(Instant::now());
    }

    /// Records an event of `key`, or says how long to wait.
    pub(crate) fn check(&self, key: &K, max: usize) -> Result<(), Duration> {
        if let Some(wait) = self.wait(key, max) {
            return Err(wait);
        }
        self.record(key);
        Ok(())
    }
}

/// Notice writes per operator.
pub type WriteLimiter = PerMinute<String>;
/// Failed token checks per address.
pub type AuthFailures = PerMinute<IpAddr>;
/// Push subscription writes per address.
pub type PushWrites = PerMinute<IpAddr>;

fn too_many(code: &'static str, message: String, wait: Duration) -> ApiError {
    let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, code, message);
    e.retry_after = Some(wait.as_secs().max(1));
    e
}

/// The operator behind the request's bearer token. Failed checks count
/// against `peer`'s budget; past it, tokens from there are not even looked up
/// until the minute passes.
pub(super) async fn operator(
    desk: &NoticeDesk,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
) -> Result<Operator, ApiError> {
    let unauthorized =
        |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", m.to_string());
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(token)
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            unauthorized("send Authorization: Bearer <token> (feed-server operator add prints one)")
        })?
        .to_string();
    let budget = desk.boards.deployment.auth_failures_per_minute;
    if let Some(ip) = peer
        && let Some(wait) = desk.auth_failures.wait(&ip, budget)
    {
        return Err(too_many(
            "too_many_failures",
            format!("more than {budget} wrong tokens from this address in a minute"),
            wait,
        ));
    }
    let found = super::shared(desk)?
        .operator_by_token(token)
        .await
        .map_err(store_error)?;
    match found {
        Some(op) => Ok(op),
        None => {
            if let Some(ip) = peer {
                desk.auth_failures.record(&ip);
            }
            Err(unauthorized("unknown or revoked token"))
        }
    }
}

/// Counts a write of `op` on this node, or refuses it past `[notices]
/// writes_per_minute`.
pub(super) fn limit(desk: &NoticeDesk, op: &Operator) -> Result<(), ApiError> {
    let per_minute = desk.boards.deployment.notice_writes_per_minute;
    desk.limiter.check(&op.name, per_minute).map_err(|wait| {
        too_many(
            "rate_limited",
            format!("at most {per_minute} writes per minute"),
            wait,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_counts_the_last_minute() {
        let budget: PerMinute<&str> = PerMinute::default();
        assert!(budget.check(&"a", 2).is_ok());
        assert!(budget.check(&"a", 2).is_ok());
        let wait = budget.check(&"a", 2).unwrap_err();
        assert!(wait > Duration::from_secs(58) && wait <= MINUTE, "{wait:?}");
        assert!(budget.check(&"b", 2).is_ok(), "another key has its own");
    }
}
