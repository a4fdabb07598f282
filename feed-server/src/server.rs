//! The running server: shared state, the listener, the realtime pollers and an
//! orderly shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use quai_protocol::{Board, FeedStatus};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::advisory::WeatherStore;
use crate::board::{self, BoardInput};
use crate::clock::Clock;
use crate::config::EndpointUrl;
use crate::deployment::{Deployment, wifi};
use crate::hub::{Hub, ReplayLimits};
use crate::metrics::Metrics;
use crate::realtime::{self, Kind, RealtimeStore, RealtimeView};
use crate::sources::gtfs_rt;
use crate::timetable::gtfs_time::rfc3339;

/// What every request handler and poller reads.
pub struct AppState {
    pub deployment: Deployment,
    pub clock: Clock,
    pub hub: Hub,
    pub metrics: Metrics,
    pub realtime: RealtimeStore,
    pub weather: WeatherStore,
    /// The durable store (operators, notices, audit); None when serving without a
    /// data dir.
    pub store: Option<crate::store::Store>,
    /// Every operator notice, as stored (the boards read this copy).
    pub notices: std::sync::RwLock<Vec<quai_protocol::OperatorNotice>>,
    /// Recent notice writes per operator (rate limit).
    pub write_limiter: crate::http::notices::WriteLimiter,
    /// Validators of the GTFS-RT export.
    pub exports: crate::http::gtfs_rt::ExportCache,
    /// Fires when the server stops: pollers, the publisher and stream connections end.
    pub shutdown: CancellationToken,
}

impl AppState {
    pub fn new(deployment: Deployment, clock: Clock) -> AppState {
        let stream = deployment.config.stream;
        let hub = Hub::new(
            deployment.stations.iter().map(|s| s.id.clone()),
            ReplayLimits {
                deltas: stream.replay_deltas,
                age: stream.replay_age,
            },
        );
        AppState {
            deployment,
            clock,
            hub,
            metrics: Metrics::default(),
            realtime: RealtimeStore::default(),
            weather: WeatherStore::default(),
            exports: Default::default(),
            store: None,
            write_limiter: Default::default(),
            notices: Default::default(),
            shutdown: CancellationToken::new(),
        }
    }

    /// Freshness of every feed, instants written in `tz`: the static timetables
    /// (never stale: valid until replaced) and each realtime endpoint.
    pub fn feed_statuses(&self, tz: chrono_tz::Tz) -> Vec<FeedStatus> {
        let now = self.clock.now();
        let mut out = Vec::new();
        for (load, config) in self
            .deployment
            .loads
            .iter()
            .zip(&self.deployment.config.feeds)
        {
            out.push(FeedStatus {
                id: load.id.clone(),
                last_success: Some(rfc3339(tz, load.loaded_at)),
                age_s: Some((now - load.loaded_at).num_seconds().max(0)),
                stale: false,
            });
            out.extend(realtime::statuses(
                config,
                &self.realtime.get(&config.id),
                now,
                tz,
            ));
        }
        out
    }

    /// Builds the station's board now and publishes it (a new `seq` and a delta to
    /// subscribers if it changed); returns the board as published, or None for an
    /// unknown station.
    pub fn publish(&self, station_id: &str) -> Option<Arc<Board>> {
        let (station, config) = self.deployment.station(station_id)?;
        self.hub.publish_with(station_id, || {
            let wifi = wifi(config);
            let settings = self.deployment.config.board;
            let now = self.clock.now();
            let views: Vec<RealtimeView> = self
                .deployment
                .config
                .feeds
                .iter()
                .map(|f| realtime::view(f, &self.realtime.get(&f.id), now))
                .collect();
            Metrics::count(&self.metrics.boards_built);
            let advisories = config
                .area
                .as_ref()
                .map(|place| {
                    self.weather.advisories(
                        place,
                        now,
                        station.timezone,
                        &self.deployment.advice,
                        &self.deployment.weather_names,
                    )
                })
                .unwrap_or_default();
            let operator_notices = self.notices.read().unwrap_or_else(|p| p.into_inner());
            board::build(&BoardInput {
                advisories,
                operator_notices: &operator_notices,
                timetable: &self.deployment.timetable,
                station,
                now,
                limit: settings.max_limit,
                settings,
                realtime: &views,
                wifi: wifi.as_ref(),
                feeds: self.feed_statuses(station.timezone),
            })
        })
    }

    /// Opens the store of `data_dir` and loads its notices.
    pub fn with_store(
        mut self,
        data_dir: &std::path::Path,
    ) -> Result<AppState, crate::store::StoreError> {
        let store = crate::store::Store::open(data_dir)?;
        let notices = store.notices()?;
        tracing::info!(data_dir = %data_dir.display(), notices = notices.len(), "store opened");
        self.notices = std::sync::RwLock::new(notices);
        self.store = Some(store);
        Ok(self)
    }

    /// Publishes every station (see [`AppState::publish`]).
    pub fn publish_all(&self) {
        for station in &self.deployment.stations {
            self.publish(&station.id);
        }
    }
}

/// Republishes the boards whenever realtime data is accepted and once a second (time
/// passing moves departures: one leaves, a new one enters the horizon), until
/// `cancel` fires. Publishing an unchanged board costs a build and sends nothing.
async fn publisher(state: Arc<AppState>, cancel: CancellationToken) {
    let mut realtime = state.realtime.subscribe();
    let mut weather = state.weather.subscribe();
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            changed = realtime.changed() => if changed.is_err() { break },
            changed = weather.changed() => if changed.is_err() { break },
            _ = tick.tick() => {}
        }
        state.publish_all();
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

/// Serves until `shutdown` completes, then stops the pollers and lets requests in
/// flight finish. Realtime pollers start once the listener is bound, so that the
/// demo's `self:` endpoints can be reached.
pub async fn serve(
    state: Arc<AppState>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let bound = listener.local_addr()?;
    let cancel = state.shutdown.clone();
    state.publish_all();
    let mut pollers = spawn_pollers(&state, bound, &cancel);
    pollers.spawn(publisher(state.clone(), cancel.child_token()));
    let app = crate::http::router(state.clone());
    let stop = cancel.clone();
    tokio::spawn(async move {
        shutdown.await;
        stop.cancel();
    });
    let limits = crate::accept::Limits {
        max_connections_per_ip: state.deployment.config.max_connections_per_ip,
        header_read_timeout: state.deployment.config.header_read_timeout,
    };
    let served = crate::accept::serve(listener, app, limits, state.clone(), cancel.clone()).await;
    cancel.cancel();
    pollers.join_all().await;
    served
}

fn spawn_pollers(
    state: &Arc<AppState>,
    bound: SocketAddr,
    cancel: &CancellationToken,
) -> tokio::task::JoinSet<()> {
    let mut set = tokio::task::JoinSet::new();
    for (fi, feed) in state.deployment.config.feeds.iter().enumerate() {
        let Some(rt) = &feed.realtime else { continue };
        let endpoints = [
            (Kind::TripUpdates, &rt.trip_updates),
            (Kind::VehiclePositions, &rt.vehicle_positions),
            (Kind::Alerts, &rt.alerts),
        ];
        for (kind, endpoint) in endpoints {
            let Some(endpoint) = endpoint else { continue };
            let url = resolve(endpoint, bound);
            tracing::info!(feed = %feed.id, kind = kind.name(), %url, "polling realtime");
            set.spawn(gtfs_rt::run(
                state.clone(),
                fi,
                kind,
                url,
                cancel.child_token(),
            ));
        }
    }
    for (wi, source) in state.deployment.config.weather.iter().enumerate() {
        let url = resolve(&source.url, bound);
        tracing::info!(source = %source.id, %url, "polling weather alerts");
        set.spawn(crate::sources::weather::run(
            state.clone(),
            wi,
            url,
            cancel.child_token(),
        ));
    }
    set
}

/// `self:/path` becomes a URL on this server (loopback when bound to all addresses).
fn resolve(endpoint: &EndpointUrl, bound: SocketAddr) -> String {
    match endpoint {
        EndpointUrl::Http(url) => url.clone(),
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
