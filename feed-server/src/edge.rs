//! The edge role (`serve --role edge --nats URL`, docs/scaling.md): a node
//! that polls nothing and serves the boards the ingest node publishes on
//! NATS JetStream ([`crate::ingest`]).
//!
//! At each connection to NATS it follows the stream's new messages (an
//! ordered consumer of every station's subject), reads the whole boards from
//! the key-value bucket, then feeds every message to its hub
//! ([`Hub::receive`]): boards keep the ingest node's `seq`s, so a client's
//! `since` works on any edge, and the deltas reach clients as the ingest node
//! made them. A delta that does not follow (NATS lost messages, an ingest
//! node took over) makes it read the station's board from the bucket again;
//! its clients get the difference as one delta.
//!
//! While NATS is gone the edge keeps serving the boards it has (they age:
//! `/healthz` says `degraded` with `nats.connected: false`), and reconnects
//! every few seconds.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer, kv};
use futures_util::StreamExt as _;
use quai_protocol::{Board, ServerMessage};
use tokio_util::sync::CancellationToken;

use crate::hub::{Hub, Received};
use crate::id::StationId;
use crate::ingest::{BUCKET, STREAM, subject};

/// The first wait before connecting again, doubled up to [`RETRY_MAX`].
const RETRY: Duration = Duration::from_millis(200);
const RETRY_MAX: Duration = Duration::from_secs(5);

/// What `/healthz` says of an edge's link to NATS.
#[derive(Debug, Default)]
pub struct Link {
    connected: AtomicBool,
    /// Messages of the stream not yet delivered to this node, as of the last
    /// one received.
    pending: AtomicU64,
    received: AtomicU64,
    last_error: Mutex<Option<String>>,
    last_message: Mutex<Option<Instant>>,
}

/// A reading of [`Link`].
#[derive(Debug, Clone)]
pub struct LinkStatus {
    pub connected: bool,
    pub pending: u64,
    pub received: u64,
    pub last_error: Option<String>,
    pub since_last_message: Option<Duration>,
}

impl Link {
    pub fn status(&self) -> LinkStatus {
        LinkStatus {
            connected: self.connected.load(Ordering::Relaxed),
            pending: self.pending.load(Ordering::Relaxed),
            received: self.received.load(Ordering::Relaxed),
            last_error: self
                .last_error
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
            since_last_message: self
                .last_message
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .map(|t| t.elapsed()),
        }
    }

    fn failed(&self, error: &EdgeError) {
        self.connected.store(false, Ordering::Relaxed);
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(error.to_string());
    }
}

#[derive(Debug, thiserror::Error)]
enum EdgeError {
    #[error("cannot reach NATS: {0}")]
    Connect(String),
    #[error("JetStream: {0}")]
    JetStream(String),
    #[error("the stream of boards ended")]
    Ended,
}

/// Feeds `hub` with the boards published on NATS at `url` until `cancel`
/// fires, reconnecting whenever NATS is gone.
pub async fn run(
    hub: Arc<Hub>,
    stations: Vec<StationId>,
    url: String,
    link: Arc<Link>,
    cancel: CancellationToken,
) {
    let mut retry = RETRY;
    loop {
        let outcome = tokio::select! {
            () = cancel.cancelled() => break,
            outcome = session(&hub, &stations, &url, &link, &mut retry) => outcome,
        };
        if let Err(e) = outcome {
            tracing::warn!(error = %e, retry_s = retry.as_secs_f64(), "edge: no boards from NATS");
            link.failed(&e);
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(retry) => {}
        }
        retry = (retry * 2).min(RETRY_MAX);
    }
    link.connected.store(false, Ordering::Relaxed);
}

/// One connection to NATS: follows the stream from now, reads the bucket,
/// then applies messages until an error.
async fn session(
    hub: &Hub,
    stations: &[StationId],
    url: &str,
    link: &Link,
    retry: &mut Duration,
) -> Result<(), EdgeError> {
    let client = async_nats::connect(url)
        .await
        .map_err(|e| EdgeError::Connect(e.to_string()))?;
    let js = jetstream::new(client);
    let stream = js.get_stream(STREAM).await.map_err(|e| {
        EdgeError::JetStream(format!("stream {STREAM} (is an ingest node up?): {e}"))
    })?;
    // Following first, then reading the bucket: a message published in
    // between is both in the bucket's board and among the messages, where
    // the hub finds it old news.
    let consumer = stream
        .create_consumer(consumer::pull::OrderedConfig {
            filter_subject: subject("*"),
            deliver_policy: consumer::DeliverPolicy::New,
            ..Default::default()
        })
        .await
        .map_err(|e| EdgeError::JetStream(format!("consumer: {e}")))?;
    let mut messages = consumer
        .messages()
        .await
        .map_err(|e| EdgeError::JetStream(format!("consumer: {e}")))?;
    let boards = js
        .get_key_value(BUCKET)
        .await
        .map_err(|e| EdgeError::JetStream(format!("bucket {BUCKET}: {e}")))?;
    for station in stations {
        catch_up(hub, &boards, station.as_str()).await?;
    }
    tracing::info!(url, "edge: following the boards on NATS");
    link.connected.store(true, Ordering::Relaxed);
    *retry = RETRY;
    while let Some(message) = messages.next().await {
        let message = message.map_err(|e| EdgeError::JetStream(e.to_string()))?;
        if let Ok(info) = message.info() {
            link.pending.store(info.pending, Ordering::Relaxed);
        }
        link.received.fetch_add(1, Ordering::Relaxed);
        *link.last_message.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        let Ok(parsed) = serde_json::from_slice::<ServerMessage>(&message.payload) else {
            tracing::warn!(subject = %message.subject, "edge: not a board message; skipped");
            continue;
        };
        let bytes = axum::body::Bytes::copy_from_slice(&message.payload);
        if let Received::Gap { held } = hub.receive(&parsed, bytes.clone()) {
            let ServerMessage::Delta(delta) = &parsed else {
                continue;
            };
            tracing::info!(station = %delta.station, ?held, seq = delta.seq, "edge: a gap; reading the board again");
            catch_up(hub, &boards, &delta.station).await?;
            hub.receive(&parsed, bytes);
        }
    }
    Err(EdgeError::Ended)
}

/// Reads the station's whole board from the bucket into the hub (nothing
/// when the bucket has none yet: the ingest node's first snapshot brings it).
async fn catch_up(hub: &Hub, boards: &kv::Store, station: &str) -> Result<(), EdgeError> {
    let Some(json) = boards
        .get(station)
        .await
        .map_err(|e| EdgeError::JetStream(format!("bucket {BUCKET}, {station}: {e}")))?
    else {
        return Ok(());
    };
    let board: Board = match serde_json::from_slice(&json) {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(station, error = %e, "edge: the bucket's board cannot be read; skipped");
            return Ok(());
        }
    };
    let message = ServerMessage::Snapshot {
        station: station.to_string(),
        seq: board.seq,
        board,
        server_time: crate::hub::now_micros(),
    };
    hub.receive(&message, axum::body::Bytes::new());
    Ok(())
}
