//! A GTFS archive fetched over HTTP, with the configured timeout and size cap.

use std::time::Duration;

use quai_tests::binary::{Binary, config_for, demo_copy, zip_folder};
use quai_tests::upstream::{Reply, Upstream};

fn feed_server() -> Binary {
    Binary::new(env!("CARGO_BIN_EXE_feed-server"))
}

/// An HTTP server on 127.0.0.1 that answers every request with `body` after
/// `delay`; the URL of its archive.
async fn upstream(body: Vec<u8>, delay: Duration) -> String {
    let up = Upstream::start(Reply::Delayed(delay, Box::new(Reply::Body(body)))).await;
    format!("{}/gtfs.zip", up.url)
}

fn demo_zip(dir: &std::path::Path) -> Vec<u8> {
    demo_copy(&dir.join("gtfs"), |_, text| Some(text));
    zip_folder(&dir.join("gtfs"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_is_downloaded_and_served() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = upstream(demo_zip(dir.path()), Duration::ZERO).await;
    let config = config_for(dir.path(), &url, "\"CAUDRY\"");
    let server = feed_server().start(&[
        "--config",
        config.to_str().unwrap(),
        "--now",
        "2026-03-09T07:30:00+01:00",
    ]);
    let board = server.board("caudry", "?limit=1").await;
    assert_eq!(
        board.departures.first().map(|d| d.id.as_str()),
        Some("net:CA2C:5:WD:1:0720:20260309:3")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_or_oversized_download_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    // config_for sets timeout_s = 3 and max_mb = 1.
    let slow = upstream(demo_zip(dir.path()), Duration::from_secs(10)).await;
    let config = config_for(dir.path(), &slow, "\"CAUDRY\"");
    let out = feed_server()
        .run_blocking(&["check", "--config", config.to_str().unwrap()], dir.path())
        .await;
    assert!(!out.ok);
    assert!(
        out.stderr.contains("timed out (feeds[].timeout_s)"),
        "{}",
        out.stderr
    );

    let big = upstream(vec![b'x'; 2 * 1024 * 1024], Duration::ZERO).await;
    let config = config_for(dir.path(), &big, "\"CAUDRY\"");
    let out = feed_server()
        .run_blocking(&["check", "--config", config.to_str().unwrap()], dir.path())
        .await;
    assert!(!out.ok);
    assert!(
        out.stderr.contains("is larger than the 1048576-byte limit"),
        "{}",
        out.stderr
    );
}

/// Issue 16: `check` fetches each realtime endpoint once and says what its
/// updates attach to, and warns when today is outside the timetable's service
/// days (a bare "0 departures" does not say why).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reads_the_realtime_and_the_service_period() {
    use quai_tests::gtfs_rt::{encode, stop, trip_update};
    let message = encode(
        1_773_037_780,
        [
            trip_update("TER:843800:WD", "20260309")
                .scheduled()
                .stop(stop(6).delay(60)),
            trip_update("NYC-1", "20260309")
                .scheduled()
                .stop(stop(1).delay(60)),
            trip_update("NYC-2", "20260309")
                .scheduled()
                .stop(stop(1).delay(60)),
            trip_update("NYC-3", "20260309")
                .scheduled()
                .stop(stop(1).delay(60)),
        ],
    );
    let up = Upstream::start(Reply::Body(message)).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("quai.toml");
    std::fs::write(
        &config,
        quai_tests::server::demo_config(
            "",
            &format!(
                "trip_updates_url = \"{}/tu\"\nvehicle_positions_url = \"self:/demo/gtfs-rt/vehicle-positions\"\n\
                 alerts_url = \"http://127.0.0.1:9/alerts\"\ntimeout_s = 2",
                up.url
            ),
        ),
    )
    .expect("config");
    let config = config.to_str().expect("path");
    let out = feed_server()
        .run_blocking(
            &[
                "check",
                "--config",
                config,
                "--now",
                "2026-03-09T07:30:00+01:00",
            ],
            dir.path(),
        )
        .await;
    assert!(out.ok, "{}", out.stderr);
    for line in [
        "realtime demo:trip-updates: 1 of 4 trip updates attach to a running trip (unknown trip 3)",
        "warning: under 50 % attach",
        "realtime demo:vehicle-positions: self:/demo/gtfs-rt/vehicle-positions is served by this server",
        "realtime demo:alerts: FAILED: request failed",
    ] {
        assert!(
            out.stdout.contains(line),
            "{line:?} not in:\n{}",
            out.stdout
        );
    }
    assert!(!out.stdout.contains("service days end"), "{}", out.stdout);

    let later = feed_server()
        .run_blocking(
            &[
                "check",
                "--config",
                config,
                "--now",
                "2100-06-01T12:00:00+02:00",
            ],
            dir.path(),
        )
        .await;
    assert!(
        later.stdout.contains("warning: its service days end on")
            && later.stdout.contains("before today (2100-06-01)"),
        "{}",
        later.stdout
    );
}
