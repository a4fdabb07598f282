//! A GTFS archive fetched over HTTP, with the configured timeout and size cap.

mod support;

use std::time::Duration;

use support::{Server, config_for, demo_copy, run, zip_folder};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// A one-shot-per-connection HTTP server on 127.0.0.1 that answers every request
/// with `body` after `delay`.
async fn upstream(body: Vec<u8>, delay: Duration) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                tokio::time::sleep(delay).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/zip\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&body).await;
            });
        }
    });
    format!("http://{addr}/gtfs.zip")
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
    let server = Server::start(&[
        "--config",
        config.to_str().unwrap(),
        "--now",
        "2026-03-09T07:30:00+01:00",
    ]);
    let (status, board) = server.get_json("/v1/stations/caudry/board?limit=1").await;
    assert_eq!(status, 200, "{board}");
    assert_eq!(
        board["departures"][0]["id"],
        "net:CA2C:5:WD:1:0720:20260309:3"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_or_oversized_download_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    // config_for sets timeout_s = 3 and max_mb = 1.
    let slow = upstream(demo_zip(dir.path()), Duration::from_secs(10)).await;
    let config = config_for(dir.path(), &slow, "\"CAUDRY\"");
    let cfg = config.to_str().unwrap().to_string();
    let cwd = dir.path().to_path_buf();
    let (ok, _, err) = tokio::task::spawn_blocking(move || run(&["check", "--config", &cfg], &cwd))
        .await
        .expect("join");
    assert!(!ok);
    assert!(err.contains("timed out (feeds[].timeout_s)"), "{err}");

    let big = upstream(vec![b'x'; 2 * 1024 * 1024], Duration::ZERO).await;
    let config = config_for(dir.path(), &big, "\"CAUDRY\"");
    let cfg = config.to_str().unwrap().to_string();
    let cwd = dir.path().to_path_buf();
    let (ok, _, err) = tokio::task::spawn_blocking(move || run(&["check", "--config", &cfg], &cwd))
        .await
        .expect("join");
    assert!(!ok);
    assert!(
        err.contains("is larger than the 1048576-byte limit"),
        "{err}"
    );
}
