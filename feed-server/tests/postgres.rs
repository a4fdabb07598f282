//! Shared writes in PostgreSQL (issue 23, docs/scaling.md): a real
//! PostgreSQL (initdb in a temp dir), a real nats-server, an ingest node and
//! two edges, each a real `feed-server` process with `[store] url`.
//!
//! - An operator added on the command line (into PostgreSQL) writes a notice
//!   through edge B; a client of edge A sees it on its board, through the
//!   ingest node's merge and NATS; a change through edge A, too.
//! - PostgreSQL stopped: writes answer 503 on the edges, boards and the
//!   stream keep being served; started again, writes go through once more.
//! - The audit log in PostgreSQL holds its chain (`audit --verify`).

use std::time::{Duration, Instant};

use quai_protocol::{Board, BoardState, NoticeSource, ServerMessage};
use quai_tests::binary::{Binary, Server};
use quai_tests::http::{Request, info_notice};
use quai_tests::nats::Nats;
use quai_tests::postgres::Postgres;
use quai_tests::stream::{Client, Received};

const NOW: &str = "2026-12-01T07:40:00+01:00";

fn feed_server() -> Binary {
    Binary::new(env!("CARGO_BIN_EXE_feed-server"))
}

/// The demo's configuration with its notices in PostgreSQL at `url`.
fn config(dir: &std::path::Path, url: &str) -> String {
    let path = dir.join("shared.toml");
    std::fs::write(
        &path,
        format!(
            "{}\n[notices]\nwrites_per_minute = 1000000\n\n[store]\nurl = \"{url}\"\n",
            include_str!("../demo/caudry.toml")
        ),
    )
    .expect("config");
    path.to_str().expect("path").to_string()
}

fn node(role: &str, name: &str, nats: &Nats, config: &str, data: Option<&str>) -> Server {
    let mut args = vec![
        "--config",
        config,
        "--now",
        NOW,
        "--clock",
        "running",
        "--role",
        role,
        "--nats",
        &nats.url,
        "--node-name",
        name,
    ];
    if let Some(data) = data {
        args.extend(["--data-dir", data]);
    }
    feed_server().logging("info").start(&args)
}

async fn first_board(server: &Server) -> Board {
    for _ in 0..300 {
        if let Ok(board) = server
            .try_get::<Board>("/v1/stations/caudry/board?limit=30")
            .await
        {
            return board;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no board within 30 s; log:\n{}", server.logs());
}

/// The headers of the operators' notices on a board.
fn operator_headers(board: &Board) -> Vec<String> {
    board
        .notices
        .iter()
        .filter(|n| n.source == NoticeSource::Operator)
        .filter_map(|n| n.header.get("fr").cloned())
        .collect()
}

/// A client on a node's stream, holding Caudry's board.
struct Watcher {
    client: Client,
    state: BoardState,
}

impl Watcher {
    async fn start(base: &str) -> Watcher {
        let mut client = Client::connect(base).await;
        client.subscribe("caudry", None).await;
        let mut state = BoardState::new("caudry");
        let first = client.next_message().await;
        assert!(matches!(first, ServerMessage::Snapshot { .. }), "{first:?}");
        state.apply(&first);
        Watcher { client, state }
    }

    /// Applies messages until the board shows an operator notice headed
    /// `header`; the time that took.
    async fn until_shown(&mut self, header: &str, what: &str) -> Duration {
        let start = Instant::now();
        let deadline = start + Duration::from_secs(20);
        loop {
            let shown = self
                .state
                .board()
                .is_some_and(|b| operator_headers(b).iter().any(|h| h == header));
            if shown {
                return start.elapsed();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "{what}: `{header}` not on the board after 20 s"
            );
            match self.client.next_within(left).await {
                Received::Message(m) => {
                    self.state.apply(&m);
                }
                Received::Closed(frame) => panic!("{what}: stream closed: {frame:?}"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_written_through_one_edge_reaches_the_other_and_postgres_down_refuses_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut pg = Postgres::start();
    let nats = Nats::start();
    let config = config(dir.path(), &pg.url);
    let data = dir
        .path()
        .join("ingest")
        .to_str()
        .expect("path")
        .to_string();

    // The operator is added into PostgreSQL: no node's data dir is named.
    let added = feed_server().run(
        &[
            "operator",
            "add",
            "ops",
            "--scope",
            "station:caudry",
            "--config",
            &config,
        ],
        dir.path(),
    );
    assert!(added.ok, "{}", added.stderr);
    let token = added.stdout.trim().to_string();

    let ingest = node("ingest", "ingest-1", &nats, &config, Some(&data));
    let edge_a = node("edge", "edge-a", &nats, &config, None);
    let edge_b = node("edge", "edge-b", &nats, &config, None);
    for server in [&ingest, &edge_a, &edge_b] {
        first_board(server).await;
    }
    let mut watcher = Watcher::start(&edge_a.base).await;

    // Written through edge B, shown to edge A's client.
    let header = "Ascenseur du quai B en panne";
    let written = Instant::now();
    let answer = edge_b
        .post_json("/v1/notices", &token, &info_notice(header))
        .await
        .expect(201);
    let acknowledged = written.elapsed();
    let notice = answer.notice();
    let reached = watcher.until_shown(header, "edge A's client").await;
    println!(
        "notice through edge B: acknowledged in {} ms, on edge A's client {} ms after",
        acknowledged.as_millis(),
        reached.as_millis()
    );
    assert!(
        reached < Duration::from_secs(1),
        "within a second: {reached:?}\ningest log:\n{}",
        ingest.logs()
    );
    // Every node's notice API reads it, at version 1 (each node hears of
    // it from PostgreSQL).
    for server in [&edge_a, &edge_b, &ingest] {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let notices = server.notices(&token).await;
            if notices.iter().any(|n| n.id == notice.id && n.version == 1) {
                break;
            }
            assert!(Instant::now() < deadline, "{}: {notices:?}", server.base);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    // Changed through edge A (If-Match: its version), shown on B's clients.
    let mut watcher_b = Watcher::start(&edge_b.base).await;
    let changed = "Ascenseur du quai B réparé à 10 h";
    let patch = serde_json::json!({"header": {"fr": changed}});
    let answer = edge_a
        .send(Request {
            method: "PATCH",
            path: &format!("/v1/notices/{}", notice.id),
            token: Some(&token),
            if_match: Some(1),
            body: Some(patch.to_string()),
        })
        .await
        .expect(200);
    assert_eq!(answer.notice().version, 2);
    watcher_b.until_shown(changed, "edge B's client").await;
    // The same version again is refused, whichever edge it goes through.
    let stale = edge_b
        .send(Request {
            method: "PATCH",
            path: &format!("/v1/notices/{}", notice.id),
            token: Some(&token),
            if_match: Some(1),
            body: Some(patch.to_string()),
        })
        .await
        .expect(409);
    assert_eq!(stale.error().code, "version_conflict");

    // PostgreSQL stopped: writes are refused, nothing else notices.
    pg.stop();
    let refused = edge_b
        .post_json("/v1/notices", &token, &info_notice("Pendant la panne"))
        .await
        .expect(503);
    assert_eq!(refused.error().code, "store_unavailable", "{refused}");
    ingest
        .post_json("/v1/notices", &token, &info_notice("Pendant la panne"))
        .await
        .expect(503);
    for server in [&edge_a, &edge_b, &ingest] {
        let board: Board = server.get("/v1/stations/caudry/board?limit=30", 200).await;
        assert!(
            operator_headers(&board).iter().any(|h| h == changed),
            "{}: the board still shows the notice",
            server.base
        );
    }
    // A new client still gets its board from the edge.
    Watcher::start(&edge_a.base).await;

    // Started again: the next write goes through and reaches A's client.
    pg.start_again();
    let after = "Quai C fermé jusqu'à 12 h";
    let mut tries = 0;
    loop {
        let answer = edge_b
            .post_json("/v1/notices", &token, &info_notice(after))
            .await;
        if answer.status == 201 {
            break;
        }
        tries += 1;
        assert!(
            tries < 50,
            "no write within 10 s of PostgreSQL's return: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    watcher
        .until_shown(after, "edge A's client after PostgreSQL's return")
        .await;

    // The audit log in PostgreSQL: the operator, two notices, one change.
    let verified = feed_server().run(&["audit", "--verify", "--config", &config], dir.path());
    assert!(verified.ok, "{}", verified.stderr);
    assert_eq!(
        verified.stdout.trim(),
        "audit log intact: 4 entries chained",
        "{}",
        verified.stderr
    );
    // Nothing was written into the ingest node's own SQLite notices.
    let local = feed_server().run(&["audit", "--data-dir", &data], dir.path());
    assert!(local.ok, "{}", local.stderr);
    assert_eq!(
        local.stdout.trim(),
        "",
        "the node's SQLite audit log stays empty"
    );
}
