//! The live stream end to end: real WebSocket clients against an in-process server
//! on 127.0.0.1, the demo timetable, and realtime from a fake upstream that the
//! tests change at will.

use std::time::Duration;

use chrono::{DateTime, Utc};
use feed_server::clock::Clock;
use quai_protocol::{Applied, BoardState, ServerMessage};
use quai_tests::board::content;
use quai_tests::changes::{Rng, random_updates};
use quai_tests::http::metric;
use quai_tests::server::{self, Running};
use quai_tests::stream::{Client, Received};
use quai_tests::upstream::{Reply, Upstream};

const START: &str = "2026-03-09T07:30:00+01:00";

fn config(upstream: &str, stream: &str) -> String {
    config_with(upstream, stream, "")
}

fn config_with(upstream: &str, stream: &str, server: &str) -> String {
    server::demo_config(
        &format!("[server]\n{server}\n[stream]\n{stream}"),
        &format!("trip_updates_url = \"{upstream}/tu.pb\"\npoll_s = 0.05\nmax_backoff_s = 0.1"),
    )
}

fn running_clock() -> Clock {
    Clock::running_from(DateTime::parse_from_rfc3339(START).expect("start"))
}

/// Reads the stream until the client's board reaches the REST board's seq, then
/// checks they are the same.
async fn converge(server: &Running, client: &mut Client, state: &mut BoardState) {
    loop {
        let rest = server.board("caudry", "?limit=30").await;
        let rest_seq = rest.seq;
        while state.seq().is_none_or(|s| s < rest_seq) {
            let message = client.next_message().await;
            match state.apply(&message) {
                Applied::Resubscribe { since } => panic!("gap in the stream (since {since:?})"),
                Applied::UpToDate(_) | Applied::Ignored => {}
            }
        }
        if state.seq() == Some(rest_seq) {
            assert_eq!(content(state.board().expect("board")), content(&rest));
            return;
        }
        // The stream is ahead of the REST board we read: read REST again.
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deltas_rebuild_exactly_the_rest_board_through_random_changes() {
    for seed in [7u64, 1_234_567, 987_654_321] {
        let mut rng = Rng(seed);
        let clock = running_clock();
        let base = clock.now().timestamp() - 60;
        let up = Upstream::start(Reply::Body(random_updates(&mut rng, base))).await;
        let server = server::start(&config(&up.url, ""), clock).await;
        server.wait_fresh("demo:trip-updates").await;

        let mut client = Client::connect(&server.base).await;
        client.subscribe("caudry", None).await;
        let mut state = BoardState::new("caudry");
        let first = client.next_message().await;
        assert!(matches!(first, ServerMessage::Snapshot { .. }), "{first:?}");
        state.apply(&first);
        converge(&server, &mut client, &mut state).await;

        for step in 1..=8 {
            up.set(Reply::Body(random_updates(&mut rng, base + step)));
            // Wait for the server to take it, then check the stream against REST.
            up.polls(2).await;
            converge(&server, &mut client, &mut state).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_passing_alone_moves_the_board() {
    // No realtime: a running clock started a second before the 07:34 departure.
    let text = &server::demo_config("", "");
    let clock = Clock::running_from(
        DateTime::parse_from_rfc3339("2026-03-09T07:33:59+01:00").expect("start"),
    );
    let server = server::start(text, clock).await;
    let mut client = Client::connect(&server.base).await;
    client.subscribe("caudry", None).await;
    let mut state = BoardState::new("caudry");
    state.apply(&client.next_message().await);
    let first = state.board().expect("board").departures[0].id.clone();
    // The publisher ticks every second: the departure leaves, a delta removes it.
    let delta = client.next_message().await;
    match &delta {
        ServerMessage::Delta(d) => {
            assert!(d.remove.departures.contains(&first), "{d:?}");
            // Stamped to the microsecond: a loopback delivery takes less than a
            // millisecond, and load tools measure it from this.
            let fraction = d
                .server_time
                .strip_suffix('Z')
                .and_then(|t| t.rsplit_once('.'))
                .map(|(_, f)| f.len());
            assert_eq!(fraction, Some(6), "{}", d.server_time);
        }
        other => panic!("expected a delta, got {other:?}"),
    }
    assert!(matches!(state.apply(&delta), Applied::UpToDate(_)));
    converge(&server, &mut client, &mut state).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_with_since_inside_and_outside_the_replay_window() {
    let mut rng = Rng(42);
    let clock = running_clock();
    let base = clock.now().timestamp() - 60;
    let up = Upstream::start(Reply::Body(random_updates(&mut rng, base))).await;
    let server = server::start(&config(&up.url, "replay_deltas = 3"), clock).await;
    server.wait_fresh("demo:trip-updates").await;

    let mut client = Client::connect(&server.base).await;
    client.subscribe("caudry", None).await;
    let ServerMessage::Snapshot { seq: start, .. } = client.next_message().await else {
        panic!("expected a snapshot");
    };
    drop(client);

    // Two changes while away: replayed on return, no snapshot.
    let mut step = 1;
    let mut changes = 0;
    while changes < 2 {
        let before = server.board("caudry", "").await.seq;
        up.set(Reply::Body(random_updates(&mut rng, base + step)));
        step += 1;
        up.polls(2).await;
        if server.board("caudry", "").await.seq != before {
            changes += 1;
        }
    }
    let now_seq = server.board("caudry", "").await.seq;
    let mut client = Client::connect(&server.base).await;
    client.subscribe("caudry", Some(start)).await;
    let mut expected_prev = start;
    while expected_prev < now_seq {
        match client.next_message().await {
            ServerMessage::Delta(d) => {
                assert_eq!(d.prev_seq, expected_prev);
                expected_prev = d.seq;
            }
            other => panic!("expected replayed deltas, got {other:?}"),
        }
    }

    // Up to date: nothing is sent but heartbeats. The server answers a ping before
    // it writes what is queued, so a second ping, sent once the first is answered,
    // comes back only after anything wrongly queued by the subscribe.
    let mut up_to_date = Client::connect(&server.base).await;
    up_to_date.subscribe("caudry", Some(now_seq)).await;
    for _ in 0..2 {
        up_to_date.send(r#"{"op":"ping"}"#).await;
        loop {
            match up_to_date.next_within(Duration::from_secs(15)).await {
                Received::Message(m) => match *m {
                    ServerMessage::Heartbeat { station: None, .. } => break,
                    ServerMessage::Heartbeat { .. } => {}
                    other => panic!("expected only heartbeats, got {other:?}"),
                },
                other => panic!("expected only heartbeats, got {other:?}"),
            }
        }
    }

    // More changes than the log keeps (3): a snapshot instead.
    while server.board("caudry", "").await.seq < now_seq + 4 {
        up.set(Reply::Body(random_updates(&mut rng, base + step)));
        step += 1;
        up.polls(2).await;
    }
    let mut late = Client::connect(&server.base).await;
    late.subscribe("caudry", Some(now_seq)).await;
    assert!(matches!(
        late.next_message().await,
        ServerMessage::Snapshot { .. }
    ));

    let metrics = server.get_text("/metrics").await;
    assert!(
        metrics.contains("quai_stream_replay_hits_total 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("quai_stream_replay_misses_total 1"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_server_restart_a_client_gets_a_fresh_snapshot() {
    let text = &server::demo_config("", "");
    let first = server::start(text, server::fixed(START)).await;
    let mut client = Client::connect(&first.base).await;
    client.subscribe("caudry", None).await;
    let ServerMessage::Snapshot { seq: old, .. } = client.next_message().await else {
        panic!("expected a snapshot");
    };
    drop(first);
    // The connection ends with the server.
    loop {
        if let Received::Closed(_) = client.next_within(Duration::from_secs(10)).await {
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(5)).await;
    let second = server::start(text, server::fixed(START)).await;
    let mut client = Client::connect(&second.base).await;
    client.subscribe("caudry", Some(old)).await;
    match client.next_message().await {
        ServerMessage::Snapshot { seq, board, .. } => {
            assert!(
                seq > old,
                "seq must keep growing across restarts: {old} then {seq}"
            );
            assert!(!board.departures.is_empty());
        }
        other => panic!("expected a snapshot, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_is_dropped_and_the_others_miss_nothing() {
    let mut rng = Rng(99);
    let clock = running_clock();
    let base = clock.now().timestamp() - 60;
    let up = Upstream::start(Reply::Body(random_updates(&mut rng, base))).await;
    let server = server::start(
        &config_with(
            &up.url,
            "queue = 4\nwrite_timeout_s = 1",
            "send_buffer_kb = 8",
        ),
        clock,
    )
    .await;
    server.wait_fresh("demo:trip-updates").await;

    let mut stuck = Client::connect_small_buffer(&server.base).await;
    stuck.subscribe("caudry", None).await;
    let mut reader = Client::connect(&server.base).await;
    reader.subscribe("caudry", None).await;
    let mut state = BoardState::new("caudry");
    state.apply(&reader.next_message().await);

    // A burst of changes; the reader keeps up, checking continuity as it goes.
    for step in 1..=80 {
        up.set(Reply::Body(random_updates(&mut rng, base + step)));
        tokio::time::sleep(Duration::from_millis(60)).await;
        while let Ok(Received::Message(m)) = tokio::time::timeout(
            Duration::from_millis(1),
            reader.next_within(Duration::from_secs(15)),
        )
        .await
        {
            assert!(
                !matches!(state.apply(m.as_ref()), Applied::Resubscribe { .. }),
                "the reading client lost a delta"
            );
        }
    }
    converge(&server, &mut reader, &mut state).await;

    // The hub dropped it long ago (its queue holds 4); its connection task may still
    // be inside one last write, which gives up after write_timeout_s = 1.
    let dropped = |metrics: &str| metric(metrics, "quai_stream_dropped_slow_total");
    let mut metrics = String::new();
    for _ in 0..50 {
        metrics = server.get_text("/metrics").await;
        if dropped(&metrics).is_some_and(|n| n >= 1.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        dropped(&metrics),
        Some(1.0),
        "the stuck client was not dropped within 10 s: {metrics}"
    );
    // The stuck client finds its stream ended when it finally reads.
    let mut ended = false;
    for _ in 0..10_000 {
        if let Received::Closed(_) = stuck.next_within(Duration::from_secs(10)).await {
            ended = true;
            break;
        }
    }
    assert!(ended);
}

async fn expect_error_then_close(client: &mut Client, code: &str, close: u16) {
    match client.next_within(Duration::from_secs(15)).await {
        Received::Message(m) => match *m {
            ServerMessage::Error { code: c, .. } => assert_eq!(c, code),
            other => panic!("expected error {code}, got {other:?}"),
        },
        other => panic!("expected error {code}, got {other:?}"),
    }
    match client.next_within(Duration::from_secs(15)).await {
        Received::Closed(Some(frame)) => assert_eq!(u16::from(frame.code), close),
        other => panic!("expected close {close}, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_clients_get_the_documented_errors() {
    let text = &server::demo_config("[stream]\nheartbeat_s = 0.3", "");
    let server = server::start(text, server::fixed(START)).await;

    let mut c = Client::connect(&server.base).await;
    c.send(&format!(
        r#"{{"op":"ping","pad":"{}"}}"#,
        "x".repeat(70 * 1024)
    ))
    .await;
    expect_error_then_close(&mut c, "frame_too_large", 1009).await;

    let mut c = Client::connect(&server.base).await;
    c.send("this is not json").await;
    expect_error_then_close(&mut c, "invalid_json", 1007).await;

    let mut c = Client::connect(&server.base).await;
    c.send(r#"{"op":"teleport","station":"caudry"}"#).await;
    expect_error_then_close(&mut c, "unknown_op", 1008).await;

    let mut c = Client::connect(&server.base).await;
    c.send(r#"{"op":"subscribe"}"#).await;
    expect_error_then_close(&mut c, "invalid_message", 1008).await;

    // An unknown station is an error, not a close: the connection goes on.
    let mut c = Client::connect(&server.base).await;
    c.subscribe("lille", None).await;
    match c.next_within(Duration::from_secs(15)).await {
        Received::Message(m) => match *m {
            ServerMessage::Error { code, .. } => assert_eq!(code, "unknown_station"),
            other => panic!("expected unknown_station, got {other:?}"),
        },
        other => panic!("expected unknown_station, got {other:?}"),
    }
    c.subscribe("caudry", None).await;
    assert!(matches!(
        c.next_message().await,
        ServerMessage::Snapshot { .. }
    ));
    // Heartbeats with the station's seq come on their own.
    match c.next_within(Duration::from_secs(15)).await {
        Received::Message(m) => match *m {
            ServerMessage::Heartbeat { station, seq, .. } => {
                assert_eq!(station.as_deref(), Some("caudry"));
                assert!(seq.is_some());
            }
            other => panic!("expected a heartbeat, got {other:?}"),
        },
        other => panic!("expected a heartbeat, got {other:?}"),
    }

    // A flood: more than 20 messages in a second.
    let mut c = Client::connect(&server.base).await;
    for _ in 0..30 {
        c.send(r#"{"op":"ping"}"#).await;
    }
    loop {
        match c.next_within(Duration::from_secs(15)).await {
            Received::Message(m) => match *m {
                ServerMessage::Heartbeat { .. } => {}
                ServerMessage::Error { code, .. } => {
                    assert_eq!(code, "rate_limited");
                    break;
                }
                other => panic!("expected rate_limited, got {other:?}"),
            },
            other => panic!("expected rate_limited, got {other:?}"),
        }
    }
    match c.next_within(Duration::from_secs(15)).await {
        Received::Closed(Some(frame)) => assert_eq!(u16::from(frame.code), 1008),
        other => panic!("expected a close, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lang_limits_the_texts_a_client_receives() {
    // The demo with its realtime simulator: one alert in French and English.
    let text = &server::demo_config(
        "",
        "trip_updates_url = \"self:/demo/gtfs-rt/trip-updates\"\n\
         alerts_url = \"self:/demo/gtfs-rt/alerts\"\npoll_s = 0.1",
    );
    let server = server::start(text, server::fixed(START)).await;
    server.wait_fresh("demo:alerts").await;
    let mut c = Client::connect(&server.base).await;
    c.send(r#"{"op":"subscribe","station":"caudry","lang":["en"]}"#)
        .await;
    let ServerMessage::Snapshot { board, .. } = c.next_message().await else {
        panic!("expected a snapshot");
    };
    let notice = board.notices.first().expect("the demo alert");
    assert_eq!(notice.header.keys().collect::<Vec<_>>(), vec!["en"]);
    let _: DateTime<Utc> = DateTime::parse_from_rfc3339(&board.generated_at)
        .expect("generated_at")
        .with_timezone(&Utc);
}
