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

use crate::http::Api;

/// A running server; stops (pollers included) when dropped. Derefs to its
/// [`Api`].
pub struct Running {
    /// Its REST API (`base` is its `http://127.0.0.1:PORT`).
    pub api: Api,
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
    start_in(text, clock, port, tempfile::tempdir().expect("data dir")).await
}

impl Running {
    /// Stops this server and starts another for `text` on the same data dir
    /// (its store), as a restart of the process would.
    pub async fn restarted(mut self, text: &str, clock: Clock) -> Running {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let data_dir = std::mem::replace(
            &mut self.data_dir,
            tempfile::tempdir().expect("a spare data dir"),
        );
        drop(self);
        start_in(text, clock, 0, data_dir).await
    }
}

async fn start_in(text: &str, clock: Clock, port: u16, data_dir: tempfile::TempDir) -> Running {
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
    let server = Server::new(deployment, clock)
        .with_store(data_dir.path())
        .expect("store");
    let store = server.store().expect("store");
    tokio::spawn(server.serve(listener, async {
        let _ = rx.await;
    }));
    Running {
        api: Api::new(base),
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

/// The demo at the fixed instant `now`, boards of up to 60 departures, its trip
/// updates polled every 0.2 s from a fake upstream that serves `message`;
/// returned once they are fresh. (The upstream keeps serving after this.)
pub async fn with_trip_updates(message: Vec<u8>, now: &str) -> Running {
    let upstream = crate::upstream::Upstream::start(crate::upstream::Reply::Body(message)).await;
    let server = start(
        &demo_config(
            "[board]\nmax_limit = 60",
            &format!("trip_updates_url = \"{}\"\npoll_s = 0.2", upstream.url),
        ),
        fixed(now),
    )
    .await;
    server.wait_fresh("demo:trip-updates").await;
    server
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
        self.operator_with(name, scopes, false)
    }

    /// An operator who may also start emergency takeovers.
    pub fn emergency_operator(&self, name: &str, scopes: &[&str]) -> String {
        self.operator_with(name, scopes, true)
    }

    fn operator_with(&self, name: &str, scopes: &[&str], emergency: bool) -> String {
        let scopes: Vec<Scope> = scopes.iter().map(|s| s.parse().expect("scope")).collect();
        self.store
            .operator_add(name, &scopes, emergency)
            .expect("operator add")
    }
}

/// Its REST API: `server.board(..)`, `server.health()`, `server.base`...
impl std::ops::Deref for Running {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}
