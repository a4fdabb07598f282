//! Web Push subscriptions over REST, for the passenger app (docs/app.md):
//! - `GET /v1/push/key`: the server's VAPID public key;
//! - `POST /v1/push/subscriptions`: a browser's subscription and the whole
//!   set of lines, stops and trips it follows (sent again, it replaces the
//!   set and renews the subscription);
//! - `GET` / `DELETE /v1/push/subscriptions/{id}`.
//!
//! A subscription's endpoint must be on a known push service (`[push]
//! endpoints`): the server POSTs there. 503 when push is off.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use quai_protocol::{Follow, PushKey, PushSubscriptionInput};

use super::ApiError;
use crate::board::DepartureId;
use crate::publish::Boards;
use crate::push::Push;

/// Most things one subscription follows.
pub const MAX_FOLLOWS: usize = 20;
/// Subscription writes (POST, DELETE) one address may make per minute: a
/// phone makes one a day; a station's Wi-Fi shows each phone's own address.
pub const WRITES_PER_MINUTE: usize = 30;
const MAX_BODY: usize = 8 * 1024;
const MAX_ENDPOINT: usize = 2048;

/// What the push routes read.
#[derive(Clone)]
pub struct PushDesk {
    pub push: Option<Push>,
    pub boards: Boards,
    pub writes: std::sync::Arc<super::notices::PushWrites>,
}

type Peer = Option<axum::Extension<crate::accept::Remote>>;

/// One more write from `peer`, or 429.
fn counted(desk: &PushDesk, peer: &Peer) -> Result<(), ApiError> {
    let Some(ip) = peer.as_ref().map(|p| p.0.0.ip()) else {
        return Ok(());
    };
    desk.writes.check(&ip, WRITES_PER_MINUTE).map_err(|wait| {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_writes",
            format!("at most {WRITES_PER_MINUTE} subscription changes a minute from one address"),
        );
        e.retry_after = Some(wait.as_secs().max(1));
        e
    })
}

fn off() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "push_off",
        "push alerts are off on this server (no [push] contact, or no data dir)",
    )
}

fn push(desk: &PushDesk) -> Result<&Push, ApiError> {
    desk.push.as_ref().ok_or_else(off)
}

/// `GET /v1/push/key`.
pub async fn key(State(desk): State<PushDesk>) -> Result<Json<PushKey>, ApiError> {
    Ok(Json(PushKey {
        public_key: push(&desk)?.vapid.public_key().to_string(),
    }))
}

/// Every reason `input` cannot be kept, by field; and the trips to leave
/// out (gone by, or no longer in the timetable: an app renewing yesterday's
/// trip is not refused for it, it is told what is kept).
fn check(
    desk: &PushDesk,
    push: &Push,
    input: &PushSubscriptionInput,
) -> (BTreeMap<String, String>, Vec<usize>) {
    let mut bad = BTreeMap::new();
    let mut gone = Vec::new();
    let s = &input.subscription;
    match reqwest::Url::parse(&s.endpoint) {
        Ok(url) if s.endpoint.len() <= MAX_ENDPOINT => {
            let host = url.host_str().unwrap_or_default();
            if !push.settings.allows(url.scheme(), host) {
                bad.insert(
                    "subscription.endpoint".into(),
                    format!("`{host}` is not a push service this server sends to"),
                );
            }
        }
        _ => {
            bad.insert(
                "subscription.endpoint".into(),
                format!("an https URL of at most {MAX_ENDPOINT} characters"),
            );
        }
    }
    let decoded = |k: &str| URL_SAFE_NO_PAD.decode(k.trim_end_matches('=')).ok();
    let p256dh_ok = decoded(&s.keys.p256dh)
        .is_some_and(|k| web_push_native::p256::PublicKey::from_sec1_bytes(&k).is_ok());
    if !p256dh_ok {
        bad.insert(
            "subscription.keys.p256dh".into(),
            "a P-256 public key, base64url".into(),
        );
    }
    if decoded(&s.keys.auth).is_none_or(|a| a.len() != 16) {
        bad.insert(
            "subscription.keys.auth".into(),
            "16 bytes, base64url".into(),
        );
    }
    if !["fr", "en"].contains(&input.lang.as_str()) {
        bad.insert("lang".into(), "fr or en".into());
    }
    if input.follows.is_empty() || input.follows.len() > MAX_FOLLOWS {
        bad.insert(
            "follows".into(),
            format!("from 1 to {MAX_FOLLOWS} lines, stops or trips"),
        );
    }
    let feeds = &desk.boards.deployment.feeds;
    for (i, f) in input.follows.iter().enumerate() {
        let problem = match f {
            Follow::Route { route_id } => crate::line::find(feeds, route_id)
                .err()
                .map(|e| e.to_string()),
            Follow::Stop { stop_id } => {
                let known = stop_id.split_once(':').is_some_and(|(feed, stop)| {
                    feeds
                        .find(feed)
                        .is_some_and(|(_, f)| f.timetable.stop_index(stop).is_some())
                });
                (!known).then(|| format!("no stop `{stop_id}`"))
            }
            Follow::Trip { departure_id } => match departure_id.parse::<DepartureId>() {
                Err(e) => Some(e.to_string()),
                Ok(_) => {
                    let stops = &desk.boards.stop_stations;
                    let now = desk.boards.trip_views().with_inputs(|calls, notices, now| {
                        crate::push::follow::subject(calls, notices, stops, f, now)
                    });
                    if !now.is_ok_and(|s| s.trip.is_some_and(|t| !t.over)) {
                        gone.push(i);
                    }
                    None
                }
            },
        };
        if let Some(p) = problem {
            bad.insert(format!("follows[{i}]"), p);
        }
    }
    (bad, gone)
}

/// `POST /v1/push/subscriptions`.
pub async fn subscribe(
    State(desk): State<PushDesk>,
    peer: Peer,
    headers: HeaderMap,
    request: Body,
) -> Result<Response, ApiError> {
    let push = push(&desk)?.clone();
    counted(&desk, &peer)?;
    let timeout = desk.boards.deployment.server.body_read_timeout;
    let bytes = super::body::read(request, &headers, MAX_BODY, timeout).await?;
    let mut input: PushSubscriptionInput = serde_json::from_slice(&bytes).map_err(|e| {
        let mut err = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_subscription",
            "the subscription does not have the expected fields",
        );
        err.fields.insert("body".into(), e.to_string());
        err
    })?;
    let (fields, gone) = check(&desk, &push, &input);
    if !fields.is_empty() {
        let mut err = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_subscription",
            "some fields are not valid",
        );
        err.fields = fields;
        return Err(err);
    }
    input.follows = input
        .follows
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !gone.contains(i))
        .map(|(_, f)| f)
        .collect();
    let keep = push.settings.keep;
    let kept = tokio::task::spawn_blocking(move || {
        push.store.push_subscribe(&input, chrono::Utc::now(), keep)
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
    .map_err(store_error)?;
    // Debug only: the request span carries the asker's address (docs/privacy.md).
    tracing::debug!(subscription = %kept.id, follows = kept.follows.len(), "push subscription kept");
    Ok((StatusCode::CREATED, Json(kept)).into_response())
}

fn store_error(e: crate::store::StoreError) -> ApiError {
    match e {
        crate::store::StoreError::PushFull => {
            let mut err =
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "push_full", e.to_string());
            err.retry_after = Some(3600);
            err
        }
        e => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            e.to_string(),
        ),
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "subscription_not_found",
        format!("no push subscription `{id}` (deleted, or not renewed in time)"),
    )
}

/// `GET /v1/push/subscriptions/{id}`.
pub async fn one(
    State(desk): State<PushDesk>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let push = push(&desk)?.clone();
    let keep = push.settings.keep;
    let asked = id.clone();
    let found = tokio::task::spawn_blocking(move || push.store.push_subscription(&asked, keep))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
        .map_err(store_error)?;
    match found {
        Some(s) => Ok(Json(s).into_response()),
        None => Err(not_found(&id)),
    }
}

/// `DELETE /v1/push/subscriptions/{id}`.
pub async fn delete(
    State(desk): State<PushDesk>,
    peer: Peer,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let push = push(&desk)?.clone();
    counted(&desk, &peer)?;
    let asked = id.clone();
    let deleted = tokio::task::spawn_blocking(move || push.store.push_unsubscribe(&asked))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
        .map_err(store_error)?;
    if deleted {
        tracing::debug!(subscription = %id, "push subscription deleted");
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(not_found(&id))
    }
}
