//! `GET /siri/situation-exchange`: the disruptions operators publish through
//! Quai, as a SIRI Lite SituationExchange delivery (SIRI 2.1 XML; SIRI Lite
//! JSON with `?format=json`), so that the national access point and other
//! systems can take them. Only operators' notices are exported: situations
//! that came from upstream SIRI or GTFS-RT belong to their producers.
//!
//! The answer carries an `ETag` (the notices' version and the minute, since
//! notices enter and leave their publication windows with time) and honours
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
    let now = chrono::SubsecRound::trunc_subsecs(export.clock.now(), 0);
    let json = format.format.as_deref() == Some("json");
    let etag = format!(
        "\"sx-{}-{}-{}\"",
        export.notices.version(),
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
    let root = document::delivery(&export.notices.all(), minute);
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
