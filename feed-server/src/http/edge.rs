//! What an edge node serves (docs/scaling.md): boards, the stream, the
//! pages, the GTFS-RT feeds and the facilities the ingest node relays, the
//! stop boards, lines and trips it works out from the relayed realtime,
//! and with PostgreSQL (`[store] url`) the notice and push APIs. The rest
//! answers 503 with where to go.

use std::sync::Arc;

/// What an edge serves beyond its boards: what is in PostgreSQL (`[store]
/// url`), and the facilities once relayed.
#[derive(Debug, Clone)]
pub struct Shared {
    /// The notice and takeover APIs (in PostgreSQL) and the SIRI-SX
    /// export.
    pub notices: bool,
    /// The push subscriptions and key (`[push]` configured).
    pub push: bool,
    /// The edge's link to NATS: whether the facilities have come.
    pub link: Option<Arc<crate::edge::Link>>,
    /// The edge's realtime, relayed: whether it has been read.
    pub realtime: crate::realtime::RealtimeStore,
}

/// What an edge works out itself from the timetable and the relayed
/// realtime and notices: a stop's board, a line, its departures, a trip.
fn worked_out(path: &str) -> bool {
    (path.starts_with("/v1/stops/") && path.ends_with("/board"))
        || path.starts_with("/v1/routes/")
        || path.starts_with("/v1/trips/")
}

/// The facility API and exports, which an edge serves from what the
/// ingest node relays.
fn facilities(path: &str) -> bool {
    path == "/v1/facilities"
        || path.starts_with("/v1/facilities/")
        || path == "/siri/facility-monitoring"
        || path == "/datex2/parking-status"
}

/// On an edge node: answers 503 to what it does not serve (docs/scaling.md):
/// every write (notices, takeovers, screens' reports, sensors, push), and
/// the reads of what an edge does not hold (notices and takeovers as
/// stored, screens, the SIRI exports): those go to the ingest node; but
/// what PostgreSQL holds, the relayed facilities and what is worked out
/// from the relayed realtime ([`Shared`]; `503 no_facilities_yet` and
/// `503 no_realtime_yet` until they come).
pub async fn refuse(
    axum::extract::State(shared): axum::extract::State<Shared>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = request.uri().path();
    let read = matches!(
        *request.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    );
    let served = read
        && (matches!(
            path,
            "/healthz"
                | "/metrics"
                | "/v1/stations"
                | "/v1/stream"
                | "/v1/search"
                | "/v1/openapi.json"
                | "/portal"
                | "/portal.js"
                | "/portal.css"
                | "/captive-portal/api"
                | "/gtfs-rt/trip-updates"
                | "/gtfs-rt/vehicle-positions"
                | "/gtfs-rt/alerts"
        ) || path.starts_with("/v1/schemas/")
            || path.starts_with("/app")
            || path.starts_with("/portal/notices/")
            || (path.starts_with("/v1/stations/")
                && (path.ends_with("/board") || path.ends_with("/routes"))));
    let under = |root: &str| path == root || path.starts_with(&format!("{root}/"));
    // With the notices in PostgreSQL an edge holds them all, as they are:
    // the notice API, and the SIRI-SX export made of them.
    let notices = shared.notices
        && (under("/v1/notices") || under("/v1/emergencies") || path == "/siri/situation-exchange");
    if served || notices || (shared.push && under("/v1/push")) {
        return next.run(request).await;
    }
    if read && worked_out(path) {
        if shared.realtime.is_complete() {
            return next.run(request).await;
        }
        return axum::response::IntoResponse::into_response(super::ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "no_realtime_yet",
            "this edge has not read the ingest node's realtime yet; try again in a few seconds",
        ));
    }
    if read && facilities(path) {
        if shared.link.as_ref().is_some_and(|l| l.has_facilities()) {
            return next.run(request).await;
        }
        return axum::response::IntoResponse::into_response(super::ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "no_facilities_yet",
            "this edge has not received the facilities from the ingest node yet",
        ));
    }
    axum::response::IntoResponse::into_response(super::ApiError::new(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "not_on_edge",
        format!(
            "this is an edge node: it serves boards, the stream and the pages; {} {path} is the ingest node's (docs/scaling.md)",
            request.method()
        ),
    ))
}
