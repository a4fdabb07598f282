//! `quai-fanout`: Quai's stream fan-out driven the way the peer's is, for the
//! side-by-side benchmark against Node `ws` (issue 17, docs/benchmarks.md).
//!
//! It serves `/v1/stream` with the server's own code (the accept loop, the
//! hub, the stream connections) on 127.0.0.1, and, once `--wait-clients`
//! connections have subscribed to the station, publishes `--count` boards
//! that each differ from the last by one notice, `--interval-ms` apart (0:
//! back to back, yielding to the runtime between two), each a delta of about
//! `--bytes` bytes to every subscriber. Nothing is written to disk: the
//! operator path (a notice POST, stored, then published) is measured apart,
//! by `scripts/bench-fanout.sh`.
//!
//! Its command line and output are those of the peer's
//! `ws-broadcast-node/server.mjs` (`{"event":"listening","port":P}` first,
//! `{"event":"done",...}` at the end), so one runner drives both under the
//! same load client (`scripts/bench-fanout-peer.py`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::routing::get;
use chrono::Utc;
use clap::Parser;
use feed_server::accept::{self, Limits};
use feed_server::board::model::{Board, Notice};
use feed_server::config::{ServerSettings, StreamSettings};
use feed_server::http::stream::{self, StreamState};
use feed_server::hub::{Hub, ReplayLimits};
use feed_server::id::StationId;
use feed_server::metrics::Metrics;
use feed_server::realtime::{Cause, Effect};
use quai_protocol::{InformedEntity, NoticeSource, Severity};
use quai_tests::broadcast::Broadcast;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Parser)]
#[command(about = "Quai's stream fan-out under a synthetic publisher (benchmarks)")]
struct Args {
    #[command(flatten)]
    run: Broadcast,
    /// Back to back without waiting for the last delta to reach the sockets:
    /// all deltas are queued at once (latency then includes the queueing).
    #[arg(long)]
    no_wait: bool,
}

const STATION: &str = "caudry";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let started = Instant::now();
    let station: StationId = STATION.parse().context("station id")?;
    let hub = Arc::new(Hub::new(
        [station.clone()],
        ReplayLimits {
            deltas: 256,
            age: Duration::from_secs(600),
        },
    ));
    let metrics = Arc::new(Metrics::default());
    let stop = CancellationToken::new();
    // The first board, before anyone subscribes.
    let mut seq = 0u32;
    hub.publish_with(STATION, 0, || board(&station, 0, "", None));
    // Pad the notices so that a delta is about `--bytes` long.
    let padding = {
        let probe = board(&station, 1, "", None);
        let delta_overhead = 400;
        let notice =
            serde_json::to_string(&probe.notices.first().map(|n| &n.header)).map_or(0, |s| s.len());
        ".".repeat(args.run.bytes.saturating_sub(delta_overhead + notice))
    };

    let settings = ServerSettings {
        max_connections_per_ip: Some(1_000_000),
        ..ServerSettings::default()
    };
    let limits = Limits::derive(&settings);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.run.port)).await?;
    println!(
        "{}",
        serde_json::json!({"event": "listening", "port": listener.local_addr()?.port(), "path": "/v1/stream", "quai": env!("CARGO_PKG_VERSION")})
    );
    let app = axum::Router::new()
        .route("/v1/stream", get(stream::upgrade))
        .with_state(StreamState {
            hub: hub.clone(),
            trips: None,
            settings: StreamSettings::default(),
            metrics: metrics.clone(),
            shutdown: stop.clone(),
        });
    let server = tokio::spawn(accept::serve(
        listener,
        app,
        limits,
        metrics.clone(),
        stop.clone(),
    ));

    let deadline = started + Duration::from_secs(args.run.max_run_s);
    let subscribers = || {
        hub.subscriber_counts()
            .iter()
            .map(|(_, n)| n)
            .sum::<usize>()
    };
    while subscribers() < args.run.wait_clients {
        if Instant::now() > deadline {
            println!(
                "{}",
                serde_json::json!({"event": "timeout", "max_run_s": args.run.max_run_s})
            );
            std::process::exit(3);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(args.run.start_delay_ms)).await;

    let subscribed = subscribers();
    let sent_before = metrics.stream_messages.load(Ordering::Relaxed);
    let mut loop_ms = Vec::new();
    let t0 = Instant::now();
    let mut next = t0;
    let mut message_bytes = 0;
    for i in 1..=args.run.count {
        seq += 1;
        let s = Instant::now();
        let published = hub.publish_with(STATION, u64::from(seq), || {
            board(&station, i, &padding, Some(i))
        });
        loop_ms.push(s.elapsed().as_secs_f64() * 1000.0);
        if let Some(p) = published {
            message_bytes = serde_json::to_vec(&*p.wire).map_or(0, |b| b.len());
        }
        if args.run.interval_ms == 0 && args.no_wait {
            tokio::task::yield_now().await;
        } else if args.run.interval_ms == 0 {
            // Back to back as the peer's loop is: the next delta once this one
            // has been handed to every connection's socket (each counts a
            // message as it writes it), not before.
            let target = sent_before + u64::from(i) * subscribed as u64;
            while metrics.stream_messages.load(Ordering::Relaxed) < target
                && Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_micros(200)).await;
            }
        } else {
            next += Duration::from_millis(args.run.interval_ms);
            let now = Instant::now();
            if next > now {
                tokio::time::sleep(next - now).await;
            }
        }
    }
    let send_s = t0.elapsed().as_secs_f64();
    loop_ms.sort_by(f64::total_cmp);
    let q = |p: f64| {
        loop_ms
            .get(((loop_ms.len().saturating_sub(1)) as f64 * p).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "{}",
        serde_json::json!({
            "event": "done", "broadcasts": args.run.count, "subscribers": subscribers(),
            "board_bytes": message_bytes, "interval_ms": args.run.interval_ms, "send_phase_s": send_s,
            "publish_ms": {"p50": q(0.5), "p99": q(0.99), "max": q(1.0)},
        })
    );
    // Stay up until the clients leave (or the hard stop).
    while subscribers() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.cancel();
    let _ = server.await;
    Ok(())
}

/// The station's board: no departures, and from `with_notice` on, one notice
/// whose text changes with `i` (each board a delta of one notice).
fn board(station: &StationId, i: u32, padding: &str, with_notice: Option<u32>) -> Board {
    let now = Utc::now();
    let text = |s: String| BTreeMap::from([("fr".to_string(), s)]);
    Board {
        station: station.clone(),
        station_name: "Caudry".into(),
        timezone: chrono_tz::Europe::Paris,
        generated_at: now,
        departures: Vec::new(),
        arrivals: Vec::new(),
        notices: with_notice
            .map(|n| Notice {
                id: "bench".into(),
                source: NoticeSource::Operator,
                severity: Severity::Info,
                cause: Cause::Maintenance,
                effect: Effect::OtherEffect,
                header: text(format!("Avis {n}")),
                description: text(format!("Avis {i} {padding}")),
                screen_text: BTreeMap::new(),
                tts_text: BTreeMap::new(),
                active_periods: Vec::new(),
                informed_entities: vec![InformedEntity::Station {
                    station: station.to_string(),
                }],
                updated_at: now,
            })
            .into_iter()
            .collect(),
        advisories: Vec::new(),
        wifi: None,
        feeds: Vec::new(),
        next_service: None,
        emergency: None,
        facilities: Vec::new(),
    }
}
