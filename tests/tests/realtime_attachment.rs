//! What a feed's trip updates attach to (issue 16), end to end on the demo
//! timetable: producers' broken updates are repaired or dropped, and a feed
//! whose updates mostly attach to nothing says so in `/healthz` and `/metrics`
//! instead of looking healthy. Fixed clock: Monday 9 March 2026, 07:30.

use chrono::DateTime;
use quai_protocol::Attachment;
use quai_tests::board::BoardExt as _;
use quai_tests::gtfs_rt::{self, stop, trip_update};
use quai_tests::http::metric;
use quai_tests::server;
use quai_tests::upstream::{Reply, Upstream};

const NOW: &str = "2026-03-09T07:30:00+01:00";
const DAY: &str = "20260309";

/// 07:xx:yy today as POSIX seconds.
fn at(hms: &str) -> i64 {
    DateTime::parse_from_rfc3339(&format!("2026-03-09T{hms}+01:00"))
        .expect("time")
        .timestamp()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_updates_are_repaired_or_dropped_and_counted() {
    let ts = DateTime::parse_from_rfc3339(NOW).expect("now").timestamp() - 20;
    let mut entities = vec![
        // seq 5 is Cambrai, but the producer means Caudry V1 (seq 6): stop_id
        // wins, and Caudry leaves at 07:48 (not 16 min late, as seq 5 would say).
        trip_update("TER:843800:WD", DAY)
            .scheduled()
            .stop(stop(5).at("CAUDRY:V1").departs(at("07:48:00"))),
        // A stop this trip does not call at: that update is dropped.
        trip_update("CA2C:5:WD:0:0730", DAY)
            .scheduled()
            .stop(stop(4).at("TER:ARRAS").delay(600)),
        // 4 hours late: a producer's error, not shown.
        trip_update("CA2C:1:WD:0:0750", DAY)
            .scheduled()
            .stop(stop(1).delay(4 * 3600)),
        // The same run again.
        trip_update("CA2C:1:WD:0:0750", DAY)
            .entity("again")
            .scheduled()
            .stop(stop(1).delay(60)),
        // A weekday trip on a Sunday.
        trip_update("CA2C:2:WD:0:0815", "20260308")
            .scheduled()
            .stop(stop(1).delay(60)),
        // Own times that go backwards: kept as given, counted.
        trip_update("CA2C:3:WD:0:0810", DAY)
            .scheduled()
            .stop(stop(1).departs(at("08:20:00")))
            .stop(stop(2).departs(at("08:15:00"))),
    ];
    // Another operator's trips.
    for i in 0..5 {
        entities.push(
            trip_update(&format!("OTHER-{i}"), DAY)
                .scheduled()
                .stop(stop(1).delay(60)),
        );
    }
    let server = server::with_trip_updates(gtfs_rt::encode(ts, entities), NOW).await;

    let board = server.board("caudry", "?limit=60").await;
    let ter = board.expect_departure("demo:TER:843800:WD:20260309:6");
    assert_eq!(
        ter.expected.as_deref(),
        Some("2026-03-09T07:48:00+01:00"),
        "{ter:?}"
    );
    let bus = board.expect_departure("demo:CA2C:5:WD:0:0730:20260309:4");
    assert_eq!(bus.delay_s, None, "{bus:?}");
    let wild = board.expect_departure("demo:CA2C:1:WD:0:0750:20260309:1");
    assert_eq!(wild.delay_s, None, "4 hours late was shown: {wild:?}");
    let back = board.expect_departure("demo:CA2C:3:WD:0:0810:20260309:1");
    assert_eq!(back.expected.as_deref(), Some("2026-03-09T08:20:00+01:00"));

    // 4 of 11 attach: the feed is fresh but degraded, and says why.
    let health = server.health().await;
    assert_eq!(health.status, "degraded");
    let feed = health
        .feeds
        .iter()
        .find(|f| f.id == "demo:trip-updates")
        .expect("the trip updates");
    assert!(!feed.stale);
    assert_eq!(
        feed.attachment,
        Some(Attachment {
            received: 11,
            attached: 4,
            unknown_trip: 5,
            not_running: 1,
            duplicate: 1,
            unknown_stop: 1,
            stop_corrected: 1,
            implausible: 1,
            decreasing: 1,
        })
    );
    let reason = feed.reason.as_deref().unwrap_or_default();
    assert!(
        reason.contains("4 of 11 trip updates attach to a running trip")
            && reason.contains("unknown trip 5"),
        "{reason}"
    );

    let metrics = server.try_metrics().await.expect("metrics");
    for (name, value) in [
        (
            "quai_realtime_trip_updates{feed=\"demo\",outcome=\"received\"}",
            11.0,
        ),
        (
            "quai_realtime_trip_updates{feed=\"demo\",outcome=\"unknown_trip\"}",
            5.0,
        ),
        (
            "quai_realtime_stop_updates{feed=\"demo\",outcome=\"implausible\"}",
            1.0,
        ),
        ("quai_realtime_decreasing_predictions{feed=\"demo\"}", 1.0),
    ] {
        assert_eq!(metric(&metrics, name), Some(value), "{name}\n{metrics}");
    }
}

/// A feed whose updates attach is `ok`, with its figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_that_attaches_is_ok() {
    let ts = DateTime::parse_from_rfc3339(NOW).expect("now").timestamp() - 20;
    let message = gtfs_rt::encode(
        ts,
        [trip_update("TER:843800:WD", DAY)
            .scheduled()
            .stop(stop(6).delay(60))],
    );
    let upstream = Upstream::start(Reply::Body(message)).await;
    let server = server::start(
        &server::demo_config(
            "",
            &format!("trip_updates_url = \"{}\"\npoll_s = 0.2", upstream.url),
        ),
        server::fixed(NOW),
    )
    .await;
    let health = server.wait_fresh("demo:trip-updates").await;
    assert_eq!(health.status, "ok", "{health:?}");
    let feed = health
        .feeds
        .iter()
        .find(|f| f.id == "demo:trip-updates")
        .expect("the trip updates");
    let a = feed.attachment.as_ref().expect("attachment");
    assert_eq!((a.received, a.attached), (1, 1));
    assert_eq!(feed.reason, None);
}
