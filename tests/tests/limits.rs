//! The limits against hostile or broken clients, on a real server on 127.0.0.1:
//! connections per address (a `503` beyond, the cap freed as connections close)
//! and the header read timeout (a client trickling its headers is cut off).

use std::time::Duration;

use quai_protocol::ErrorBody;
use quai_tests::http::metric;
use quai_tests::server;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

fn config(server_section: &str) -> String {
    server::demo_config(&format!("[server]\n{server_section}"), "")
}

/// Reads until the server closes the connection (or 15 s pass); what it sent.
async fn read_to_close(stream: &mut TcpStream) -> Option<String> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(15), read)
        .await
        .ok()?;
    Some(String::from_utf8_lossy(&got).into_owned())
}

async fn get_status(addr: &str, path: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .expect("write");
    let answer = read_to_close(&mut stream).await.expect("an answer");
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not HTTP: {answer:?}"))
}

/// The status of `GET /v1/stations` once it is 200, or the last one after 20 s
/// (the server frees a place once it has seen the connection close).
async fn served_again(addr: &str) -> u16 {
    let mut status = 0;
    for _ in 0..200 {
        status = get_status(addr, "/v1/stations").await;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_cannot_hold_more_than_its_share_of_connections() {
    let server = server::start(
        &config("max_connections_per_ip = 3\nheader_read_timeout_s = 60"),
        server::fixed("2026-07-01T07:30:00+02:00"),
    )
    .await;
    let addr = server.base.trim_start_matches("http://").to_string();
    // Three idle connections from 127.0.0.1: the fourth is answered 503 and closed.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(&addr).await.expect("connect"));
    }
    // (The server counts a connection once it has accepted it.)
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut fourth = TcpStream::connect(&addr).await.expect("connect");
    let answer = read_to_close(&mut fourth).await.expect("closed");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    let (_, body) = answer.split_once("\r\n\r\n").expect("a body");
    let error: ErrorBody = serde_json::from_str(body).expect("an error body");
    assert_eq!(error.error.code, "too_many_connections", "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("retry-after: 10"),
        "{answer}"
    );

    // One closes: its place is free again.
    drop(held.pop());
    assert_eq!(served_again(&addr).await, 200);
    drop(held);
    let mut refused = None;
    for _ in 0..50 {
        // Until the server has seen the two held connections close, a new one
        // may still be refused (503 and closed before the request is read):
        // asked again, not taken as a failure.
        if let Ok(metrics) = server.try_metrics().await {
            refused = metric(&metrics, "quai_connections_refused_total");
            if refused.is_some() {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refused.is_some_and(|n| n >= 1.0), "{refused:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_trickling_its_headers_is_cut_off() {
    let server = server::start(
        &config("header_read_timeout_s = 1"),
        server::fixed("2026-07-01T07:30:00+02:00"),
    )
    .await;
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut slow = TcpStream::connect(&addr).await.expect("connect");
    slow.write_all(b"GET /v1/stations HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    // One header line every 300 ms, never the blank line that ends them: cut off
    // after the timeout (1 s), long before the 10 lines are sent.
    let mut cut = false;
    for i in 0..10 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        if slow
            .write_all(format!("X-Slow-{i}: a\r\n").as_bytes())
            .await
            .is_err()
        {
            cut = true;
            break;
        }
    }
    if !cut {
        let mut buf = [0u8; 1024];
        let n = tokio::time::timeout(Duration::from_secs(5), slow.read(&mut buf))
            .await
            .expect("the server closes the connection");
        let answer = String::from_utf8_lossy(&buf[..n.unwrap_or(0)]).into_owned();
        // Closed, with at most a 408 first.
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
            "{answer}"
        );
    }
    // Meanwhile, and after, a prompt client is served.
    assert_eq!(get_status(&addr, "/v1/stations").await, 200);
}

#[tokio::test]
async fn limits_out_of_range_are_refused_with_their_name() {
    for (line, name) in [
        (
            "max_connections_per_ip = 0",
            "server.max_connections_per_ip",
        ),
        ("header_read_timeout_s = 0", "server.header_read_timeout_s"),
    ] {
        let err = feed_server::config::Config::parse(
            &config(line),
            "test.toml",
            std::path::Path::new("/"),
        )
        .expect_err(line);
        assert!(err.to_string().contains(name), "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_streams_count_against_the_cap_for_as_long_as_they_last() {
    let server = server::start(
        &config("max_connections_per_ip = 3\nheader_read_timeout_s = 60"),
        server::fixed("2026-07-01T07:30:00+02:00"),
    )
    .await;
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut streams = Vec::new();
    for _ in 0..3 {
        let mut c = quai_tests::stream::Client::connect(&server.base).await;
        c.subscribe("caudry", None).await;
        let _ = c.next_message().await;
        streams.push(c);
    }
    // Long after their handshakes, the three streams still hold their places.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut fourth = TcpStream::connect(&addr).await.expect("connect");
    let answer = read_to_close(&mut fourth).await.expect("closed");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    // One stream ends: a place is free again.
    drop(streams.pop());
    assert_eq!(served_again(&addr).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_sends_nothing_is_cut_off() {
    let server = server::start(
        &config("header_read_timeout_s = 1"),
        server::fixed("2026-07-01T07:30:00+02:00"),
    )
    .await;
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut silent = TcpStream::connect(&addr).await.expect("connect");
    let mut buf = [0u8; 256];
    let read = tokio::time::timeout(Duration::from_secs(8), silent.read(&mut buf)).await;
    let n = read
        .expect("the server closes a silent connection")
        .unwrap_or(0);
    let answer = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
}
