//! GTFS-Realtime from a misbehaving upstream: the feed server polls a fake server on
//! 127.0.0.1 that answers 200, 304, 500, 429 with Retry-After, hangs, truncated and
//! oversized bodies, garbage, a timestamp going backwards, then nothing fresh, then
//! good data again. The server must stay up, keep the last good state, say when
//! the data is stale (and fall back to the timetable), and recover.

use std::time::Duration;

use chrono::{DateTime, Utc};
use feed_server::clock::Clock;
use quai_protocol::DepartureStatus;
use quai_tests::board::BoardExt as _;
use quai_tests::gtfs_rt::{self, stop, trip_update};
use quai_tests::server;
use quai_tests::upstream::{Reply, Upstream};

/// The 07:45 K40 of the demo, leaving voie 1 at stop_sequence 6.
const K40: &str = "demo:TER:843800:WD:20260309:6";

/// A TripUpdates message dated `ts` delaying the 07:45 K40 by `delay` seconds.
fn k40_delayed(ts: DateTime<Utc>, delay: i32) -> Vec<u8> {
    gtfs_rt::encode(
        ts.timestamp(),
        [trip_update("TER:843800:WD", "20260309")
            .entity("k40")
            .stop(stop(6).delay(delay))],
    )
}

fn config(url: &str) -> String {
    server::demo_config(
        "",
        &format!(
            "trip_updates_url = \"{url}/tu.pb\"\npoll_s = 0.1\ntimeout_s = 0.5\n\
             max_backoff_s = 0.3\nmax_mb = 1\nstale_after_s = 8\n\
             headers = {{ \"x-api-key\" = \"secret\" }}"
        ),
    )
}

async fn delay_of_k40(server: &server::Running) -> Option<i64> {
    let board = server.board("caudry", "?limit=30").await;
    board.expect_departure(K40).delay_s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_good_state_survives_every_upstream_fault() {
    let start = DateTime::parse_from_rfc3339("2026-03-09T07:30:00+01:00").expect("start");
    let clock = Clock::running_from(start);
    let up = Upstream::start(Reply::Body(k40_delayed(clock.now(), 300))).await;
    let server = server::start(&config(&up.url), clock).await;

    // 200: accepted.
    server.wait_fresh("demo:trip-updates").await;
    let board = server.board("caudry", "?limit=30").await;
    let k40 = board.expect_departure(K40);
    assert_eq!(k40.delay_s, Some(300));
    assert_eq!(k40.status, DepartureStatus::Delayed);
    assert!(k40.realtime);
    assert_eq!(k40.expected.as_deref(), Some("2026-03-09T07:50:00+01:00"));
    let first = &up.seen()[0];
    assert_eq!(first.path, "/tu.pb");
    assert!(
        first
            .headers
            .iter()
            .any(|(k, v)| k == "x-api-key" && v == "secret"),
        "configured headers are sent: {first:?}"
    );

    // 304: the same body again is answered Not Modified (the client sent the ETag).
    up.polls(2).await;
    assert!(
        up.seen()
            .last()
            .and_then(|s| s.if_none_match.clone())
            .is_some()
    );
    assert_eq!(delay_of_k40(&server).await, Some(300));

    // Faults, each for a few polls: the last good state stays.
    let faults = [
        Reply::Status(500, None),
        Reply::Hang,
        Reply::Truncated {
            body: k40_delayed(clock.now(), 999)[..10].to_vec(),
            declared: 400,
        },
        Reply::Body(b"<html>not protobuf</html>".to_vec()),
        Reply::Body(vec![0x42; 2 * 1024 * 1024]),
        // A day in the future (clock skew): refused, or it would block every later one.
        Reply::Body(k40_delayed(clock.now() + chrono::Duration::days(1), 900)),
        // Older than what we hold: rejected.
        Reply::Body(k40_delayed(
            clock.now() - chrono::Duration::seconds(600),
            600,
        )),
    ];
    for fault in faults {
        // Fresh good data first, so that each fault round (not all of them
        // together, on however slow a machine) has stale_after_s to run in.
        up.set(Reply::Body(k40_delayed(clock.now(), 300)));
        up.polls(2).await;
        up.set(fault.clone());
        up.polls(2).await;
        assert_eq!(delay_of_k40(&server).await, Some(300), "after {fault:?}");
        let health = server.health().await;
        assert_eq!(health.status, "ok", "{fault:?}: {health:?}");
    }

    // 429 with Retry-After: 1: the next request waits at least that long.
    up.set(Reply::Status(429, Some(1)));
    up.polls(1).await;
    let at_429 = up.seen().last().expect("request").at;
    up.polls(1).await;
    let next = up.seen().last().expect("request").at;
    assert!(
        next - at_429 >= Duration::from_millis(950),
        "retried after {:?}",
        next - at_429
    );

    // Nothing good for longer than stale_after_s (8 s, longer than any fault round
    // above takes): stale, degraded, and the departure falls back to its timetable.
    up.set(Reply::Status(503, None));
    let health = server.wait_health("demo:trip-updates", true).await;
    assert_eq!(health.status, "degraded");
    let board = server.board("caudry", "?limit=30").await;
    let k40 = board.expect_departure(K40);
    assert!(!k40.realtime);
    assert_eq!(k40.status, DepartureStatus::Scheduled);
    assert_eq!(k40.expected, None);
    let feed = board
        .feed("demo:trip-updates")
        .expect("realtime feed status");
    assert!(feed.stale);

    // The upstream recovers: fresh data, live again.
    up.set(Reply::Body(k40_delayed(clock.now(), 120)));
    let health = server.wait_fresh("demo:trip-updates").await;
    assert_eq!(health.status, "ok");
    assert_eq!(delay_of_k40(&server).await, Some(120));

    let metrics = server.get_text("/metrics").await;
    assert!(
        metrics.contains("quai_realtime_failed_polls_total "),
        "{metrics}"
    );
}
