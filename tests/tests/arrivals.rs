//! Arrival boards (issue 25): a station with `arrivals = true` lists the calls
//! where its runs end or pass, by where they come from, at their arrival
//! times, with realtime applied, in REST and in the stream. Checked against
//! the demo's GTFS read by gtfs-structures, an independent reader.
//! Fixed clock: Monday 9 March 2026, 07:30 in Caudry.

use std::collections::HashMap;

use gtfs_structures::{Gtfs, PickupDropOffType};
use quai_protocol::{Applied, Arrival, BoardState, DepartureStatus};
use quai_tests::board::{hm, instant};
use quai_tests::gtfs_rt::{encode, stop, trip_update};
use quai_tests::schema::conforms;
use quai_tests::server::{self, Running};
use quai_tests::stream::Client;
use quai_tests::upstream::{Reply, Upstream};

const NOW: &str = "2026-03-09T07:30:00+01:00";

/// The demo station with its arrivals shown; `realtime` as in `demo_config`.
fn config(realtime: &str) -> String {
    let text = server::demo_config("[board]\nmax_limit = 60", realtime);
    let with = text.replacen(
        "stops = { demo = [\"CAUDRY\"] }",
        "stops = { demo = [\"CAUDRY\"] }\narrivals = true",
        1,
    );
    assert_ne!(with, text);
    with
}

fn demo_gtfs() -> Gtfs {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../feed-server/demo/gtfs");
    Gtfs::new(path).expect("the demo GTFS")
}

/// An arrival's trip id (frequency instance aside), its service day and stop
/// sequence, from its id `demo:{trip_id}:{YYYYMMDD}:{stop_sequence}`.
fn call_of(a: &Arrival) -> (String, String, Option<String>, u32) {
    let mut parts = a.id.rsplitn(3, ':');
    let sequence = parts.next().and_then(|s| s.parse().ok()).expect("sequence");
    let day = parts.next().expect("day").to_string();
    let trip = parts
        .next()
        .and_then(|t| t.strip_prefix("demo:"))
        .expect("trip");
    let (trip, instance) = match trip.split_once('@') {
        Some((t, start)) => (t.to_string(), Some(start.to_string())),
        None => (trip.to_string(), None),
    };
    (trip, day, instance, sequence)
}

/// GTFS seconds as `HH:MM` (of the service day, as timetabled).
fn gtfs_hm(seconds: u32) -> String {
    format!("{:02}:{:02}", seconds / 3600 % 24, seconds / 60 % 60)
}

fn seconds_of(hms: &str) -> u32 {
    hms.split(':')
        .map(|p| p.parse::<u32>().expect("HH:MM:SS"))
        .fold(0, |t, p| t * 60 + p)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arrivals_are_the_calls_ending_or_passing_here_by_their_origin() {
    let server = server::start(&config(""), server::fixed(NOW)).await;
    let answer = server
        .answer("/v1/stations/caudry/board?limit=40")
        .await
        .expect(200);
    conforms("Board", &answer.body);
    let board: quai_protocol::Board = answer.json();
    let gtfs = demo_gtfs();
    assert!(board.arrivals.len() >= 20, "{:?}", board.arrivals);
    let (mut ending, mut passing) = (0, 0);
    for a in &board.arrivals {
        let (trip_id, day, instance, sequence) = call_of(a);
        assert_eq!(day, "20260309", "{}", a.id);
        let trip = &gtfs.trips[&trip_id];
        let k = trip
            .stop_times
            .iter()
            .position(|st| st.stop_sequence == sequence)
            .expect("the call is in stop_times.txt");
        let st = &trip.stop_times[k];
        // A call where passengers may alight, at the station, not the first.
        assert!(k > 0, "{} is its run's first call", a.id);
        assert_ne!(
            st.drop_off_type,
            PickupDropOffType::NotAvailable,
            "{}",
            a.id
        );
        assert!(st.stop.id.starts_with("CAUDRY"), "{}", st.stop.id);
        // At its timetabled arrival (a frequency run: shifted by its start).
        let first = &trip.stop_times[0];
        let arrival = st.arrival_time.expect("timed");
        let arrival = match &instance {
            Some(start) => seconds_of(start) + arrival - first.departure_time.expect("timed"),
            None => arrival,
        };
        assert_eq!(hm(&a.scheduled), gtfs_hm(arrival), "{}", a.id);
        // From its first stop; ending here or going on.
        assert_eq!(a.origin, first.stop.name.clone().unwrap_or_default());
        let last = k + 1 == trip.stop_times.len();
        assert_eq!(a.terminates, last, "{}", a.id);
        if last {
            ending += 1;
        } else {
            passing += 1;
            // A run that goes on also leaves: the same call is a departure.
            if a.id != board.arrivals[0].id {
                assert!(
                    board.departures.iter().any(|d| d.id == a.id)
                        || instant(&a.scheduled)
                            > instant(&board.departures.last().expect("some").scheduled),
                    "{} passes but is not a departure",
                    a.id
                );
            }
        }
        assert_eq!(a.status, DepartureStatus::Scheduled);
        assert!(a.expected.is_none() && !a.realtime);
    }
    assert!(
        ending > 0 && passing > 0,
        "{ending} ending, {passing} passing"
    );
    // In the order of their arrival, from now.
    let times: Vec<_> = board
        .arrivals
        .iter()
        .map(|a| instant(&a.scheduled))
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert!(times[0] >= instant(NOW));
    // `limit` and a one-platform sign's filter apply to arrivals too.
    let five = server.board("caudry", "?limit=5").await;
    assert_eq!(five.arrivals[..], board.arrivals[..5]);
    let platform_2 = server.board("caudry", "?platforms=2&limit=40").await;
    assert!(!platform_2.arrivals.is_empty());
    assert!(
        platform_2
            .arrivals
            .iter()
            .all(|a| a.platform.as_deref() == Some("2"))
    );
    let want: Vec<_> = board
        .arrivals
        .iter()
        .filter(|a| a.platform.as_deref() == Some("2"))
        .collect();
    assert_eq!(platform_2.arrivals.iter().collect::<Vec<_>>(), want);

    // Without `arrivals = true`, a board has none (and says nothing of them).
    let plain = server::start(
        &server::demo_config("[board]\nmax_limit = 60", ""),
        server::fixed(NOW),
    )
    .await;
    let text: serde_json::Value = plain.get("/v1/stations/caudry/board", 200).await;
    assert!(text.get("arrivals").is_none(), "{text}");
}

/// The first arrival that ends at Caudry and the first that passes, from a
/// board without realtime.
async fn two_arrivals() -> (Arrival, Arrival) {
    let server = server::start(&config(""), server::fixed(NOW)).await;
    let board = server.board("caudry", "?limit=40").await;
    let ending = board.arrivals.iter().find(|a| a.terminates).cloned();
    let passing = board.arrivals.iter().find(|a| !a.terminates).cloned();
    (ending.expect("one ending"), passing.expect("one passing"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn realtime_moves_an_arrival_and_cancels_one() {
    let (ending, passing) = two_arrivals().await;
    let (ending_trip, _, _, ending_seq) = call_of(&ending);
    let (passing_trip, ..) = call_of(&passing);
    let now = instant(NOW).timestamp();
    // First nothing; then the run ending here arrives 6 minutes late (its own
    // arrival given) and the passing one is cancelled.
    let nothing: Vec<quai_tests::gtfs_rt::TripUpdateEntity> = Vec::new();
    let upstream = Upstream::start(Reply::Body(encode(now, nothing))).await;
    let server = server::start(
        &config(&format!(
            "trip_updates_url = \"{}\"\npoll_s = 0.2",
            upstream.url
        )),
        server::fixed(NOW),
    )
    .await;
    server.wait_fresh("demo:trip-updates").await;
    let before = server.board("caudry", "?limit=40").await;
    // A change to a run that only arrives here changes no departure: the
    // board is published again all the same (a new seq).
    // (Each message newer than the last: an older header is not news.)
    upstream.set(Reply::Body(encode(
        now + 1,
        [trip_update(&ending_trip, "20260309").stop(stop(ending_seq).delay(360))],
    )));
    let mut board = before.clone();
    for _ in 0..100 {
        board = server.board("caudry", "?limit=40").await;
        if board.seq != before.seq {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let shown = board.arrivals.iter().find(|a| a.id == ending.id);
    assert_ne!(
        board.seq, before.seq,
        "the late arrival was not published: {shown:?}"
    );
    assert_eq!(board.departures, before.departures);
    upstream.set(Reply::Body(encode(
        now + 2,
        [
            trip_update(&ending_trip, "20260309").stop(stop(ending_seq).delay(360)),
            trip_update(&passing_trip, "20260309").cancelled(),
        ],
    )));
    for _ in 0..100 {
        board = server.board("caudry", "?limit=40").await;
        if board
            .arrivals
            .iter()
            .any(|a| a.id == passing.id && a.status == DepartureStatus::Cancelled)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let late = board
        .arrivals
        .iter()
        .find(|a| a.id == ending.id)
        .expect("still listed");
    assert_eq!(late.delay_s, Some(360));
    assert_eq!(
        instant(late.expected.as_deref().expect("expected")) - instant(&late.scheduled),
        chrono::Duration::minutes(6)
    );
    assert_eq!(late.status, DepartureStatus::Delayed);
    assert!(late.realtime);
    let gone = board
        .arrivals
        .iter()
        .find(|a| a.id == passing.id)
        .expect("kept, struck");
    assert_eq!(gone.status, DepartureStatus::Cancelled);
    // The same run's departure is cancelled too.
    let d = board
        .departures
        .iter()
        .find(|d| d.id == passing.id)
        .expect("a passing run leaves too");
    assert_eq!(d.status, DepartureStatus::Cancelled);
}

/// Reads the stream until the client's board is the REST board's (same seq,
/// same arrivals).
async fn converge(server: &Running, client: &mut Client, state: &mut BoardState) {
    loop {
        let rest = server.board("caudry", "?limit=30").await;
        while state.seq().is_none_or(|s| s < rest.seq) {
            let message = client.next_message().await;
            if let Applied::Resubscribe { since } = state.apply(&message) {
                panic!("gap in the stream (since {since:?})");
            }
        }
        if state.seq() == Some(rest.seq) {
            let held = state.board().expect("a board");
            assert_eq!(held.arrivals, rest.arrivals);
            assert_eq!(held.departures, rest.departures);
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_carries_arrivals_in_its_deltas() {
    let server = server::start(&config(""), server::fixed(NOW)).await;
    let mut client = Client::connect(&server.base).await;
    client.subscribe("caudry", None).await;
    let mut state = BoardState::new("caudry");
    converge(&server, &mut client, &mut state).await;
    let first = state.board().expect("board").arrivals[0].clone();

    // A notice on the line of the first arrival: that arrival now names it,
    // and a delta says so.
    let token = server.operator("reseau", &["*"]);
    let notice = serde_json::json!({
        "severity": "warning",
        "cause": "technical_problem",
        "effect": "significant_delays",
        "header": {"fr": "Retards sur la ligne"},
        "informed_entities": [{"route_id": first.route.id}],
    });
    let created: serde_json::Value = server
        .post_json("/v1/notices", &token, &notice)
        .await
        .expect(201)
        .json();
    let id = created["id"].as_str().expect("an id").to_string();
    let mut upserted = HashMap::new();
    loop {
        let message = client.next_message().await;
        if let quai_protocol::ServerMessage::Delta(d) = &message {
            let text = serde_json::to_value(&message).expect("JSON");
            conforms("Delta", &text.to_string());
            for a in &d.upsert.arrivals {
                upserted.insert(a.id.clone(), a.notice_ids.clone());
            }
        }
        if let Applied::Resubscribe { since } = state.apply(&message) {
            panic!("gap in the stream (since {since:?})");
        }
        if upserted.contains_key(&first.id) {
            break;
        }
    }
    assert!(
        upserted[&first.id].iter().any(|n| n.ends_with(&id)),
        "{upserted:?}"
    );
    converge(&server, &mut client, &mut state).await;
}
