//! Clients that try to exhaust the server (issue 15, docs/reliability.md
//! "Limits"): held requests, trickled bodies, unfinished WebSocket messages.
//! Each runs the real binary, so that its descriptors and its memory (VmRSS) are
//! the server's alone; everything stays on 127.0.0.1 (and 127.0.0.2, another
//! address to the server).

use std::net::IpAddr;
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use quai_tests::binary::{Binary, Server};
use quai_tests::http::{Api, Request, info_notice};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

fn feed_server() -> Binary {
    Binary::new(env!("CARGO_BIN_EXE_feed-server"))
}

const NOW: &str = "2026-03-09T07:30:00+01:00";

/// The demo with a notice store, a body deadline of `body_s` seconds and no
/// write rate limit, started under `ulimit -n files` (soft and hard); its
/// operator's token.
fn demo(dir: &std::path::Path, body_s: u32, files: u32) -> (Server, String) {
    let store = feed_server().demo_store(dir);
    let text = std::fs::read_to_string(&store.config).expect("config");
    std::fs::write(
        &store.config,
        format!("[server]\nbody_read_timeout_s = {body_s}\n{text}"),
    )
    .expect("config");
    let server = feed_server().start_via(
        &[
            "--config",
            &store.config,
            "--data-dir",
            &store.data,
            "--now",
            NOW,
        ],
        &[
            "bash",
            "-c",
            &format!("ulimit -n {files}; exec \"$0\" \"$@\""),
        ],
    );
    (server, store.token)
}

fn addr(base: &str) -> String {
    base.trim_start_matches("http://").to_string()
}

/// Point 1: 400 connections from one address that send a POST's headers and
/// then nothing, against a server allowed 256 descriptors. Before the fix the
/// body was read before the token, with no deadline, and one address could hold
/// 1,024 connections: the descriptors ran out and every other client failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_posts_from_one_address_leave_the_others_served() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, token) = demo(dir.path(), 3, 256);
    let target = addr(&server.base);
    let head = format!(
        "POST /v1/notices HTTP/1.1\r\nHost: q\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    );
    let mut held = Vec::new();
    for _ in 0..400 {
        // Some are refused (closed, or answered 503): they are kept all the same.
        if let Ok(mut s) = TcpStream::connect(&target).await {
            let _ = s.write_all(head.as_bytes()).await;
            held.push(s);
        }
    }
    // Another address gets its board at once, and an operator can still write.
    let other: IpAddr = "127.0.0.2".parse().expect("ip");
    let api = Api::from_address(&server.base, other, Duration::from_secs(1));
    let started = Instant::now();
    let board = api
        .try_send(Request {
            method: "GET",
            path: "/v1/stations/caudry/board",
            token: None,
            if_match: None,
            body: None,
        })
        .await;
    let took = started.elapsed();
    let board = board.expect("a board within a second while one address holds 400 POSTs");
    assert_eq!(board.status, 200, "{board}");
    assert!(took < Duration::from_secs(1), "{took:?}");
    let writer = Api::from_address(
        &server.base,
        "127.0.0.3".parse().expect("ip"),
        Duration::from_secs(5),
    );
    writer
        .post_json("/v1/notices", &token, &info_notice("Ascenseur en panne"))
        .await
        .expect(201);

    // The held POSTs that got in end with a 408 once the body deadline (3 s
    // here) passes; none is left waiting.
    let mut timed_out = 0;
    for s in held.iter_mut().take(20) {
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(8), s.read_to_end(&mut answer)).await;
        let answer = String::from_utf8_lossy(&answer);
        if answer.starts_with("HTTP/1.1 408") {
            assert!(answer.contains("body_timeout"), "{answer}");
            timed_out += 1;
        } else {
            assert!(
                answer.is_empty() || answer.starts_with("HTTP/1.1 503"),
                "{answer}"
            );
        }
    }
    assert!(timed_out > 0, "no held POST got its 408");
}

/// Point 2: bodies trickled one byte per TCP segment, from 20 connections. Each
/// segment used to keep its read buffer (about 4 KiB) until the body ended:
/// 67 KB sent raised the RSS by 180 MiB. Now a body cut into many more pieces
/// than its size needs is refused (`400 body_fragmented`) and the memory stays
/// put.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_body_is_refused_and_costs_no_memory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, token) = demo(dir.path(), 30, 4096);
    // Warm up: one ordinary write, so that the store and the allocator are in use.
    server
        .post_json("/v1/notices", &token, &info_notice("Ascenseur en panne"))
        .await
        .expect(201);
    let before = server.rss_kib();
    let target = addr(&server.base);
    let body = serde_json::to_vec(&info_notice(&"x".repeat(3000))).expect("json");
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (target, token, body) = (target.clone(), token.clone(), body.clone());
            tokio::spawn(async move { trickle(&target, &token, &body).await })
        })
        .collect();
    let mut refused = 0;
    for t in tasks {
        let (answer, sent) = t.await.expect("trickle");
        assert!(
            sent < body.len(),
            "the whole body went through, a byte at a time"
        );
        if answer.starts_with("HTTP/1.1 400") {
            assert!(answer.contains("body_fragmented"), "{answer}");
            refused += 1;
        }
    }
    assert!(refused > 0, "no trickle was answered 400 body_fragmented");
    let grown = server.rss_kib().saturating_sub(before);
    assert!(grown < 16 * 1024, "the RSS grew by {grown} KiB");
}

/// Sends `body` one byte per segment (Nagle off, a pause between bytes) while
/// reading the answer; the answer, and how many bytes went out before it came.
async fn trickle(target: &str, token: &str, body: &[u8]) -> (String, usize) {
    let stream = TcpStream::connect(target).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let (mut read, mut write) = stream.into_split();
    let head = format!(
        "POST /v1/notices HTTP/1.1\r\nHost: q\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    write.write_all(head.as_bytes()).await.expect("head");
    let reader = tokio::spawn(async move {
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(60), read.read_to_end(&mut answer)).await;
        String::from_utf8_lossy(&answer).into_owned()
    });
    let mut sent = 0;
    for byte in body {
        if reader.is_finished() || write.write_all(&[*byte]).await.is_err() {
            break;
        }
        sent += 1;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    drop(write);
    (reader.await.expect("reader"), sent)
}

/// Point 3: WebSocket clients that start a fragmented message and never finish
/// it, pinging all the while. Each used to hold up to its 1 MiB of fragments (300
/// connections: 330 MiB); now the message is capped at 64 KiB and the
/// connection closed with 1009.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unfinished_websocket_messages_are_capped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (server, _) = demo(dir.path(), 10, 4096);
    let url = format!("ws://{}/v1/stream", addr(&server.base));
    // One subscriber first, so that the stream's machinery is warm.
    let (mut warm, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .expect("connect");
    warm.send(Message::text(r#"{"type":"subscribe","station":"caudry"}"#))
        .await
        .expect("subscribe");
    let _ = warm.next().await;
    let before = server.rss_kib();

    let piece = vec![b'a'; 60 * 1024];
    let clients: Vec<_> = (0..200)
        .map(|_| {
            let (url, piece) = (url.clone(), piece.clone());
            tokio::spawn(async move {
                let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
                    .await
                    .expect("connect");
                // 16 fragments of 60 KiB: about 1 MiB, never finished.
                for i in 0..16 {
                    let op = if i == 0 { Data::Text } else { Data::Continue };
                    let frame = Frame::message(piece.clone(), OpCode::Data(op), false);
                    if ws.send(Message::Frame(frame)).await.is_err() {
                        break;
                    }
                }
                let _ = ws.send(Message::Ping(Vec::new().into())).await;
                // What the server does about it.
                let end = tokio::time::timeout(Duration::from_secs(10), async {
                    while let Some(m) = ws.next().await {
                        match m {
                            Ok(Message::Close(c)) => return c.map(|c| u16::from(c.code)),
                            Ok(_) => continue,
                            Err(_) => return None,
                        }
                    }
                    None
                })
                .await;
                (end, ws)
            })
        })
        .collect();
    let mut closed = Vec::new();
    let mut kept = Vec::new();
    for c in clients {
        let (end, ws) = c.await.expect("client");
        closed.push(end.expect("the server kept an unfinished 1 MiB message open"));
        kept.push(ws);
    }
    assert!(closed.contains(&Some(1009)), "{closed:?}");
    let grown = server.rss_kib().saturating_sub(before);
    assert!(
        grown < 48 * 1024,
        "the RSS grew by {grown} KiB for 200 clients"
    );
    drop(kept);
}
