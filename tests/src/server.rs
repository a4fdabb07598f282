//! A feed server in-process, on 127.0.0.1 with a port chosen by the system: the same
//! `serve` function as the binary, real HTTP.

use std::sync::Arc;
use std::time::Duration;

use feed_server::clock::Clock;
use feed_server::config::Config;
use feed_server::deployment::Deployment;
use feed_server::feed::Quiet;
use feed_server::notice::Scope;
use feed_server::server::{self, Server};
use feed_server::store::Store;
use serde_json::Value;

/// A running server; stops (pollers included) when dropped.
pub struct Running {
    pub base: String,
    /// The server's notice store (operators, notices, audit).
    pub store: Arc<Store>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// The server's data dir (its notice store), removed with it.
    pub data_dir: tempfile::TempDir,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts a server for configuration `text` with `clock`. Panics with the load error.
pub async fn start(text: &str, clock: Clock) -> Running {
    start_on(text, clock, 0).await
}

/// Like [`start`], on 127.0.0.1:`port` (0: any free port). A port just left by a
/// stopped server is retried for a few seconds (its listener closes once the
/// connections in flight have ended).
pub async fn start_on(text: &str, clock: Clock, port: u16) -> Running {
    let config = Config::parse(text, "test.toml", std::path::Path::new("/"))
        .unwrap_or_else(|e| panic!("test configuration: {e}"));
    let send_buffer = config.server.send_buffer_kb;
    let deployment = Deployment::load(config, move || clock.now(), &Quiet)
        .await
        .unwrap_or_else(|e| panic!("load: {e}"));
    let mut tries = 0;
    let listener = loop {
        match server::bind(([127, 0, 0, 1], port).into(), send_buffer) {
            Ok(listener) => break listener,
            Err(_) if tries < 100 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("bind 127.0.0.1:{port}: {e}"),
        }
    };
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = tokio::sync::oneshot::channel();
    let data_dir = tempfile::tempdir().expect("data dir");
    let server = Server::new(deployment, clock)
        .with_store(data_dir.path())
        .expect("store");
    let store = server.store().expect("store");
    tokio::spawn(server.serve(listener, async {
        let _ = rx.await;
    }));
    Running {
        base,
        store,
        stop: Some(tx),
        data_dir,
    }
}

/// A configuration of the demo network with one station, `caudry` (all the hub's
/// stops). `head` comes first (`[server]`, `[board]`, `[stream]` tables); `realtime`
/// is the body of the demo feed's `[feeds.realtime]` table (empty: no realtime).
pub fn demo_config(head: &str, realtime: &str) -> String {
    let realtime = if realtime.trim().is_empty() {
        String::new()
    } else {
        format!("[feeds.realtime]\n{realtime}\n")
    };
    format!(
        "{head}\n[[feeds]]\nid = \"demo\"\ngtfs = \"builtin:caudry-demo\"\n{realtime}\n\
         [[stations]]\nid = \"caudry\"\nname = \"Caudry\"\nstops = {{ demo = [\"CAUDRY\"] }}\n"
    )
}

/// A clock running from an RFC 3339 instant.
pub fn running(start: &str) -> Clock {
    Clock::running_from(chrono::DateTime::parse_from_rfc3339(start).expect("RFC 3339"))
}

/// A fixed clock at an RFC 3339 instant.
pub fn fixed(now: &str) -> Clock {
    Clock::Fixed(
        chrono::DateTime::parse_from_rfc3339(now)
            .expect("RFC 3339")
            .with_timezone(&chrono::Utc),
    )
}

impl Running {
    /// Adds an operator with `scopes` and returns its token.
    pub fn operator(&self, name: &str, scopes: &[&str]) -> String {
        let scopes: Vec<Scope> = scopes.iter().map(|s| s.parse().expect("scope")).collect();
        self.store
            .operator_add(name, &scopes)
            .expect("operator add")
    }

    /// POSTs `body` as JSON with an operator's bearer `token`; the status and the
    /// JSON answer (null when it is not JSON).
    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let response = feed_server::sources::http::client(Duration::from_secs(30))
            .expect("client")
            .post(&url)
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("POST");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// GET a JSON document; panics unless the status is `expect`.
    pub async fn get(&self, path: &str, expect: u16) -> Value {
        let url = format!("{}{path}", self.base);
        let response = feed_server::sources::http::client(Duration::from_secs(30))
            .expect("client")
            .get(&url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        let status = response.status().as_u16();
        let body: Value = response.json().await.expect("JSON body");
        assert_eq!(status, expect, "GET {url}: {body}");
        body
    }

    /// GET a text document (e.g. `/metrics`).
    pub async fn get_text(&self, path: &str) -> String {
        let url = format!("{}{path}", self.base);
        feed_server::sources::http::client(Duration::from_secs(30))
            .expect("client")
            .get(&url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"))
            .text()
            .await
            .expect("text")
    }

    pub async fn board(&self, station: &str, query: &str) -> Value {
        self.get(&format!("/v1/stations/{station}/board{query}"), 200)
            .await
    }

    /// Waits until `/healthz` lists feed `id` as not stale (a realtime message was
    /// accepted and is fresh).
    pub async fn wait_fresh(&self, id: &str) -> Value {
        self.wait_health(id, false).await
    }

    /// Waits until feed `id` in `/healthz` has `stale == stale`.
    pub async fn wait_health(&self, id: &str, stale: bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let health = self.get("/healthz", 200).await;
            let found = health["feeds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|f| f["id"] == id && f["stale"] == stale);
            if found {
                return health;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "feed {id} never became stale={stale}: {health}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The value of the sample `name` (no labels) in a `/metrics` text.
pub fn metric(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

/// The ids of a board's departures, in board order.
pub fn departure_ids(board: &Value) -> Vec<&str> {
    board["departures"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["id"].as_str())
        .collect()
}

/// The departure with `id` on a board, if any.
pub fn departure<'a>(board: &'a Value, id: &str) -> Option<&'a Value> {
    board["departures"]
        .as_array()?
        .iter()
        .find(|d| d["id"] == id)
}
