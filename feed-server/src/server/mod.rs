//! The running server: it wires the stages together (sources → stores → boards →
//! hub → HTTP), starts the listener, the realtime and weather pollers and the
//! board publisher, and shuts them all down in order.
//!
//! This module is the only one that sees every part at once ([`AppState`]); each
//! part gets from it only the narrow handle it needs: a poller its store and
//! timetable, the accept loop its counters, each group of routes an axum
//! sub-state ([`routes`]).

mod pollers;
mod routes;

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::config::EndpointUrl;
use crate::deployment::Deployment;
use crate::emergency::Emergencies;
use crate::http::gtfs_rt::ExportCache;
use crate::http::notices::{AuthFailures, WriteLimiter};
use crate::notice::Notices;
use crate::publish::Boards;
use crate::store::{Postgres, Shared, Store, StoreError};

/// Every part of a running server, as handles that are cheap to clone.
#[derive(Clone)]
struct AppState {
    /// The board publisher: it holds the deployment, the clock, the hub, the
    /// metrics and the realtime, weather and notice stores.
    boards: Boards,
    /// The node's durable store; None without a data dir, and on an edge.
    store: Option<Arc<Store>>,
    /// Operators, notices and the audit log: in `store`, or in PostgreSQL
    /// (`[store] url`); None when neither is open.
    shared: Option<Shared>,
    /// Recent notice writes per operator (rate limit).
    limiter: Arc<WriteLimiter>,
    /// Recent wrong tokens per address.
    auth_failures: Arc<AuthFailures>,
    /// Web Push alerts, when configured (and a store is open).
    push: Option<crate::push::Push>,
    /// Recent push subscription writes per address.
    push_writes: Arc<crate::http::notices::PushWrites>,
    /// Validators of the GTFS-RT export.
    exports: Arc<ExportCache>,
    /// The screens that report, and what they last said.
    fleet: crate::fleet::Fleet,
    /// A single process, an ingest node or an edge node.
    node: crate::node::Node,
    /// Fires when the server stops: pollers, the publisher and stream connections end.
    shutdown: CancellationToken,
}

/// A server ready to serve a loaded deployment.
pub struct Server {
    state: AppState,
}

impl Server {
    pub fn new(deployment: Deployment, clock: Clock) -> Server {
        Server {
            state: AppState {
                boards: Boards::new(Arc::new(deployment), clock),
                store: None,
                shared: None,
                limiter: Default::default(),
                auth_failures: Default::default(),
                push: None,
                push_writes: Default::default(),
                exports: Default::default(),
                fleet: Default::default(),
                node: Default::default(),
                shutdown: CancellationToken::new(),
            },
        }
    }

    /// The ingest role (docs/scaling.md): every station's boards are also
    /// published to NATS JetStream at `url` ([`crate::ingest`]) while this
    /// node, named `node`, holds the ingest lease ([`crate::lease`]); what
    /// it makes there is kept by `replicas` servers.
    pub fn publishing_to(mut self, url: String, node: String, replicas: Option<usize>) -> Server {
        self.state.node = crate::node::Node::Ingest {
            url,
            lease: crate::lease::Lease::new(node, replicas),
        };
        // The edges read each feed's realtime as accepted here.
        self.state.boards.realtime.keep_bodies();
        self
    }

    /// The edge role (docs/scaling.md): no polling, no building; the boards
    /// come from NATS at `url` ([`crate::edge`]).
    pub fn receiving_from(mut self, url: String, node: String) -> Server {
        self.state.boards.origin = crate::publish::Origin::Received;
        self.state.boards.realtime.await_relay();
        self.state.node = crate::node::Node::Edge {
            url,
            name: node,
            link: Arc::default(),
        };
        self
    }

    /// Operators, notices, takeovers, the audit log and push subscriptions
    /// in PostgreSQL (`[store] url`), shared with every other node: loads
    /// its notices and takeovers, and follows them while serving
    /// ([`crate::notice::watch`]).
    /// Before [`Server::with_store`] (which then keeps the rest). Unless
    /// `required`, PostgreSQL out of reach is not an error: the notices come
    /// when it answers, push stays off until a restart (an edge).
    pub async fn with_postgres(
        mut self,
        pg: Arc<Postgres>,
        required: bool,
    ) -> Result<Server, StoreError> {
        match pg.notices().await {
            Ok(notices) => {
                tracing::info!(
                    notices = notices.len(),
                    target = pg.target(),
                    "notices from PostgreSQL"
                );
                self.state.boards.notices = Notices::new(notices);
            }
            Err(e) if !required => {
                tracing::warn!(target = pg.target(), error = %e, "PostgreSQL out of reach: its notices will come when it answers");
            }
            Err(e) => return Err(e),
        }
        match pg.emergencies().await {
            Ok(running) => {
                self.state.boards.emergencies =
                    Emergencies::new(running, self.state.boards.clock.now());
            }
            // The watch reads them when PostgreSQL answers.
            Err(e) if !required => {
                tracing::warn!(target = pg.target(), error = %e, "PostgreSQL out of reach: its takeovers will come when it answers");
            }
            Err(e) => return Err(e),
        }
        match crate::push::Push::with_postgres(&self.state.boards, &pg).await {
            Ok(push) => self.state.push = push,
            Err(e) if !required => {
                tracing::warn!(target = pg.target(), error = %e, "PostgreSQL out of reach: push subscriptions off until a restart");
            }
            Err(e) => return Err(e),
        }
        self.state.shared = Some(Shared::Postgres(pg));
        Ok(self)
    }

    /// Opens the store of `data_dir` and loads its notices (unless they are
    /// in PostgreSQL) and takeovers.
    pub fn with_store(mut self, data_dir: &Path) -> Result<Server, StoreError> {
        let store = Store::open(data_dir)?;
        let notices = match self.state.shared {
            None => store.notices()?,
            Some(_) => Vec::new(),
        };
        // With PostgreSQL, the takeovers are read there; one left running
        // in this SQLite (written before the node had `[store] url`, or by
        // an older version) is said, not shown.
        let emergencies = match self.state.shared {
            None => store.emergencies()?,
            Some(_) => {
                let now = self.state.boards.clock.now();
                let left = Emergencies::new(store.emergencies()?, now);
                // Those imported (`feed-server import`) are there already.
                let shared: Vec<String> = (self.state.boards.emergencies.all().iter())
                    .map(|e| e.stored.id.clone())
                    .collect();
                for e in left.all().iter().filter(|e| !shared.contains(&e.stored.id)) {
                    tracing::warn!(
                        id = %e.stored.id,
                        started_at = %e.stored.started_at,
                        "a takeover running in this node's SQLite is not in PostgreSQL ([store] url): screens do not show it; start it again through the API"
                    );
                }
                Vec::new()
            }
        };
        let spaces = store.spaces()?;
        let screens = store.screens()?;
        tracing::info!(
            screens = screens.len(),
            data_dir = %data_dir.display(),
            notices = notices.len(),
            emergencies = emergencies.len(),
            sensor_spaces = spaces.len(),
            "store opened"
        );
        // The spaces' last reports, for the facilities still configured.
        for (facility, space, state) in spaces {
            let known = self
                .state
                .boards
                .deployment
                .facilities
                .iter()
                .find(|f| f.id.as_str() == facility)
                .filter(|f| {
                    f.sensors
                        .as_ref()
                        .is_some_and(|s| s.spaces.values().any(|l| *l == space))
                });
            if let Some(f) = known {
                self.state.boards.facilities.restore(&f.id, &space, state);
            }
        }
        self.state.fleet = crate::fleet::Fleet::restore(screens);
        if self.state.shared.is_none() {
            self.state.boards.notices = Notices::new(notices);
        }
        if self.state.shared.is_none() {
            self.state.boards.emergencies =
                Emergencies::new(emergencies, self.state.boards.clock.now());
        }
        let store = Arc::new(store);
        if self.state.shared.is_none() {
            self.state.push = crate::push::Push::new(&self.state.boards, &store)?;
        }
        if let Some(push) = &self.state.push {
            tracing::info!(public_key = push.vapid.public_key(), "push alerts on");
        }
        self.state
            .shared
            .get_or_insert(Shared::Sqlite(store.clone()));
        self.state.store = Some(store);
        Ok(self)
    }

    /// The durable store, when the server has one.
    pub fn store(&self) -> Option<Arc<Store>> {
        self.state.store.clone()
    }

    /// Every route with this server's state, as `serve` answers them (without
    /// the accept loop's connection limits): for tools and the HTTP fuzz target.
    pub fn router(&self) -> axum::Router {
        routes::router(self.state.clone())
    }

    /// Serves on `listener` until `shutdown` completes, then stops the pollers
    /// and lets requests in flight finish. Realtime pollers start once the
    /// listener is bound, so that the demo's `self:` endpoints can be reached.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let state = self.state;
        let bound = listener.local_addr()?;
        let cancel = state.shutdown.clone();
        // The hub's internal subscribers (the archive, the ingest) follow
        // every station.
        let stations: Vec<_> = (state.boards.deployment.stations.iter())
            .map(|s| s.id.clone())
            .collect();
        let mut tasks = tokio::task::JoinSet::new();
        if let crate::node::Node::Edge { url, link, .. } = &state.node {
            let follow = crate::edge::Follow {
                hub: state.boards.hub.clone(),
                stations: stations.clone(),
                url: url.clone(),
                link: link.clone(),
                replay_age: state.boards.deployment.stream.replay_age,
            };
            tasks.spawn(crate::edge::run(follow, cancel.child_token()));
            let targets = crate::edge::exports::Targets {
                cache: state.exports.clone(),
                facilities: crate::facility::relay::Relay::new(
                    &state.boards.deployment,
                    state.boards.facilities.clone(),
                ),
                realtime: state.boards.realtime.clone(),
                applier: Arc::new(crate::realtime::relay::Applier::new(
                    state.boards.deployment.clone(),
                )),
                // With PostgreSQL, the notices are read there.
                notices: state
                    .shared
                    .as_ref()
                    .and_then(Shared::postgres)
                    .is_none()
                    .then(|| state.boards.notices.clone()),
            };
            tasks.spawn(crate::edge::exports::run(
                targets,
                link.clone(),
                url.clone(),
                cancel.child_token(),
            ));
            // Trips followed on the stream, worked out from the relayed
            // realtime.
            tasks.spawn(state.boards.clone().run_trips(cancel.child_token()));
            tasks.spawn(
                state
                    .boards
                    .pulse
                    .clone()
                    .beat_every_second(cancel.child_token()),
            );
        } else {
            state.boards.publish_all();
            tasks = pollers::spawn(&state.boards, bound, &cancel);
            tasks.spawn(state.boards.clone().run(cancel.child_token()));
            tasks.spawn(state.boards.clone().run_trips(cancel.child_token()));
        }
        if let Some(pg) = state.shared.as_ref().and_then(Shared::postgres) {
            let builds = state.boards.origin == crate::publish::Origin::Built;
            let kept = crate::notice::watch::Kept {
                notices: state.boards.notices.clone(),
                emergencies: state.boards.emergencies.clone(),
                clock: state.boards.clock,
            };
            tasks.spawn(crate::notice::watch::run(
                pg.clone(),
                kept,
                builds.then(|| state.boards.clone()),
                cancel.child_token(),
            ));
        }
        // Pushes are decided from the boards: not on an edge. Two ingest
        // nodes sharing PostgreSQL take turns with the lease.
        let turn = match (
            &state.node,
            state.shared.as_ref().and_then(Shared::postgres),
        ) {
            (crate::node::Node::Ingest { lease, .. }, Some(_)) => {
                crate::push::Turn::holding(lease.clone())
            }
            _ => crate::push::Turn::default(),
        };
        if let Some(push) = &state.push
            && state.boards.origin == crate::publish::Origin::Built
        {
            push.spawn(&state.boards, turn, &mut tasks, &cancel);
        }
        if let Some(store) = &state.store {
            tasks.spawn(crate::archive::run(
                state.boards.hub.clone(),
                stations.clone(),
                store.clone(),
                state.boards.clock,
                cancel.child_token(),
            ));
            tasks.spawn(crate::fleet::prune(
                store.clone(),
                state.boards.deployment.screens.keep_days,
                state.boards.clock,
                cancel.child_token(),
            ));
        }
        if let crate::node::Node::Ingest { url, lease } = &state.node {
            tasks.spawn(crate::lease::run(
                lease.clone(),
                url.clone(),
                cancel.child_token(),
            ));
            let export: crate::http::gtfs_rt::Export = axum::extract::FromRef::from_ref(&state);
            tasks.spawn(crate::ingest::exports::run(
                export,
                crate::facility::relay::Relay::new(
                    &state.boards.deployment,
                    state.boards.facilities.clone(),
                ),
                state.boards.notices.clone(),
                url.clone(),
                lease.clone(),
                cancel.child_token(),
            ));
            tasks.spawn(crate::ingest::run(
                state.boards.hub.clone(),
                stations,
                url.clone(),
                lease.clone(),
                cancel.child_token(),
            ));
        }
        tasks.spawn(crate::service_manager::watchdog(
            state.boards.pulse.clone(),
            cancel.child_token(),
        ));
        let stop = cancel.clone();
        tokio::spawn(async move {
            shutdown.await;
            crate::service_manager::stopping();
            stop.cancel();
        });
        crate::service_manager::ready(&format!(
            "serving {} station(s) on {bound}",
            state.boards.deployment.stations.len()
        ));
        let limits = crate::accept::Limits::derive(&state.boards.deployment.server);
        let metrics = state.boards.metrics.clone();
        let app = routes::router(state);
        let served = crate::accept::serve(listener, app, limits, metrics, cancel.clone()).await;
        cancel.cancel();
        tasks.join_all().await;
        served
    }
}

/// Binds a listener on `addr`, with a fixed kernel send buffer for every accepted
/// connection when `send_buffer_kb` is set (accepted sockets inherit it).
pub fn bind(addr: SocketAddr, send_buffer_kb: Option<u32>) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    if let Some(kb) = send_buffer_kb {
        socket.set_send_buffer_size(kb.saturating_mul(1024))?;
    }
    socket.bind(addr)?;
    socket.listen(1024)
}

/// `self:/path` becomes a URL on this server (loopback when bound to all addresses).
fn resolve(endpoint: &EndpointUrl, bound: SocketAddr) -> String {
    match endpoint {
        EndpointUrl::Http(url) => url.to_string(),
        EndpointUrl::SelfPath(path) => {
            let host = if bound.ip().is_unspecified() {
                match bound {
                    SocketAddr::V4(_) => "127.0.0.1".to_string(),
                    SocketAddr::V6(_) => "[::1]".to_string(),
                }
            } else {
                bound.ip().to_string()
            };
            let host = if bound.is_ipv6() && !host.starts_with('[') {
                format!("[{host}]")
            } else {
                host
            };
            format!("http://{host}:{}{path}", bound.port())
        }
    }
}

/// Completes on Ctrl-C or SIGTERM (what systemd and `kill` send).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
