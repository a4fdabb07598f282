//! The server under systemd (`Type=notify`, `WatchdogSec=`), with systemd's
//! side played by a real datagram socket: `READY=1` comes once the server
//! answers, watchdog pings follow at the asked pace, `STOPPING=1` on SIGTERM
//! and a clean exit. (The watchdog's stall rule has a unit test in
//! `feed_server::service_manager`.)

use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use quai_tests::binary::Binary;

/// Every datagram received within `window`, or until one has the line `until`.
fn receive(socket: &UnixDatagram, window: Duration, until: Option<&str>) -> Vec<String> {
    let deadline = Instant::now() + window;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        if left.is_zero() {
            break;
        }
        socket.set_read_timeout(Some(left)).expect("timeout");
        match socket.recv(&mut buf) {
            Ok(n) => {
                let message = String::from_utf8_lossy(&buf[..n]).into_owned();
                let done = until.is_some_and(|u| message.lines().any(|l| l == u));
                got.push(message);
                if done {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tells_systemd_ready_alive_and_stopping() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&path).expect("bind the notify socket");
    let notify = format!("NOTIFY_SOCKET={}", path.display());
    // WatchdogSec=2: a ping every half second.
    let mut server = Binary::new(env!("CARGO_BIN_EXE_feed-server"))
        .start_via(&[], &["env", &notify, "WATCHDOG_USEC=2000000"]);

    let first = receive(&socket, Duration::from_secs(10), Some("READY=1"));
    let ready = first
        .iter()
        .find(|m| m.lines().any(|l| l == "READY=1"))
        .unwrap_or_else(|| panic!("no READY=1 in {first:?}; log:\n{}", server.logs()));
    assert!(
        ready.lines().any(|l| l
            == format!(
                "STATUS=serving 1 station(s) on {}",
                server.base.trim_start_matches("http://")
            )),
        "{ready:?}"
    );
    // Ready means serving: the board answers at once.
    let board: serde_json::Value = server.get("/v1/stations/caudry/board", 200).await;
    assert_eq!(board["station"]["id"], "caudry");

    let pings = receive(&socket, Duration::from_secs(3), None)
        .iter()
        .filter(|m| m.lines().any(|l| l == "WATCHDOG=1"))
        .count();
    assert!(
        (4..=12).contains(&pings),
        "{pings} watchdog pings in 3 s, asked for one every 0.5 s"
    );

    let exited = server.terminate(Duration::from_secs(20));
    assert_eq!(exited, Some(true), "SIGTERM: a clean exit within 20 s");
    let last = receive(&socket, Duration::from_millis(200), None);
    assert!(
        last.iter().any(|m| m.lines().any(|l| l == "STOPPING=1")),
        "no STOPPING=1 in {last:?}"
    );
}
