//! The passenger app (`/app`) in headless Chromium, against the feed-server
//! binary on the demo at a fixed instant: the Python script
//! (tests/python/app_page.py) stops the server itself to see the app offline.

use quai_tests::binary::Binary;

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
    let server = binary.start(&["--now", "2026-07-01T07:30:00+02:00", "--data-dir", data]);
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
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e} (scripts/deps.sh installs it)"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "app_page.py failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("offline board"), "{stdout}");
    print!("{stdout}");
}
