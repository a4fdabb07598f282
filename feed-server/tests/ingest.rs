//! The ingest role (issue 23, docs/scaling.md) against a real nats-server
//! with JetStream: `serve --role ingest --nats URL` publishes each station's
//! snapshot and deltas on `quai.board.{station}` and its whole board in the
//! bucket `quai-boards`. A reader of the stream rebuilds, message by message
//! as a stream client does, boards equal to the server's own REST board at
//! the same seq, with no gap; the bucket holds the newest. NATS killed and
//! started again: the node reconnects and the stream goes on without a gap;
//! NATS replaced by an empty one: the stream starts again from a snapshot
//! (of the board as it is then, the server's at that seq).

use std::time::Duration;

use async_nats::jetstream::{self, consumer};
use futures_util::StreamExt as _;
use quai_protocol::{Applied, Board, BoardState, ServerMessage};
use quai_tests::binary::{Binary, Server};
use quai_tests::nats::Nats;

/// What a reader of the station's subject got, from the stream's first
/// message up to `seq`.
struct Read {
    state: BoardState,
    seqs: Vec<u64>,
    kinds: Vec<&'static str>,
}

impl Read {
    /// A snapshot first; then each delta the next seq, and any snapshot
    /// (published at each connection to NATS) at the seq reached or later.
    fn without_gap(&self) -> bool {
        self.kinds.first() == Some(&"snapshot")
            && self
                .seqs
                .windows(2)
                .zip(&self.kinds[1..])
                .all(|(w, kind)| match *kind {
                    "delta" => w[1] == w[0] + 1,
                    "snapshot" => w[1] >= w[0],
                    _ => false,
                })
    }
}

async fn read_until(js: &jetstream::Context, seq: u64) -> Read {
    let stream = js
        .get_stream(feed_server::ingest::STREAM)
        .await
        .expect("the stream");
    let consumer = stream
        .create_consumer(consumer::pull::OrderedConfig {
            filter_subject: feed_server::ingest::subject("caudry"),
            ..Default::default()
        })
        .await
        .expect("an ordered consumer");
    let mut messages = consumer.messages().await.expect("messages");
    let mut read = Read {
        state: BoardState::new("caudry"),
        seqs: Vec::new(),
        kinds: Vec::new(),
    };
    while read.state.seq().is_none_or(|s| s < seq) {
        let message = tokio::time::timeout(Duration::from_secs(30), messages.next())
            .await
            .expect("the stream reaches the seq")
            .expect("a message")
            .expect("a message without error");
        let header = message
            .headers
            .as_ref()
            .and_then(|h| h.get("Quai-Seq"))
            .map(|v| v.as_str().to_string());
        let parsed: ServerMessage =
            serde_json::from_slice(&message.payload).expect("a stream message");
        read.kinds.push(match &parsed {
            ServerMessage::Snapshot { .. } => "snapshot",
            ServerMessage::Delta(_) => "delta",
            _ => "other",
        });
        match read.state.apply(&parsed) {
            Applied::UpToDate(applied) => {
                assert_eq!(header, Some(applied.to_string()), "Quai-Seq header");
                read.seqs.push(applied);
            }
            other => panic!(
                "message {} made {other:?}: a gap in the stream ({:?})",
                read.seqs.len(),
                read.kinds
            ),
        }
    }
    read
}

/// The REST board once its seq is at least `seq`.
async fn rest_board_past(server: &Server, seq: u64) -> Board {
    let mut rest: Board = server.get("/v1/stations/caudry/board?limit=30", 200).await;
    for _ in 0..600 {
        if rest.seq >= seq {
            return rest;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        rest = server.get("/v1/stations/caudry/board?limit=30", 200).await;
    }
    panic!("the board did not reach seq {seq}: at {}", rest.seq);
}

/// The bucket's board once its seq is at least `seq`.
async fn bucket_board_past(js: &jetstream::Context, seq: u64, server: &Server) -> Board {
    for _ in 0..300 {
        if let Ok(kv) = js.get_key_value(feed_server::ingest::BUCKET).await
            && let Ok(Some(bytes)) = kv.get("caudry").await
        {
            let board: Board = serde_json::from_slice(&bytes).expect("a board in the bucket");
            if board.seq >= seq {
                return board;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "no board of seq {seq} or later in the bucket; server log:\n{}",
        server.logs()
    );
}

/// Once NATS is back at `url`: the REST board two changes past `before`,
/// the bucket caught up with it, and the stream read from its start to it.
async fn read_after(url: &str, server: &Server, before: u64) -> (Read, Board) {
    let rest = rest_board_past(server, before + 2).await;
    let client = async_nats::connect(url)
        .await
        .expect("connect to NATS again");
    let js = jetstream::new(client);
    bucket_board_past(&js, rest.seq, server).await;
    (read_until(&js, rest.seq).await, rest)
}

fn same_board(read: &Read, rest: &Board) {
    let rebuilt = read.state.board().expect("a board");
    assert_eq!(
        rebuilt.seq, rest.seq,
        "read {:?} {:?}",
        read.seqs, read.kinds
    );
    assert_eq!(
        serde_json::to_value(&rebuilt.departures).expect("json"),
        serde_json::to_value(&rest.departures).expect("json")
    );
    assert_eq!(rebuilt.notices, rest.notices);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ingest_node_publishes_every_board_to_jetstream() {
    let mut nats = Nats::start();
    // A busy hour with the demo's realtime moving the board.
    let server = Binary::new(env!("CARGO_BIN_EXE_feed-server")).start(&[
        "--now",
        "2026-12-01T07:40:00+01:00",
        "--clock",
        "running",
        "--role",
        "ingest",
        "--nats",
        &nats.url,
    ]);
    let client = async_nats::connect(&nats.url)
        .await
        .expect("connect to NATS");
    let js = jetstream::new(client);

    let in_bucket = bucket_board_past(&js, 0, &server).await;
    assert_eq!(in_bucket.station.id, "caudry");
    let rest = rest_board_past(&server, in_bucket.seq + 2).await;
    let read = read_until(&js, rest.seq).await;
    assert!(read.seqs.len() >= 3, "{:?}", read.seqs);
    assert_eq!(read.kinds[0], "snapshot", "{:?}", read.kinds);
    assert!(
        read.kinds[1..].iter().all(|k| *k == "delta"),
        "{:?}",
        read.kinds
    );
    assert!(read.without_gap(), "{:?} {:?}", read.seqs, read.kinds);
    // At the REST board's seq, the rebuilt board is the REST board.
    same_board(&read, &rest);

    // NATS killed and started again on its store: the node reconnects and
    // publishes on from where NATS last acknowledged.
    drop(js);
    nats.restart();
    let (read, rest) = read_after(&nats.url, &server, rest.seq).await;
    assert!(
        read.without_gap(),
        "a gap across the restart: {:?} {:?}",
        read.seqs,
        read.kinds
    );
    same_board(&read, &rest);

    // NATS replaced by one with an empty store: the node makes the stream
    // and the bucket again and starts them with a snapshot.
    nats.restart_empty();
    let (read, _) = read_after(&nats.url, &server, rest.seq).await;
    assert!(
        read.without_gap(),
        "the new stream: {:?} {:?}",
        read.seqs,
        read.kinds
    );
    // It starts from the board as it is when the node reconnects, which
    // may be past the REST board read before: compared with the server's
    // board at that seq (its archive).
    let rebuilt = read.state.board().expect("a board");
    let served = server.board_at(rebuilt.seq).await;
    same_board(&read, &served);
}

/// `--nats-replicas 3` against a lone NATS server: the node makes nothing
/// there and says why in `/healthz`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_copies_on_a_lone_nats_server_are_refused_with_the_reason() {
    let nats = Nats::start();
    let server = Binary::new(env!("CARGO_BIN_EXE_feed-server")).start(&[
        "--role",
        "ingest",
        "--nats",
        &nats.url,
        "--nats-replicas",
        "3",
    ]);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let health: quai_protocol::Health = server.get("/healthz", 200).await;
        let link = health.nats.expect("the node's NATS link");
        if let Some(error) = link.last_error {
            assert!(
                error.contains("--nats-replicas 3 needs a NATS cluster"),
                "{error}"
            );
            assert_ne!(link.publishing, Some(true));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no error in /healthz: {}",
            server.logs()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let client = async_nats::connect(&nats.url)
        .await
        .expect("connect to NATS");
    let made = jetstream::new(client)
        .get_stream(feed_server::ingest::STREAM)
        .await;
    assert!(made.is_err(), "a stream made on the lone server");
}

/// The bucket's board never goes back: a board of a higher seq found there
/// (another node's, newer) is not replaced by this node's later puts of
/// lower seqs (the next takeover numbers quiet stations on from it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newer_board_in_the_bucket_is_not_replaced_by_an_older_one() {
    let nats = Nats::start();
    let server = Binary::new(env!("CARGO_BIN_EXE_feed-server"))
        .logging("info")
        .start(&[
            "--now",
            "2026-12-01T07:40:00+01:00",
            "--clock",
            "running",
            "--role",
            "ingest",
            "--nats",
            &nats.url,
        ]);
    let client = async_nats::connect(&nats.url)
        .await
        .expect("connect to NATS");
    let js = jetstream::new(client);
    let first = bucket_board_past(&js, 0, &server).await;
    // As a node that took the lease over would have left it.
    let mut newer = first.clone();
    newer.seq = first.seq + 1_000_000;
    let kv = js
        .get_key_value(feed_server::ingest::BUCKET)
        .await
        .expect("the bucket");
    kv.put("caudry", serde_json::to_vec(&newer).expect("json").into())
        .await
        .expect("put");
    // This node goes on changing the board (its stream messages are its
    // own business): two more boards, each put after its message.
    let rest = rest_board_past(&server, first.seq + 2).await;
    read_until(&js, rest.seq).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !server.logs().contains("holds a newer board") {
        assert!(
            std::time::Instant::now() < deadline,
            "no put refused: {}",
            server.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Two boards more after the first put refused: each refused too (its
    // put follows its message; half a second for the last one's).
    let later = rest_board_past(&server, rest.seq + 2).await;
    read_until(&js, later.seq).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let held: Board =
        serde_json::from_slice(&kv.get("caudry").await.expect("get").expect("a board"))
            .expect("a board");
    assert_eq!(held.seq, newer.seq, "the newer board replaced");
}
