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
//! Across machines' roles (docs/scaling.md): `quai-load --edges 3 --clients
//! 9000` starts a real nats-server, runs the server as the ingest node and
//! three edge nodes, and spreads the clients evenly over the edges; latencies
//! then run from the ingest node's publication to the client, through NATS and
//! an edge, and are given per edge, with each process's CPU and memory.
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
use quai_protocol::Board;
use quai_protocol::{BoardState, ServerMessage};
use quai_tests::binary::rss_kib;
use quai_tests::board::content;
use quai_tests::changes::{Rng, random_updates};
use quai_tests::http::{Api, info_notice};
use quai_tests::screen::{LIVE as SCREEN_LIVE, NOT_LIVE as SCREEN_NOT_LIVE, Screen};
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
    /// Upstream drill: every this many changes (0: never), the fake upstream
    /// serves the next fault of the realtime issue's list instead (500, hang,
    /// truncated, not protobuf, a day ahead, older than held) for one interval;
    /// every seventh time an outage of 100 s (503), past `stale_after_s` (90 s):
    /// the board goes stale, then comes back.
    #[arg(long, default_value_t = 0)]
    fault_every: u64,
    /// Restart drill: after this change, kill -9 the server and start it again
    /// on the same port and data dir (0: never). One notice is posted per change;
    /// every acknowledged one must be there at the end.
    #[arg(long, default_value_t = 0)]
    restart_at: u64,
    /// The display-client binary: run one headless screen (`--keep-running`)
    /// on the stream during the run. With `--fault-every`, at each outage it
    /// must show the not-live state, then live again once the upstream is back.
    #[arg(long, value_name = "DISPLAY_CLIENT")]
    screen: Option<std::path::PathBuf>,
    /// Scale-out: run the server as an ingest node publishing to a real
    /// nats-server, start this many edge nodes, and spread the clients
    /// evenly over them (0: clients on the one server).
    #[arg(long, default_value_t = 0)]
    edges: usize,
}

#[derive(Default)]
struct Stats {
    latencies_ms: Mutex<Vec<f64>>,
    deliveries: AtomicU64,
    gaps: AtomicU64,
    closed: AtomicU64,
    disconnects: AtomicU64,
    last_delivery: Mutex<Option<Instant>>,
    /// When the server was killed (restart drill).
    killed_at: Mutex<Option<Instant>>,
    /// Seconds from the kill to each client's board being back.
    reconnect_s: Mutex<Vec<f64>>,
    /// Latencies by the node the client is on (the edges, or the server).
    per_node_ms: Vec<Mutex<Vec<f64>>>,
}

impl Stats {
    fn new(nodes: usize) -> Stats {
        Stats {
            per_node_ms: (0..nodes.max(1)).map(|_| Mutex::default()).collect(),
            ..Stats::default()
        }
    }
}

fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// A copy of the figures, in increasing order.
fn sorted(figures: &Mutex<Vec<f64>>) -> Vec<f64> {
    let mut figures = figures.lock().map(|f| f.clone()).unwrap_or_default();
    figures.sort_by(f64::total_cmp);
    figures
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn metric(api: &Api, name: &str) -> anyhow::Result<f64> {
    let text = api.try_metrics().await?;
    quai_tests::http::metric(&text, name).with_context(|| format!("{name} not in /metrics"))
}

/// One client: subscribes, keeps its board with `BoardState` in `held`, and
/// measures each delta. A `frozen` one stops reading once subscribed. When the
/// server goes away (the restart drill) it reconnects every 100 ms and
/// resubscribes with `since`, and notes how long after the kill its board was
/// back.
async fn client(
    url: String,
    node: usize,
    stats: Arc<Stats>,
    ready: tokio::sync::mpsc::Sender<()>,
    held: Arc<Mutex<BoardState>>,
    frozen: bool,
) {
    let mut ready = Some(ready);
    let mut seq = None;
    let mut first = true;
    loop {
        if !first {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let Ok((mut ws, _)) = tokio_tungstenite::connect_async(&url).await else {
            if first {
                stats.closed.fetch_add(1, Ordering::Relaxed);
                if let Some(r) = ready.take() {
                    let _ = r.send(()).await;
                }
                return;
            }
            continue;
        };
        let since = held.lock().ok().and_then(|s| s.seq());
        let subscribe = match since {
            Some(since) => format!(r#"{{"op":"subscribe","station":"caudry","since":{since}}}"#),
            None => r#"{"op":"subscribe","station":"caudry"}"#.to_string(),
        };
        if ws.send(Message::Text(subscribe.into())).await.is_err() {
            continue;
        }
        let mut back = !first;
        first = false;
        while let Some(Ok(frame)) = ws.next().await {
            let Message::Text(text) = frame else { continue };
            let received = Utc::now();
            let Ok(message) = serde_json::from_str::<ServerMessage>(text.as_str()) else {
                continue;
            };
            if let Ok(mut state) = held.lock() {
                let _ = state.apply(&message);
            }
            if back
                && matches!(
                    message,
                    ServerMessage::Snapshot { .. } | ServerMessage::Delta(_)
                )
            {
                back = false;
                let killed = stats.killed_at.lock().ok().and_then(|k| *k);
                if let (Some(killed), Ok(mut r)) = (killed, stats.reconnect_s.lock()) {
                    r.push(killed.elapsed().as_secs_f64());
                }
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
                        if stats.per_node_ms.len() > 1
                            && let Some(Ok(mut l)) = stats.per_node_ms.get(node).map(|l| l.lock())
                        {
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
        stats.disconnects.fetch_add(1, Ordering::Relaxed);
    }
}

/// The server process: killed when dropped, so that no early return leaves it
/// running.
struct ServerProcess(std::process::Child);

impl ServerProcess {
    fn id(&self) -> u32 {
        self.0.id()
    }

    /// kill -9, as a power cut.
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts the feed-server binary with its clock running from `now`; its base URL
/// (from its first line).
fn start_server(
    bin: &std::path::Path,
    listen: &str,
    now: &str,
    config: &std::path::Path,
    data_dir: &std::path::Path,
    log: &std::path::Path,
    role: &[String],
) -> anyhow::Result<(ServerProcess, String)> {
    let mut server = Command::new(bin)
        .args([
            "serve", "--listen", listen, "--now", now, "--clock", "running",
        ])
        .args(role)
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)?,
        ))
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    let stdout = server.stdout.take().context("stdout")?;
    let server = ServerProcess(server);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .with_context(|| format!("unexpected first line from the server: {line:?}"))?
        .to_string();
    Ok((server, base))
}

/// Whether the station's board says a realtime feed is stale.
async fn board_stale(api: &Api) -> anyhow::Result<bool> {
    let board: Board = api.try_get("/v1/stations/caudry/board?limit=1").await?;
    Ok(board.feeds.iter().any(|f| f.stale))
}

/// Posts one notice (with a 5 s timeout); its id when acknowledged (201).
async fn post_notice(base: &str, token: &str, i: u64) -> Option<String> {
    Api::with_timeout(base, Duration::from_secs(5))
        .try_post_notice(token, &info_notice(&format!("Avis de charge {i}")))
        .await
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
    // The server's clock runs from START: each message is dated by it (a few
    // seconds back), so that a long run never feeds it stale realtime, and one
    // second after the last at least, so that each one is news.
    let began = Instant::now();
    let mut last_ts = base_ts;
    let mut next_ts = move || {
        last_ts = (start.timestamp() + began.elapsed().as_secs() as i64 - 5).max(last_ts + 1);
        last_ts
    };
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
             trip_updates_url = \"{}/tu.pb\"\npoll_s = 0.1\nmax_backoff_s = 10\n\n[[stations]]\nid = \"caudry\"\n\
             name = \"Caudry\"\nstops = {{ demo = [\"CAUDRY\"] }}\n",
            upstream.url
        ),
    )?;

    // An operator for the notices posted during the run.
    let data_dir = dir.join("data");
    let added = Command::new(&server_bin)
        .args([
            "operator",
            "add",
            "load",
            "--scope",
            "station:caudry",
            "--data-dir",
        ])
        .arg(&data_dir)
        .output()
        .context("feed-server operator add")?;
    if !added.status.success() {
        bail!("operator add: {}", String::from_utf8_lossy(&added.stderr));
    }
    let token = String::from_utf8_lossy(&added.stdout).trim().to_string();
    if args.edges > 0 && args.restart_at > 0 {
        bail!("--restart-at is for one server, not with --edges");
    }
    // Scale-out: NATS, the server as the ingest node, and the edges.
    let nats = (args.edges > 0).then(quai_tests::nats::Nats::start);
    let role = |role: &str, name: String| -> Vec<String> {
        match &nats {
            Some(nats) => ["--role", role, "--nats", &nats.url, "--node-name", &name]
                .map(String::from)
                .to_vec(),
            None => Vec::new(),
        }
    };
    let (mut server, base) = start_server(
        &server_bin,
        "127.0.0.1:0",
        START,
        &config,
        &data_dir,
        &server_log,
        &role("ingest", "ingest".into()),
    )?;
    let mut edges = Vec::new();
    for i in 0..args.edges {
        let name = format!("edge-{i}");
        let edge = start_server(
            &server_bin,
            "127.0.0.1:0",
            START,
            &config,
            &dir.join(&name),
            &dir.join(format!("{name}.log")),
            &role("edge", name),
        )?;
        let api = Api::with_timeout(&edge.1, Duration::from_secs(10));
        let waiting = Instant::now();
        while api
            .try_get::<Board>("/v1/stations/caudry/board?limit=1")
            .await
            .is_err()
        {
            if waiting.elapsed() > Duration::from_secs(30) {
                bail!("edge {i}: no board from NATS within 30 s");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        edges.push(edge);
    }
    let mut pid = server.id();
    let api = Api::with_timeout(&base, Duration::from_secs(10));
    let url = quai_tests::stream::url(&base);
    // Where clients connect: the edges, else the server.
    let urls: Vec<String> = if edges.is_empty() {
        vec![url.clone()]
    } else {
        edges
            .iter()
            .map(|(_, base)| quai_tests::stream::url(base))
            .collect()
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = rss_kib(pid).unwrap_or(0);
    let mut screen = match &args.screen {
        Some(bin) => {
            let began = Instant::now();
            let mut screen = Screen::start(bin, &url, &dir)
                .with_context(|| format!("cannot start {}", bin.display()))?;
            screen.until(SCREEN_LIVE, Duration::from_secs(120)).await?;
            println!(
                "screen: live {:.1} s after it started",
                began.elapsed().as_secs_f64()
            );
            Some(screen)
        }
        None => None,
    };

    // Connect and subscribe every client.
    let stats = Arc::new(Stats::new(urls.len()));
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(args.clients.max(1));
    let gate = Arc::new(tokio::sync::Semaphore::new(args.connect_concurrency));
    let connecting = Instant::now();
    let mut tasks = Vec::with_capacity(args.clients);
    let mut boards = Vec::with_capacity(args.clients);
    for i in 0..args.clients {
        let node = i % urls.len();
        let (url, stats, ready) = (urls[node].clone(), stats.clone(), ready_tx.clone());
        let permit = gate.clone().acquire_owned().await?;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(1);
        let held = Arc::new(Mutex::new(BoardState::new("caudry".to_string())));
        // Every (100 / p)th client, spread over the run.
        let frozen =
            args.frozen_percent > 0 && (i * args.frozen_percent) % 100 < args.frozen_percent;
        boards.push((held.clone(), frozen));
        tasks.push(tokio::spawn(client(url, node, stats, tx, held, frozen)));
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
    let rss_after = rss_kib(pid).unwrap_or(0);
    let failed = stats.closed.load(Ordering::Relaxed);

    // Change the realtime K times.
    let published_before = metric(&api, "quai_stream_boards_published_total").await?;
    // Every process's CPU time over the changes: the server (the ingest
    // node), the edges, NATS, and this load generator.
    let mut processes: Vec<(String, u32)> = vec![("server".into(), pid)];
    if !edges.is_empty() {
        processes[0].0 = "ingest".into();
    }
    for (i, (edge, _)) in edges.iter().enumerate() {
        processes.push((format!("edge-{i}"), edge.id()));
    }
    if let Some(nats) = &nats {
        processes.push(("nats-server".into(), nats.pid()));
    }
    processes.push(("quai-load".into(), std::process::id()));
    let mut cpu_before: Vec<f64> = processes
        .iter()
        .map(|(_, p)| quai_tests::binary::cpu_s(*p).unwrap_or(0.0))
        .collect();
    let changing = Instant::now();
    let mut sampled = Instant::now();
    let mut rss_samples = vec![(0.0, rss_after)];
    let mut acknowledged = Vec::new();
    let (mut faults_served, mut stale_episodes, mut was_stale) = (0usize, 0usize, false);
    for i in 1..=args.changes {
        let ts = next_ts();
        if args.fault_every > 0 && i % args.fault_every == 0 {
            let fault = match faults_served % 7 {
                0 => Reply::Status(500, None),
                1 => Reply::Hang,
                2 => Reply::Truncated {
                    body: random_updates(&mut rng, ts)[..10].to_vec(),
                    declared: 400,
                },
                3 => Reply::Body(b"<html>not protobuf</html>".to_vec()),
                4 => Reply::Body(random_updates(&mut rng, ts + 86_400)),
                5 => Reply::Body(random_updates(&mut rng, ts - 600)),
                _ => Reply::Status(503, None),
            };
            let outage = faults_served % 7 == 6;
            faults_served += 1;
            upstream.set(fault);
            if outage {
                println!("upstream down (503) for 100 s from change {i}");
                tokio::time::sleep(Duration::from_secs(100)).await;
                if board_stale(&api).await? {
                    stale_episodes += 1;
                    println!("after 100 s without realtime the board says it is stale");
                    if let Some(screen) = screen.as_mut() {
                        let checked = Instant::now();
                        screen
                            .until(SCREEN_NOT_LIVE, Duration::from_secs(30))
                            .await?;
                        println!(
                            "screen: not live ({:.1} s after the check)",
                            checked.elapsed().as_secs_f64()
                        );
                    }
                } else {
                    bail!("the board is not stale after 100 s without realtime");
                }
                // Back up: the board is live again once the poller's backoff
                // (at most max_backoff_s, 10 s here) brings it a fresh message.
                upstream.set(Reply::Body(random_updates(&mut rng, next_ts())));
                let back = Instant::now();
                loop {
                    if !board_stale(&api).await? {
                        println!(
                            "live again {:.1} s after the upstream came back",
                            back.elapsed().as_secs_f64()
                        );
                        if let Some(screen) = screen.as_mut() {
                            screen.until(SCREEN_LIVE, Duration::from_secs(30)).await?;
                            println!(
                                "screen: live again {:.1} s after the upstream came back",
                                back.elapsed().as_secs_f64()
                            );
                        }
                        break;
                    }
                    if back.elapsed() > Duration::from_secs(60) {
                        bail!("still stale 60 s after the upstream came back");
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        } else {
            upstream.set(Reply::Body(random_updates(&mut rng, ts)));
        }
        if args.restart_at > 0 {
            acknowledged.extend(post_notice(&base, &token, i).await);
        }
        if i == args.restart_at {
            // A power cut: no shutdown, no flush. Then the same port, the same data.
            if let Ok(mut k) = stats.killed_at.lock() {
                *k = Some(Instant::now());
            }
            server.kill();
            let listen = base.trim_start_matches("http://").to_string();
            // Its clock goes on where it was: START plus the time run so far.
            let now = (start + chrono::Duration::from_std(began.elapsed())?).to_rfc3339();
            let restarted = start_server(
                &server_bin,
                &listen,
                &now,
                &config,
                &data_dir,
                &server_log,
                &[],
            )?;
            server = restarted.0;
            pid = server.id();
            // Its CPU is counted from the restart on.
            processes[0].1 = pid;
            cpu_before[0] = quai_tests::binary::cpu_s(pid).unwrap_or(0.0);
            println!("server killed (-9) and restarted after change {i}");
        }
        tokio::time::sleep(Duration::from_millis(args.interval_ms)).await;
        if args.fault_every > 0 {
            let stale = board_stale(&api).await?;
            if stale && !was_stale {
                stale_episodes += 1;
                println!("change {i}: the board says its realtime is stale");
            } else if !stale && was_stale {
                println!("change {i}: live again");
            }
            was_stale = stale;
        }
        if args.sample_s > 0 && sampled.elapsed() >= Duration::from_secs(args.sample_s) {
            sampled = Instant::now();
            let rss = rss_kib(pid).unwrap_or(0);
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
    let cpu_window = changing.elapsed().as_secs_f64();
    let cpu: Vec<(String, f64, u64)> = processes
        .iter()
        .zip(&cpu_before)
        .map(|((name, p), before)| {
            let used = quai_tests::binary::cpu_s(*p).unwrap_or(0.0) - before;
            (
                name.clone(),
                used * 100.0 / cpu_window,
                rss_kib(*p).unwrap_or(0),
            )
        })
        .collect();
    let published = metric(&api, "quai_stream_boards_published_total").await? - published_before;
    let dropped = metric(&api, "quai_stream_dropped_slow_total").await?;
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
        let rest: Board = api.try_get("/v1/stations/caudry/board?limit=30").await?;
        let want = content(&rest);
        let seq = Some(rest.seq);
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
            if state.board().is_some_and(|b| content(b) == want) {
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
    let lost_notices = if args.restart_at == 0 {
        0
    } else {
        let listed = api.try_notices(&token).await?;
        let ids: Vec<&str> = listed.iter().map(|n| n.id.as_str()).collect();
        let lost = acknowledged
            .iter()
            .filter(|a| !ids.contains(&a.as_str()))
            .count();
        let back = sorted(&stats.reconnect_s);
        println!(
            "restart: {} of {reading} reading clients back; seconds from the kill: p50 {:.2}, p99 {:.2}, max {:.2}",
            back.len(),
            percentile(&back, 0.5),
            percentile(&back, 0.99),
            back.last().copied().unwrap_or(f64::NAN)
        );
        println!("notices: {} acknowledged, {lost} lost", acknowledged.len());
        lost
    };
    if args.fault_every > 0 {
        println!(
            "upstream faults served: {faults_served}; stale episodes: {stale_episodes}, live at the end: {}",
            !was_stale
        );
    }
    let rss_end = rss_kib(pid).unwrap_or(0);
    if let Some(mut screen) = screen.take() {
        // After a late restart the screen may still be reconnecting: give it time.
        let waited = screen.until(SCREEN_LIVE, Duration::from_secs(30)).await;
        println!("screen at the end: status {:?}", screen.status());
        drop(screen);
        if let Err(e) = waited {
            bail!("FAILED: the screen is not live at the end: {e}");
        }
    }
    server.kill();
    let mut log = std::fs::read_to_string(&server_log).unwrap_or_default();
    for (i, (mut edge, _)) in edges.into_iter().enumerate() {
        edge.kill();
        log.push_str(
            &std::fs::read_to_string(dir.join(format!("edge-{i}.log"))).unwrap_or_default(),
        );
    }
    drop(nats);
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("ERROR")).collect();
    let warnings = log.lines().filter(|l| l.contains("WARN")).count();
    for t in tasks {
        t.abort();
    }
    let _ = std::fs::remove_dir_all(&dir);

    let latencies = sorted(&stats.latencies_ms);
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
    if stats.per_node_ms.len() > 1 {
        for (i, l) in stats.per_node_ms.iter().enumerate() {
            let l = sorted(l);
            println!(
                "edge-{i}: {} deliveries, latency ms p50 {:.1}, p99 {:.1}, max {:.1}",
                l.len(),
                percentile(&l, 0.5),
                percentile(&l, 0.99),
                l.last().copied().unwrap_or(f64::NAN)
            );
        }
    }
    for (name, percent, rss) in &cpu {
        println!(
            "{name}: CPU {percent:.1} % of one core over the changes ({cpu_window:.1} s), RSS {} MiB at the end",
            rss / 1024
        );
    }
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
    let gaps = stats.gaps.load(Ordering::Relaxed);
    if mismatched > 0 || behind > 0 || gaps > 0 || lost_notices > 0 || !errors.is_empty() {
        bail!(
            "FAILED: {mismatched} boards differ, {behind} behind, {gaps} gaps, {lost_notices} notices lost, {} errors logged",
            errors.len()
        );
    }
    Ok(())
}
