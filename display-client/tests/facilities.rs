//! The facilities panel, headless against the demo server: its carpool area,
//! filled by the demo's simulated sensors through the real endpoint, on the
//! hall screen in words, as the REST board says.

use std::path::Path;
use std::process::Command;

use quai_tests::screen::{layout, read_texts};
use quai_tests::server;
use quai_tests::stream;

const BIN: &str = env!("CARGO_BIN_EXE_display-client");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hall_screen_shows_the_carpool_area_in_words() {
    let demo = include_str!("../../feed-server/demo/caudry.toml");
    // A Wednesday morning: the area is nearly full.
    let server = server::start(demo, server::fixed("2026-07-01T10:00:00+02:00")).await;
    let mut line = None;
    for _ in 0..200 {
        let board = server.board("caudry", "").await;
        line = board.facilities.into_iter().find(|f| f.unknown == 0);
        if line.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let line = line.expect("the demo's sensors reported");
    let dir = tempfile::tempdir().expect("tempdir");
    let texts = dir.path().join("texts.json");
    let out = Command::new(BIN)
        .args([
            "--station",
            "caudry",
            "--server",
            &stream::url(&server.base),
        ])
        .arg("--layout")
        .arg(layout("hall-1080p.ron"))
        .args(["--headless", "--mute", "--screenshot"])
        .arg(dir.path().join("screen.png"))
        .arg("--dump-text")
        .arg(&texts)
        .arg("--state-dir")
        .arg(dir.path().join("state"))
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .expect("run display-client");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: Vec<String> = read_texts(Path::new(&texts))
        .expect("texts")
        .into_iter()
        .filter(|(r, _)| r == "facilities")
        .map(|(_, t)| t)
        .collect();
    let free = line.free.expect("known");
    let state = match free {
        0 => "complet".to_string(),
        1 => "1 place libre sur 40".to_string(),
        n => format!("{n} places libres sur 40"),
    };
    assert_eq!(
        shown,
        [
            "Aire de covoiturage de Caudry".to_string(),
            state,
            "dont 2 place(s) PMR".to_string()
        ]
    );
}
