//! The operators' notice API: `POST /v1/notices`, `GET /v1/notices`,
//! `GET|PATCH|DELETE /v1/notices/{id}`, with `Authorization: Bearer <token>`.
//!
//! A write is acknowledged (201/200) only once it is committed, to SQLite
//! with `synchronous=FULL` or to PostgreSQL (`[store] url`) with
//! `synchronous_commit = on`; the boards are republished right after, so
//! stream subscribers see the change at once. On an edge node (with
//! PostgreSQL only) the boards come back through the ingest node and NATS. PATCH and DELETE need `If-Match: <version>`.
//! The same desk takes emergency takeovers and announcements ([`emergency`]).

mod access;
pub mod emergency;
pub mod screens;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use quai_protocol::{NoticeInput, NoticeStatus, OperatorNotice};

use super::{ApiError, body};
use crate::accept::Remote;
use crate::notice::scope::in_scope;
use crate::notice::{KeptNotice, Scope, validate};
use crate::publish::Boards;
use crate::store::{Change, Operator, Shared, Store, StoreError};
pub use access::{AuthFailures, PushWrites, WriteLimiter};
use access::{limit, operator};

/// What the notice API reads and writes: the durable store, the notices held in
/// memory (through the board publisher, which republishes after each write),
/// the write limiter and the failed-token budget.
#[derive(Debug, Clone)]
pub struct NoticeDesk {
    /// The node's own store (takeovers, screens); None without a data dir,
    /// and on an edge node.
    pub store: Option<Arc<Store>>,
    /// Operators, notices and the audit log: the node's store, or
    /// PostgreSQL; None when there is neither (notices are off).
    pub shared: Option<Shared>,
    /// Whether this node builds the boards a write changes (not an edge).
    pub builds: bool,
    pub boards: Boards,
    pub limiter: Arc<WriteLimiter>,
    pub auth_failures: Arc<AuthFailures>,
    /// The screens that report (which of them show a notice).
    pub fleet: crate::fleet::Fleet,
}

/// The peer's address, for the failed-token budget.
type Peer = Option<Extension<Remote>>;

fn ip(peer: &Peer) -> Option<IpAddr> {
    peer.as_ref().map(|p| p.0.0.ip())
}

/// Largest request body.
pub const MAX_BODY: usize = 64 * 1024;

fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::RateLimited { wait_s, .. } => {
            let mut refused =
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", e.to_string());
            refused.retry_after = Some(wait_s);
            refused
        }
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
        e @ (StoreError::PostgresTimeout(_) | StoreError::CommitUnknown(_)) => {
            tracing::error!("store: {e}");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                format!(
                    "{e}: a change may or may not have been made; read the notices (GET /v1/notices) or takeovers (GET /v1/emergencies) before trying again"
                ),
            )
        }
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

fn forbidden() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "out_of_scope",
        "this notice names a station, stop, route or trip outside your scope",
    )
}

/// A notice the operator may not see is answered as one that does not exist,
/// so that ids reveal nothing.
fn not_found(id: &str) -> ApiError {
    store_error(StoreError::NoNotice(id.to_string()))
}

/// Reads a request body (once the request is authorised) as JSON, with 413 /
/// 408 / 400 as the contract says.
async fn read_json(
    desk: &NoticeDesk,
    headers: &HeaderMap,
    request: Body,
) -> Result<serde_json::Value, ApiError> {
    let timeout = desk.boards.deployment.server.body_read_timeout;
    let bytes = body::read(request, headers, MAX_BODY, timeout).await?;
    serde_json::from_slice(&bytes).map_err(|e| {
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
    if desk.boards.notices.replace(notice.clone()) && desk.builds {
        desk.boards.publish_all();
    }
}

/// Where operators and notices are, or 503 when the server keeps none.
fn shared(desk: &NoticeDesk) -> Result<&Shared, ApiError> {
    desk.shared.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_store",
            "this server runs without a data dir: notices are off",
        )
    })
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        store_error(e)
    }
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
    peer: Peer,
    headers: HeaderMap,
    request: Body,
) -> Result<Response, ApiError> {
    let op = operator(&desk, &headers, ip(&peer)).await?;
    let input = to_input(read_json(&desk, &headers, request).await?)?;
    checked(&desk, &input, &op)?;
    // With PostgreSQL the budget is counted there, in the write's
    // transaction (every node's writes); else on this node.
    if desk.shared.as_ref().and_then(Shared::postgres).is_none() {
        limit(&desk, &op)?;
    }
    let notice = shared(&desk)?.notice_insert(input, op.name).await?;
    publish_change(&desk, &notice);
    Ok(with_etag(StatusCode::CREATED, notice))
}

/// `If-Match: "3"` (or `3`). A weak tag (`W/"3"`) never matches: versions are
/// compared strongly, as RFC 9110 says of If-Match.
fn if_match(headers: &HeaderMap) -> Result<u64, ApiError> {
    let value = headers
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    if value.is_some_and(|v| v.starts_with("W/")) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "version_conflict",
            "a weak If-Match tag never matches: send the version as ETag gave it, e.g. If-Match: \"3\"",
        ));
    }
    value
        .map(|v| v.trim_matches('"'))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "if_match_required",
                "send If-Match: <version> (the version you read)",
            )
        })
}

/// Whether `op` may see (and so touch) `notice`.
fn sees(desk: &NoticeDesk, op: &Operator, notice: &OperatorNotice) -> bool {
    in_scope(
        &op.scopes,
        &notice.input.informed_entities,
        &desk.boards.deployment,
    )
}

pub async fn get_one(
    State(desk): State<NoticeDesk>,
    peer: Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let op = operator(&desk, &headers, ip(&peer)).await?;
    let notice = desk
        .boards
        .notices
        .find(&id)
        .map(|n| n.stored.clone())
        .filter(|n| sees(&desk, &op, n))
        .ok_or_else(|| not_found(&id))?;
    // Where it is shown: the screens whose board on screen carries it.
    let shown_on = screens::showing(&desk, &op)
        .await
        .remove(&notice.id)
        .unwrap_or_default();
    let version = notice.version;
    let mut body = serde_json::to_value(&notice).unwrap_or_default();
    body["shown_on"] = serde_json::json!(shown_on);
    let mut response = (StatusCode::OK, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, v);
    }
    Ok(response)
}

pub async fn list(
    State(desk): State<NoticeDesk>,
    peer: Peer,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Vec<serde_json::Value>>, ApiError> {
    let op = operator(&desk, &headers, ip(&peer)).await?;
    let mut shown = screens::showing(&desk, &op).await;
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
            .map(|n| {
                // Each with the screens that show it.
                let mut body = serde_json::to_value(&n.stored).unwrap_or_default();
                body["shown_on"] =
                    serde_json::json!(shown.remove(&n.stored.id).unwrap_or_default());
                body
            })
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

/// Changes notice `id` for `op` at `version`: `decide` says how, given the
/// notice as stored, once it is known to be in `op`'s scope and not ended.
/// Scope, state, merge and version are all checked against the stored notice,
/// in the transaction that writes it; the boards follow.
async fn change(
    desk: &NoticeDesk,
    op: Operator,
    id: String,
    version: u64,
    ended: &'static str,
    decide: impl FnOnce(&NoticeDesk, &Operator, &OperatorNotice) -> Result<Change, ApiError>
    + Send
    + 'static,
) -> Result<Response, ApiError> {
    // With PostgreSQL, counted there, in the transaction; else this node's
    // count, once the change is known to be one.
    let counted_here = desk.shared.as_ref().and_then(Shared::postgres).is_none();
    let d = desk.clone();
    let notice = shared(desk)?
        .notice_change(id.clone(), version, op.name.clone(), move |current| {
            if !sees(&d, &op, current) {
                return Err(not_found(&id));
            }
            if current.input.status == NoticeStatus::Ended {
                return Err(ApiError::new(StatusCode::CONFLICT, "notice_ended", ended));
            }
            let change = decide(&d, &op, current)?;
            if counted_here {
                limit(&d, &op)?;
            }
            Ok(change)
        })
        .await?;
    publish_change(desk, &notice);
    Ok(with_etag(StatusCode::OK, notice))
}

pub async fn patch(
    State(desk): State<NoticeDesk>,
    peer: Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
    request: Body,
) -> Result<Response, ApiError> {
    let op = operator(&desk, &headers, ip(&peer)).await?;
    let version = if_match(&headers)?;
    let patch = read_json(&desk, &headers, request).await?;
    let ended = "an ended notice cannot change; create a new one";
    change(&desk, op, id, version, ended, move |d, op, current| {
        let mut value = serde_json::to_value(&current.input).map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        })?;
        merge(&mut value, &patch);
        let input = to_input(value)?;
        checked(d, &input, op)?;
        Ok(Change::Update(Box::new(input)))
    })
    .await
}

pub async fn end(
    State(desk): State<NoticeDesk>,
    peer: Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let op = operator(&desk, &headers, ip(&peer)).await?;
    let version = if_match(&headers)?;
    let ended = "this notice has already ended";
    change(&desk, op, id, version, ended, |_, _, _| Ok(Change::End)).await
}
