//! `GET /siri/situation-exchange`: the disruptions operators publish through
//! Quai, as a SIRI Lite SituationExchange delivery (SIRI 2.1 XML; SIRI Lite
//! JSON with `?format=json`), so that the national access point and other
//! systems can take them. Only operators' notices are exported: situations
//! that came from upstream SIRI or GTFS-RT belong to their producers.
//!
//! The answer carries an `ETag` (a hash of the notices' ids and versions, and
//! the minute, since notices enter and leave their publication windows with
//! time: the same on every node that holds the same notices) and honours
//! `If-None-Match`.

pub mod document;
pub mod render;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::clock::Clock;
use crate::notice::Notices;

/// What the export reads: the operators' notices and the clock.
#[derive(Debug, Clone)]
pub struct SituationExport {
    pub notices: Notices,
    pub clock: Clock,
    /// On an edge (notices from PostgreSQL): none is served until every
    /// notice has been read in.
    pub received: bool,
}

#[derive(Debug, Deserialize)]
pub struct Format {
    format: Option<String>,
}

pub async fn situation_exchange(
    State(export): State<SituationExport>,
    Query(format): Query<Format>,
    headers: HeaderMap,
) -> Response {
    if export.received && !export.notices.loaded() {
        return crate::http::ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_notices_yet",
            "this edge has not read the notices from PostgreSQL yet",
        )
        .into_response();
    }
    let now = chrono::SubsecRound::trunc_subsecs(export.clock.now(), 0);
    let json = format.format.as_deref() == Some("json");
    let notices = export.notices.all();
    // Made from the notices themselves (ids and versions), so that nodes
    // holding the same notices give the same validator.
    let mut hash = std::hash::DefaultHasher::new();
    for n in &notices {
        std::hash::Hash::hash(&(n.id(), n.stored.version), &mut hash);
    }
    let etag = format!(
        "\"sx-{:016x}-{}-{}\"",
        std::hash::Hasher::finish(&hash),
        now.timestamp() / 60,
        if json { "j" } else { "x" }
    );
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    // Within one minute the content depends only on the notices: stamp the
    // delivery with the minute so that equal ETags mean equal bodies.
    let minute = now - chrono::Duration::seconds(now.timestamp().rem_euclid(60));
    let root = document::delivery(&notices, minute);
    let etag = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"sx\""));
    if json {
        (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                ),
                (header::ETAG, etag),
            ],
            render::json(&root).to_string(),
        )
            .into_response()
    } else {
        (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/xml; charset=utf-8"),
                ),
                (header::ETAG, etag),
            ],
            render::xml(&root),
        )
            .into_response()
    }
}
