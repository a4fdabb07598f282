//! `GET /v1/stream`: the live boards over WebSocket (JSON text frames).
//!
//! A connection subscribes to stations; the hub queues a snapshot (or a replay of
//! the deltas after `since`) and then every delta into the connection's bounded
//! queue, and this task writes them out: everything queued at once in one
//! `writev` (a delta is framed once for every connection, see `socket`). It
//! also sends a heartbeat per subscribed station and a WebSocket ping every
//! `heartbeat_s`, and closes connections that stop answering, break the
//! protocol or flood it.
//!
//! Close codes: 1000 normal, 1001 server shutting down or peer silent, 1003 binary
//! frame, 1007 invalid JSON, 1008 unknown op / invalid message / flood, 1009 frame
//! over 64 KiB, 4008 too slow (the queue filled, or the socket stayed too full to
//! take what was written for longer than `write_timeout_s`: subscribe again with
//! `since`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Request, State};
use axum::response::Response;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use crate::accept::{Hold, Remote};
use crate::config::StreamSettings;
use crate::hub::Hub;
use crate::metrics::Metrics;
use connection::connection;
pub use messages::read_frame;

mod connection;
mod messages;
mod socket;

/// Largest client frame accepted; larger ones get an error and a close.
pub const MAX_CLIENT_FRAME: usize = 64 * 1024;

static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);

/// What a stream connection reads and moves.
#[derive(Debug, Clone)]
pub struct StreamState {
    pub hub: Arc<Hub>,
    /// Followed trips, and how to work a run out (None: a stream of boards
    /// only, as the fan-out benchmark serves).
    pub trips: Option<Arc<crate::followed::TripViews>>,
    pub settings: StreamSettings,
    pub metrics: Arc<Metrics>,
    /// Fires when the server stops: connections close with 1001.
    pub shutdown: CancellationToken,
}

pub async fn upgrade(
    State(state): State<StreamState>,
    hold: Option<axum::Extension<Hold>>,
    remote: Option<axum::Extension<Remote>>,
    request: Request,
) -> Response {
    // A message (a frame, or the fragments of one being reassembled) may not
    // grow past the client-frame limit: a client that starts a fragmented message
    // and never ends it holds at most that much, and one past it gets an error
    // and a close 1009 (see `too_long`). See `socket` for the rest.
    socket::upgrade(request, move |socket| {
        let id = NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed);
        // One span per connection: every line it logs says which client, from
        // where, and (once subscribed) about which stations.
        let span = tracing::info_span!(
            "stream",
            connection = id,
            remote = remote.map(|r| r.0.0.to_string()).unwrap_or_default(),
            stations = tracing::field::Empty,
        );
        async move {
            // The connection stays counted (per address, and at shutdown) while
            // the stream is open.
            let _hold = hold;
            tracing::debug!("opened");
            connection(socket, state, id).await;
            tracing::debug!("closed");
        }
        .instrument(span)
    })
}

/// Why a connection ends, when the server ends it.
#[derive(Debug)]
pub struct Close {
    code: u16,
    reason: &'static str,
    /// An `error` message to send first: (code, message).
    error: Option<(&'static str, String)>,
}

impl Close {
    /// The WebSocket close code.
    pub fn code(&self) -> u16 {
        self.code
    }

    fn with_error(code: u16, reason: &'static str, error: &'static str, message: String) -> Close {
        Close {
            code,
            reason,
            error: Some((error, message)),
        }
    }
}
