//! The screen fleet (issue 24), end to end: a real headless screen with
//! `--screen-id` reports to a real server what it draws; operators see it
//! with its health; killed, it turns silent after `silent_after_s`; started
//! again, it is ok; its history says which board it drew and when; who may
//! read and write what.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use quai_protocol::{Screen, ScreenHealth, ScreenHistory, ScreenShows};
use quai_tests::http::{Request, metric};
use quai_tests::screen::layout;
use quai_tests::server::{self, Running};
use quai_tests::stream;

const BIN: &str = env!("CARGO_BIN_EXE_display-client");

/// A headless hall screen `hall-1` that keeps running, its token in a file.
fn screen(server: &Running, token: &str, dir: &Path) -> Child {
    let token_file = dir.join("token");
    std::fs::write(&token_file, format!("{token}\n")).expect("token file");
    quai_tests::screen::command(
        Path::new(BIN),
        &stream::url(&server.base),
        &layout("hall-1080p.ron"),
        &dir.join("screen.png"),
        &dir.join("screen.json"),
        &dir.join("state"),
    )
    .args([
        "--headless",
        "--keep-running",
        "--wait-for",
        "nothing",
        "--mute",
    ])
    .args(["--screen-id", "hall-1", "--screen-token-file"])
    .arg(&token_file)
    .stdout(Stdio::null())
    .stderr(Stdio::from(
        std::fs::File::create(dir.join("screen.log")).expect("log"),
    ))
    .spawn()
    .expect("display-client")
}

fn post<'a>(path: &'a str, token: &'a str, body: &serde_json::Value) -> Request<'a> {
    Request {
        method: "POST",
        path,
        token: Some(token),
        body: Some(body.to_string()),
        ..Request::default()
    }
}

/// Polls `/v1/screens` until `hall-1` is as `want` says (up to 30 s).
async fn until(server: &Running, token: &str, want: impl Fn(&Screen) -> bool) -> Screen {
    let mut last = None;
    for _ in 0..300 {
        let all = server.screens(token).await;
        if let Some(s) = all.into_iter().find(|s| s.id == "hall-1") {
            if want(&s) {
                return s;
            }
            last = Some(s);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("hall-1 never became as awaited; last: {last:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screen_reports_goes_silent_when_killed_and_comes_back() {
    let config = server::demo_config("[screens]\nsilent_after_s = 3\nnot_live_after_s = 3", "")
        + "\n[[stations]]\nid = \"hdv\"\nname = \"Caudry – Hôtel de Ville\"\nstops = { demo = [\"CAUDRY_HDV\"] }\n";
    let server = server::start(&config, server::running("2026-03-09T07:30:00+01:00")).await;
    let screen_token = server.operator("ecran-hall-1", &["screen:hall-1"]);
    let regulation = server.operator("regulation", &["station:caudry"]);
    let elsewhere = server.operator("ligne-3", &["route:CA2C:3"]);
    let dir = tempfile::tempdir().expect("tempdir");

    let mut child = screen(&server, &screen_token, dir.path());
    // It says it shows the station's live board, as REST has it.
    let board = server.board("caudry", "").await;
    let seen = until(&server, &regulation, |s| {
        s.report.shows == ScreenShows::Live && s.report.seq.is_some()
    })
    .await;
    assert_eq!(seen.report.station, "caudry");
    assert_eq!(seen.report.layout, "Hall 1080p");
    assert!(seen.report.seq.is_some_and(|s| s >= board.seq));
    assert_eq!(seen.health, ScreenHealth::Ok, "{seen:#?}");
    assert_eq!(seen.report.pages, 3);
    let first_seen = seen.first_seen.clone();
    // As the JSON Schema says (read back raw).
    let raw: serde_json::Value = server
        .send(Request {
            method: "GET",
            path: "/v1/screens",
            token: Some(&regulation),
            ..Request::default()
        })
        .await
        .expect(200)
        .json();
    quai_tests::schema::conforms("Screen", &raw[0].to_string());

    // Its history: the board it drew, and when.
    let history: ScreenHistory = server
        .send(Request {
            method: "GET",
            path: "/v1/screens/hall-1/history",
            token: Some(&regulation),
            ..Request::default()
        })
        .await
        .expect(200)
        .json();
    assert_eq!(history.station, "caudry");
    quai_tests::schema::conforms(
        "ScreenHistory",
        &serde_json::to_string(&history).expect("JSON"),
    );
    assert!(
        history.draws.iter().any(|d| Some(d.seq) == seen.report.seq),
        "{history:#?}"
    );

    // A look at it: asked, it sends a picture of what it shows.
    let shot_path = "/v1/screens/hall-1/screenshot";
    let ask = |method| Request {
        method,
        path: shot_path,
        token: Some(&regulation),
        ..Request::default()
    };
    server.send(ask("GET")).await.expect(404);
    server.send(ask("POST")).await.expect(202);
    let mut png = None;
    for _ in 0..200 {
        let answer = server.url(shot_path);
        let got = reqwest::Client::new()
            .get(&answer)
            .bearer_auth(&regulation)
            .send()
            .await
            .expect("answer");
        if got.status().as_u16() == 200 {
            assert_eq!(
                got.headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok()),
                Some("image/png")
            );
            png = Some(got.bytes().await.expect("body").to_vec());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let png = png.expect("a picture within 20 s");
    let decoder = png::Decoder::new(std::io::Cursor::new(&png));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    assert_eq!((info.width, info.height), (1920, 1080));
    // The hall's background, below the table.
    let at = ((900 * info.width + 1200) * 3) as usize;
    let background = [buf[at], buf[at + 1], buf[at + 2]];
    assert!(
        background
            .iter()
            .zip([0x0B, 0x23, 0x41])
            .all(|(a, b)| a.abs_diff(b) <= 12),
        "{background:?}"
    );

    // Killed: silent after 3 s without a report, and counted so.
    let drawn = until(&server, &regulation, |_| true)
        .await
        .report
        .seq
        .expect("a seq");
    // What is on its picture, read just before it dies (written a moment
    // after the frame).
    let mut last_texts = Vec::new();
    for _ in 0..100 {
        last_texts =
            quai_tests::screen::read_texts(&dir.path().join("screen.json")).unwrap_or_default();
        if last_texts.iter().any(|(r, _)| r == "destination") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child.kill().expect("kill");
    let _ = child.wait();
    let silent = until(&server, &regulation, |s| s.health == ScreenHealth::Silent).await;
    // The board changes meanwhile (a notice). What it showed then: the
    // board of that seq, from the archive, is the one whose rows are on
    // its last picture.
    let created = server
        .post_json(
            "/v1/notices",
            &regulation,
            &quai_tests::http::info_notice("Essai"),
        )
        .await
        .expect(201);
    let notice: serde_json::Value = created.json();
    let notice_path = format!("/v1/notices/{}", notice["id"].as_str().expect("an id"));
    let shown_on = || async {
        let n: serde_json::Value = server
            .send(Request {
                method: "GET",
                path: &notice_path,
                token: Some(&regulation),
                ..Request::default()
            })
            .await
            .expect(200)
            .json();
        n["shown_on"].clone()
    };
    for _ in 0..100 {
        if server.board("caudry", "").await.seq != drawn {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_ne!(server.board("caudry", "").await.seq, drawn);
    let mut then = None;
    for _ in 0..100 {
        let answer = server
            .answer(&format!("/v1/stations/caudry/board?limit=30&seq={drawn}"))
            .await;
        if answer.status == 200 {
            then = Some(answer.json::<quai_protocol::Board>());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let then = then.expect("the drawn board, kept");
    let of = |region: &str| -> Vec<String> {
        last_texts
            .iter()
            .filter(|(r, _)| r == region)
            .map(|(_, t)| t.clone())
            .collect()
    };
    let on_screen = of("destination");
    // The page it was on when killed (« 2/3 »): ten rows a page.
    let page: usize = of("page")
        .first()
        .and_then(|p| p.split('/').next()?.parse().ok())
        .unwrap_or(1);
    let rows: Vec<String> = then
        .departures
        .iter()
        .skip((page - 1) * 10)
        .take(on_screen.len())
        .map(|d| d.headsign.clone())
        .collect();
    assert!(on_screen.len() >= 5, "{on_screen:?}");
    assert_eq!(on_screen, rows);

    assert_eq!(silent.health_since, silent.reported_at);
    assert_eq!(
        shown_on().await,
        serde_json::json!([]),
        "a dark screen shows nothing new"
    );
    let metrics = server.try_metrics().await.expect("metrics");
    assert_eq!(
        metric(
            &metrics,
            "quai_screens{station=\"caudry\",health=\"silent\"}"
        ),
        Some(1.0),
        "{metrics}"
    );

    // Back: ok again, the same screen.
    let mut child = screen(&server, &screen_token, dir.path());
    let back = until(&server, &regulation, |s| s.health == ScreenHealth::Ok).await;
    assert_eq!(back.first_seen, first_seen);
    // Where the notice is shown: nowhere while the screen was dark (its last
    // board predates it); on hall-1 once it drew the board that carries it.
    let mut shown = serde_json::Value::Null;
    for _ in 0..100 {
        shown = shown_on().await;
        if shown == serde_json::json!(["hall-1"]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(shown, serde_json::json!(["hall-1"]));
    let _ = child.kill();
    let _ = child.wait();

    // Who may see and do what.
    assert!(server.screens(&elsewhere).await.is_empty());
    assert!(server.screens(&screen_token).await.is_empty());
    server
        .send(Request {
            method: "GET",
            path: "/v1/screens/hall-1/history",
            token: Some(&elsewhere),
            ..Request::default()
        })
        .await
        .expect(404);
    server
        .send(Request {
            method: "GET",
            path: "/v1/screens",
            ..Request::default()
        })
        .await
        .expect(401);
    // A screen's token reports as that screen only, and writes no notice.
    let report = serde_json::json!({
        "station": "caudry", "seq": 1, "shows": "live", "layout": "x", "page": 1,
        "pages": 1, "lang": "fr", "version": "0", "uptime_s": 1, "audio": "off"
    });
    server
        .send(post("/v1/screens/hall-2/reports", &screen_token, &report))
        .await
        .expect(403);
    server
        .send(post(
            "/v1/notices",
            &screen_token,
            &quai_tests::http::info_notice("Essai"),
        ))
        .await
        .expect(403);
    // A screen stays with its station: its token cannot move it elsewhere.
    let mut moved = report.clone();
    moved["station"] = "hdv".into();
    let refused = server
        .send(post("/v1/screens/hall-1/reports", &screen_token, &moved))
        .await
        .expect(409);
    assert!(
        refused.body.contains("screen_of_another_station"),
        "{}",
        refused.body
    );
    // A report for a station that does not exist, or with unknown fields.
    let mut wrong = report.clone();
    wrong["station"] = "nowhere".into();
    server
        .send(post("/v1/screens/hall-1/reports", &screen_token, &wrong))
        .await
        .expect(422);
    let mut extra = report.clone();
    extra["mood"] = "happy".into();
    server
        .send(post("/v1/screens/hall-1/reports", &screen_token, &extra))
        .await
        .expect(422);
}

/// A screen whose voice fails says so: `audio: failed` and the reason, at
/// once (not at the next minute's report). Its sound goes to a file that
/// cannot be written (a sound card that refuses, for this machine without
/// one); it speaks the board as soon as it is on screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screen_whose_voice_fails_says_so() {
    let server = server::start(
        &server::demo_config("", ""),
        server::running("2026-03-09T07:30:00+01:00"),
    )
    .await;
    let screen_token = server.operator("ecran-hall-1", &["screen:hall-1"]);
    let regulation = server.operator("regulation", &["station:caudry"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, &screen_token).expect("token file");
    let mut child = quai_tests::screen::command(
        Path::new(BIN),
        &stream::url(&server.base),
        &layout("hall-1080p.ron"),
        &dir.path().join("screen.png"),
        &dir.path().join("screen.json"),
        &dir.path().join("state"),
    )
    .args(["--headless", "--keep-running", "--wait-for", "nothing"])
    .arg("--speak-to")
    .arg(dir.path().join("no-such-folder/voice.wav"))
    .args(["--screen-id", "hall-1", "--screen-token-file"])
    .arg(&token_file)
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .expect("display-client");
    let seen = until(&server, &regulation, |s| {
        s.report.audio == quai_protocol::AudioStatus::Failed
    })
    .await;
    let _ = child.kill();
    let _ = child.wait();
    let error = seen.report.last_error.unwrap_or_default();
    assert!(
        error.starts_with("speech: ") && error.contains("voice.wav"),
        "{error}"
    );
    assert_eq!(seen.report.shows, ScreenShows::Live);
}
