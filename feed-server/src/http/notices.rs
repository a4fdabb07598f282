//! The operators' notice API: `POST /v1/notices`, `GET /v1/notices`,
//! `GET|PATCH|DELETE /v1/notices/{id}`, with `Authorization: Bearer <token>`.
//!
//! A write is acknowledged (201/200) only once it is committed to SQLite with
//! `synchronous=FULL`; the boards are republished right after, so stream
//! subscribers see the change at once. PATCH and DELETE need `If-Match: <version>`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use quai_protocol::{NoticeInput, NoticeStatus, OperatorNotice};

use super::ApiError;
use crate::notice::scope::in_scope;
use crate::notice::{KeptNotice, Scope, validate};
use crate::publish::Boards;
use crate::store::{Operator, Store, StoreError};

/// What the notice API reads and writes: the durable store, the notices held in
/// memory (through the board publisher, which republishes after each write),
/// and the write limiter.
#[derive(Debug, Clone)]
pub struct NoticeDesk {
    /// None when the server runs without a data dir: notices are off.
    pub store: Option<Arc<Store>>,
    pub boards: Boards,
    pub limiter: Arc<WriteLimiter>,
}

/// Largest request body.
pub const MAX_BODY: usize = 64 * 1024;

/// Recent writes per operator, for the rate limit.
#[derive(Debug, Default)]
pub struct WriteLimiter {
    writes: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl WriteLimiter {
    /// Records a write, or says how long to wait.
    fn check(&self, operator: &str, per_minute: usize) -> Result<(), Duration> {
        let mut writes = self.writes.lock().unwrap_or_else(|p| p.into_inner());
        let recent = writes.entry(operator.to_string()).or_default();
        let now = Instant::now();
        while recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            recent.pop_front();
        }
        if recent.len() >= per_minute {
            let oldest = recent.front().copied().unwrap_or(now);
            return Err(Duration::from_secs(60).saturating_sub(now.duration_since(oldest)));
        }
        recent.push_back(now);
        Ok(())
    }
}

fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::NoNotice(id) => ApiError::new(
            StatusCode::NOT_FOUND,
            "notice_not_found",
            format!("no notice `{id}`"),
        ),
        StoreError::VersionConflict {
            id,
            current,
            expected,
        } => ApiError::new(
            StatusCode::CONFLICT,
            "version_conflict",
            format!("notice `{id}` is at version {current}, not {expected}: read it again"),
        ),
        other => {
            tracing::error!("store: {other}");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "the notice store cannot be written right now; nothing was changed",
            )
        }
    }
}

/// The operator behind the request's bearer token.
async fn operator(desk: &NoticeDesk, headers: &HeaderMap) -> Result<Operator, ApiError> {
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
    let store = desk.store.clone();
    let found = tokio::task::spawn_blocking(move || match &store {
        Some(store) => store.operator_by_token(&token).map_err(store_error),
        None => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_store",
            "this server runs without a data dir: notices are off",
        )),
    })
    .await
    .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "task failed"))??;
    found.ok_or_else(|| unauthorized("unknown or revoked token"))
}

fn limit(desk: &NoticeDesk, op: &Operator) -> Result<(), ApiError> {
    let per_minute = desk.boards.deployment.notice_writes_per_minute;
    desk.limiter.check(&op.name, per_minute).map_err(|wait| {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("at most {per_minute} writes per minute"),
        );
        e.retry_after = Some(wait.as_secs().max(1));
        e
    })
}

fn forbidden() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "out_of_scope",
        "this notice names a station, stop, route or trip outside your scope",
    )
}

/// Parses a body as a notice, with 413 / 400 / 422 as the contract says.
fn parse_body(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    if body.len() > MAX_BODY {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("bodies are limited to {MAX_BODY} bytes"),
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("not JSON: {e}"),
        )
    })
}

fn to_input(value: serde_json::Value) -> Result<NoticeInput, ApiError> {
    serde_json::from_value(value).map_err(|e| {
        let mut err = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_notice",
            "the notice does not have the expected fields",
        );
        err.fields.insert("body".into(), e.to_string());
        err
    })
}

fn checked(desk: &NoticeDesk, input: &NoticeInput, op: &Operator) -> Result<(), ApiError> {
    let deployment = &desk.boards.deployment;
    let fields = validate(input, deployment);
    if !fields.is_empty() {
        let mut err = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_notice",
            "some fields are not valid",
        );
        err.fields = fields;
        return Err(err);
    }
    if !in_scope(&op.scopes, &input.informed_entities, deployment) {
        return Err(forbidden());
    }
    Ok(())
}

/// Replaces the server's copy of a notice and republishes the boards.
fn publish_change(desk: &NoticeDesk, notice: &OperatorNotice) {
    desk.boards.notices.replace(notice.clone());
    desk.boards.publish_all();
}

/// Runs a store operation on a blocking thread.
async fn write<T: Send + 'static>(
    desk: &NoticeDesk,
    f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let store = desk.store.clone();
    blocking(move || {
        let store = store.ok_or_else(|| store_error(StoreError::Random))?;
        f(&store).map_err(store_error)
    })
    .await
}

fn with_etag(status: StatusCode, notice: OperatorNotice) -> Response {
    let version = notice.version;
    let mut response = (status, Json(notice)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, v);
    }
    response
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "task failed"))?
}

pub async fn create(
    State(desk): State<NoticeDesk>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let op = operator(&desk, &headers).await?;
    let input = to_input(parse_body(&body)?)?;
    checked(&desk, &input, &op)?;
    limit(&desk, &op)?;
    let notice = write(&desk, move |store| store.notice_insert(&input, &op.name)).await?;
    publish_change(&desk, &notice);
    Ok(with_etag(StatusCode::CREATED, notice))
}

/// `If-Match: "3"` (or `3`).
fn if_match(headers: &HeaderMap) -> Result<u64, ApiError> {
    headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "if_match_required",
                "send If-Match: <version> (the version you read)",
            )
        })
}

fn visible(desk: &NoticeDesk, op: &Operator, id: &str) -> Result<OperatorNotice, ApiError> {
    let notice = desk
        .boards
        .notices
        .find(id)
        .ok_or_else(|| store_error(StoreError::NoNotice(id.to_string())))?;
    if !in_scope(
        &op.scopes,
        &notice.stored.input.informed_entities,
        &desk.boards.deployment,
    ) {
        return Err(forbidden());
    }
    Ok(notice.stored.clone())
}

pub async fn get_one(
    State(desk): State<NoticeDesk>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let op = operator(&desk, &headers).await?;
    Ok(with_etag(StatusCode::OK, visible(&desk, &op, &id)?))
}

pub async fn list(
    State(desk): State<NoticeDesk>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<OperatorNotice>>, ApiError> {
    let op = operator(&desk, &headers).await?;
    let active = query.get("active").is_some_and(|v| v == "true");
    // A station that does not exist (or is not an id) lists nothing.
    let station: Option<Option<Scope>> = query
        .get("station")
        .map(|s| s.parse().ok().map(Scope::Station));
    let deployment = &desk.boards.deployment;
    let now = desk.boards.clock.now();
    let concerns = |n: &KeptNotice, scopes: &[Scope]| {
        in_scope(scopes, &n.stored.input.informed_entities, deployment)
    };
    Ok(Json(
        desk.boards
            .notices
            .all()
            .iter()
            .filter(|n| concerns(n, &op.scopes))
            .filter(|n| !active || n.shown_at(now))
            .filter(|n| match &station {
                None => true,
                Some(None) => false,
                Some(Some(scope)) => concerns(n, std::slice::from_ref(scope)),
            })
            .map(|n| n.stored.clone())
            .collect(),
    ))
}

/// JSON merge patch (RFC 7386).
fn merge(target: &mut serde_json::Value, patch: &serde_json::Value) {
    match (target, patch) {
        (serde_json::Value::Object(t), serde_json::Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(serde_json::Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

pub async fn patch(
    State(desk): State<NoticeDesk>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let op = operator(&desk, &headers).await?;
    let version = if_match(&headers)?;
    let patch = parse_body(&body)?;
    let current = visible(&desk, &op, &id)?;
    if current.input.status == NoticeStatus::Ended {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "notice_ended",
            "an ended notice cannot change; create a new one",
        ));
    }
    let mut value = serde_json::to_value(&current.input)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?;
    merge(&mut value, &patch);
    let input = to_input(value)?;
    checked(&desk, &input, &op)?;
    limit(&desk, &op)?;
    let notice = write(&desk, move |store| {
        store.notice_update(&id, version, &input, &op.name)
    })
    .await?;
    publish_change(&desk, &notice);
    Ok(with_etag(StatusCode::OK, notice))
}

pub async fn end(
    State(desk): State<NoticeDesk>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let op = operator(&desk, &headers).await?;
    let version = if_match(&headers)?;
    if visible(&desk, &op, &id)?.input.status == NoticeStatus::Ended {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "notice_ended",
            "this notice has already ended",
        ));
    }
    limit(&desk, &op)?;
    let notice = write(&desk, move |store| store.notice_end(&id, version, &op.name)).await?;
    publish_change(&desk, &notice);
    Ok(with_etag(StatusCode::OK, notice))
}
