//! The passenger app (`/app`) in headless Chromium, against the feed-server
//! binary on the demo at a fixed instant: the Python script
//! (tests/python/app_page.py) stops the server itself to see the app offline.
//! The demo's trip updates come from a fake upstream here, so that the
//! script can have a followed bus fall late: it prints `DELAY <departure
//! id>` and waits for a line on its input, sent once the upstream serves
//! the delay.

use std::io::{BufRead as _, Write as _};

use quai_tests::binary::Binary;
use quai_tests::upstream::{Reply, Upstream};

const NOW: &str = "2026-07-01T07:30:00+02:00";

#[test]
fn the_app_installs_searches_follows_and_shows_the_last_board_offline() {
    let binary = Binary::new(env!("CARGO_BIN_EXE_feed-server"));
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf-8");
    // An operator, to publish a notice while the app shows the board.
    let added = binary.run(
        &[
            "operator",
            "add",
            "app-test",
            "--scope",
            "station:caudry",
            "--data-dir",
            data,
        ],
        dir.path(),
    );
    assert!(added.ok, "{}", added.stderr);
    let token = added
        .stdout
        .lines()
        .last()
        .expect("a token")
        .trim()
        .to_string();
    // The demo, with its trip updates from an upstream the test controls.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let now = chrono::DateTime::parse_from_rfc3339(NOW)
        .expect("NOW")
        .timestamp();
    let empty = quai_tests::gtfs_rt::encode(now, Vec::<gtfs_realtime::FeedEntity>::new());
    let trip_updates = runtime.block_on(Upstream::start(Reply::Body(empty)));
    let demo = include_str!("../demo/caudry.toml");
    let config = demo.replace(
        "trip_updates_url = \"self:/demo/gtfs-rt/trip-updates\"",
        &format!("trip_updates_url = \"{}\"", trip_updates.url),
    );
    assert_ne!(config, demo, "the demo's trip updates URL");
    let config_path = dir.path().join("caudry.toml");
    std::fs::write(&config_path, config).expect("write config");
    let config_path = config_path.to_str().expect("utf-8");
    let server = binary.start(&["--config", config_path, "--now", NOW, "--data-dir", data]);
    // axe-core, for the accessibility check (fetched once, checksum verified).
    let axe = std::process::Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../scripts/axe-core.sh"
        ))
        .output()
        .expect("run scripts/axe-core.sh");
    assert!(
        axe.status.success(),
        "{}",
        String::from_utf8_lossy(&axe.stderr)
    );
    let axe = String::from_utf8_lossy(&axe.stdout).trim().to_string();
    let python = std::env::var("QUAI_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/python/app_page.py");
    let shots = std::env::var("QUAI_APP_SCREENSHOTS").unwrap_or_default();
    let mut command = std::process::Command::new(&python);
    command.env("QUAI_AXE", &axe);
    command
        .arg(script)
        .arg(&server.base)
        .arg(server.pid().to_string())
        .arg(&token);
    if !shots.is_empty() {
        command.arg(&shots);
    }
    let mut child = command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e} (scripts/deps.sh installs it)"));
    let mut input = child.stdin.take().expect("stdin");
    let mut stdout = String::new();
    for line in std::io::BufReader::new(child.stdout.take().expect("stdout")).lines() {
        let line = line.expect("a line of app_page.py");
        if let Some(id) = line.strip_prefix("DELAY ") {
            // `{feed}:{trip}:{YYYYMMDD}:{sequence}`: 10 minutes late from that call.
            let (rest, sequence) = id.rsplit_once(':').expect("departure id");
            let (rest, day) = rest.rsplit_once(':').expect("departure id");
            let trip = rest.strip_prefix("demo:").expect("a demo trip");
            let late = quai_tests::gtfs_rt::trip_update(trip, day)
                .scheduled()
                .stop(quai_tests::gtfs_rt::stop(sequence.parse().expect("sequence")).delay(600));
            // Newer than the last message: one of the same time is no news.
            trip_updates.set(Reply::Body(quai_tests::gtfs_rt::encode(now + 1, [late])));
            writeln!(input, "served").expect("tell app_page.py");
            input.flush().expect("flush");
        }
        stdout.push_str(&line);
        stdout.push('\n');
    }
    let status = child.wait().expect("app_page.py");
    assert!(status.success(), "app_page.py failed\nstdout:\n{stdout}");
    assert!(stdout.contains("offline board"), "{stdout}");
    print!("{stdout}");
}
