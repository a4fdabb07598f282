//! `quai-fanout-floor`: the least any server can do to fan a message out on
//! this machine, as a third side of the benchmark against Node `ws` (issue 17,
//! docs/benchmarks.md).
//!
//! No runtime, no queue, no task per connection: each connection is accepted
//! and upgraded by a blocking handshake, and once it has subscribed, every
//! message is one non-blocking `write` of the same bytes on its socket, in a
//! plain loop over all of them (on `--threads` threads, each looping over its
//! share); a socket that is full gets the rest after the loop.
//! What is left is what the kernel does for each delivery, which no server
//! avoids with one message per connection. What this floor cannot reach in
//! the same run as the peer, a real server will hardly reach on this machine
//! (the load client's own work per message bounds them all: see "The floor"
//! in docs/benchmarks.md).
//!
//! Its command line and output are those of the peer's
//! `ws-broadcast-node/server.mjs`: `{"event":"listening","port":P}` first,
//! `{"event":"done",...}` once the last message is written; messages carry
//! `sent_at_ns` (taken just before each loop) and `seq`, padded to `--bytes`.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use clap::Parser;
use quai_tests::broadcast::Broadcast;
use tokio_tungstenite::tungstenite::{self, Message};

#[derive(Debug, Parser)]
#[command(about = "The floor of a WebSocket fan-out on this machine (benchmarks)")]
struct Args {
    #[command(flatten)]
    run: Broadcast,
    /// Threads writing, each to its share of the connections.
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let started = Instant::now();
    let listener = TcpListener::bind(("127.0.0.1", args.run.port)).context("bind")?;
    println!(
        "{}",
        serde_json::json!({"event": "listening", "port": listener.local_addr()?.port(), "path": "/v1/stream", "floor_threads": args.threads})
    );
    std::io::stdout().flush()?;
    let subscribed: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
    {
        let subscribed = subscribed.clone();
        std::thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                if let Some(tcp) = subscribe(tcp) {
                    subscribed
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(tcp);
                }
            }
        });
    }
    let deadline = started + Duration::from_secs(args.run.max_run_s);
    let count = || subscribed.lock().unwrap_or_else(|e| e.into_inner()).len();
    while count() < args.run.wait_clients {
        if Instant::now() > deadline {
            println!(
                "{}",
                serde_json::json!({"event": "timeout", "max_run_s": args.run.max_run_s})
            );
            std::process::exit(3);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(args.run.start_delay_ms));
    // The connections that subscribed by now, split once between the threads.
    let connections = std::mem::take(&mut *subscribed.lock().unwrap_or_else(|e| e.into_inner()));
    let share = connections.len().div_ceil(args.threads.max(1)).max(1);
    let shares: Vec<&[TcpStream]> = connections.chunks(share).collect();
    let t0 = Instant::now();
    let mut next = t0;
    let mut sends = 0usize;
    let mut message_bytes = 0;
    for seq in 1..=args.run.count {
        let json = message(seq, args.run.bytes);
        message_bytes = json.len();
        let frame = frame(&json);
        sends += if shares.len() == 1 {
            write_all(shares[0], &frame)
        } else {
            std::thread::scope(|s| {
                let writers: Vec<_> = shares
                    .iter()
                    .map(|&share| {
                        let frame = &frame;
                        s.spawn(move || write_all(share, frame))
                    })
                    .collect();
                writers.into_iter().map(|w| w.join().unwrap_or(0)).sum()
            })
        };
        if args.run.interval_ms > 0 {
            next += Duration::from_millis(args.run.interval_ms);
            let now = Instant::now();
            if next > now {
                std::thread::sleep(next - now);
            }
        }
    }
    println!(
        "{}",
        serde_json::json!({
            "event": "done", "broadcasts": args.run.count, "sends": sends, "clients": connections.len(),
            "message_bytes": message_bytes, "interval_ms": args.run.interval_ms,
            "send_phase_s": t0.elapsed().as_secs_f64(),
        })
    );
    std::io::stdout().flush()?;
    // Stay up until the runner stops it (or the hard stop): the clients
    // close when they have read everything.
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// Upgrades a connection and waits for its first text frame naming a
/// subscription (within `SUBSCRIBE_WITHIN`); the socket then only takes
/// writes, without blocking.
fn subscribe(tcp: TcpStream) -> Option<TcpStream> {
    let until = Instant::now() + SUBSCRIBE_WITHIN;
    tcp.set_nodelay(true).ok()?;
    tcp.set_read_timeout(Some(SUBSCRIBE_WITHIN)).ok()?;
    let kept = tcp.try_clone().ok()?;
    let mut ws = tungstenite::accept(tcp).ok()?;
    while Instant::now() < until {
        match ws.read().ok()? {
            Message::Text(t) if t.as_str().contains("subscribe") => {
                kept.set_nonblocking(true).ok()?;
                return Some(kept);
            }
            Message::Close(_) => return None,
            _ => {}
        }
    }
    None
}

/// How long a connection has to upgrade and subscribe (the accept loop
/// waits for it).
const SUBSCRIBE_WITHIN: Duration = Duration::from_secs(5);

/// One write of the frame on each socket, none waiting for another: a socket
/// that takes only part of it gets the rest once every other has had its
/// write (as a server with a buffer per connection would send it when the
/// socket drains). Returns the sockets that took the whole frame.
fn write_all(connections: &[TcpStream], frame: &[u8]) -> usize {
    let mut sent = 0;
    let mut rest = Vec::new();
    for mut tcp in connections {
        match tcp.write(frame) {
            Ok(n) if n == frame.len() => sent += 1,
            Ok(n) => rest.push((tcp, n)),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => rest.push((tcp, 0)),
            Err(_) => {}
        }
    }
    for (mut tcp, mut at) in rest {
        while at < frame.len() {
            match tcp.write(&frame[at..]) {
                Ok(n) => at += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_micros(100));
                }
                Err(_) => break,
            }
        }
        if at == frame.len() {
            sent += 1;
        }
    }
    sent
}

/// A JSON message of `bytes` bytes with the wall clock (ns) when it was made.
fn message(seq: u32, bytes: usize) -> Vec<u8> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let head =
        format!(r#"{{"type":"delta","station":"caudry","seq":{seq},"sent_at_ns":{now},"pad":""#);
    let mut json = head.into_bytes();
    json.resize(bytes.saturating_sub(2).max(json.len()), b'.');
    json.extend_from_slice(b"\"}");
    json
}

/// An unmasked text frame (RFC 6455 §5.2) holding `payload`.
fn frame(payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x81];
    match payload.len() {
        n if n < 126 => frame.push(n as u8),
        n if n <= usize::from(u16::MAX) => {
            frame.push(126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            frame.push(127);
            frame.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(payload);
    frame
}
