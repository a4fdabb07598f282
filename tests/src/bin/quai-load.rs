//! `quai-load`: a load generator for the live stream.
//!
//! Starts the `feed-server` binary on 127.0.0.1 with the demo timetable and
//! realtime from a fake upstream (both on this machine), opens N WebSocket clients
//! that subscribe to the station, then changes the realtime K times and measures:
//! delivery latency (the delta's `server_time` to its receipt), deliveries per
//! second, missed deltas, and the server's resident memory per connection.
//!
//! `ulimit -n 65536; quai-load --clients 10000 --changes 20`
//! (see docs/benchmarks.md). Everything stays on 127.0.0.1 and stops by itself.
//!
//! As a soak (docs/reliability.md): `quai-load --clients 1000 --changes 360
//! --interval-ms 5000 --frozen-percent 0 --sample-s 60` runs 30 minutes, prints
//! the server's RSS every minute, and at the end checks that every client's board
//! equals the REST board, and counts the server's warnings and errors.
//! `--frozen-percent 10` makes that share of clients stop reading once
//! subscribed (the slow-consumer drill: they are dropped, the others are not
//! slowed).

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use clap::Parser;
use futures_util::{SinkExt as _, StreamExt as _};
use quai_protocol::{BoardState, ServerMessage};
use quai_tests::changes::{Rng, random_updates};
use quai_tests::stream::content;
use quai_tests::upstream::{Reply, Upstream};
use tokio_tungstenite::tungstenite::Message;

const START: &str = "2026-03-09T07:30:00+01:00";

#[derive(Debug, Parser)]
#[command(about = "Load generator for Quai's live stream (127.0.0.1 only)")]
struct Args {
    /// WebSocket clients to open.
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    /// Realtime changes to make once every client is subscribed.
    #[arg(long, default_value_t = 20)]
    changes: u64,
    /// Milliseconds between changes.
    #[arg(long, default_value_t = 1000)]
    interval_ms: u64,
    /// Handshakes in flight at once while connecting.
    #[arg(long, default_value_t = 200)]
    connect_concurrency: usize,
    /// The feed-server binary (default: next to this one).
    #[arg(long)]
    server_bin: Option<std::path::PathBuf>,
    /// Share of clients (0-100) that stop reading once subscribed.
    #[arg(long, default_value_t = 0)]
    frozen_percent: usize,
    /// Print the server's RSS every this many seconds while changing (0: never).
    #[arg(long, default_value_t = 0)]
    sample_s: u64,
}

#[derive(Default)]
struct Stats {
    latencies_ms: Mutex<Vec<f64>>,
    deliveries: AtomicU64,
    gaps: AtomicU64,
    closed: AtomicU64,
    last_delivery: Mutex<Option<Instant>>,
}

fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn metric(base: &str, name: &str) -> anyhow::Result<f64> {
    let text = feed_server::sources::http::client(Duration::from_secs(10))?
        .get(format!("{base}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse().ok())
        .with_context(|| format!("{name} not in /metrics"))
}

/// One client: subscribes, keeps its board with `BoardState` in `held`, and
/// measures each delta. A `frozen` one stops reading once subscribed.
async fn client(
    url: String,
    stats: Arc<Stats>,
    ready: tokio::sync::mpsc::Sender<()>,
    held: Arc<Mutex<BoardState>>,
    frozen: bool,
) {
    let Ok((mut ws, _)) = tokio_tungstenite::connect_async(&url).await else {
        stats.closed.fetch_add(1, Ordering::Relaxed);
        let _ = ready.send(()).await;
        return;
    };
    let subscribe = r#"{"op":"subscribe","station":"caudry"}"#;
    if ws.send(Message::Text(subscribe.into())).await.is_err() {
        stats.closed.fetch_add(1, Ordering::Relaxed);
        let _ = ready.send(()).await;
        return;
    }
    let mut seq = None;
    let mut ready = Some(ready);
    while let Some(Ok(frame)) = ws.next().await {
        let Message::Text(text) = frame else { continue };
        let received = Utc::now();
        let Ok(message) = serde_json::from_str::<ServerMessage>(text.as_str()) else {
            continue;
        };
        if let Ok(mut state) = held.lock() {
            let _ = state.apply(&message);
        }
        match message {
            ServerMessage::Snapshot { seq: s, .. } => {
                seq = Some(s);
                if let Some(r) = ready.take() {
                    let _ = r.send(()).await;
                }
                if frozen {
                    // Holds the connection and never reads again.
                    std::future::pending::<()>().await;
                }
            }
            ServerMessage::Delta(d) => {
                if seq != Some(d.prev_seq) {
                    stats.gaps.fetch_add(1, Ordering::Relaxed);
                }
                seq = Some(d.seq);
                if let Ok(sent) = DateTime::parse_from_rfc3339(&d.server_time) {
                    let ms = (received - sent.with_timezone(&Utc))
                        .num_microseconds()
                        .unwrap_or(0) as f64
                        / 1000.0;
                    if let Ok(mut l) = stats.latencies_ms.lock() {
                        l.push(ms);
                    }
                }
                stats.deliveries.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut t) = stats.last_delivery.lock() {
                    *t = Some(Instant::now());
                }
            }
            _ => {}
        }
    }
    stats.closed.fetch_add(1, Ordering::Relaxed);
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let need = args.clients as u64 + 200;
    if let Some(limit) = open_files_limit()
        && limit < need
    {
        bail!("the open files limit is {limit}; {need} are needed: run `ulimit -n {need}` first");
    }
    let server_bin = match args.server_bin.clone() {
        Some(p) => p,
        None => std::env::current_exe()?
            .parent()
            .context("exe folder")?
            .join("feed-server"),
    };

    // A fake upstream serving the realtime the server polls.
    let start = DateTime::parse_from_rfc3339(START)?.with_timezone(&Utc);
    let base_ts = start.timestamp() - 30;
    let mut rng = Rng(2026);
    let upstream = Upstream::start(Reply::Body(random_updates(&mut rng, base_ts))).await;
    let dir = std::env::temp_dir().join(format!("quai-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let config = dir.join("load.toml");
    let server_log = dir.join("server.log");
    std::fs::write(
        &config,
        format!(
            "[server]\n# Every client comes from 127.0.0.1 here.\nmax_connections_per_ip = 1000000\n\n\
             [[feeds]]\nid = \"demo\"\ngtfs = \"builtin:caudry-demo\"\n[feeds.realtime]\n\
             trip_updates_url = \"{}/tu.pb\"\npoll_s = 0.1\n\n[[stations]]\nid = \"caudry\"\n\
             name = \"Caudry\"\nstops = {{ demo = [\"CAUDRY\"] }}\n",
            upstream.url
        ),
    )?;

    let mut server = Command::new(&server_bin)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--now",
            START,
            "--clock",
            "running",
        ])
        .arg("--config")
        .arg(&config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(std::fs::File::create(&server_log)?))
        .spawn()
        .with_context(|| format!("cannot start {}", server_bin.display()))?;
    let pid = server.id();
    let mut line = String::new();
    BufReader::new(server.stdout.take().context("stdout")?).read_line(&mut line)?;
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .with_context(|| format!("unexpected first line from the server: {line:?}"))?
        .to_string();
    let url = format!("{}/v1/stream", base.replacen("http://", "ws://", 1));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = rss_kb(pid).unwrap_or(0);

    // Connect and subscribe every client.
    let stats = Arc::new(Stats::default());
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(args.clients.max(1));
    let gate = Arc::new(tokio::sync::Semaphore::new(args.connect_concurrency));
    let connecting = Instant::now();
    let mut tasks = Vec::with_capacity(args.clients);
    let mut boards = Vec::with_capacity(args.clients);
    for i in 0..args.clients {
        let (url, stats, ready) = (url.clone(), stats.clone(), ready_tx.clone());
        let permit = gate.clone().acquire_owned().await?;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(1);
        let held = Arc::new(Mutex::new(BoardState::new("caudry".to_string())));
        // Every (100 / p)th client, spread over the run.
        let frozen =
            args.frozen_percent > 0 && (i * args.frozen_percent) % 100 < args.frozen_percent;
        boards.push((held.clone(), frozen));
        tasks.push(tokio::spawn(client(url, stats, tx, held, frozen)));
        let ready = ready.clone();
        tokio::spawn(async move {
            let _ = rx.recv().await;
            drop(permit);
            let _ = ready.send(()).await;
        });
    }
    for _ in 0..args.clients {
        ready_rx.recv().await;
    }
    let connect_s = connecting.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_after = rss_kb(pid).unwrap_or(0);
    let failed = stats.closed.load(Ordering::Relaxed);

    // Change the realtime K times.
    let published_before = metric(&base, "quai_stream_boards_published_total").await?;
    let changing = Instant::now();
    let mut sampled = Instant::now();
    let mut rss_samples = vec![(0.0, rss_after)];
    for i in 1..=args.changes {
        upstream.set(Reply::Body(random_updates(&mut rng, base_ts + i as i64)));
        tokio::time::sleep(Duration::from_millis(args.interval_ms)).await;
        if args.sample_s > 0 && sampled.elapsed() >= Duration::from_secs(args.sample_s) {
            sampled = Instant::now();
            let rss = rss_kb(pid).unwrap_or(0);
            let t = changing.elapsed().as_secs_f64();
            rss_samples.push((t, rss));
            println!(
                "t={t:.0} s: server RSS {} MiB, {} deliveries, gaps {}",
                rss / 1024,
                stats.deliveries.load(Ordering::Relaxed),
                stats.gaps.load(Ordering::Relaxed)
            );
        }
    }
    // Let the last deliveries land.
    let mut last = stats.deliveries.load(Ordering::Relaxed);
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let now = stats.deliveries.load(Ordering::Relaxed);
        if now == last {
            break;
        }
        last = now;
    }
    let published = metric(&base, "quai_stream_boards_published_total").await? - published_before;
    let dropped = metric(&base, "quai_stream_dropped_slow_total").await?;
    let window = stats
        .last_delivery
        .lock()
        .ok()
        .and_then(|t| *t)
        .map(|t| t.duration_since(changing).as_secs_f64())
        .unwrap_or(f64::NAN);

    // Every reading client's board equals the REST board (of the same seq; the
    // board also moves with the clock, so read both again until they meet).
    let mut mismatched = usize::MAX;
    let mut behind = 0;
    let reading = boards.iter().filter(|(_, frozen)| !frozen).count();
    for _ in 0..20 {
        let rest: serde_json::Value = feed_server::sources::http::client(Duration::from_secs(10))?
            .get(format!("{base}/v1/stations/caudry/board?limit=30"))
            .send()
            .await?
            .json()
            .await?;
        let want = content(&rest);
        let seq = rest["seq"].as_u64();
        let (mut same, mut other) = (0, 0);
        behind = 0;
        for (held, frozen) in &boards {
            if *frozen {
                continue;
            }
            let Ok(state) = held.lock() else { continue };
            if state.seq() != seq {
                behind += 1;
                continue;
            }
            let board = state.board().map(serde_json::to_value).transpose()?;
            if board.is_some_and(|b| content(&b) == want) {
                same += 1;
            } else {
                other += 1;
            }
        }
        mismatched = other;
        if same == reading {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let rss_end = rss_kb(pid).unwrap_or(0);
    let _ = server.kill();
    let _ = server.wait();
    let log = std::fs::read_to_string(&server_log).unwrap_or_default();
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("ERROR")).collect();
    let warnings = log.lines().filter(|l| l.contains("WARN")).count();
    for t in tasks {
        t.abort();
    }
    let _ = std::fs::remove_dir_all(&dir);

    let mut latencies = stats
        .latencies_ms
        .lock()
        .map(|l| l.clone())
        .unwrap_or_default();
    latencies.sort_by(f64::total_cmp);
    let deliveries = stats.deliveries.load(Ordering::Relaxed);
    let connected = args.clients as u64 - failed;
    let expected = connected as f64 * published;
    println!(
        "clients: {} ({} failed to connect), connected in {connect_s:.1} s",
        args.clients, failed
    );
    println!(
        "deltas published: {published}; deliveries {deliveries} of {expected} expected; gaps {}; dropped as slow {dropped}",
        stats.gaps.load(Ordering::Relaxed)
    );
    println!(
        "latency ms: p50 {:.1}, p99 {:.1}, max {:.1}",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "deliveries/s over the change window ({window:.1} s): {:.0}",
        deliveries as f64 / window
    );
    println!(
        "server RSS: {} MiB before clients, {} MiB with them: {:.1} KiB per connection",
        rss_before / 1024,
        rss_after / 1024,
        (rss_after.saturating_sub(rss_before)) as f64 / connected.max(1) as f64
    );
    println!(
        "end state: {reading} reading clients; {mismatched} with a board different from the REST board, {behind} at another seq"
    );
    let (first, last) = (rss_samples[0].1, rss_end);
    println!(
        "server RSS over the run: {} MiB at the start of the changes, {} MiB at the end ({:+.1} %)",
        first / 1024,
        last / 1024,
        (last as f64 - first as f64) * 100.0 / first.max(1) as f64
    );
    println!(
        "server log: {} errors, {warnings} warnings{}",
        errors.len(),
        errors
            .first()
            .map(|e| format!("; first: {e}"))
            .unwrap_or_default()
    );
    println!(
        "| {} | {published} | {deliveries} / {expected} | {:.1} | {:.1} | {:.1} | {:.0} | {:.1} |",
        args.clients,
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(f64::NAN),
        deliveries as f64 / window,
        (rss_after.saturating_sub(rss_before)) as f64 / connected.max(1) as f64
    );
    Ok(())
}
