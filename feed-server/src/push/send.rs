//! The sender: drains the outbox. Each push is encrypted for its browser
//! (RFC 8291, `aes128gcm`, with the `web-push-native` crate), signed for the
//! push service (RFC 8292 VAPID) and POSTed to the subscription's endpoint
//! (RFC 8030), eight at a time. The push service's answer decides:
//! - 2xx: sent, out of the outbox;
//! - 404 or 410: the browser unsubscribed: the subscription is deleted;
//! - 429 or 5xx, or no answer: tried again later (after `Retry-After`, or
//!   10 s doubling to an hour), until its TTL has passed;
//! - any other status (400, 413…): the push will never go; dropped, logged.
//!
//! At most `[push] max_per_hour` notice pushes reach one subscription per
//! hour; a push beyond waits its turn (a newer push of the same subject
//! replaces it meanwhile, see the store's outbox). A followed trip's pushes
//! (cancelled, platform, delay) are not held back: they are time-critical
//! and come at most once per change of one trip. A push whose lifetime
//! (TTL) has passed is dropped unsent; one sent late carries the time it
//! has left.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::StreamExt as _;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use web_push_native::p256;

use super::vapid::Vapid;
use crate::config::PushSettings;
use crate::store::push::Waiting;

/// Pushes in flight at once.
const IN_FLIGHT: usize = 8;
/// Pushes read from the outbox at once.
const BATCH: usize = 64;
/// The longest wait between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// What came of one push.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Sent,
    /// The subscription is gone (404/410).
    Gone,
    /// Never deliverable; why.
    Dropped(String),
    /// Try again, after this long (None: the backoff decides).
    Later(Option<Duration>, String),
}

/// Counts, for `/metrics`.
#[derive(Debug, Default)]
pub struct PushCounters {
    pub sent: std::sync::atomic::AtomicU64,
    pub gone: std::sync::atomic::AtomicU64,
    pub dropped: std::sync::atomic::AtomicU64,
    pub retried: std::sync::atomic::AtomicU64,
}

pub struct Sender {
    pub settings: PushSettings,
    /// The time zone of the quiet hours, and the server's clock: whether a
    /// push is silent is decided when it goes (one held back by the hourly
    /// limit may go out after the quiet hours began, or ended).
    pub timezone: chrono_tz::Tz,
    pub clock: crate::clock::Clock,
    pub store: super::PushStore,
    /// Whether this node sends now (see `Watcher::turn`).
    pub turn: super::Turn,
    pub vapid: Arc<Vapid>,
    pub client: reqwest::Client,
    pub wake: Arc<Notify>,
    pub counters: Arc<PushCounters>,
    /// When each subscription was last pushed to, this past hour.
    pub recent: HashMap<String, VecDeque<Instant>>,
}

/// Seconds `w` has left to live at `now` (0: too late to send).
fn ttl_left(w: &Waiting, now: chrono::DateTime<chrono::Utc>) -> u32 {
    chrono::DateTime::parse_from_rfc3339(&w.created_at)
        .map(|c| {
            let end = c.with_timezone(&chrono::Utc) + chrono::Duration::seconds(i64::from(w.ttl_s));
            (end - now).num_seconds().clamp(0, i64::from(w.ttl_s)) as u32
        })
        .unwrap_or(w.ttl_s)
}

/// A Web Push request for `w` with `ttl_s` left: its body encrypted for
/// the browser's keys.
pub fn request(
    client: &reqwest::Client,
    vapid: &Vapid,
    w: &Waiting,
    ttl_s: u32,
) -> Result<reqwest::RequestBuilder, String> {
    let endpoint = reqwest::Url::parse(&w.to.endpoint).map_err(|e| format!("endpoint: {e}"))?;
    let origin = endpoint.origin().ascii_serialization();
    let public = URL_SAFE_NO_PAD
        .decode(w.to.p256dh.trim_end_matches('='))
        .ok()
        .and_then(|k| p256::PublicKey::from_sec1_bytes(&k).ok())
        .ok_or("p256dh is not a P-256 public key")?;
    let auth = URL_SAFE_NO_PAD
        .decode(w.to.auth.trim_end_matches('='))
        .ok()
        .filter(|a| a.len() == 16)
        .ok_or("auth is not 16 bytes")?;
    let auth = web_push_native::Auth::clone_from_slice(&auth);
    let body = web_push_native::encrypt(w.payload.clone().into_bytes(), &public, &auth)
        .map_err(|e| format!("encryption: {e}"))?;
    let authorization = vapid
        .authorization(&origin, chrono::Utc::now().timestamp())
        .map_err(|e| e.to_string())?;
    // RFC 8030 Topic: a newer push of the subject replaces one the push
    // service still holds (32 characters of the base64url alphabet).
    let topic: String = ring::digest::digest(&ring::digest::SHA256, w.tag.as_bytes())
        .as_ref()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(client
        .post(endpoint)
        .header("TTL", ttl_s.to_string())
        .header("Urgency", w.urgency.as_str())
        .header("Topic", topic)
        .header("Content-Encoding", "aes128gcm")
        .header("Content-Type", "application/octet-stream")
        .header("Authorization", authorization)
        .body(body))
}

/// `payload` (a PushMessage) with `silent` as the quiet hours say now;
/// unchanged when it is not one.
pub fn with_silence(payload: &str, silent: bool) -> String {
    match serde_json::from_str::<quai_protocol::PushMessage>(payload) {
        Ok(mut m) if m.silent != silent => {
            m.silent = silent;
            serde_json::to_string(&m).unwrap_or_else(|_| payload.to_string())
        }
        _ => payload.to_string(),
    }
}

/// What the push service's answer means.
pub fn outcome(status: u16, retry_after: Option<&str>) -> Outcome {
    match status {
        200..=299 => Outcome::Sent,
        404 | 410 => Outcome::Gone,
        429 | 500..=599 => Outcome::Later(
            retry_after
                .and_then(|s| s.trim().parse::<u64>().ok())
                .map(|s| Duration::from_secs(s).min(MAX_BACKOFF)),
            format!("push service answered {status}"),
        ),
        _ => Outcome::Dropped(format!("push service answered {status}")),
    }
}

async fn send(client: reqwest::Client, vapid: Arc<Vapid>, w: Waiting) -> (Waiting, Outcome) {
    let ttl = ttl_left(&w, chrono::Utc::now());
    if ttl == 0 {
        return (
            w,
            Outcome::Dropped("its TTL passed before it could go".into()),
        );
    }
    let req = match request(&client, &vapid, &w, ttl) {
        Ok(r) => r,
        Err(e) => return (w, Outcome::Dropped(e)),
    };
    let outcome = match req.send().await {
        Ok(r) => outcome(
            r.status().as_u16(),
            r.headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()),
        ),
        Err(e) => Outcome::Later(None, crate::sources::http::describe(&e)),
    };
    (w, outcome)
}

/// Whether `subscription` may get one more push now (at most `max` an
/// hour, by the times in `recent`); else how long until it may.
fn turn(
    recent: &mut HashMap<String, VecDeque<Instant>>,
    max: u32,
    subscription: &str,
) -> Result<(), Duration> {
    let hour = Duration::from_secs(3600);
    // Subscriptions not pushed to this past hour are forgotten.
    recent.retain(|_, times| times.back().is_some_and(|t| t.elapsed() < hour));
    let times = recent.entry(subscription.to_string()).or_default();
    while times.front().is_some_and(|t| t.elapsed() >= hour) {
        times.pop_front();
    }
    if times.len() >= max as usize {
        let oldest = times.front().map_or(Duration::ZERO, |t| t.elapsed());
        return Err(hour.saturating_sub(oldest) + Duration::from_secs(1));
    }
    times.push_back(Instant::now());
    Ok(())
}

impl Sender {
    /// Sends what is due, once (blocking store calls on the blocking pool).
    pub async fn drain(&mut self) {
        let store = self.store.clone();
        let due = tokio::task::spawn_blocking(move || store.push_due(chrono::Utc::now(), BATCH))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()));
        let due = match due {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!("push outbox: {e}");
                return;
            }
        };
        let mut go = Vec::new();
        let mut later = Vec::new();
        let local = self.clock.now().with_timezone(&self.timezone);
        let quiet = {
            use chrono::Timelike as _;
            self.settings
                .quiet_hours
                .is_some_and(|q| q.contains(local.hour() * 60 + local.minute()))
        };
        for mut w in due {
            w.payload = with_silence(&w.payload, quiet);
            if w.tag.starts_with("trip:") {
                go.push(w);
                continue;
            }
            match turn(&mut self.recent, self.settings.max_per_hour, &w.to.id) {
                Ok(()) => go.push(w),
                Err(wait) => later.push((w, Outcome::Later(Some(wait), "hourly limit".into()))),
            }
        }
        let sent: Vec<(Waiting, Outcome)> = futures_util::stream::iter(go)
            .map(|w| send(self.client.clone(), self.vapid.clone(), w))
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
        let store = self.store.clone();
        let counters = self.counters.clone();
        // Each outcome on its own: one that cannot be written must not leave
        // pushes already delivered in the outbox, to go again.
        let applied = tokio::task::spawn_blocking(move || {
            for (w, outcome) in sent.into_iter().chain(later) {
                if let Err(e) = apply(&store, &counters, &w, outcome) {
                    tracing::warn!(subscription = %w.to.id, "push outbox: {e}");
                }
            }
        })
        .await;
        if let Err(e) = applied {
            tracing::error!("push outbox: {e}");
        }
    }

    /// Drains the outbox when woken, and every second (retries fall due),
    /// until `cancel`.
    pub async fn run(mut self, cancel: CancellationToken) {
        loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            if self.turn.now() {
                self.drain().await;
            }
        }
    }
}

fn apply(
    store: &super::PushStore,
    counters: &PushCounters,
    w: &Waiting,
    outcome: Outcome,
) -> Result<(), crate::store::StoreError> {
    use std::sync::atomic::Ordering::Relaxed;
    let span = tracing::info_span!("push", subscription = %w.to.id, tag = %w.tag);
    let _enter = span.enter();
    match outcome {
        Outcome::Sent => {
            counters.sent.fetch_add(1, Relaxed);
            tracing::debug!("push sent");
            store.push_sent(w.row)
        }
        Outcome::Gone => {
            counters.gone.fetch_add(1, Relaxed);
            tracing::info!("push subscription gone (404/410): deleted");
            store.push_unsubscribe(&w.to.id).map(|_| ())
        }
        Outcome::Dropped(why) => {
            counters.dropped.fetch_add(1, Relaxed);
            tracing::warn!("push dropped: {why}");
            store.push_sent(w.row)
        }
        Outcome::Later(wait, why) => {
            let attempts = w.attempts + u32::from(why != "hourly limit");
            let backoff = Duration::from_secs(10)
                .saturating_mul(1 << attempts.min(12))
                .min(MAX_BACKOFF);
            let wait = wait.unwrap_or(backoff);
            let next = chrono::Utc::now() + wait;
            let expires = chrono::DateTime::parse_from_rfc3339(&w.created_at)
                .map(|c| {
                    c.with_timezone(&chrono::Utc) + chrono::Duration::seconds(i64::from(w.ttl_s))
                })
                .unwrap_or(next);
            if next > expires {
                counters.dropped.fetch_add(1, Relaxed);
                tracing::warn!("push dropped: {why}, and its TTL has passed");
                return store.push_sent(w.row);
            }
            counters.retried.fetch_add(1, Relaxed);
            tracing::info!(wait_s = wait.as_secs(), "push later: {why}");
            store.push_later(w.row, attempts, next)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subscription_gets_at_most_its_hourly_pushes() {
        let mut recent = HashMap::new();
        for _ in 0..3 {
            assert_eq!(turn(&mut recent, 3, "s-1"), Ok(()));
        }
        let wait = turn(&mut recent, 3, "s-1").unwrap_err();
        assert!(
            wait > Duration::from_secs(3500) && wait <= Duration::from_secs(3601),
            "{wait:?}"
        );
        assert_eq!(
            turn(&mut recent, 3, "s-2"),
            Ok(()),
            "another subscription has its own"
        );
    }

    #[test]
    fn silence_is_decided_when_a_push_goes() {
        let m = quai_protocol::PushMessage {
            title: "Ligne 4".into(),
            body: "Perturbation : …".into(),
            url: "/app?line=demo:CA2C:4".into(),
            tag: "notice:n-1".into(),
            lang: "fr".into(),
            silent: false,
        };
        let payload = serde_json::to_string(&m).unwrap();
        let quiet: quai_protocol::PushMessage =
            serde_json::from_str(&with_silence(&payload, true)).unwrap();
        assert!(quiet.silent);
        assert_eq!(quiet.body, m.body);
        assert_eq!(with_silence(&payload, false), payload);
        assert_eq!(with_silence("not json", true), "not json");
    }

    #[test]
    fn a_late_push_carries_the_time_it_has_left() {
        let w = Waiting {
            row: 1,
            to: crate::store::push::Recipient {
                id: "s-1".into(),
                endpoint: "https://fcm.googleapis.com/x".into(),
                p256dh: String::new(),
                auth: String::new(),
                lang: "fr".into(),
            },
            tag: "trip:x".into(),
            payload: "{}".into(),
            urgency: "high".into(),
            ttl_s: 1800,
            attempts: 0,
            created_at: "2026-07-01T05:00:00.000Z".into(),
        };
        let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().to_utc();
        assert_eq!(ttl_left(&w, at("2026-07-01T05:00:00Z")), 1800);
        assert_eq!(ttl_left(&w, at("2026-07-01T05:20:00Z")), 600);
        assert_eq!(ttl_left(&w, at("2026-07-01T06:00:00Z")), 0);
    }

    #[test]
    fn the_push_service_answer_decides() {
        assert_eq!(outcome(201, None), Outcome::Sent);
        assert_eq!(outcome(410, None), Outcome::Gone);
        assert_eq!(outcome(404, None), Outcome::Gone);
        assert_eq!(
            outcome(429, Some("120")),
            Outcome::Later(
                Some(Duration::from_secs(120)),
                "push service answered 429".into()
            )
        );
        assert!(matches!(outcome(503, None), Outcome::Later(None, _)));
        assert!(matches!(outcome(413, None), Outcome::Dropped(_)));
    }
}
