//! The stream seen from another language: tests/python/stream_client.py (the
//! `websockets` and `jsonschema` packages, installed by scripts/deps.sh) subscribes
//! to the demo and validates every message against docs/schemas/quai.schema.json.

use chrono::DateTime;
use feed_server::clock::Clock;
use quai_tests::server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_websockets_client_validates_the_stream() {
    // The demo timetable with the simulator's alert (a notice to validate), the
    // clock running from 25 s before the 07:34 departure (time for Python to
    // start): it leaves, and the board changes, at a known moment.
    let text = r#"
[[feeds]]
id = "demo"
gtfs = "builtin:caudry-demo"
[feeds.realtime]
alerts_url = "self:/demo/gtfs-rt/alerts"
poll_s = 0.2
[[stations]]
id = "caudry"
name = "Caudry – Pôle d'échanges"
stops = { demo = ["CAUDRY"] }
[stations.wifi]
ssid = "Caudry-Pole-WiFi-Gratuit"
"#;
    let clock = Clock::running_from(
        DateTime::parse_from_rfc3339("2026-03-09T07:33:35+01:00").expect("start"),
    );
    let server = server::start(text, clock).await;
    server.wait_fresh("demo:alerts").await;

    let python = std::env::var("QUAI_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/stream_client.py");
    let out = tokio::process::Command::new(&python)
        .arg(script)
        .arg(&server.base)
        .arg("caudry")
        .output()
        .await
        .unwrap_or_else(|e| {
            panic!("cannot run {python}: {e} (scripts/deps.sh installs what it needs)")
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the Python client failed (run scripts/deps.sh if a module is missing)\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("messages conform"), "{stdout}");
}
