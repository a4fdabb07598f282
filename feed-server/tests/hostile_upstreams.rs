//! Upstreams that are broken or malicious (issue 15, docs/reliability.md
//! "Limits"): a GTFS-RT message that decodes to gigabytes, redirects to another
//! host, and failures whose log lines must not carry the feed's API keys. The
//! real binary runs against a fake upstream on 127.0.0.1, so that its memory
//! (VmRSS) and its log are its own.

use std::time::Duration;

use quai_protocol::FeedStatus;
use quai_tests::binary::{Binary, Server};
use quai_tests::http::Api;
use quai_tests::server::demo_config;
use quai_tests::upstream::{Reply, Upstream};

fn feed_server() -> Binary {
    Binary::new(env!("CARGO_BIN_EXE_feed-server"))
}

const NOW: &str = "2026-03-09T07:30:00+01:00";

/// The demo with `realtime` as its `[feeds.realtime]` table.
fn start(binary: &Binary, dir: &std::path::Path, realtime: &str) -> Server {
    let config = dir.join("quai.toml");
    std::fs::write(&config, demo_config("", realtime)).expect("config");
    binary.start(&["--config", config.to_str().expect("path"), "--now", NOW])
}

/// Waits (up to 20 s) until feed `id` is stale with a reason containing `what`.
async fn wait_reason(api: &Api, id: &str, what: &str) -> FeedStatus {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let health = api.health().await;
        if let Some(f) = health.feeds.iter().find(|f| f.id == id)
            && f.stale
            && f.reason.as_deref().is_some_and(|r| r.contains(what))
        {
            return f.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{id} never stale for {what:?}: {health:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A FeedMessage of `n` vehicle positions, each as small as the format allows
/// (an id and an empty VehiclePosition: about 12 bytes), written entity by
/// entity so that the test itself stays small.
fn vehicles(n: usize) -> Vec<u8> {
    use gtfs_realtime::{FeedEntity, FeedHeader, VehiclePosition};
    let mut out = Vec::with_capacity(n * 12 + 32);
    let header = FeedHeader {
        gtfs_realtime_version: "2.0".into(),
        timestamp: Some(1_773_037_800),
        ..FeedHeader::default()
    };
    prost::encoding::message::encode(1, &header, &mut out);
    for i in 0..n {
        let entity = FeedEntity {
            id: format!("{i:x}"),
            vehicle: Some(VehiclePosition::default()),
            ..FeedEntity::default()
        };
        prost::encoding::message::encode(2, &entity, &mut out);
    }
    out
}

/// Point 4: 10^6 vehicle positions in one message of about 12 MB, under the
/// 16 MiB size cap. Decoded whole, they took the server to 4.8 GiB and made
/// every board slow. Now a message over `max_entities` (20,000) is refused
/// before any entity is decoded: the memory stays put, the feed goes stale with
/// that reason, and the boards answer as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_entities_are_refused_before_decoding() {
    let message = vehicles(1_000_000);
    assert!(message.len() < 16 << 20, "{} bytes", message.len());
    let up = Upstream::start(Reply::Body(message)).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start(
        &feed_server(),
        dir.path(),
        &format!("vehicle_positions_url = \"{}/vp\"\npoll_s = 0.5", up.url),
    );
    let before = server.rss_kib();
    let status = wait_reason(&server, "demo:vehicle-positions", "entities").await;
    assert!(
        status.reason.as_deref().is_some_and(|r| r.contains("20000")
            || r.contains("20,000")
            || r.contains("max_entities")),
        "{status:?}"
    );
    // Several polls of it, and clients of the export and of the board meanwhile.
    up.polls(4).await;
    for _ in 0..4 {
        let vp = server
            .answer("/gtfs-rt/vehicle-positions?format=json")
            .await;
        assert_eq!(vp.status, 200);
        let started = std::time::Instant::now();
        server.board("caudry", "").await;
        assert!(started.elapsed() < Duration::from_secs(1));
    }
    let grown = server.rss_kib().saturating_sub(before);
    assert!(grown < 64 * 1024, "the RSS grew by {grown} KiB");
}

/// Points 5 and 8: the feed's API key goes in a header and in the query. The
/// upstream redirects to another origin (another port): it is not followed, so
/// the key never reaches that host; and the failing polls are logged (at debug
/// level, everything) without the key anywhere, nor in `/healthz`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keys_stay_with_their_upstream_and_out_of_the_logs() {
    let elsewhere = Upstream::start(Reply::Status(200, None)).await;
    let up = Upstream::start(Reply::Status(500, None)).await;
    up.set_path(
        "/tu?token=QUERY-SECRET-0815",
        Reply::Redirect(format!("{}/stolen", elsewhere.url)),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let server = start(
        &feed_server().logging("debug"),
        dir.path(),
        &format!(
            "trip_updates_url = \"{u}/tu\"\nvehicle_positions_url = \"{u}/vp\"\n\
             alerts_url = \"http://127.0.0.1:9/alerts\"\npoll_s = 0.2\nmax_backoff_s = 0.5\n\
             headers = {{ \"x-api-key\" = \"HEADER-SECRET-4711\" }}\n\
             query = {{ token = \"QUERY-SECRET-0815\" }}",
            u = up.url
        ),
    );
    let status = wait_reason(&server, "demo:trip-updates", "redirect").await;
    wait_reason(&server, "demo:vehicle-positions", "500").await;
    wait_reason(&server, "demo:alerts", "").await;
    up.polls(6).await;

    // The upstream got the key: it was configured, and sent where it belongs.
    let seen = up.seen();
    assert!(
        seen.iter()
            .all(|s| s.path.contains("token=QUERY-SECRET-0815"))
    );
    assert!(seen.iter().all(|s| {
        s.headers
            .iter()
            .any(|(k, v)| k == "x-api-key" && v == "HEADER-SECRET-4711")
    }));
    // The other origin got nothing at all.
    assert!(elsewhere.seen().is_empty(), "{:?}", elsewhere.seen());

    let logs = server.logs();
    let health = server.answer("/healthz").await.body;
    for secret in ["HEADER-SECRET-4711", "QUERY-SECRET-0815"] {
        assert!(!logs.contains(secret), "{secret} in the log:\n{logs}");
        assert!(!health.contains(secret), "{secret} in /healthz: {health}");
    }
    // The failures were logged, with the key masked.
    assert!(logs.contains("token=***"), "{logs}");
    assert!(
        !status.reason.unwrap_or_default().contains("QUERY-SECRET"),
        "reason"
    );
}
