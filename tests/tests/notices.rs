//! Operators' notices through the API: round trip to the board and the stream,
//! the authorization matrix, versions, bad input and the rate limit.

use std::sync::Arc;
use std::time::{Duration, Instant};

use quai_protocol::{InformedEntity, NoticeSource, NoticeStatus, ServerMessage, Severity};
use quai_tests::board::BoardExt as _;
use quai_tests::http::{Answer, Request};
use quai_tests::server::{self, Running};
use quai_tests::stream::Client;
use serde_json::{Value, json};

const NOW: &str = "2026-03-09T07:30:00+01:00";

async fn demo() -> Running {
    server::start(&server::demo_config("", ""), server::fixed(NOW)).await
}

/// Sends a request (a JSON body as it is written, malformed ones included).
async fn call(
    server: &Running,
    method: &str,
    path: &str,
    token: Option<&str>,
    if_match: Option<u64>,
    body: Option<String>,
) -> Answer {
    server
        .send(Request {
            method,
            path,
            token,
            if_match,
            body,
        })
        .await
}

fn notice(entities: Value) -> Value {
    json!({
        "severity": "warning",
        "cause": "construction",
        "effect": "stop_moved",
        "header": {"fr": "Quai C fermé", "en": "Bay C closed"},
        "description": {"fr": "Travaux. Les bus de la ligne 3 partent du quai D."},
        "screen_text": {"fr": "Quai C fermé : ligne 3 au quai D", "en": "Bay C closed: line 3 from bay D"},
        "informed_entities": entities,
    })
}

fn translated(texts: &[(&str, &str)]) -> quai_protocol::Translated {
    texts
        .iter()
        .map(|(lang, text)| (lang.to_string(), text.to_string()))
        .collect()
}

fn period(start: &str, end: &str) -> quai_protocol::ActivePeriod {
    quai_protocol::ActivePeriod {
        start: Some(start.into()),
        end: Some(end.into()),
    }
}

fn bay_c() -> Value {
    notice(json!([{"stop_id": "demo:CAUDRY:C"}, {"route_id": "CA2C:3"}]))
}

/// Reads the stream until a delta touching notice `id` arrives; returns it and how
/// long it took since `started`. Tests start the clock when the write is answered:
/// the boards are republished before the answer, so the delta is already on its
/// way (the durable write's fsyncs before it are the disk's time, not the stream's).
async fn delta_about(
    client: &mut Client,
    id: &str,
    started: Instant,
) -> (quai_protocol::Delta, Duration) {
    loop {
        if let ServerMessage::Delta(d) = client.next_message().await
            && (d.upsert.notices.iter().any(|n| n.id == id)
                || d.remove.notices.iter().any(|n| n == id))
        {
            return (d, started.elapsed());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_goes_to_the_board_and_the_stream_then_changes_and_ends() {
    let server = demo().await;
    let token = server.operator("exploitation", &["station:caudry"]);
    let mut client = Client::connect(&server.base).await;
    client.subscribe("caudry", None).await;
    client.next_message().await;

    // Create.
    let created = call(
        &server,
        "POST",
        "/v1/notices",
        Some(&token),
        None,
        Some(bay_c().to_string()),
    )
    .await
    .expect(201);
    let started = Instant::now();
    let created = created.notice();
    let id = created.id.clone();
    assert_eq!(created.version, 1);
    assert_eq!(created.created_by, "exploitation");
    let (delta, took) = delta_about(&mut client, &id, started).await;
    assert!(took < Duration::from_secs(1), "{took:?}");
    let on_stream = &delta.upsert.notices[0];
    assert_eq!(
        on_stream.screen_text["fr"],
        "Quai C fermé : ligne 3 au quai D"
    );
    let board = server.board("caudry", "?limit=30").await;
    let n = board.notice(&id).expect("on the board");
    assert_eq!(n.source, NoticeSource::Operator);
    assert_eq!(n.header["fr"], "Quai C fermé");
    for d in &board.departures {
        let tagged = d.notice_ids.contains(&id);
        assert_eq!(
            tagged,
            d.route.id == "CA2C:3" || d.stop_id == "demo:CAUDRY:C",
            "{d:?}"
        );
    }

    // Change: PATCH with the version read.
    let patch = json!({"severity": "severe", "header": {"fr": "Quai C fermé toute la journée"}});
    let changed = call(
        &server,
        "PATCH",
        &format!("/v1/notices/{id}"),
        Some(&token),
        Some(1),
        Some(patch.to_string()),
    )
    .await
    .expect(200);
    let started = Instant::now();
    let changed = changed.notice();
    assert_eq!(changed.version, 2);
    // A JSON merge patch (RFC 7386): the English header stays.
    assert_eq!(
        changed.input.header,
        translated(&[
            ("fr", "Quai C fermé toute la journée"),
            ("en", "Bay C closed")
        ])
    );
    let (delta, took) = delta_about(&mut client, &id, started).await;
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert_eq!(delta.upsert.notices[0].severity, Severity::Severe);

    // A stale version is refused, and so is a write without If-Match.
    let e = call(
        &server,
        "PATCH",
        &format!("/v1/notices/{id}"),
        Some(&token),
        Some(1),
        Some("{}".into()),
    )
    .await;
    assert_eq!(
        (e.status, e.error().code.as_str()),
        (409, "version_conflict")
    );
    let e = call(
        &server,
        "DELETE",
        &format!("/v1/notices/{id}"),
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(
        (e.status, e.error().code.as_str()),
        (400, "if_match_required")
    );

    // End: gone from the board, kept as history.
    let ended = call(
        &server,
        "DELETE",
        &format!("/v1/notices/{id}"),
        Some(&token),
        Some(2),
        None,
    )
    .await
    .expect(200);
    let started = Instant::now();
    assert_eq!(ended.notice().input.status, NoticeStatus::Ended);
    let (delta, took) = delta_about(&mut client, &id, started).await;
    assert!(took < Duration::from_secs(1));
    assert_eq!(delta.remove.notices, vec![id.clone()]);
    let board = server.board("caudry", "").await;
    assert!(board.notice(&id).is_none());
    let one = call(
        &server,
        "GET",
        &format!("/v1/notices/{id}"),
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(one.notice().input.status, NoticeStatus::Ended);
    let active = call(
        &server,
        "GET",
        "/v1/notices?active=true",
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(active.notices(), []);

    // The audit log has the three writes, with before and after.
    let audit = server.store.audit(100).expect("audit");
    let mine: Vec<_> = audit
        .iter()
        .filter(|a| a.notice_id.as_deref() == Some(id.as_str()))
        .collect();
    let actions: Vec<&str> = mine.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(actions, vec!["create", "update", "end"]);
    assert!(mine[0].before.is_none() && mine[0].after.is_some());
    assert_eq!(
        mine[1].before.as_ref().map(|b| b["version"].clone()),
        Some(json!(1))
    );
    assert!(mine.iter().all(|a| a.operator == "exploitation"));
}

/// (method, path, token, body, expected status).
type Case<'a> = (&'a str, &'a str, Option<&'a str>, Option<String>, u16);

/// The operators of the matrix, one notice of Caudry's, and what the store held
/// before the refused requests.
struct Matrix {
    caudry: String,
    line_4: String,
    revoked: String,
    id: String,
}

async fn matrix_setup(server: &Running) -> Matrix {
    let caudry = server.operator("caudry", &["station:caudry"]);
    let line_4 = server.operator("ligne4", &["route:CA2C:4"]);
    let revoked = server.operator("ancien", &["*"]);
    let store = &server.store;
    store.operator_revoke("ancien").expect("revoke");
    let id = call(
        server,
        "POST",
        "/v1/notices",
        Some(&caudry),
        None,
        Some(bay_c().to_string()),
    )
    .await
    .expect(201)
    .notice()
    .id;
    Matrix {
        caudry,
        line_4,
        revoked,
        id,
    }
}

/// Every refused case of the matrix, with its status and an error code.
async fn matrix_refusals(server: &Running, m: &Matrix) {
    let (caudry, line_4, revoked) = (&m.caudry, &m.line_4, &m.revoked);
    let line_3 = notice(json!([{"route_id": "CA2C:3"}])).to_string();
    let one = format!("/v1/notices/{}", m.id);
    let cases: Vec<Case> = vec![
        ("POST", "/v1/notices", None, Some(bay_c().to_string()), 401),
        (
            "POST",
            "/v1/notices",
            Some("quai_not-a-token"),
            Some(bay_c().to_string()),
            401,
        ),
        (
            "POST",
            "/v1/notices",
            Some(revoked),
            Some(bay_c().to_string()),
            401,
        ),
        (
            "POST",
            "/v1/notices",
            Some(line_4),
            Some(line_3.clone()),
            403,
        ),
        (
            "POST",
            "/v1/notices",
            Some(line_4),
            Some(notice(json!([{"station": "caudry"}])).to_string()),
            403,
        ),
        // A station scope does not reach a route's other stations.
        (
            "POST",
            "/v1/notices",
            Some(caudry),
            Some(notice(json!([{"route_id": "TER:K40"}])).to_string()),
            403,
        ),
        ("GET", "/v1/notices", None, None, 401),
        ("GET", &one, Some(revoked), None, 401),
        // A notice out of the token's scope answers as if it did not exist: a
        // 403 would tell another operator that the id is taken.
        ("GET", &one, Some(line_4), None, 404),
        ("PATCH", &one, None, Some("{}".into()), 401),
        ("PATCH", &one, Some(line_4), Some("{}".into()), 404),
        ("DELETE", &one, Some("quai_wrong"), None, 401),
        ("DELETE", &one, Some(line_4), None, 404),
        ("GET", "/v1/notices/n-unknown", Some(caudry), None, 404),
    ];
    for (method, path, token, body, want) in cases {
        let e = call(server, method, path, token, Some(1), body).await;
        assert_eq!(e.status, want, "{method} {path} with {token:?}: {e}");
        // An error body, with its code.
        let _ = e.error().code;
    }
    // Line 4's operator sees none of Caudry's notices in its list.
    let list = call(server, "GET", "/v1/notices", Some(line_4), None, None).await;
    assert_eq!(list.notices(), []);
}

fn stored(server: &Running) -> (Vec<quai_protocol::OperatorNotice>, usize) {
    let store = &server.store;
    (
        store.notices().expect("notices"),
        store.audit(1000).expect("audit").len(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorization_matrix_refuses_and_writes_nothing() {
    let server = demo().await;
    let m = matrix_setup(&server).await;
    let before = stored(&server);
    matrix_refusals(&server, &m).await;
    assert_eq!(before, stored(&server), "a refused request wrote something");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorization_matrix_holds_under_load() {
    // 24 runs of the matrix send about a hundred wrong tokens from 127.0.0.1:
    // the failure budget (10 a minute by default) is raised so that each is
    // answered on its own merits (the budget has its own test).
    let config = server::demo_config("[notices]\nauth_failures_per_minute = 1000\n", "");
    let server = Arc::new(server::start(&config, server::fixed(NOW)).await);
    let m = Arc::new(matrix_setup(&server).await);
    let before = stored(&server);
    // 300 stream subscribers, and readers of the board, all the while.
    let mut clients = Vec::new();
    for _ in 0..300 {
        let mut c = Client::connect(&server.base).await;
        c.subscribe("caudry", None).await;
        clients.push(c);
    }
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let server = server.clone();
            tokio::spawn(async move {
                for _ in 0..50 {
                    server.board("caudry", "").await;
                }
            })
        })
        .collect();
    // Eight runs of the whole matrix at once, three times each.
    let runs: Vec<_> = (0..8)
        .map(|_| {
            let (server, m) = (server.clone(), m.clone());
            tokio::spawn(async move {
                for _ in 0..3 {
                    matrix_refusals(&server, &m).await;
                }
            })
        })
        .collect();
    for run in runs {
        run.await.expect("a matrix run failed");
    }
    for r in readers {
        r.await.expect("reader");
    }
    assert_eq!(before, stored(&server), "a refused request wrote something");
    drop(clients);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_reason_per_field() {
    let server = demo().await;
    let token = server.operator("caudry", &["station:caudry"]);
    let post = |body: String| {
        let (server, token) = (&server, token.clone());
        async move {
            call(
                server,
                "POST",
                "/v1/notices",
                Some(&token),
                None,
                Some(body),
            )
            .await
        }
    };

    let e = post(format!("{{\"pad\":\"{}\"}}", "x".repeat(70 * 1024))).await;
    assert_eq!((e.status, e.error().code.as_str()), (413, "body_too_large"));
    let e = post("{not json".into()).await;
    assert_eq!((e.status, e.error().code.as_str()), (400, "invalid_json"));
    let mut wrong = bay_c();
    wrong["severity"] = json!(3);
    let e = post(wrong.to_string()).await;
    assert_eq!(e.status, 422, "{e}");
    let mut unknown = bay_c();
    unknown["colour"] = json!("red");
    let e = post(unknown.to_string()).await.expect(422);
    assert!(
        e.error()
            .fields
            .get("body")
            .is_some_and(|m| m.contains("colour")),
        "{e}"
    );

    let mut many = notice(
        json!([{"trip_id": "NOT-A-TRIP"}, {"station": "lille"}, {"stop_id": "demo:NOWHERE"}]),
    );
    many["header"] = json!({"en": "English only"});
    many["screen_text"] = json!({"fr": "x".repeat(141)});
    many["publication"] =
        json!({"start": "2026-03-09T10:00:00+01:00", "end": "2026-03-09T09:00:00+01:00"});
    many["active_periods"] = json!([{"start": "tomorrow", "end": null}]);
    many["cause"] = json!("aliens");
    let e = post(many.to_string()).await.expect(422);
    let fields = e.error().fields;
    for key in [
        "informed_entities[0].trip_id",
        "informed_entities[1].station",
        "informed_entities[2].stop_id",
        "header.fr",
        "screen_text.fr",
        "publication.end",
        "active_periods[0].start",
        "cause",
    ] {
        assert!(fields.contains_key(key), "no reason for {key}: {e}");
    }

    // Markup is text: stored and returned as written, shown escaped by the pages.
    let mut markup = bay_c();
    markup["header"] = json!({"fr": "<script>alert('x')</script> & <b>"});
    let n = post(markup.to_string()).await.expect(201).notice();
    assert_eq!(n.input.header["fr"], "<script>alert('x')</script> & <b>");
    let board = server.board("caudry", "").await;
    assert!(board.notices.iter().any(
        |x| x.header.get("fr").map(String::as_str) == Some("<script>alert('x')</script> & <b>")
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_writing_too_fast_is_slowed_down() {
    let server = demo().await;
    let token = server.operator("presse", &["station:caudry"]);
    let mut last = None;
    for _ in 0..61 {
        let answer = call(
            &server,
            "POST",
            "/v1/notices",
            Some(&token),
            None,
            Some(bay_c().to_string()),
        )
        .await;
        let created = answer.status == 201;
        last = Some(answer);
        if !created {
            break;
        }
    }
    let last = last.expect("an answer").expect(429);
    assert_eq!(last.error().code, "rate_limited");
    assert_eq!(server.store.notices().expect("notices").len(), 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_in_chromium_publishes_to_the_board_and_the_stream() {
    let server = demo().await;
    let token = server.operator("console", &["station:caudry"]);
    let mut client = Client::connect(&server.base).await;
    client.subscribe("caudry", None).await;
    client.next_message().await;

    // A screen the console lists: hall-1 reports; asked for a picture (its
    // station's stream says so), it sends one (a 1×1 PNG: the real screen's
    // own pictures are checked in display-client/tests/fleet.rs).
    let screen = server.operator("ecran-hall-1", &["screen:hall-1"]);
    let seq = server.board("caudry", "").await.seq;
    let report = json!({
        "station": "caudry", "seq": seq, "shows": "live", "layout": "Hall 1080p", "page": 1,
        "pages": 3, "lang": "fr", "version": "0.1.0", "uptime_s": 60, "audio": "ready"
    });
    server
        .send(Request {
            method: "POST",
            path: "/v1/screens/hall-1/reports",
            token: Some(&screen),
            body: Some(report.to_string()),
            ..Request::default()
        })
        .await
        .expect(204);
    let mut watcher = Client::connect(&server.base).await;
    watcher.subscribe("caudry", None).await;
    let url = server.url("/v1/screens/hall-1/screenshot");
    let answering = tokio::spawn(async move {
        loop {
            if let ServerMessage::ScreenshotRequest { screen: asked, .. } =
                watcher.next_message().await
                && asked == "hall-1"
            {
                break;
            }
        }
        const PIXEL: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";
        use base64::Engine as _;
        let png = base64::engine::general_purpose::STANDARD
            .decode(PIXEL)
            .expect("a PNG");
        let put = quai_tests::http::client(Duration::from_secs(10))
            .put(&url)
            .bearer_auth(&screen)
            .header("content-type", "image/png")
            .body(png)
            .send()
            .await
            .expect("answer");
        assert_eq!(put.status().as_u16(), 204);
    });

    let python = std::env::var("QUAI_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/console_page.py");
    let shot = std::env::var("QUAI_CONSOLE_SCREENSHOT").unwrap_or_default();
    let mut command = tokio::process::Command::new(&python);
    command.arg(script).arg(&server.base).arg(&token);
    if !shot.is_empty() {
        command.arg(&shot);
    }
    let out = command
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {python}: {e} (scripts/deps.sh installs it)"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "console_page.py failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = stdout.trim().to_string();
    assert!(id.starts_with("n-"), "{stdout}");
    answering.await.expect("the screen answered");

    // On the live stream and on the board, as typed.
    let (delta, _) = delta_about(&mut client, &id, Instant::now()).await;
    assert_eq!(delta.upsert.notices[0].header["fr"], "<b>Quai C fermé</b>");
    let board = server.board("caudry", "").await;
    let n = board.notice(&id).expect("on the board");
    assert_eq!(n.screen_text["fr"], "Quai C fermé : ligne 3 au quai D");
    assert_eq!(
        n.informed_entities,
        [
            InformedEntity::Station {
                station: "caudry".into()
            },
            InformedEntity::Route {
                route_id: "CA2C:3".into()
            }
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weekly_pattern_shows_as_its_next_active_periods() {
    let server = demo().await;
    let token = server.operator("hebdo", &["station:caudry"]);
    let mut body = notice(json!([{"station": "caudry"}]));
    body["weekly"] = json!([{"days": ["mon", "wed"], "from": "07:00", "to": "09:00"}]);
    body["publication"] = json!({"end": "2026-03-12T00:00:00+01:00"});
    let n = call(
        &server,
        "POST",
        "/v1/notices",
        Some(&token),
        None,
        Some(body.to_string()),
    )
    .await
    .expect(201)
    .notice();
    let board = server.board("caudry", "").await;
    let shown = board.notice(&n.id).expect("on the board");
    // Monday 9 March 07:30: today's slot, then Wednesday's; the publication ends
    // before the next Monday.
    assert_eq!(
        shown.active_periods,
        [
            period("2026-03-09T07:00:00+01:00", "2026-03-09T09:00:00+01:00"),
            period("2026-03-11T07:00:00+01:00", "2026-03-11T09:00:00+01:00")
        ]
    );
    let mut bad = notice(json!([{"station": "caudry"}]));
    bad["weekly"] = json!([{"days": ["someday"], "from": "9:00", "to": "08:00"}]);
    let e = call(
        &server,
        "POST",
        "/v1/notices",
        Some(&token),
        None,
        Some(bad.to_string()),
    )
    .await
    .expect(422);
    assert!(e.error().fields.contains_key("weekly[0].days"), "{e}");
}
