//! Scale-out drills (issue 23, docs/scaling.md) against a real nats-server
//! with JetStream: an ingest node and edge nodes, each a real `feed-server`
//! process; clients on the real stream.
//!
//! - One ingest node and two edges: a client of each edge sees the boards
//!   and seqs of the ingest node's own (its archive, at the same seq);
//!   NATS restarted: the edges reconnect and their clients go on without a
//!   gap.
//! - One edge killed (SIGKILL) under load: its clients resume on the other
//!   edge with `since` and get the deltas they missed, no snapshot.
//! - The active ingest node killed: the standby holds the lease within
//!   10 s, numbers on from the last seq, and an edge's client sees one
//!   unbroken chain of deltas.

use std::time::{Duration, Instant};

use quai_protocol::{Applied, Board, BoardState, Health, ServerMessage};
use quai_tests::binary::{Binary, Server, Store};
use quai_tests::http::info_notice;
use quai_tests::nats::{Cluster, Nats};
use quai_tests::scale::first_board;
use quai_tests::stream::{Client, Received};

fn feed_server() -> Binary {
    Binary::new(env!("CARGO_BIN_EXE_feed-server"))
}

/// Starts a node of `role` named `name` on NATS at `url`, with the
/// configuration `config` (and the data dir `data`, for an ingest node).
fn node(role: &str, name: &str, url: &str, config: &str, data: Option<&str>) -> Server {
    quai_tests::scale::node(feed_server(), role, name, url, config, data)
}

/// An ingest node of the demo with `store` as its data.
fn ingest_node(name: &str, nats: &Nats, store: &Store) -> Server {
    node("ingest", name, &nats.url, &store.config, Some(&store.data))
}

/// An edge node of the demo (it keeps no data).
fn edge_node(name: &str, nats: &Nats, store: &Store) -> Server {
    node("edge", name, &nats.url, &store.config, None)
}

/// One client following Caudry's board on one node's stream, checking that
/// every message continues the board it holds.
struct Follower {
    client: Client,
    state: BoardState,
    /// (prev_seq, seq) of every delta applied.
    chain: Vec<(u64, u64)>,
}

impl Follower {
    /// Connects and subscribes; waits for the snapshot.
    async fn start(base: &str) -> Follower {
        let mut client = Client::connect(base).await;
        client.subscribe("caudry", None).await;
        let mut state = BoardState::new("caudry");
        let first = client.next_message().await;
        assert!(
            matches!(first, ServerMessage::Snapshot { .. }),
            "a snapshot first: {first:?}"
        );
        state.apply(&first);
        Follower {
            client,
            state,
            chain: Vec::new(),
        }
    }

    fn seq(&self) -> u64 {
        self.state.seq().expect("a board")
    }

    /// Connects to `base` again and resumes with `since` its seq: what
    /// comes must be the deltas after it (never a snapshot).
    async fn resume(&mut self, base: &str) {
        self.client = Client::connect(base).await;
        self.client.subscribe("caudry", Some(self.seq())).await;
    }

    /// Applies messages until the board is at `seq` or later; panics on a
    /// snapshot (after the first) or a delta that does not follow.
    async fn until(&mut self, seq: u64, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.seq() < seq {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "{what}: at {} after 60 s, not {seq}",
                self.seq()
            );
            let message = match self.client.next_within(left).await {
                Received::Message(m) => *m,
                Received::Closed(frame) => panic!("{what}: stream closed: {frame:?}"),
            };
            match &message {
                ServerMessage::Heartbeat { .. } => continue,
                ServerMessage::Delta(d) => {
                    let held = self.seq();
                    assert_eq!(
                        self.state.apply(&message),
                        Applied::UpToDate(d.seq),
                        "{what}: a delta {}→{} on a board at {held}",
                        d.prev_seq,
                        d.seq
                    );
                    self.chain.push((d.prev_seq, d.seq));
                }
                other => panic!(
                    "{what}: a {other:?} where deltas were due (at {})",
                    self.seq()
                ),
            }
        }
    }

    /// Whether every delta followed the one before.
    fn unbroken(&self) -> bool {
        self.chain.windows(2).all(|w| w[1].0 == w[0].1)
    }

    /// The deltas that skipped seqs (an ingest node numbers its boards one
    /// by one: a skip is a jump to another node's numbering, or deltas the
    /// edge merged into one because it lost some).
    fn jumps(&self) -> Vec<(u64, u64)> {
        self.chain
            .iter()
            .copied()
            .filter(|(prev, seq)| *seq != prev + 1)
            .collect()
    }
}

fn same_board(what: &str, a: &Board, b: &Board) {
    assert_eq!(a.seq, b.seq, "{what}");
    assert_eq!(
        serde_json::to_value(&a.departures).expect("json"),
        serde_json::to_value(&b.departures).expect("json"),
        "{what}: departures at {}",
        a.seq
    );
    assert_eq!(a.notices, b.notices, "{what}: notices at {}", a.seq);
    assert_eq!(
        a.advisories, b.advisories,
        "{what}: advisories at {}",
        a.seq
    );
    assert_eq!(a.generated_at, b.generated_at, "{what}");
}

/// Posts a notice to the ingest node; the seq of the board that shows it.
async fn notice(ingest: &Server, store: &Store, header: &str) -> u64 {
    ingest
        .post_json("/v1/notices", &store.token, &info_notice(header))
        .await
        .expect(201);
    let board: Board = ingest.get("/v1/stations/caudry/board?limit=30", 200).await;
    assert!(
        board
            .notices
            .iter()
            .any(|n| n.header.values().any(|h| h == header)),
        "the REST board right after the write shows it"
    );
    board.seq
}

/// The operators' notices on a board (the demo's feeds bring others).
fn operators(board: &Board) -> usize {
    board
        .notices
        .iter()
        .filter(|n| n.source == quai_protocol::NoticeSource::Operator)
        .count()
}

async fn health(server: &Server) -> Health {
    server.get("/healthz", 200).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ingest_node_and_two_edges_serve_the_same_boards_and_seqs() {
    let mut nats = Nats::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let store = feed_server().demo_store(dir.path());
    let ingest = ingest_node("ingest-1", &nats, &store);
    let edge_a = edge_node("edge-a", &nats, &store);
    let edge_b = edge_node("edge-b", &nats, &store);
    first_board(&edge_a).await;
    first_board(&edge_b).await;
    let mut followers = [
        Follower::start(&ingest.base).await,
        Follower::start(&edge_a.base).await,
        Follower::start(&edge_b.base).await,
    ];

    // Three notices: three changes at once on the ingest node.
    let mut seq = 0;
    for i in 0..3 {
        seq = notice(&ingest, &store, &format!("Avis {i}")).await;
    }
    for (f, what) in followers.iter_mut().zip(["ingest", "edge A", "edge B"]) {
        f.until(seq, what).await;
        assert!(f.unbroken(), "{what}: {:?}", f.chain);
        assert_eq!(f.jumps(), vec![], "{what}: every delta, one by one");
        let board = f.state.board().expect("a board");
        same_board(what, board, &ingest.board_at(board.seq).await);
        assert_eq!(
            operators(board),
            3,
            "{what}: the three notices at {}",
            board.seq
        );
    }
    // The edges' REST boards are the ingest node's at their seq.
    for (edge, what) in [(&edge_a, "edge A"), (&edge_b, "edge B")] {
        let rest: Board = edge.get("/v1/stations/caudry/board?limit=30", 200).await;
        same_board(what, &rest, &ingest.board_at(rest.seq).await);
    }

    // What each node says of itself.
    let h = health(&edge_a).await;
    assert_eq!(
        (h.role.as_str(), h.node.as_deref()),
        ("edge", Some("edge-a"))
    );
    let link = h.nats.expect("the edge's link to NATS");
    assert!(link.connected, "{link:?}");
    assert!(link.lag_messages.is_some(), "{link:?}");
    let h = health(&ingest).await;
    assert_eq!(h.role, "ingest");
    let link = h.nats.expect("the ingest node's link");
    assert_eq!(
        (link.lease_holder.as_deref(), link.publishing),
        (Some("ingest-1"), Some(true))
    );
    // An edge writes nothing: it says where to go.
    let refused = edge_a
        .post_json("/v1/notices", &store.token, &info_notice("Sur l'edge"))
        .await
        .expect(503);
    assert_eq!(refused.error().code, "not_on_edge", "{refused}");

    // The ingest node's GTFS-RT feeds, relayed: each edge serves the same
    // entities under the same ETag.
    for feed in ["trip-updates", "alerts", "vehicle-positions"] {
        let path = format!("/gtfs-rt/{feed}?format=json");
        relayed_as_on(&ingest, &edge_b, &path, Duration::from_secs(10)).await;
    }
    // The facilities (the demo's simulated parking sensors), relayed: the
    // edge's API and exports say what the ingest node's say, under the
    // same ETags.
    for path in [
        "/v1/facilities",
        "/siri/facility-monitoring",
        "/datex2/parking-status",
    ] {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let own = ingest.answer(path).await.expect(200);
            let relayed = edge_b.answer(path).await;
            let etag = |a: &quai_tests::http::Answer| a.headers.get("etag").cloned();
            if relayed.status == 200 && relayed.body == own.body && etag(&relayed) == etag(&own) {
                assert!(own.body.contains("covoiturage-caudry"), "{path}: {own}");
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{path} on edge B: {relayed}\non the ingest node: {own}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // What an edge works out itself, from the timetable, the realtime and
    // the notices the ingest node relays: a trip, a stop's board, a line
    // and its departures, as the ingest node answers them.
    let board: Board = ingest.get("/v1/stations/caudry/board?limit=30", 200).await;
    let departure = board
        .departures
        .iter()
        .find(|d| d.realtime)
        .expect("a departure with realtime in the demo");
    // A notice on the hub's stop as a whole: on the trip, from the notices
    // the ingest node relays (this edge has no PostgreSQL).
    let mut on_line = info_notice("Ascenseur en panne");
    on_line["informed_entities"] = serde_json::json!([{"stop_id": "demo:CAUDRY"}]);
    ingest
        .post_json("/v1/notices", &store.token, &on_line)
        .await
        .expect(201);
    let trip = worked_out_as_on(&ingest, &edge_b, &format!("/v1/trips/{}", departure.id)).await;
    assert_eq!(trip["realtime"], true, "{trip}");
    assert!(
        trip["notices"]
            .as_array()
            .is_some_and(|n| n.iter().any(|n| n["header"]["fr"] == "Ascenseur en panne")),
        "the notice on the trip's first stop: {trip}"
    );
    let stop = &departure.stop_id;
    worked_out_as_on(&ingest, &edge_b, &format!("/v1/stops/{stop}/board")).await;
    let routes = ingest
        .answer("/v1/stations/caudry/routes")
        .await
        .expect(200);
    let route = routes.value()["routes"][0]["id"]
        .as_str()
        .expect("a line")
        .to_string();
    worked_out_as_on(&ingest, &edge_b, &format!("/v1/routes/{route}")).await;
    worked_out_as_on(
        &ingest,
        &edge_b,
        &format!("/v1/routes/{route}/departures?station=caudry"),
    )
    .await;
    // Every trip of the board: those the demo's SIRI EstimatedTimetable
    // speaks of (its trains) too.
    for d in &board.departures {
        worked_out_as_on(&ingest, &edge_b, &format!("/v1/trips/{}", d.id)).await;
    }
    // Followed on an edge's stream: the trip as the edge works it out.
    let mut client = Client::connect(&edge_a.base).await;
    client
        .send(&format!(
            r#"{{"op":"subscribe","trip":"{}"}}"#,
            departure.id
        ))
        .await;
    loop {
        match client.next_message().await {
            ServerMessage::TripSnapshot { state, .. } => {
                assert!(state.realtime, "{state:?}");
                assert_eq!(
                    state.calls.len(),
                    trip["calls"].as_array().map_or(0, Vec::len)
                );
                break;
            }
            ServerMessage::Heartbeat { .. } => {}
            other => panic!("a trip followed on edge A: {other:?}"),
        }
    }

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let trips = edge_a.answer("/gtfs-rt/trip-updates?format=json").await;
        if trips.status == 200 {
            assert!(
                trips.value()["entity"]
                    .as_array()
                    .is_some_and(|e| !e.is_empty()),
                "the demo's trip updates on edge A: {trips}"
            );
            break;
        }
        assert!(Instant::now() < deadline, "edge A's trip updates: {trips}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // An announcement asked of the ingest node reaches the edges' screens.
    ingest
        .post_json(
            "/v1/stations/caudry/announce",
            &store.token,
            &serde_json::json!({}),
        )
        .await
        .expect(202);
    for (f, what) in followers[1..].iter_mut().zip(["edge A", "edge B"]) {
        loop {
            match f.client.next_message().await {
                ServerMessage::Announce { station, .. } => {
                    assert_eq!(station, "caudry");
                    break;
                }
                ServerMessage::Delta(d) => {
                    assert_eq!(
                        f.state.apply(&ServerMessage::Delta(d.clone())),
                        Applied::UpToDate(d.seq),
                        "{what}"
                    );
                    f.chain.push((d.prev_seq, d.seq));
                }
                other => panic!("{what}: {other:?} while waiting for the announcement"),
            }
        }
    }

    // NATS killed: the edges say so, and keep serving their boards.
    nats.kill();
    let down = Instant::now();
    loop {
        let h = health(&edge_a).await;
        if h.nats.as_ref().is_some_and(|n| !n.connected) {
            assert_eq!(h.status, "degraded");
            break;
        }
        assert!(
            down.elapsed() < Duration::from_secs(10),
            "edge A still says connected 10 s after NATS died: {h:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let kept: Board = edge_b.get("/v1/stations/caudry/board?limit=30", 200).await;
    assert!(kept.seq >= seq);

    // Started again on its store: every node reconnects, and the edges'
    // clients go on from where they were, delta by delta.
    nats.start_again(false);
    for i in 0..2 {
        seq = notice(&ingest, &store, &format!("Après {i}")).await;
    }
    for (f, what) in followers[1..].iter_mut().zip(["edge A", "edge B"]) {
        f.until(seq, what).await;
        assert!(
            f.unbroken(),
            "{what} across the NATS restart: {:?}",
            f.chain
        );
        assert_eq!(f.jumps(), vec![], "{what}: every delta, one by one");
        let board = f.state.board().expect("a board");
        same_board(what, board, &ingest.board_at(board.seq).await);
        assert_eq!(operators(board), 6, "{what}: five notices and the hub's");
    }

    // Replaced by a NATS with an empty store: the ingest node makes the
    // stream again from a snapshot; the edges follow the new stream.
    nats.restart_empty();
    for i in 0..2 {
        seq = notice(&ingest, &store, &format!("Vide {i}")).await;
    }
    for (f, what) in followers[1..].iter_mut().zip(["edge A", "edge B"]) {
        f.until(seq, what).await;
        assert!(f.unbroken(), "{what} on the new stream: {:?}", f.chain);
        let board = f.state.board().expect("a board");
        same_board(what, board, &ingest.board_at(board.seq).await);
        assert_eq!(operators(board), 8, "{what}: seven notices and the hub's");
    }
    let h = health(&edge_b).await;
    assert!(h.nats.as_ref().is_some_and(|n| n.connected), "{h:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clients_of_a_killed_edge_resume_on_another_without_a_gap() {
    let nats = Nats::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let store = feed_server().demo_store(dir.path());
    let ingest = ingest_node("ingest-1", &nats, &store);
    let mut edge_a = edge_node("edge-a", &nats, &store);
    let mut edge_b = edge_node("edge-b", &nats, &store);
    first_board(&edge_a).await;
    first_board(&edge_b).await;
    const CLIENTS: usize = 200;
    let mut followers = Vec::with_capacity(CLIENTS);
    for _ in 0..CLIENTS {
        followers.push(Follower::start(&edge_a.base).await);
    }
    let mut seq = notice(&ingest, &store, "Avant").await;
    for f in &mut followers {
        f.until(seq, "edge A").await;
    }

    // Writes go on while edge A dies: its clients miss some deltas.
    let writer = {
        let (base, token) = (ingest.base.clone(), store.token.clone());
        tokio::spawn(async move {
            let api = quai_tests::http::Api::new(base);
            for i in 0..10 {
                api.post_json("/v1/notices", &token, &info_notice(&format!("Pendant {i}")))
                    .await
                    .expect(201);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(250)).await;
    edge_a.kill();
    writer.await.expect("the writer");
    seq = seq.max(notice(&ingest, &store, "Après").await);

    // Each resumes on edge B with since: deltas only, none missing.
    for f in &mut followers {
        f.resume(&edge_b.base).await;
    }
    for (i, f) in followers.iter_mut().enumerate() {
        f.until(seq, &format!("client {i} on edge B")).await;
        assert!(f.unbroken(), "client {i}: {:?}", f.chain);
        assert_eq!(f.jumps(), vec![], "client {i}: every delta, one by one");
    }
    let board = followers[0].state.board().expect("a board");
    assert_eq!(operators(board), 12, "every notice");
    same_board("edge B", board, &ingest.board_at(board.seq).await);

    // Edge B killed too, and a new edge C started after it: C reads the
    // stream's last stretch, so the clients resume there as well.
    edge_b.kill();
    for i in 0..3 {
        seq = notice(&ingest, &store, &format!("Sans edge {i}")).await;
    }
    let edge_c = edge_node("edge-c", &nats, &store);
    first_board(&edge_c).await;
    for f in &mut followers {
        f.resume(&edge_c.base).await;
    }
    for (i, f) in followers.iter_mut().enumerate() {
        f.until(seq, &format!("client {i} on edge C")).await;
        assert!(f.unbroken(), "client {i}: {:?}", f.chain);
        assert_eq!(
            f.jumps(),
            vec![],
            "client {i} on C: every delta, one by one"
        );
    }
    let board = followers[0].state.board().expect("a board");
    assert_eq!(operators(board), 15, "every notice");
    same_board("edge C", board, &ingest.board_at(board.seq).await);
}

/// An edge that has not read the ingest node's realtime says so rather
/// than answer trips and stop boards from the timetable alone; once an
/// ingest node relays it, it answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edge_answers_no_realtime_yet_until_it_has_read_the_relay() {
    let nats = Nats::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let store = feed_server().demo_store(dir.path());
    let edge = edge_node("edge-a", &nats, &store);
    let trip = "/v1/trips/demo:CA2C:N:WD:LOOP@07:40:00:20261201:1";
    for path in [
        trip,
        "/v1/stops/demo:CAUDRY:F/board",
        "/v1/routes/demo:CA2C:N",
    ] {
        let answer = edge.answer(path).await.expect(503);
        assert_eq!(answer.error().code, "no_realtime_yet", "{path}: {answer}");
    }
    let mut client = Client::connect(&edge.base).await;
    client
        .send(r#"{"op":"subscribe","trip":"demo:CA2C:N:WD:LOOP@07:40:00:20261201:1"}"#)
        .await;
    loop {
        match client.next_message().await {
            ServerMessage::Error { code, .. } => {
                assert_eq!(code, "no_realtime_yet");
                break;
            }
            ServerMessage::Heartbeat { .. } => {}
            other => panic!("{other:?}"),
        }
    }

    let _ingest = ingest_node("ingest-1", &nats, &store);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = edge.answer(trip).await;
        if answer.status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "{trip} on the edge: {answer}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standby_ingest_node_takes_over_within_ten_seconds() {
    let nats = Nats::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let store = feed_server().demo_store(dir.path());
    // The standby: the same sources and configuration, its own data dir
    // (a copy, with the same operator: a shared store is PostgreSQL's job,
    // not yet done).
    let standby_data = dir.path().join("standby");
    copy_dir(std::path::Path::new(&store.data), &standby_data);
    let mut active = ingest_node("ingest-1", &nats, &store);
    let edge = edge_node("edge-a", &nats, &store);
    first_board(&edge).await;
    let standby = node(
        "ingest",
        "ingest-2",
        &nats.url,
        &store.config,
        Some(standby_data.to_str().expect("path")),
    );
    first_board(&standby).await;
    let mut link = health(&standby).await.nats.expect("a link");
    for _ in 0..50 {
        if link.lease_holder.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        link = health(&standby).await.nats.expect("a link");
    }
    assert_eq!(
        (link.lease_holder.as_deref(), link.publishing),
        (Some("ingest-1"), Some(false)),
        "the standby waits"
    );
    let mut follower = Follower::start(&edge.base).await;
    let before = follower.seq();

    active.kill();
    let killed = Instant::now();
    // The last message the dead node left on the stream: a snapshot of its
    // board numbered far past anything the standby's own clock would give
    // (its boards are numbered from its start time in milliseconds). The
    // standby must number on from it.
    let client = async_nats::connect(&nats.url).await.expect("NATS");
    let js = async_nats::jetstream::new(client);
    let mut last: Board = edge.get("/v1/stations/caudry/board?limit=30", 200).await;
    const FAR: u64 = 4_000_000_000_000_000;
    last.seq = FAR;
    let message = ServerMessage::Snapshot {
        station: "caudry".into(),
        seq: FAR,
        board: last,
        server_time: "2026-12-01T06:40:00Z".into(),
    };
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Quai-Station", "caudry");
    headers.insert("Quai-Seq", FAR.to_string().as_str());
    js.publish_with_headers(
        feed_server::ingest::subject("caudry"),
        headers,
        serde_json::to_vec(&message).expect("json").into(),
    )
    .await
    .expect("publish")
    .await
    .expect("acknowledged");
    let took_over = loop {
        let link = health(&standby).await.nats.expect("a link");
        if link.publishing == Some(true) {
            break killed.elapsed();
        }
        assert!(
            killed.elapsed() < Duration::from_secs(10),
            "no takeover within 10 s: {link:?}; standby's log:\n{}",
            standby.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    println!("the standby publishes {took_over:?} after the kill");
    assert_eq!(
        health(&standby).await.nats.and_then(|n| n.lease_holder),
        Some("ingest-2".into())
    );
    // The edge's client: the last board (FAR), then the standby's,
    // numbered past it, as one more delta.
    // (Holding the lease comes a moment before the renumbering.)
    let mut rest: Board = standby.get("/v1/stations/caudry/board?limit=30", 200).await;
    let holding = Instant::now();
    while rest.seq <= FAR && holding.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        rest = standby.get("/v1/stations/caudry/board?limit=30", 200).await;
    }
    assert!(
        rest.seq > FAR,
        "the standby numbers from {}, not past {FAR}",
        rest.seq
    );
    follower.until(rest.seq, "the edge's client").await;
    assert!(follower.unbroken(), "{:?}", follower.chain);
    assert_eq!(follower.chain.first().map(|c| c.0), Some(before));
    assert_eq!(
        follower.jumps().iter().map(|j| j.1).collect::<Vec<_>>(),
        vec![FAR],
        "one jump, to FAR; then one by one past it: {:?}",
        follower.chain
    );
    let board = follower.state.board().expect("a board");
    same_board(
        "after the takeover",
        board,
        &standby.board_at(board.seq).await,
    );
    // And it goes on: a notice written on the new active node reaches the
    // edge's client as the next delta.
    let seq = notice(&standby, &store, "Après la relève").await;
    follower.until(seq, "the edge's client").await;
    assert!(follower.unbroken(), "{:?}", follower.chain);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// The edge's answer to the GTFS-RT `path` once it has the ingest node's
/// `ETag` (within `within`), with the same entities.
async fn relayed_as_on(
    ingest: &Server,
    edge: &Server,
    path: &str,
    within: Duration,
) -> quai_tests::http::Answer {
    let deadline = Instant::now() + within;
    loop {
        let own = ingest.answer(path).await;
        let relayed = edge.answer(path).await;
        let etag = |a: &quai_tests::http::Answer| a.headers.get("etag").cloned();
        if relayed.status == 200 && etag(&relayed) == etag(&own) {
            assert_eq!(relayed.value()["entity"], own.value()["entity"], "{path}");
            return relayed;
        }
        assert!(
            Instant::now() < deadline,
            "{path} on the edge: {relayed}, on the ingest node {:?}",
            etag(&own)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The edge's answer to `path` is the ingest node's but for the instant it
/// was made (and a stop board's `seq`, which is that instant, and its
/// feeds' ages, which each node's own clock counts from its start): asked
/// of both until they agree (the demo's realtime moves), within 10 s. The
/// ingest node's answer.
async fn worked_out_as_on(ingest: &Server, edge: &Server, path: &str) -> serde_json::Value {
    let strip = |mut v: serde_json::Value| {
        if let Some(o) = v.as_object_mut() {
            o.remove("generated_at");
            o.remove("seq");
            for feed in (o.get_mut("feeds").and_then(|f| f.as_array_mut()))
                .into_iter()
                .flatten()
            {
                if let Some(feed) = feed.as_object_mut() {
                    feed.remove("age_s");
                }
            }
        }
        v
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let own = ingest.answer(path).await.expect(200);
        let worked_out = edge.answer(path).await;
        if worked_out.status == 200 && strip(worked_out.value()) == strip(own.value()) {
            return own.value();
        }
        assert!(
            Instant::now() < deadline,
            "{path} on the edge: {worked_out}\non the ingest node: {own}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The server (`n{i}`) of the edge's consumer of the stream of boards: the
/// last made (a session that failed early may leave one, idle until the
/// server drops it), once it pulls.
async fn consumer_host(js: &async_nats::jetstream::Context) -> Option<usize> {
    use futures_util::StreamExt as _;
    let stream = js.get_stream(feed_server::ingest::STREAM).await.ok()?;
    let consumers: Vec<_> = stream.consumers().collect().await;
    // The newest (a leftover is older), once it pulls.
    let consumer = consumers
        .iter()
        .flatten()
        .max_by_key(|c| c.created)
        .filter(|c| c.num_waiting > 0)?;
    let name = consumer.cluster.as_ref()?.leader.as_ref()?;
    name.strip_prefix('n')?.parse().ok()
}

/// NATS as a cluster of three, every copy on three servers
/// (`--nats-replicas 3`): the server of the edge's consumer killed, the
/// nodes go on through the others and an edge's client misses no delta.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_server_of_three_killed_loses_no_delta() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = feed_server().demo_store(dir.path());
    let mut cluster = Cluster::start(3);
    let url = cluster.url();
    let start = |role: &str, name: &str, data: Option<&str>| {
        let mut args = vec![
            "--config",
            &store.config,
            "--now",
            quai_tests::scale::NOW,
            "--clock",
            "running",
            "--role",
            role,
            "--nats",
            &url,
            "--node-name",
            name,
        ];
        if let Some(data) = data {
            // The ingest node: it makes the stream and the buckets.
            args.extend(["--data-dir", data, "--nats-replicas", "3"]);
        }
        feed_server().logging("info").start(&args)
    };
    // The stream made before with one copy, as on a single server grown
    // into a cluster: the ingest node gives it three.
    let client = async_nats::connect(cluster.urls.clone())
        .await
        .expect("NATS");
    let js = async_nats::jetstream::new(client);
    let deadline = Instant::now() + Duration::from_secs(20);
    while let Err(e) = js
        .create_stream(async_nats::jetstream::stream::Config {
            name: feed_server::ingest::STREAM.into(),
            subjects: vec![feed_server::ingest::subject("*")],
            num_replicas: 1,
            ..Default::default()
        })
        .await
    {
        // JetStream may still be settling just after its election.
        assert!(Instant::now() < deadline, "a stream with one copy: {e}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let ingest = start("ingest", "ingest-1", Some(&store.data));
    let edge = start("edge", "edge-a", None);
    first_board(&edge).await;
    let info = js
        .get_stream(feed_server::ingest::STREAM)
        .await
        .expect("the stream")
        .cached_info()
        .clone();
    assert_eq!(
        info.config.num_replicas, 3,
        "the stream's copies once the ingest node is up"
    );
    let mut follower = Follower::start(&edge.base).await;
    let seq = notice(&ingest, &store, "Avant la panne").await;
    let logs = |what: &str| {
        let tail = |s: String| {
            s.lines()
                .rev()
                .take(60)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "{what} within 50 s\ningest:\n{}\nedge:\n{}",
            tail(ingest.logs()),
            tail(edge.logs())
        )
    };
    if tokio::time::timeout(Duration::from_secs(50), follower.until(seq, "before"))
        .await
        .is_err()
    {
        logs("no first notice");
    }

    // The server the edge's consumer lives on (n0, n1 or n2; the only
    // consumer of the stream): killed, the edge must make another, whether
    // or not its connection went with it (and the stream's leader, a third
    // of the time).
    let deadline = Instant::now() + Duration::from_secs(20);
    let host = loop {
        if let Some(host) = consumer_host(&js).await {
            break host;
        }
        assert!(Instant::now() < deadline, "the edge's consumer not found");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    drop(js);
    let killed = Instant::now();
    cluster.kill(host);
    let mut last = 0;
    for header in ["Panne 1", "Panne 2", "Panne 3"] {
        last = notice(&ingest, &store, header).await;
    }
    let after = follower.until(last, "after a NATS server was killed");
    if tokio::time::timeout(Duration::from_secs(50), after)
        .await
        .is_err()
    {
        logs("not the three notices");
    }
    println!(
        "the edge's client had the three notices {} ms after the NATS server was killed",
        killed.elapsed().as_millis()
    );
    let board = follower.state.board().expect("a board").clone();
    assert_eq!(operators(&board), 4, "the four notices");
    let rest: Board = edge.get("/v1/stations/caudry/board?limit=30", 200).await;
    assert!(
        rest.seq >= last,
        "the edge's REST board: {} < {last}",
        rest.seq
    );
    assert_eq!(operators(&rest), 4, "the edge's REST board");

    // The GTFS-RT alerts, relayed through the bucket that lost a copy:
    // the edge's are the ingest node's again (the last notice among them).
    let path = "/gtfs-rt/alerts?format=json";
    let relayed = relayed_as_on(&ingest, &edge, path, Duration::from_secs(50)).await;
    assert!(relayed.body.contains("Panne 3"), "{relayed}");
    println!(
        "the edge's GTFS-RT alerts were the ingest node's {} ms after the NATS server was killed",
        killed.elapsed().as_millis()
    );
}
