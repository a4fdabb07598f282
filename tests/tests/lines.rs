//! Lines and trips over REST (`/v1/routes/{id}`, `/v1/routes/{id}/departures`,
//! `/v1/trips/{id}`) on the demo network with realtime from a fake upstream:
//! a delayed trip with a platform change and a vehicle on its way, a
//! cancelled trip, a trip on a day it does not run, notices on a line; each
//! compared with the timetable (feed-server/demo/gtfs) and with the board.

use quai_protocol::{DepartureStatus, Mode, RouteDepartures, RouteDetail, Trip};
use quai_tests::gtfs_rt::{self, stop, trip_update, vehicle};
use quai_tests::server::{self, Running};
use quai_tests::upstream::{Reply, Upstream};
use serde_json::json;

/// Monday 9 March 2026, 07:10 in Caudry.
const NOW: &str = "2026-03-09T07:10:00+01:00";
const TRIP: &str = "demo:CA2C:1:WD:0:0720:20260309:1";

use quai_tests::schema::conforms;

/// Publishes an operator's notice; its id.
async fn publish(s: &Running, token: &str, notice: &serde_json::Value) -> String {
    s.post_json("/v1/notices", token, notice)
        .await
        .expect(201)
        .value()["id"]
        .as_str()
        .expect("id")
        .to_string()
}

async fn demo() -> (Running, Upstream) {
    let ts = chrono::DateTime::parse_from_rfc3339(NOW)
        .expect("now")
        .timestamp();
    let updates = gtfs_rt::encode(
        ts,
        [
            // 07:20 to Cambrai: from bay B instead of A, 3 min late from
            // Beauvois on.
            trip_update("CA2C:1:WD:0:0720", "20260309")
                .stop(stop(1).delay(0).assigned("CAUDRY:B"))
                .stop(stop(3).delay(180)),
            trip_update("CA2C:1:WD:0:0750", "20260309").cancelled(),
        ],
    );
    let vehicles = gtfs_rt::encode(
        ts,
        [
            vehicle("bus-12", "CA2C:1:WD:0:0720")
                .heading_to("BEAUVOIS_MAIRIE", 3)
                .at(50.1372, 3.3751, ts as u64 - 20),
            // Only where it is: no stop, no sequence.
            vehicle("bus-7", "CA2C:1:WD:0:0650").at(50.1402, 3.3601, ts as u64 - 5),
        ],
    );
    let upstream = Upstream::start(Reply::Status(404, None)).await;
    upstream.set_path("/tu", Reply::Body(updates));
    upstream.set_path("/vp", Reply::Body(vehicles));
    let s = server::start(
        &server::demo_config(
            "[board]\nmax_limit = 60",
            &format!(
                "trip_updates_url = \"{u}/tu\"\nvehicle_positions_url = \"{u}/vp\"\npoll_s = 0.2",
                u = upstream.url
            ),
        ),
        server::fixed(NOW),
    )
    .await;
    s.wait_fresh("demo:trip-updates").await;
    s.wait_fresh("demo:vehicle-positions").await;
    (s, upstream)
}

#[tokio::test]
async fn a_line_its_stops_per_direction_and_its_departures_from_the_hub() {
    let (s, _up) = demo().await;
    let line: RouteDetail = s.get("/v1/routes/demo:CA2C:1", 200).await;
    conforms("RouteDetail", &s.get_text("/v1/routes/demo:CA2C:1").await);
    let served: quai_protocol::StationRoutes = s.get("/v1/stations/caudry/routes", 200).await;
    conforms(
        "StationRoutes",
        &s.get_text("/v1/stations/caudry/routes").await,
    );
    let ids: Vec<&str> = served.routes.iter().map(|r| r.id.as_str()).collect();
    assert!(ids.contains(&"demo:CA2C:1"), "{ids:?}");
    // Numbers by value: line 2 before line 10 and the lettered ones after.
    let names: Vec<String> = served
        .routes
        .iter()
        .map(|r| r.route.short_name.clone().unwrap_or_default())
        .collect();
    let numbers: Vec<u64> = names.iter().map_while(|n| n.parse().ok()).collect();
    assert!(numbers.windows(2).all(|w| w[0] <= w[1]), "{names:?}");
    s.answer("/v1/stations/nowhere/routes").await.expect(404);
    conforms(
        "RouteDepartures",
        &s.get_text("/v1/routes/demo:CA2C:1/departures?station=caudry")
            .await,
    );
    assert_eq!(line.mode, Mode::Bus);
    assert_eq!(
        (line.route.short_name.as_deref(), line.route.color.as_str()),
        (Some("1"), "#C62828")
    );
    assert_eq!(line.directions.len(), 2);
    let out = &line.directions[0];
    assert_eq!(
        (out.direction_id, out.headsign.as_str()),
        (Some(0), "Cambrai")
    );
    let stops: Vec<&str> = out.stops.iter().map(|s| s.stop_id.as_str()).collect();
    assert_eq!(
        stops,
        [
            "demo:CAUDRY:A",
            "demo:CAUDRY_HDV",
            "demo:BEAUVOIS_MAIRIE",
            "demo:CATTENIERES_EGLISE",
            "demo:AWOINGT_CENTRE",
            "demo:CAMBRAI_GARE_ROUTIERE"
        ]
    );
    assert_eq!(out.stops[0].platform.as_deref(), Some("A"));
    // Back: the longest of its patterns (4 and 6 stops), from Cambrai.
    let back = &line.directions[1];
    assert_eq!(back.direction_id, Some(1));
    assert_eq!(back.stops.len(), 6);
    assert_eq!(back.stops[0].stop_id, "demo:CAMBRAI_GARE_ROUTIERE");

    // Its departures from the hub: the board's, of this line only.
    let board = s.board("caudry", "?limit=60").await;
    let from_board: Vec<String> = board
        .departures
        .iter()
        .filter(|d| d.route.id == "CA2C:1")
        .map(|d| d.id.clone())
        .collect();
    let ours: RouteDepartures = s
        .get(
            "/v1/routes/demo:CA2C:1/departures?station=caudry&limit=60",
            200,
        )
        .await;
    let ids: Vec<String> = ours.departures.iter().map(|d| d.id.clone()).collect();
    assert!(!ids.is_empty());
    // The same departures as the board's, in its order (the board, cut at
    // 60 rows of every line, may hold fewer of them).
    assert_eq!(ids[..from_board.len()], from_board[..]);
    assert_eq!(ours.seq, board.seq);
    let ten: RouteDepartures = s
        .get("/v1/routes/demo:CA2C:1/departures?station=caudry", 200)
        .await;
    assert_eq!(ten.departures.len(), 10.min(ids.len()), "10 by default");
    assert!(ours.departures.iter().all(|d| d.route.id == "CA2C:1"));
    assert!(ids.contains(&TRIP.to_string()));

    // Refusals, with their reasons.
    s.answer("/v1/routes/demo:CA2C:99").await.expect(404);
    s.answer("/v1/routes/nofeed:CA2C:1").await.expect(404);
    s.answer("/v1/routes/nocolon").await.expect(400);
    s.answer("/v1/routes/demo:CA2C:1/departures")
        .await
        .expect(400);
    s.answer("/v1/routes/demo:CA2C:1/departures?station=nowhere")
        .await
        .expect(404);
    s.answer("/v1/routes/demo:CA2C:1/departures?station=caudry&limit=0")
        .await
        .expect(400);

    // A hub whose board holds 3 rows of every line still gives all of
    // line 1's departures within the horizon, as the roomy board did.
    let small = server::start(
        &server::demo_config("[board]\nmax_limit = 3\nlimit = 3", ""),
        server::fixed(NOW),
    )
    .await;
    let board = small.board("caudry", "").await;
    assert_eq!(board.departures.len(), 3);
    let on_board = board
        .departures
        .iter()
        .filter(|d| d.route.id == "CA2C:1")
        .count();
    let line_1: RouteDepartures = small
        .get(
            "/v1/routes/demo:CA2C:1/departures?station=caudry&limit=60",
            200,
        )
        .await;
    let small_ids: Vec<String> = line_1.departures.iter().map(|d| d.id.clone()).collect();
    assert_eq!(small_ids, ids);
    assert!(
        small_ids.len() > on_board,
        "{small_ids:?} vs {on_board} on the board"
    );
}

#[tokio::test]
async fn a_trip_its_calls_with_realtime_its_vehicle_and_refusals() {
    let (s, _up) = demo().await;
    let trip: Trip = s.get(&format!("/v1/trips/{TRIP}"), 200).await;
    conforms("Trip", &s.get_text(&format!("/v1/trips/{TRIP}")).await);
    assert_eq!(
        (trip.headsign.as_str(), trip.service_day.as_str()),
        ("Cambrai", "2026-03-09")
    );
    assert!(trip.realtime && !trip.cancelled);
    assert_eq!(trip.calls.len(), 6);
    let first = &trip.calls[0];
    // From bay B, not A: said as a change.
    assert_eq!(
        (
            first.stop_id.as_str(),
            first.platform.as_deref(),
            first.platform_changed
        ),
        ("demo:CAUDRY:B", Some("B"), true)
    );
    assert_eq!(
        first.scheduled_arrival, None,
        "no arrival at the first call"
    );
    assert_eq!(
        first.scheduled_departure.as_deref(),
        Some("2026-03-09T07:20:00+01:00")
    );
    assert_eq!(first.departure_id, TRIP);
    // Beauvois, 07:30 planned, 3 minutes late.
    let beauvois = &trip.calls[2];
    assert_eq!(beauvois.stop_name, "Beauvois-en-Cambrésis – Mairie");
    assert_eq!(
        beauvois.expected_departure.as_deref(),
        Some("2026-03-09T07:33:00+01:00")
    );
    assert_eq!(
        beauvois.expected_arrival.as_deref(),
        Some("2026-03-09T07:33:00+01:00")
    );
    assert_eq!(beauvois.delay_s, Some(180));
    assert_eq!(beauvois.status, DepartureStatus::Delayed);
    let last = trip.calls.last().expect("a last call");
    assert_eq!(
        last.scheduled_departure, None,
        "no departure from the last call"
    );
    assert_eq!(
        last.scheduled_arrival.as_deref(),
        Some("2026-03-09T07:50:00+01:00")
    );
    // The vehicle: on its way to Beauvois (call 3), where it was 20 s ago.
    let v = trip.vehicle.clone().expect("its vehicle");
    assert_eq!((v.stop_sequence, v.stopped), (Some(3), false));
    assert_eq!(
        (v.lat, v.lon),
        (Some(50.1372), Some(3.3751)),
        "degrees to 6 decimals"
    );
    assert_eq!(v.at.as_deref(), Some("2026-03-09T07:09:40+01:00"));
    // Any call's departure id names the same run.
    let again: Trip = s
        .get("/v1/trips/demo:CA2C:1:WD:0:0720:20260309:3", 200)
        .await;
    assert_eq!(
        Trip {
            id: TRIP.into(),
            ..again
        },
        trip
    );
    // A vehicle that gives only its position is still shown, at no call.
    let running: Trip = s
        .get("/v1/trips/demo:CA2C:1:WD:0:0650:20260309:1", 200)
        .await;
    let v = running.vehicle.expect("its vehicle");
    assert_eq!((v.stop_sequence, v.lat), (None, Some(50.1402)));
    conforms(
        "Trip",
        &s.get_text("/v1/trips/demo:CA2C:1:WD:0:0650:20260309:1")
            .await,
    );

    // The 07:50 is cancelled: every call says so.
    let cancelled: Trip = s
        .get("/v1/trips/demo:CA2C:1:WD:0:0750:20260309:1", 200)
        .await;
    conforms(
        "Trip",
        &s.get_text("/v1/trips/demo:CA2C:1:WD:0:0750:20260309:1")
            .await,
    );
    assert!(cancelled.vehicle.is_none());
    assert!(cancelled.cancelled);
    assert!(
        cancelled
            .calls
            .iter()
            .all(|c| c.status == DepartureStatus::Cancelled)
    );

    // Sunday 8 March: weekday trips do not run.
    let sunday = s
        .answer("/v1/trips/demo:CA2C:1:WD:0:0720:20260308:1")
        .await
        .expect(404);
    let why = sunday.error();
    assert_eq!(why.code, "trip_not_running");
    assert!(why.message.contains("2026-03-08"), "{}", why.message);
    s.answer("/v1/trips/demo:NOPE:20260309:1").await.expect(404);
    s.answer("/v1/trips/demo:CA2C:1:WD:0:0720:20260309:9")
        .await
        .expect(404);
    s.answer("/v1/trips/not-a-departure").await.expect(400);
}

#[tokio::test]
async fn notices_on_a_line_reach_its_view_and_its_trips_not_other_lines() {
    let (s, _up) = demo().await;
    let token = s.operator("regulation", &["*"]);
    let id = publish(
        &s,
        &token,
        &json!({"severity": "warning", "cause": "construction", "effect": "detour",
                    "header": {"fr": "Ligne 1 déviée à Beauvois"},
                    "informed_entities": [{"route_id": "CA2C:1"}]}),
    )
    .await;
    let line: RouteDetail = s.get("/v1/routes/demo:CA2C:1", 200).await;
    assert!(
        line.notices.iter().any(|n| n.id == id),
        "{:?}",
        line.notices
    );
    let trip: Trip = s.get(&format!("/v1/trips/{TRIP}"), 200).await;
    assert!(trip.notices.iter().any(|n| n.id == id));
    let other: RouteDetail = s.get("/v1/routes/demo:CA2C:2", 200).await;
    assert!(
        other.notices.iter().all(|n| n.id != id),
        "{:?}",
        other.notices
    );

    // A stop of line 1 moved for line 2 only: not line 1's.
    let for_line_2 = publish(
        &s,
        &token,
        &json!({"severity": "info", "cause": "construction", "effect": "stop_moved",
                    "header": {"fr": "Arrêt Hôtel de Ville déplacé pour la ligne 2"},
                    "informed_entities": [{"stop_id": "demo:CAUDRY_HDV"}, {"route_id": "CA2C:2"}]}),
    )
    .await;
    // The hub as a whole (the parent station of line 1's bay A): line 1's.
    let hub = publish(
        &s,
        &token,
        &json!({"severity": "warning", "cause": "other_cause", "effect": "other_effect",
                    "header": {"fr": "Ascenseur du pôle en panne"},
                    "informed_entities": [{"stop_id": "demo:CAUDRY"}]}),
    )
    .await;
    let line: RouteDetail = s.get("/v1/routes/demo:CA2C:1", 200).await;
    let ids: Vec<&str> = line.notices.iter().map(|n| n.id.as_str()).collect();
    assert!(ids.contains(&hub.as_str()), "{ids:?}");
    assert!(!ids.contains(&for_line_2.as_str()), "{ids:?}");
    let trip: Trip = s.get(&format!("/v1/trips/{TRIP}"), 200).await;
    let ids: Vec<&str> = trip.notices.iter().map(|n| n.id.as_str()).collect();
    assert!(
        ids.contains(&hub.as_str()) && !ids.contains(&for_line_2.as_str()),
        "{ids:?}"
    );

    // Followed with `lang`: the notices' texts in those languages only.
    let both = publish(
        &s,
        &token,
        &json!({"severity": "warning", "cause": "strike", "effect": "reduced_service",
                    "header": {"fr": "Grève sur la ligne 1", "en": "Strike on line 1"},
                    "informed_entities": [{"route_id": "CA2C:1"}]}),
    )
    .await;
    let mut client = quai_tests::stream::Client::connect(&s.base).await;
    client
        .send(&format!(
            r#"{{"op":"subscribe","trip":"{TRIP}","lang":["en"]}}"#
        ))
        .await;
    loop {
        if let quai_protocol::ServerMessage::TripSnapshot { state, .. } =
            client.next_message().await
        {
            let n = state
                .notices
                .iter()
                .find(|n| n.id == both)
                .expect("the strike notice");
            assert_eq!(
                n.header.keys().collect::<Vec<_>>(),
                ["en"],
                "{:?}",
                n.header
            );
            break;
        }
    }
}

#[tokio::test]
async fn a_followed_trip_comes_as_a_snapshot_then_deltas_and_resumes() {
    use quai_protocol::ServerMessage;
    use quai_tests::stream::Client;

    let (s, up) = demo().await;
    let mut client = Client::connect(&s.base).await;
    // Followed by its third call's id: the run is named by its first call's.
    client
        .send(r#"{"op":"subscribe","trip":"demo:CA2C:1:WD:0:0720:20260309:3"}"#)
        .await;
    conforms(
        "ClientMessage",
        r#"{"op":"subscribe","trip":"demo:CA2C:1:WD:0:0720:20260309:3"}"#,
    );
    let (seq, mut state) = loop {
        match client.next_message().await {
            ServerMessage::TripSnapshot {
                trip, seq, state, ..
            } => {
                assert_eq!(trip, TRIP);
                conforms(
                    "ServerMessage",
                    &serde_json::to_string(&ServerMessage::TripSnapshot {
                        trip: trip.clone(),
                        seq,
                        state: state.clone(),
                        server_time: "2026-03-09T06:10:00.000001Z".into(),
                    })
                    .expect("json"),
                );
                break (seq, state);
            }
            ServerMessage::Heartbeat { .. } => {}
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(state.calls[2].delay_s, Some(180));

    // Five minutes late now: a delta with the calls that changed.
    let ts = chrono::DateTime::parse_from_rfc3339(NOW)
        .expect("now")
        .timestamp();
    up.set_path(
        "/tu",
        Reply::Body(gtfs_rt::encode(
            ts + 1,
            [trip_update("CA2C:1:WD:0:0720", "20260309")
                .stop(stop(1).delay(0).assigned("CAUDRY:B"))
                .stop(stop(3).delay(300))],
        )),
    );
    let delta = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            if let ServerMessage::TripDelta(d) = client.next_message().await {
                return d;
            }
        }
    })
    .await
    .expect("a trip delta within 10 s");
    assert_eq!((delta.trip.as_str(), delta.prev_seq), (TRIP, seq));
    assert!(delta.seq > seq);
    conforms(
        "ServerMessage",
        &serde_json::to_string(&ServerMessage::TripDelta(delta.clone())).expect("json"),
    );
    let changed: Vec<u32> = delta.calls.iter().map(|c| c.stop_sequence).collect();
    assert_eq!(changed, [3, 4, 5, 6], "only the calls that changed");
    delta.apply(&mut state);
    let now: Trip = s.get(&format!("/v1/trips/{TRIP}"), 200).await;
    assert_eq!(
        state.calls, now.calls,
        "the delta applied gives REST's trip"
    );
    assert_eq!(
        state.calls[2].expected_departure.as_deref(),
        Some("2026-03-09T07:35:00+01:00")
    );

    // Another client resumes from the snapshot's seq: the delta is replayed.
    let mut late = Client::connect(&s.base).await;
    late.send(&format!(
        r#"{{"op":"subscribe","trip":"{TRIP}","since":{seq}}}"#
    ))
    .await;
    loop {
        match late.next_message().await {
            ServerMessage::TripDelta(d) => {
                assert_eq!((d.prev_seq, d.seq), (seq, delta.seq));
                break;
            }
            ServerMessage::Heartbeat { .. } => {}
            other => panic!("expected the replay, got {other:?}"),
        }
    }

    // A run that does not exist, or not that day: an error that says why.
    for (id, code) in [
        ("demo:CA2C:1:WD:0:0720:20260308:1", "trip_not_running"),
        ("demo:NOPE:20260309:1", "unknown_trip"),
        ("nonsense", "invalid_trip_id"),
    ] {
        late.send(&format!(r#"{{"op":"subscribe","trip":"{id}"}}"#))
            .await;
        loop {
            match late.next_message().await {
                ServerMessage::Error { code: c, .. } => {
                    assert_eq!(c, code, "{id}");
                    break;
                }
                ServerMessage::Heartbeat { .. } | ServerMessage::TripDelta(_) => {}
                other => panic!("{other:?}"),
            }
        }
    }
}
