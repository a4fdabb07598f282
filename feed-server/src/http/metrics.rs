//! `GET /metrics`: the server's counters and gauges in the Prometheus text format.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::ApiError;
use crate::accept::Remote;
use crate::clock::Clock;
use crate::deployment::Deployment;
use crate::hub::Hub;
use crate::metrics::Metrics;
use crate::realtime::RealtimeStore;

/// What `/metrics` reads.
#[derive(Debug, Clone)]
pub struct MetricsView {
    pub metrics: Arc<Metrics>,
    pub hub: Arc<Hub>,
    pub deployment: Arc<Deployment>,
    pub realtime: RealtimeStore,
    pub clock: Clock,
    /// Push alerts' counts, when push is on.
    pub push: Option<Arc<crate::push::send::PushCounters>>,
    /// The screens that report.
    pub fleet: crate::fleet::Fleet,
}

/// `GET /metrics`, for a loopback peer (a Prometheus agent on the same host)
/// or a request with `Authorization: Bearer <[server] metrics_token>`: the
/// figures say how busy the server is and which stations are watched.
pub async fn metrics(
    State(view): State<MetricsView>,
    peer: Option<Extension<Remote>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let loopback = peer.is_some_and(|p| p.0.0.ip().is_loopback());
    let token = view.deployment.server.metrics_token.as_deref();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let authorised = loopback || token.is_some_and(|t| bearer.is_some_and(|b| equal(b, t)));
    if !authorised {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "metrics_forbidden",
            "metrics are served to this host, or with Authorization: Bearer <[server] metrics_token>",
        ));
    }
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        render(&view),
    )
        .into_response())
}

/// Compares two tokens in a time that does not depend on where they differ.
fn equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn render(view: &MetricsView) -> String {
    let m = &view.metrics;
    let c = &view.hub.counters;
    let mut out = String::new();
    let mut counter = |name: &str, help: &str, value: &std::sync::atomic::AtomicU64| {
        let value = value.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
        );
    };
    counter(
        "quai_http_requests_total",
        "HTTP requests received.",
        &m.http_requests,
    );
    counter(
        "quai_http_errors_total",
        "HTTP requests answered with an error status.",
        &m.http_errors,
    );
    counter(
        "quai_connections_refused_total",
        "Connections refused because their address had too many open.",
        &m.connections_refused,
    );
    counter(
        "quai_realtime_accepted_total",
        "GTFS-Realtime messages accepted.",
        &m.realtime_accepted,
    );
    counter(
        "quai_realtime_failed_polls_total",
        "GTFS-Realtime polls that failed or were rejected (last good state kept).",
        &m.realtime_rejected,
    );
    counter(
        "quai_boards_built_total",
        "Station boards computed.",
        &m.boards_built,
    );
    counter(
        "quai_stream_messages_sent_total",
        "Stream messages written to clients.",
        &m.stream_messages,
    );
    counter(
        "quai_stream_bytes_sent_total",
        "Bytes of stream messages written to clients.",
        &m.stream_bytes,
    );
    counter(
        "quai_stream_boards_published_total",
        "Board changes published (deltas).",
        &c.published,
    );
    counter(
        "quai_stream_dropped_slow_total",
        "Stream clients dropped as too slow (queue full or write timed out).",
        &c.dropped_slow,
    );
    counter(
        "quai_stream_replay_hits_total",
        "Subscriptions with since served from the replay log.",
        &c.replay_hits,
    );
    counter(
        "quai_stream_replay_misses_total",
        "Subscriptions with since answered with a snapshot.",
        &c.replay_misses,
    );
    if let Some(p) = &view.push {
        counter(
            "quai_push_sent_total",
            "Push alerts the push services took.",
            &p.sent,
        );
        counter(
            "quai_push_gone_total",
            "Push subscriptions deleted because their push service said 404 or 410.",
            &p.gone,
        );
        counter(
            "quai_push_dropped_total",
            "Push alerts never delivered (refused, or their lifetime passed).",
            &p.dropped,
        );
        counter(
            "quai_push_retried_total",
            "Push alerts put off (push service down or busy, hourly limit).",
            &p.retried,
        );
    }
    let _ = writeln!(
        out,
        "# HELP quai_stream_connections Open stream connections.\n# TYPE quai_stream_connections gauge\nquai_stream_connections {}",
        m.stream_connections.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "# HELP quai_stream_subscriptions Stream subscriptions per station.\n# TYPE quai_stream_subscriptions gauge"
    );
    for (station, n) in view.hub.subscriber_counts() {
        let _ = writeln!(
            out,
            "quai_stream_subscriptions{{station=\"{station}\"}} {n}"
        );
    }
    let feeds = &view.deployment.feeds;
    let _ = writeln!(
        out,
        "# HELP quai_feed_stop_times Stop times loaded per feed.\n# TYPE quai_feed_stop_times gauge"
    );
    for feed in feeds.iter() {
        let n = feed.timetable.stop_times.len();
        let _ = writeln!(out, "quai_feed_stop_times{{feed=\"{}\"}} {n}", feed.id);
    }
    let _ = writeln!(
        out,
        "# HELP quai_feed_age_seconds Seconds since the feed was last loaded.\n# TYPE quai_feed_age_seconds gauge"
    );
    let now = view.clock.now();
    for feed in feeds.iter() {
        let age = (now - feed.load.loaded_at).num_seconds();
        let _ = writeln!(out, "quai_feed_age_seconds{{feed=\"{}\"}} {age}", feed.id);
    }
    let _ = writeln!(
        out,
        "# HELP quai_feed_load_seconds How long the feed's last load took, and where its timetable came from (archive: read and compiled; cache: the compiled timetable of the same archive, kept from an earlier run).\n# TYPE quai_feed_load_seconds gauge"
    );
    for feed in feeds.iter() {
        let _ = writeln!(
            out,
            "quai_feed_load_seconds{{feed=\"{}\",from=\"{}\"}} {:.6}",
            feed.id,
            feed.load.from.as_str(),
            feed.load.duration.as_secs_f64()
        );
    }
    attachment(&mut out, view);
    siri(&mut out, view);
    screens(&mut out, view, now);
    out
}

/// How many screens are in each health, per station: an alert on
/// `quai_screens{health="silent"} > 0` finds a screen gone dark.
fn screens(out: &mut String, view: &MetricsView, now: chrono::DateTime<chrono::Utc>) {
    use quai_protocol::ScreenHealth;
    let _ = writeln!(
        out,
        "# HELP quai_screens Screens of the fleet by station and health (ok, silent: no report for [screens] silent_after_s, not_live, behind).
# TYPE quai_screens gauge"
    );
    let settings = view.deployment.screens;
    let mut counts: std::collections::BTreeMap<(String, &str), usize> = Default::default();
    for (_, kept) in view.fleet.all() {
        let station = kept.report.station.clone();
        let boards = view.hub.settled(&station, crate::fleet::BEHIND_GRACE);
        let (health, ..) = crate::fleet::health(&kept, now, boards, &settings);
        let word = match health {
            ScreenHealth::Ok => "ok",
            ScreenHealth::Silent => "silent",
            ScreenHealth::NotLive => "not_live",
            ScreenHealth::Behind => "behind",
        };
        *counts.entry((station, word)).or_default() += 1;
    }
    for ((station, health), n) in counts {
        let _ = writeln!(
            out,
            "quai_screens{{station=\"{station}\",health=\"{health}\"}} {n}"
        );
    }
}

/// What the last accepted SIRI journeys of each feed and service attach to,
/// by outcome and, for those found, by the rule that found them.
fn siri(out: &mut String, view: &MetricsView) {
    let _ = writeln!(
        out,
        "# HELP quai_siri_journeys SIRI journeys (EstimatedTimetable, StopMonitoring visits) of the last accepted delivery, by outcome; found ones by matching rule.\n# TYPE quai_siri_journeys gauge"
    );
    for feed in view.deployment.feeds.iter() {
        let state = view.realtime.get(&feed.id);
        for (service, accepted) in &state.siri_journeys {
            let a = &accepted.data.attachment;
            let kind = service.name();
            for (outcome, n) in [
                ("received", a.received),
                ("attached", a.attached),
                ("unknown_trip", a.unknown_trip),
                ("not_running", a.not_running),
                ("duplicate", a.duplicate),
                ("unknown_stop", a.unknown_stop),
                ("implausible", a.implausible),
            ] {
                let _ = writeln!(
                    out,
                    "quai_siri_journeys{{feed=\"{}\",kind=\"{kind}\",outcome=\"{outcome}\"}} {n}",
                    feed.id
                );
            }
            for (rule, n) in &a.matched_by {
                let _ = writeln!(
                    out,
                    "quai_siri_journeys{{feed=\"{}\",kind=\"{kind}\",outcome=\"found_by_{rule}\"}} {n}",
                    feed.id
                );
            }
        }
    }
}

/// What the last accepted trip updates of each feed attach to: entities by
/// outcome, stop time updates and predicted times by what was done to them.
fn attachment(out: &mut String, view: &MetricsView) {
    let _ = writeln!(
        out,
        "# HELP quai_realtime_trip_updates Trip update entities of the last accepted message, by outcome.\n# TYPE quai_realtime_trip_updates gauge"
    );
    let mut rest = Vec::new();
    for feed in view.deployment.feeds.iter() {
        let state = view.realtime.get(&feed.id);
        let Some(tu) = &state.trip_updates else {
            continue;
        };
        let a = &tu.data.attachment;
        for (outcome, n) in [
            ("received", a.received),
            ("attached", a.attached),
            ("unknown_trip", a.unknown_trip),
            ("not_running", a.not_running),
            ("duplicate", a.duplicate),
        ] {
            let _ = writeln!(
                out,
                "quai_realtime_trip_updates{{feed=\"{}\",outcome=\"{outcome}\"}} {n}",
                feed.id
            );
        }
        rest.push((feed.id.clone(), a.clone()));
    }
    let _ = writeln!(
        out,
        "# HELP quai_realtime_stop_updates Stop time updates of the last accepted message dropped or corrected, and predicted times dropped as implausible.\n# TYPE quai_realtime_stop_updates gauge"
    );
    for (feed, a) in &rest {
        for (outcome, n) in [
            ("unknown_stop", a.unknown_stop),
            ("stop_corrected", a.stop_corrected),
            ("implausible", a.implausible),
        ] {
            let _ = writeln!(
                out,
                "quai_realtime_stop_updates{{feed=\"{feed}\",outcome=\"{outcome}\"}} {n}"
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP quai_realtime_decreasing_predictions Trips of the last accepted message whose own predictions decrease along the trip (kept as given).\n# TYPE quai_realtime_decreasing_predictions gauge"
    );
    for (feed, a) in &rest {
        let _ = writeln!(
            out,
            "quai_realtime_decreasing_predictions{{feed=\"{feed}\"}} {}",
            a.decreasing
        );
    }
}
