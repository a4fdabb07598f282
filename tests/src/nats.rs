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
        let (child, url, _) = launch(&store, "-1", &[]);
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
        let (child, url, _) = launch(&self.store, &port, &[]);
        assert_eq!(url, self.url, "nats-server came back elsewhere");
        self.child = child;
    }
}

/// Starts nats-server on `port` (-1: any) with its store in `store` and
/// `more` arguments; the process, its URL once it listens, and its log's
/// lines from then on.
fn launch(
    store: &tempfile::TempDir,
    port: &str,
    more: &[String],
) -> (Child, String, mpsc::Receiver<String>) {
    let mut child = Command::new("nats-server")
        .args(["--jetstream", "--addr", "127.0.0.1", "--port", port])
        .arg("--store_dir")
        .arg(store.path())
        .args(more)
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
        // Read to the end, so that the server never writes to a closed pipe.
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = send.send(line);
        }
    });
    let mut log = Vec::new();
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(20)) {
        if let Some(at) = line.split("Listening for client connections on ").nth(1) {
            return (child, format!("nats://{}", at.trim()), lines);
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

/// NATS servers in one cluster with JetStream, on 127.0.0.1 at ports they
/// pick (routes at free ports), each with its store in a temporary folder;
/// killed when dropped.
pub struct Cluster {
    servers: Vec<Option<Child>>,
    /// Each server's client URL.
    pub urls: Vec<String>,
    _stores: Vec<tempfile::TempDir>,
}

impl Cluster {
    /// Starts `n` servers and waits until they have elected JetStream's
    /// metadata leader.
    pub fn start(n: usize) -> Cluster {
        let ports: Vec<u16> = (0..n)
            .map(|_| {
                std::net::TcpListener::bind("127.0.0.1:0")
                    .and_then(|l| l.local_addr())
                    .map(|a| a.port())
                    .expect("a free port")
            })
            .collect();
        let routes = ports
            .iter()
            .map(|p| format!("nats://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",");
        let (mut servers, mut urls, mut stores, mut logs) = (vec![], vec![], vec![], vec![]);
        for (i, port) in ports.iter().enumerate() {
            let store = tempfile::tempdir().expect("a store folder");
            let more = [
                "--server_name".to_string(),
                format!("n{i}"),
                "--cluster_name".into(),
                "quai".into(),
                "--cluster".into(),
                format!("nats://127.0.0.1:{port}"),
                "--routes".into(),
                routes.clone(),
            ];
            let (child, url, lines) = launch(&store, "-1", &more);
            servers.push(Some(child));
            urls.push(url);
            stores.push(store);
            logs.push(lines);
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let mut seen = Vec::new();
        'elected: loop {
            for log in &logs {
                while let Ok(line) = log.try_recv() {
                    if line.contains("metadata leader") {
                        break 'elected;
                    }
                    seen.push(line);
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no JetStream metadata leader within 30 s:\n{}",
                seen.join("\n")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Cluster {
            servers,
            urls,
            _stores: stores,
        }
    }

    /// Every server's URL, comma-separated, as `--nats` takes them.
    pub fn url(&self) -> String {
        self.urls.join(",")
    }

    /// Kills server `i` (SIGKILL).
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.servers.get_mut(i).and_then(Option::take) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for i in 0..self.servers.len() {
            self.kill(i);
        }
    }
}
