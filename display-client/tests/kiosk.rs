//! The kiosk (`--mode kiosk`) rendered headless against a real feed server
//! on 127.0.0.1 and driven by `--input-script`: each view's texts checked
//! against the REST endpoints, its controls' sizes and places measured on
//! the laid-out frame, the pictures written.

use std::path::{Path, PathBuf};
use std::process::Command;

use quai_protocol::{RouteDepartures, StationRoutes, Trip};
use quai_tests::server::{self, Running};
use quai_tests::stream;

const BIN: &str = env!("CARGO_BIN_EXE_display-client");
const NOW: &str = "2026-07-01T07:30:00+02:00";

async fn demo() -> Running {
    let demo = include_str!("../../feed-server/demo/caudry.toml");
    let server = server::start(demo, server::fixed(NOW)).await;
    server.wait_fresh("demo:trip-updates").await;
    server.wait_fresh("demo:alerts").await;
    for _ in 0..200 {
        if !server.board("caudry", "").await.advisories.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    server
}

/// One step's `--dump-text`.
#[derive(Debug, serde::Deserialize)]
struct Step {
    view: String,
    lang: String,
    large: bool,
    focus: Option<String>,
    resets: u64,
    qr: Option<String>,
    list_page: usize,
    pages: usize,
    controls: Vec<Control>,
    control_names: Vec<String>,
    texts: Vec<Text>,
    spoken: Vec<String>,
}

#[derive(Debug, serde::Deserialize)]
struct Control {
    name: String,
    x: f32,
    y: f32,
    width: f32,
    height: f32,
}

#[derive(Debug, serde::Deserialize)]
struct Text {
    region: String,
    text: String,
}

impl Step {
    fn texts(&self, region: &str) -> Vec<&str> {
        self.texts
            .iter()
            .filter(|t| t.region == region)
            .map(|t| t.text.as_str())
            .collect()
    }

    fn all_text(&self) -> String {
        self.texts
            .iter()
            .map(|t| t.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn control(&self, name: &str) -> &Control {
        self.controls
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no control {name} in {:?}", self.controls))
    }
}

/// Runs the kiosk with `script` (RON) and `layout`; the steps' dumps, and the
/// folder with the pictures.
async fn walk(
    server: &Running,
    layout: &Path,
    script: &str,
    extra: &[&str],
    dir: &Path,
) -> Vec<Step> {
    let script_file = dir.join("walk.ron");
    std::fs::write(&script_file, script).expect("script");
    let mut command = quai_tests::screen::command(
        Path::new(BIN),
        &stream::url(&server.base),
        layout,
        &dir.join("kiosk.png"),
        &dir.join("kiosk.json"),
        &dir.join("state"),
    );
    command
        .args([
            "--mode",
            "kiosk",
            "--headless",
            "--mute",
            "--timeout-s",
            "60",
        ])
        .arg("--input-script")
        .arg(&script_file)
        .args(extra);
    let out = run(command).await;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "display-client failed:\n{stderr}");
    let mut steps = Vec::new();
    for n in 0.. {
        let json = dir.join(format!("kiosk-{n:02}.json"));
        let Ok(text) = std::fs::read_to_string(&json) else {
            break;
        };
        assert!(
            dir.join(format!("kiosk-{n:02}.png")).exists(),
            "a picture for step {n}"
        );
        steps.push(serde_json::from_str(&text).expect("a step's dump"));
    }
    steps
}

async fn run(mut command: Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || command.output().expect("run display-client"))
        .await
        .expect("join")
}

fn kiosk_layout() -> PathBuf {
    quai_tests::screen::layout("kiosk-portrait-1080x1920.ron")
}

/// Every control is on screen, at least 48 px wide and high (WCAG 2.2 target
/// size, on a 1080-wide screen), inside the reach band of the shipped layout
/// (x 0-1080, y 760-1920), and at least 8 px from any other.
fn reachable(step: &Step) {
    assert!(!step.controls.is_empty());
    let drawn: Vec<&str> = step.controls.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(drawn, step.control_names, "a control not laid out");
    for c in &step.controls {
        assert!(
            c.x >= 0.0 && c.x + c.width <= 1080.0,
            "{} at x {}",
            c.name,
            c.x
        );
        assert!(
            c.width >= 48.0 && c.height >= 48.0,
            "{} is {}x{}",
            c.name,
            c.width,
            c.height
        );
        assert!(
            c.y >= 760.0 && c.y + c.height <= 1920.0,
            "{} at y {}",
            c.name,
            c.y
        );
    }
    for (i, a) in step.controls.iter().enumerate() {
        for b in &step.controls[i + 1..] {
            let gap = 8.0;
            let apart = a.x + a.width + gap <= b.x
                || b.x + b.width + gap <= a.x
                || a.y + a.height + gap <= b.y
                || b.y + b.height + gap <= a.y;
            assert!(apart, "{} and {} are closer than {gap} px", a.name, b.name);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kiosk_walks_from_home_to_a_line_a_trip_and_back() {
    let s = demo().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let script = r#"[
        Tap("lines"),
        Tap("line:demo:CA2C:1"),
        Tap("departure#0"),
        Key("Escape"),
        Tap("back"),
        Tap("home"),
        Tap("disruptions"),
        Tap("next_page"),
        Tap("home"),
        Tap("parking"),
        Tap("language"),
        TapAt(900, 1830),
    ]"#;
    let steps = walk(&s, &kiosk_layout(), script, &[], dir.path()).await;
    assert_eq!(
        steps.len(),
        13,
        "a picture before the first step and after each"
    );
    for step in &steps {
        reachable(step);
    }

    // Home: the board's departures, each a control to its trip.
    let board = s.board("caudry", "").await;
    let home = &steps[0];
    assert_eq!((home.view.as_str(), home.lang.as_str()), ("home", "fr"));
    let first = &board.departures[0];
    assert_eq!(home.texts("kiosk_row")[0], first.headsign);
    assert!(
        home.controls
            .iter()
            .any(|c| c.name == format!("departure:{}", first.id))
    );
    for name in [
        "lines",
        "disruptions",
        "parking",
        "listen",
        "language",
        "text_size",
    ] {
        home.control(name);
    }
    assert_eq!(
        home.qr.as_deref(),
        Some("http://127.0.0.1:8080/portal?station=caudry&view=home")
    );

    // Lines: those of the timetable, in order, each a control.
    let routes: StationRoutes = s.get("/v1/stations/caudry/routes", 200).await;
    let lines = &steps[1];
    assert_eq!(lines.view, "lines");
    let shown: Vec<&str> = lines
        .controls
        .iter()
        .filter_map(|c| c.name.strip_prefix("line:"))
        .collect();
    let expected: Vec<&str> = routes.routes.iter().map(|r| r.id.as_str()).collect();
    assert!(
        !shown.is_empty() && shown.len() <= expected.len(),
        "{shown:?}"
    );
    assert_eq!(shown, expected[..shown.len()]);

    // A line: its name, its next departures from here as the API gives them.
    let line = &steps[2];
    assert_eq!(line.view, "line");
    assert_eq!(line.texts("kiosk_title"), ["Caudry – Cambrai"]);
    let next: RouteDepartures = s
        .get(
            "/v1/routes/demo:CA2C:1/departures?station=caudry&limit=8",
            200,
        )
        .await;
    let departures: Vec<&str> = line
        .controls
        .iter()
        .filter_map(|c| c.name.strip_prefix("departure:"))
        .collect();
    let api: Vec<&str> = next.departures.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(departures, api[..departures.len()]);
    assert!(!departures.is_empty());
    assert_eq!(
        line.qr.as_deref(),
        Some("http://127.0.0.1:8080/portal?station=caudry&view=line&route=demo:CA2C:1")
    );

    // Its first departure's trip: every call as the API has it, "you are here".
    let trip: Trip = s.get(&format!("/v1/trips/{}", api[0]), 200).await;
    let view = &steps[3];
    assert_eq!(view.view, "trip");
    let stops: Vec<&str> = trip.calls.iter().map(|c| c.stop_name.as_str()).collect();
    let rows = view.texts("kiosk_row");
    assert!(rows.len() >= 2, "{rows:?}");
    assert_eq!(
        rows[..stops.len().min(rows.len())],
        stops[..stops.len().min(rows.len())]
    );
    assert!(
        view.all_text().contains("vous êtes ici"),
        "{}",
        view.all_text()
    );
    let here = trip
        .calls
        .iter()
        .find(|c| c.departure_id == api[0])
        .expect("the call asked for");
    let at = here
        .expected_departure
        .as_deref()
        .or(here.scheduled_departure.as_deref())
        .map(|t| &t[11..16])
        .expect("a time");
    assert!(
        view.texts("kiosk_time").contains(&at),
        "{at} in {:?}",
        view.texts("kiosk_time")
    );
    assert!(
        view.spoken.iter().any(|s| s.contains(stops[1])),
        "{:?}",
        view.spoken
    );

    // Escape goes back to the line, Back to the lines, Home home.
    assert_eq!(steps[4].view, "line");
    assert_eq!(steps[5].view, "lines");
    assert_eq!(steps[6].view, "home");

    // Every notice and advisory in full (the ticker would cut them).
    // (Two pages of them: the demo's two alerts, the SIRI situation and the
    // heatwave advice.)
    let disruptions = &steps[7];
    assert_eq!(disruptions.view, "disruptions");
    assert_eq!(
        (steps[8].view.as_str(), steps[8].list_page),
        ("disruptions", 1)
    );
    let all = disruptions.all_text() + &steps[8].all_text();
    for n in &board.notices {
        for text in [&n.header["fr"], &n.description["fr"]] {
            assert!(all.contains(text.as_str()), "{text} in {all}");
        }
    }
    for a in &board.advisories {
        for advice in &a.advice["fr"] {
            assert!(all.contains(advice.as_str()), "{advice}");
        }
    }
    assert!(all.contains("Attention") || all.contains("Grave") || all.contains("Info"));

    // Parking: the board's facilities with their free places in words.
    let parking = &steps[10];
    assert_eq!(parking.view, "parking");
    let f = &board.facilities[0];
    assert!(parking.all_text().contains(&f.name));
    assert!(
        parking.all_text().contains("places libres"),
        "{}",
        parking.all_text()
    );

    // English, until someone switches back (or nobody touches it for long).
    let english = &steps[11];
    assert_eq!(
        (english.view.as_str(), english.lang.as_str()),
        ("parking", "en")
    );
    assert!(english.all_text().contains("Parking and carpooling"));
    assert!(
        english.all_text().contains("free of"),
        "{}",
        english.all_text()
    );
    // A tap by coordinates on the lower right button: the text size.
    let size = english.control("text_size");
    assert!((size.x..size.x + size.width).contains(&900.0));
    assert!((size.y..size.y + size.height).contains(&1830.0));
    assert!(steps[12].large, "{:?}", steps[12].controls);

    // The pictures differ from view to view.
    let picture =
        |n: usize| std::fs::read(dir.path().join(format!("kiosk-{n:02}.png"))).expect("png");
    assert_ne!(picture(0), picture(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_move_the_focus_and_an_idle_kiosk_forgets_everything() {
    let s = demo().await;
    let dir = tempfile::tempdir().expect("tempdir");
    // A kiosk that forgets after 10 s (the least a layout may ask).
    let text = std::fs::read_to_string(kiosk_layout()).expect("layout");
    let quick = text.replacen("idle_reset_s: 90", "idle_reset_s: 10", 1);
    assert_ne!(quick, text);
    let layout = dir.path().join("kiosk.ron");
    std::fs::write(&layout, quick).expect("layout");
    let speech = dir.path().join("speech.json");
    let script = r#"[
        Tap("next_page"),
        Tap("previous_page"),
        Tap("parking"),
        Key("Tab"),
        Key("Tab"),
        Key("Shift+Tab"),
        Key("Tab"),
        Key("Enter"),
        Tap("language"),
        Tap("text_size"),
        Tap("disruptions"),
        Tap("listen"),
        Wait(11),
    ]"#;
    let steps = walk(
        &s,
        &layout,
        script,
        &["--dump-speech", speech.to_str().expect("utf-8")],
        dir.path(),
    )
    .await;
    assert_eq!(steps.len(), 14);
    // The home view's departures, a page at a time.
    let home = &steps[0];
    assert!(home.pages > 1, "the demo's board is longer than a page");
    let first_page = home.texts("kiosk_row");
    assert_eq!((steps[1].list_page, steps[1].pages), (1, home.pages));
    assert_ne!(steps[1].texts("kiosk_row"), first_page);
    assert!(
        steps[1]
            .control_names
            .contains(&"previous_page".to_string())
    );
    assert_eq!(steps[2].list_page, 0);
    assert_eq!(steps[2].texts("kiosk_row"), first_page);
    // On the parking view the controls are the buttons: Back, Home, …
    assert_eq!(steps[3].view, "parking");
    assert_eq!(steps[3].focus, None, "no focus ring before a key");
    assert_eq!(steps[4].focus.as_deref(), Some("back"));
    assert_eq!(steps[5].focus.as_deref(), Some("home"));
    assert_eq!(steps[6].focus.as_deref(), Some("back"));
    assert_eq!(steps[7].focus.as_deref(), Some("home"));
    // Enter on Home.
    assert_eq!(steps[8].view, "home");
    assert_eq!(steps[8].focus, None);
    assert_eq!(steps[9].lang, "en");
    assert!(steps[10].large);
    // Larger text: fewer rows a page, the controls still reachable and big enough.
    assert!(
        steps[10].pages > home.pages,
        "{} pages, {} before",
        steps[10].pages,
        home.pages
    );
    reachable(&steps[10]);
    assert_eq!(steps[11].view, "disruptions");
    // Listen says the view, in the kiosk's language, as shown.
    let said: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&speech).expect("--dump-speech"))
            .expect("json");
    assert_eq!(said["trigger"], "listen", "{said}");
    assert_eq!(said["utterances"][0]["lang"], "en");
    let text = said["utterances"][0]["text"].as_str().expect("text");
    assert!(text.starts_with("Disruptions"), "{text}");
    assert_eq!(steps[12].spoken[0], "Disruptions");
    // 11 s without a touch: home, French, normal text, nothing kept.
    let idle = &steps[13];
    assert_eq!(
        (
            idle.view.as_str(),
            idle.lang.as_str(),
            idle.large,
            idle.resets
        ),
        ("home", "fr", false, 1)
    );
    assert_eq!(idle.focus, None);
}
