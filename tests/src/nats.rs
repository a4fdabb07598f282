//! A real NATS server with JetStream (Debian's `nats-server`, installed by
//! scripts/deps.sh test) on 127.0.0.1 at a port it picks, its store in a
//! temporary folder; killed when dropped.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub struct Nats {
    child: Child,
    /// `nats://127.0.0.1:PORT`.
    pub url: String,
    store: tempfile::TempDir,
}

impl Nats {
    /// Starts it and waits until it listens.
    pub fn start() -> Nats {
        let store = tempfile::tempdir().expect("a store folder");
        let (child, url) = launch(&store, "-1");
        Nats { child, url, store }
    }

    /// Its process id (for CPU and memory readings).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills it (SIGKILL) and starts it again on the same port and store,
    /// as after a crash; waits until it listens.
    pub fn restart(&mut self) {
        self.restart_on(false);
    }

    /// Kills it and starts it again on the same port with an empty store,
    /// as a replaced machine would.
    pub fn restart_empty(&mut self) {
        self.restart_on(true);
    }

    /// Kills it (SIGKILL) and leaves it down until [`Nats::start_again`].
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again after [`Nats::kill`], on the same port, on its store
    /// or an empty one.
    pub fn start_again(&mut self, empty: bool) {
        self.restart_on(empty);
    }

    fn restart_on(&mut self, empty: bool) {
        self.kill();
        if empty {
            self.store = tempfile::tempdir().expect("a store folder");
        }
        let port = self.url.rsplit(':').next().unwrap_or("-1").to_string();
        let (child, url) = launch(&self.store, &port);
        assert_eq!(url, self.url, "nats-server came back elsewhere");
        self.child = child;
    }
}

/// Starts nats-server on `port` (-1: any) with its store in `store`; the
/// process and its URL once it listens.
fn launch(store: &tempfile::TempDir, port: &str) -> (Child, String) {
    let mut child = Command::new("nats-server")
        .args(["--jetstream", "--addr", "127.0.0.1", "--port", port])
        .arg("--store_dir")
        .arg(store.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start nats-server ({e}): scripts/deps.sh test installs it")
        });
    let (send, lines) = mpsc::channel();
    let stderr = child.stderr.take().expect("nats-server's log");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    let mut log = Vec::new();
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(20)) {
        if let Some(at) = line.split("Listening for client connections on ").nth(1) {
            return (child, format!("nats://{}", at.trim()));
        }
        log.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("nats-server did not listen:\n{}", log.join("\n"));
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
