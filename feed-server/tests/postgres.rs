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
//! - A push subscription taken through one edge is read through another;
//!   with two ingest nodes, a notice on what it follows is pushed once.
//! - An emergency takeover started through an edge shows on every board;
//!   the ingest node holding it killed, the standby shows it too; ended
//!   through the edge, it leaves every board.

use std::time::{Duration, Instant};

use quai_protocol::{Board, BoardState, NoticeSource, PushKey, PushSubscription, ServerMessage};
use quai_tests::binary::{Binary, Server};
use quai_tests::http::{Request, info_notice};
use quai_tests::nats::Nats;
use quai_tests::postgres::Postgres;
use quai_tests::scale::first_board;
use quai_tests::stream::{Client, Received};
use quai_tests::upstream::{Reply, Upstream};

fn feed_server() -> Binary {
    Binary::new(env!("CARGO_BIN_EXE_feed-server"))
}

/// The demo's configuration with its notices (and push subscriptions) in
/// PostgreSQL at `url`, pushes allowed to a push service on 127.0.0.1 and
/// looked at every 0.2 s.
fn config(dir: &std::path::Path, url: &str) -> String {
    let path = dir.join("shared.toml");
    let demo = include_str!("../demo/caudry.toml").replace(
        "[push]\n",
        "[push]\nendpoints = [\"127.0.0.1\"]\ncheck_s = 0.2\n",
    );
    assert!(
        demo.contains("check_s = 0.2"),
        "the demo has a [push] section"
    );
    std::fs::write(
        &path,
        format!("{demo}\n[notices]\nwrites_per_minute = 1000000\n\n[store]\nurl = \"{url}\"\n"),
    )
    .expect("config");
    path.to_str().expect("path").to_string()
}

fn node(role: &str, name: &str, nats: &Nats, config: &str, data: Option<&str>) -> Server {
    quai_tests::scale::node(feed_server(), role, name, &nats.url, config, data)
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
    watcher.until_shown(header, "edge A's client").await;
    let reached = written.elapsed();
    println!(
        "notice through edge B: acknowledged {} ms, on edge A's client {} ms after it was sent",
        acknowledged.as_millis(),
        reached.as_millis()
    );
    assert!(
        // A second is the goal (tens of milliseconds in runs here); twice
        // that is the margin for a loaded machine.
        reached < Duration::from_secs(2),
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

    // Edge A exports it in SIRI-SX as the ingest node does, under the same
    // validator (made of the notices, not of each node's count of writes).
    let mut etags = Vec::new();
    for server in [&edge_a, &ingest] {
        let sx = server.answer("/siri/situation-exchange").await;
        assert!(sx.body.contains(header), "{}: {sx}", server.base);
        etags.push(sx.headers.get("etag").cloned());
    }
    assert_eq!(etags[0], etags[1]);

    // Changed through edge A (If-Match: its version), shown on B's clients.
    let mut watcher_b = Watcher::start(&edge_b.base).await;
    let changed = "Ascenseur du quai B réparé à 10 h";
    let path = format!("/v1/notices/{}", notice.id);
    let patch = |if_match| Request {
        method: "PATCH",
        path: &path,
        token: Some(&token),
        if_match: Some(if_match),
        body: Some(serde_json::json!({"header": {"fr": changed}}).to_string()),
    };
    let answer = edge_a.send(patch(1)).await.expect(200);
    assert_eq!(answer.notice().version, 2);
    watcher_b.until_shown(changed, "edge B's client").await;
    // The same version again is refused, whichever edge it goes through.
    let stale = edge_b.send(patch(1)).await.expect(409);
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
    // An edge started now starts, and serves boards; notices wait.
    let edge_c = node("edge", "edge-c", &nats, &config, None);
    first_board(&edge_c).await;
    edge_c
        .post_json("/v1/notices", &token, &info_notice("Pendant la panne"))
        .await
        .expect(503);
    // Its SIRI-SX would say "no disruption": it says it has none yet.
    let sx = edge_c.answer("/siri/situation-exchange").await;
    assert_eq!(
        (sx.status, sx.error().code.as_str()),
        (503, "no_notices_yet")
    );

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
    // Edge C, started during the outage, now holds both notices.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let answer = edge_c
            .send(Request {
                method: "GET",
                path: "/v1/notices",
                token: Some(&token),
                ..Request::default()
            })
            .await;
        if answer.status == 200 && answer.notices().len() == 2 {
            break;
        }
        assert!(Instant::now() < deadline, "edge C's notices: {answer}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let sx = edge_c.get_text("/siri/situation-exchange").await;
    // (Its apostrophe is escaped in XML.)
    assert!(sx.contains("Quai C fermé"), "edge C's SIRI-SX: {sx}");

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

/// A browser's push subscription keys (P-256 and an auth secret), made by
/// tests/python/push_check.py.
fn browser_keys() -> serde_json::Value {
    let python = std::env::var("QUAI_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/python/push_check.py");
    let out = std::process::Command::new(&python)
        .args([script, "keys"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e} (scripts/deps.sh installs it)"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("keys")
}

/// Polls `f` every 50 ms for up to 20 s.
async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "{what}: not within 20 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_subscription_taken_by_one_edge_is_read_by_another_and_pushed_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pg = Postgres::start();
    let nats = Nats::start();
    let service = Upstream::start(Reply::Status(201, None)).await;
    let config = config(dir.path(), &pg.url);
    let added = feed_server().run(
        &[
            "operator",
            "add",
            "desk",
            "--scope",
            "route:CA2C:4",
            "--config",
            &config,
        ],
        dir.path(),
    );
    assert!(added.ok, "{}", added.stderr);
    let token = added.stdout.trim().to_string();

    // Two ingest nodes: whichever holds the lease sends, the other not.
    let data_1 = dir
        .path()
        .join("ingest-1")
        .to_str()
        .expect("path")
        .to_string();
    let data_2 = dir
        .path()
        .join("ingest-2")
        .to_str()
        .expect("path")
        .to_string();
    let mut ingest_1 = node("ingest", "ingest-1", &nats, &config, Some(&data_1));
    let mut ingest_2 = node("ingest", "ingest-2", &nats, &config, Some(&data_2));
    let edge_a = node("edge", "edge-a", &nats, &config, None);
    let edge_b = node("edge", "edge-b", &nats, &config, None);
    for server in [&ingest_1, &ingest_2, &edge_a, &edge_b] {
        first_board(server).await;
    }

    // One VAPID key for every node: it is PostgreSQL's.
    let key: PushKey = edge_a.get("/v1/push/key", 200).await;
    for server in [&ingest_1, &ingest_2, &edge_b] {
        let other: PushKey = server.get("/v1/push/key", 200).await;
        assert_eq!(other.public_key, key.public_key, "{}", server.base);
    }

    // Subscribed through edge B, read back through edge A.
    let browser = browser_keys();
    let subscribe = |server: &Server, name: &str| {
        let body = serde_json::json!({
            "subscription": {
                "endpoint": format!("{}/push/{name}", service.url),
                "expirationTime": null,
                "keys": {"p256dh": browser["p256dh"], "auth": browser["auth"]},
            },
            "follows": [{"route_id": "demo:CA2C:4"}],
            "lang": "fr",
        });
        let api = (*server).clone();
        async move {
            api.send(Request {
                method: "POST",
                path: "/v1/push/subscriptions",
                body: Some(body.to_string()),
                ..Request::default()
            })
            .await
            .expect(201)
            .json::<PushSubscription>()
        }
    };
    let kept = subscribe(&edge_b, "browser-1").await;
    let read: PushSubscription = edge_a
        .get(&format!("/v1/push/subscriptions/{}", kept.id), 200)
        .await;
    assert_eq!(read.follows, kept.follows);
    // The lease holder's watcher has looked at the follow (what there was
    // when the browser subscribed is not pushed).
    eventually("the follow looked at", || {
        pg.query("SELECT count(*) FILTER (WHERE seen IS NULL), count(*) FROM push_follows") == "0|1"
    })
    .await;

    // A notice on line 4, written through edge A: one push, from one node.
    let line_4 = |header: &str| {
        serde_json::json!({
            "severity": "warning",
            "cause": "construction",
            "effect": "detour",
            "header": {"fr": header},
            "informed_entities": [{"route_id": "CA2C:4"}],
        })
    };
    edge_a
        .post_json("/v1/notices", &token, &line_4("Ligne 4 déviée"))
        .await
        .expect(201);
    eventually("a push", || !service.seen().is_empty()).await;
    eventually("the outbox emptied", || {
        pg.query("SELECT count(*) FROM push_outbox") == "0"
    })
    .await;
    // Both ingest nodes look every 0.2 s: two seconds more, still one.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let seen = service.seen();
    assert_eq!(seen.len(), 1, "one push, not one per ingest node: {seen:?}");
    assert_eq!(seen[0].path, "/push/browser-1");

    // The node sending pushes killed: while nobody holds the lease nobody
    // looks (a new follow stays unseen), then the other node takes over,
    // looks, and pushes the next notice to both browsers.
    let holder = if health(&ingest_1).await {
        &mut ingest_1
    } else {
        &mut ingest_2
    };
    holder.kill();
    let killed = Instant::now();
    let second = subscribe(&edge_a, "browser-2").await;
    tokio::time::sleep(Duration::from_millis(1500).saturating_sub(killed.elapsed())).await;
    assert_eq!(
        pg.query("SELECT count(*) FROM push_follows WHERE seen IS NULL"),
        "1",
        "nobody's turn 1.5 s after the holder died: the follow of browser-2 is not looked at"
    );
    eventually("the standby looking", || {
        pg.query("SELECT count(*) FROM push_follows WHERE seen IS NULL") == "0"
    })
    .await;
    println!(
        "the standby looked {} ms after the holder died",
        killed.elapsed().as_millis()
    );
    edge_b
        .post_json(
            "/v1/notices",
            &token,
            &line_4("Ligne 4 : arrêt Mairie fermé"),
        )
        .await
        .expect(201);
    eventually("two more pushes", || service.seen().len() >= 3).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut to: Vec<String> = service
        .seen()
        .iter()
        .skip(1)
        .map(|s| s.path.clone())
        .collect();
    to.sort();
    assert_eq!(to, ["/push/browser-1", "/push/browser-2"], "once each");

    // Deleted through edge A: gone for edge B too.
    edge_a
        .send(Request {
            method: "DELETE",
            path: &format!("/v1/push/subscriptions/{}", kept.id),
            ..Request::default()
        })
        .await
        .expect(204);
    edge_b
        .send(Request {
            method: "GET",
            path: &format!("/v1/push/subscriptions/{}", kept.id),
            ..Request::default()
        })
        .await
        .expect(404);
    assert_ne!(second.id, kept.id);
}

/// The takeover on a node's REST board of Caudry, by id.
async fn takeover_on(server: &Server) -> Option<String> {
    let board: Board = server.get("/v1/stations/caudry/board?limit=30", 200).await;
    board.emergency.map(|e| e.id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_takeover_started_through_an_edge_survives_the_ingest_failover() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pg = Postgres::start();
    let nats = Nats::start();
    let config = config(dir.path(), &pg.url);
    let added = feed_server().run(
        &[
            "operator",
            "add",
            "pc-securite",
            "--emergency",
            "--config",
            &config,
        ],
        dir.path(),
    );
    assert!(added.ok, "{}", added.stderr);
    let token = added.stdout.trim().to_string();
    let data = |name: &str| dir.path().join(name).to_str().expect("path").to_string();
    let (data_1, data_2) = (data("ingest-1"), data("ingest-2"));
    let mut ingest_1 = node("ingest", "ingest-1", &nats, &config, Some(&data_1));
    let edge = node("edge", "edge-a", &nats, &config, None);
    for server in [&ingest_1, &edge] {
        first_board(server).await;
    }

    // Started through the edge (written to PostgreSQL; the ingest nodes
    // hear of it and put it on their boards).
    let started = edge
        .post_json(
            "/v1/emergencies",
            &token,
            &serde_json::json!({
                "stations": ["caudry"],
                "screen_text": {"fr": "Évacuation de la gare : suivez les agents."},
                "ends_at": "2026-12-01T09:40:00+01:00",
                "repeat_s": 60,
            }),
        )
        .await
        .expect(201)
        .value();
    let id = started["id"].as_str().expect("an id").to_string();
    // The standby, started after: it reads the running takeovers at start.
    let mut ingest_2 = node("ingest", "ingest-2", &nats, &config, Some(&data_2));
    first_board(&ingest_2).await;
    for server in [&ingest_1, &ingest_2, &edge] {
        let deadline = Instant::now() + Duration::from_secs(5);
        while takeover_on(server).await.as_deref() != Some(id.as_str()) {
            assert!(
                Instant::now() < deadline,
                "{}: no takeover on its board",
                server.base
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let listed = edge
        .send(Request {
            method: "GET",
            path: "/v1/emergencies",
            token: Some(&token),
            ..Request::default()
        })
        .await
        .expect(200)
        .value();
    assert_eq!(listed[0]["id"], id.as_str(), "{listed}");

    // The node holding the lease killed: the standby publishes, and the
    // edge's boards (now the standby's) still show it.
    let (holder, standby) = if health(&ingest_1).await {
        (&mut ingest_1, &ingest_2)
    } else {
        (&mut ingest_2, &ingest_1)
    };
    let before: Board = edge.get("/v1/stations/caudry/board?limit=30", 200).await;
    holder.kill();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !health(standby).await {
        assert!(Instant::now() < deadline, "no takeover of the lease");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The edge's board is the standby's once its seq moves past the last
    // one the killed node published (the standby starts with a snapshot).
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let board: Board = edge.get("/v1/stations/caudry/board?limit=30", 200).await;
        if board.seq > before.seq {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the edge's board still {}",
            board.seq
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut watcher = Watcher::start(&edge.base).await;
    assert_eq!(
        watcher
            .state
            .board()
            .and_then(|b| b.emergency.clone())
            .map(|e| e.id),
        Some(id.clone()),
        "a new client of the edge after the failover"
    );

    // Ended through the edge: it leaves the standby's boards, and the
    // edge's client sees it go.
    edge.send(Request {
        method: "DELETE",
        path: &format!("/v1/emergencies/{id}"),
        token: Some(&token),
        ..Request::default()
    })
    .await
    .expect(200);
    let deadline = Instant::now() + Duration::from_secs(10);
    while watcher.state.board().is_some_and(|b| b.emergency.is_some()) {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "the takeover still on the edge's board");
        if let Received::Message(m) = watcher.client.next_within(left).await {
            watcher.state.apply(&m);
        }
    }
    assert_eq!(takeover_on(standby).await, None);

    // On record in PostgreSQL's audit log: the operator, the start, the end.
    let verified = feed_server().run(&["audit", "--verify", "--config", &config], dir.path());
    assert!(verified.ok, "{}", verified.stderr);
    assert_eq!(
        verified.stdout.trim(),
        "audit log intact: 3 entries chained",
        "{}",
        verified.stderr
    );
}

/// Whether `server` is the ingest node publishing (it holds the lease).
async fn health(server: &Server) -> bool {
    let health: quai_protocol::Health = server.get("/healthz", 200).await;
    health.nats.and_then(|n| n.publishing) == Some(true)
}
