//! Emergency takeovers and announcements through the API: a takeover reaches
//! the stream, the REST board, the GTFS-RT alerts export and the audit log
//! within the second, for its stations only, and leaves when it ends; the
//! `emergency` permission is needed (and notice scopes are not enough);
//! `announce` reaches the station's screens.

use std::time::{Duration, Instant};

use prost::Message as _;
use quai_protocol::ServerMessage;
use quai_tests::http::Request;
use quai_tests::server::{self, Running};
use quai_tests::stream::Client;
use serde_json::{Value, json};

const NOW: &str = "2026-03-09T07:30:00+01:00";

/// The demo with a second station (Bertry, on the TER line).
async fn two_stations() -> Running {
    let config = format!(
        "{}\n[[stations]]\nid = \"bertry\"\nname = \"Caudry – Hôtel de Ville\"\nstops = {{ demo = [\"CAUDRY_HDV\"] }}\n",
        server::demo_config("", "")
    );
    server::start(&config, server::fixed(NOW)).await
}

fn takeover(stations: Value) -> Value {
    json!({
        "stations": stations,
        "screen_text": {"fr": "Évacuation de la gare : suivez les agents.", "en": "Station evacuation: follow the staff."},
        "tts_text": {"fr": "Attention, évacuation de la gare. Suivez les agents."},
        "ends_at": "2026-03-09T08:30:00+01:00",
        "repeat_s": 30,
    })
}

async fn call(
    server: &Running,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> quai_tests::http::Answer {
    server
        .send(Request {
            method,
            path,
            token,
            body: body.map(|b| b.to_string()),
            ..Request::default()
        })
        .await
}

/// The next board message, its emergency as the client holds it.
async fn next_emergency(
    client: &mut Client,
    state: &mut quai_protocol::BoardState,
) -> Option<quai_protocol::Emergency> {
    let wait = async {
        loop {
            let m = client.next_message().await;
            if matches!(m, ServerMessage::Delta(_) | ServerMessage::Snapshot { .. }) {
                state.apply(&m);
                return state.board().and_then(|b| b.emergency.clone());
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), wait)
        .await
        .expect("a board message within 5 s")
}

#[tokio::test]
async fn a_takeover_reaches_screens_board_export_and_audit_and_ends() {
    let server = two_stations().await;
    let token = server.emergency_operator("pc-securite", &[]);
    let mut client = Client::connect(&server.base).await;
    client.subscribe("caudry", None).await;
    let mut state = quai_protocol::BoardState::new("caudry");
    assert_eq!(next_emergency(&mut client, &mut state).await, None);

    let asked = Instant::now();
    let started = call(
        &server,
        "POST",
        "/v1/emergencies",
        Some(&token),
        Some(takeover(json!(["caudry"]))),
    )
    .await
    .expect(201)
    .value();
    let id = started["id"].as_str().expect("id").to_string();
    assert_eq!(started["started_by"], "pc-securite");
    // On the stream within the second.
    let on_stream = next_emergency(&mut client, &mut state)
        .await
        .expect("the takeover");
    assert!(
        asked.elapsed() < Duration::from_secs(1),
        "{:?}",
        asked.elapsed()
    );
    assert_eq!(on_stream.id, id);
    assert_eq!(
        on_stream.screen_text["fr"],
        "Évacuation de la gare : suivez les agents."
    );
    // Spoken: the French speech given, the English screen text where none is.
    assert_eq!(
        on_stream.tts_text["fr"],
        "Attention, évacuation de la gare. Suivez les agents."
    );
    assert_eq!(
        on_stream.tts_text["en"],
        "Station evacuation: follow the staff."
    );
    assert_eq!(on_stream.repeat_s, 30);
    assert_eq!(on_stream.ends_at, "2026-03-09T08:30:00+01:00");
    // On Caudry's REST board, not Bertry's.
    assert_eq!(
        server.board("caudry", "").await.emergency.map(|e| e.id),
        Some(id.clone())
    );
    assert_eq!(server.board("bertry", "").await.emergency, None);
    // Listed for operators.
    let running: Vec<Value> = call(&server, "GET", "/v1/emergencies", Some(&token), None)
        .await
        .expect(200)
        .json();
    assert_eq!(running.len(), 1);
    // In the GTFS-RT alerts export, severe, about Caudry's stops, with its speech.
    let bytes = reqwest::get(server.url("/gtfs-rt/alerts"))
        .await
        .expect("alerts")
        .bytes()
        .await
        .expect("body");
    let feed = gtfs_realtime::FeedMessage::decode(bytes).expect("protobuf");
    let entity = feed
        .entity
        .iter()
        .find(|e| e.id == format!("emergency:{id}"))
        .expect("the takeover's alert");
    let alert = entity.alert.as_ref().expect("alert");
    assert_eq!(
        alert.severity_level,
        Some(gtfs_realtime::alert::SeverityLevel::Severe as i32)
    );
    assert!(
        alert
            .informed_entity
            .iter()
            .any(|e| e.stop_id.as_deref() == Some("CAUDRY"))
    );
    assert!(alert.tts_header_text.is_some());
    // Audited.
    let audit = server.store.audit(100).expect("audit");
    let start = audit
        .iter()
        .find(|e| e.action == "emergency_start")
        .expect("audited");
    assert_eq!(
        (start.operator.as_str(), start.notice_id.as_deref()),
        ("pc-securite", Some(id.as_str()))
    );

    // Ended: gone from the stream and the board, audited.
    call(
        &server,
        "DELETE",
        &format!("/v1/emergencies/{id}"),
        Some(&token),
        None,
    )
    .await
    .expect(200);
    assert_eq!(next_emergency(&mut client, &mut state).await, None);
    assert_eq!(server.board("caudry", "").await.emergency, None);
    let audit = server.store.audit(100).expect("audit");
    assert!(
        audit
            .iter()
            .any(|e| e.action == "emergency_end" && e.operator == "pc-securite")
    );
    // Ending it twice: not found.
    call(
        &server,
        "DELETE",
        &format!("/v1/emergencies/{id}"),
        Some(&token),
        None,
    )
    .await
    .expect(404);

    // "*": every station.
    call(
        &server,
        "POST",
        "/v1/emergencies",
        Some(&token),
        Some(takeover(json!("*"))),
    )
    .await
    .expect(201);
    assert!(server.board("bertry", "").await.emergency.is_some());
    assert!(server.board("caudry", "").await.emergency.is_some());
}

#[tokio::test]
async fn only_the_emergency_permission_starts_a_takeover_and_bad_ones_are_explained() {
    let server = two_stations().await;
    let everything = server.operator("reseau", &["*"]);
    let emergency = server.emergency_operator("pc-securite", &["station:caudry"]);
    let body = || Some(takeover(json!(["caudry"])));
    // No token, an unknown one, a notice operator of every station: refused.
    assert_eq!(
        call(&server, "POST", "/v1/emergencies", None, body())
            .await
            .expect(401)
            .error()
            .code,
        "unauthorized"
    );
    call(
        &server,
        "POST",
        "/v1/emergencies",
        Some("quai_nope"),
        body(),
    )
    .await
    .expect(401);
    assert_eq!(
        call(
            &server,
            "POST",
            "/v1/emergencies",
            Some(&everything),
            body()
        )
        .await
        .expect(403)
        .error()
        .code,
        "no_emergency_permission"
    );
    assert_eq!(
        call(
            &server,
            "DELETE",
            "/v1/emergencies/e-0000000000000000",
            Some(&everything),
            None
        )
        .await
        .expect(403)
        .error()
        .code,
        "no_emergency_permission"
    );
    // Invalid takeovers, each field explained.
    let bad = json!({
        "stations": ["caudry", "nowhere"],
        "screen_text": {"en": "No French"},
        "ends_at": "2026-03-09T07:00:00+01:00",
        "repeat_s": 5,
    });
    let error = call(
        &server,
        "POST",
        "/v1/emergencies",
        Some(&emergency),
        Some(bad),
    )
    .await
    .expect(422)
    .error();
    for field in ["stations[1]", "screen_text.fr", "ends_at", "repeat_s"] {
        assert!(error.fields.contains_key(field), "{field}: {error:?}");
    }
    let far = json!({"stations": "*", "screen_text": {"fr": "x"}, "ends_at": "2026-03-11T07:00:00+01:00"});
    let error = call(
        &server,
        "POST",
        "/v1/emergencies",
        Some(&emergency),
        Some(far),
    )
    .await
    .expect(422)
    .error();
    assert!(error.fields["ends_at"].contains("24 hours"), "{error:?}");
    call(
        &server,
        "POST",
        "/v1/emergencies",
        Some(&emergency),
        Some(json!({"stations": "caudry"})),
    )
    .await
    .expect(422);
    // Nothing was written, nothing shows.
    let audit = server.store.audit(100).expect("audit");
    assert!(
        !audit.iter().any(|e| e.action.starts_with("emergency")),
        "{audit:?}"
    );
    assert_eq!(server.board("caudry", "").await.emergency, None);
    // The permission is listed by `operator list` (the store says so).
    let ops = server.store.operators().expect("operators");
    assert!(ops.iter().any(|o| o.name == "pc-securite" && o.emergency));
    assert!(ops.iter().any(|o| o.name == "reseau" && !o.emergency));
}

#[tokio::test]
async fn announce_reaches_the_stations_screens_for_operators_of_the_station() {
    let server = two_stations().await;
    let caudry = server.operator("gare-caudry", &["station:caudry"]);
    let bertry = server.operator("gare-bertry", &["station:bertry"]);
    let route = server.operator("ligne", &["route:CA2C:3"]);
    let mut screen = Client::connect(&server.base).await;
    screen.subscribe("caudry", None).await;
    let _snapshot = screen.next_message().await;

    let answer = call(
        &server,
        "POST",
        "/v1/stations/caudry/announce",
        Some(&caudry),
        None,
    )
    .await
    .expect(202)
    .value();
    assert_eq!(answer, json!({"station": "caudry", "screens": 1}));
    loop {
        match screen.next_message().await {
            ServerMessage::Announce { station, .. } => {
                assert_eq!(station, "caudry");
                break;
            }
            ServerMessage::Delta(_) => {}
            other => panic!("{other:?}"),
        }
    }
    for (token, status) in [(&bertry, 403), (&route, 403)] {
        call(
            &server,
            "POST",
            "/v1/stations/caudry/announce",
            Some(token),
            None,
        )
        .await
        .expect(status);
    }
    call(
        &server,
        "POST",
        "/v1/stations/nowhere/announce",
        Some(&caudry),
        None,
    )
    .await
    .expect(404);
    call(&server, "POST", "/v1/stations/caudry/announce", None, None)
        .await
        .expect(401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_starts_a_takeover_after_review_and_ends_it() {
    let server = two_stations().await;
    let token = server.emergency_operator("pc-securite", &[]);
    let python = std::env::var("QUAI_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/console_emergency.py");
    let out = tokio::process::Command::new(&python)
        .arg(script)
        .arg(&server.base)
        .arg(&token)
        // 09:00 UTC: 10:00 at the server's (fixed) 07:30 in Paris.
        .arg("2026-03-09T09:00")
        .env("TZ", "UTC")
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {python}: {e} (scripts/deps.sh installs it)"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "console_emergency.py failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = stdout.trim().to_string();
    // Started and ended by the operator, as the audit log says; gone now.
    let audit = server.store.audit(100).expect("audit");
    for action in ["emergency_start", "emergency_end"] {
        assert!(
            audit.iter().any(|e| e.action == action
                && e.operator == "pc-securite"
                && e.notice_id.as_deref() == Some(id.as_str())),
            "{action} of {id}: {audit:?}"
        );
    }
    let start = audit
        .iter()
        .find(|e| e.action == "emergency_start")
        .and_then(|e| e.after.clone())
        .expect("what was started");
    assert_eq!(start["input"]["stations"], json!(["caudry"]));
    assert_eq!(start["input"]["ends_at"], "2026-03-09T09:00:00+00:00");
    assert_eq!(
        start["input"]["screen_text"]["en"],
        "Evacuation: follow the staff."
    );
    assert_eq!(server.board("caudry", "").await.emergency, None);
}
