//! The running server: shared state, the listener and an orderly shutdown.

use std::future::Future;
use std::sync::Arc;

use quai_protocol::{Board, FeedStatus};
use tokio::net::TcpListener;

use crate::board::{self, BoardInput};
use crate::clock::Clock;
use crate::deployment::{Deployment, wifi};
use crate::hub::Hub;
use crate::metrics::Metrics;
use crate::timetable::gtfs_time::rfc3339;

/// What every request handler reads.
pub struct AppState {
    pub deployment: Deployment,
    pub clock: Clock,
    pub hub: Hub,
    pub metrics: Metrics,
}

impl AppState {
    pub fn new(deployment: Deployment, clock: Clock) -> AppState {
        AppState {
            deployment,
            clock,
            hub: Hub::default(),
            metrics: Metrics::default(),
        }
    }

    /// Freshness of every feed, instants written in `tz`. Static timetables do not go
    /// stale: they stay valid until replaced.
    pub fn feed_statuses(&self, tz: chrono_tz::Tz) -> Vec<FeedStatus> {
        let now = self.clock.now();
        self.deployment
            .loads
            .iter()
            .map(|l| FeedStatus {
                id: l.id.clone(),
                last_success: Some(rfc3339(tz, l.loaded_at)),
                age_s: Some((now - l.loaded_at).num_seconds().max(0)),
                stale: false,
            })
            .collect()
    }

    /// The station's board now, as published (with its `seq`), or None for an
    /// unknown station.
    pub fn published_board(&self, station_id: &str) -> Option<Board> {
        let (station, config) = self.deployment.station(station_id)?;
        let wifi = wifi(config);
        let settings = self.deployment.config.board;
        let board = board::build(&BoardInput {
            timetable: &self.deployment.timetable,
            station,
            now: self.clock.now(),
            limit: settings.max_limit,
            horizon_s: settings.horizon_s,
            wifi: wifi.as_ref(),
            feeds: self.feed_statuses(station.timezone),
        });
        Some(self.hub.publish(board))
    }
}

/// Serves until `shutdown` completes, then lets requests in flight finish.
pub async fn serve(
    state: Arc<AppState>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = crate::http::router(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
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
