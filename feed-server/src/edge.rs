//! The edge role (`serve --role edge --nats URL`, docs/scaling.md): a node
//! that polls nothing and serves the boards the ingest node publishes on
//! NATS JetStream ([`crate::ingest`]).
//!
//! At its first connection to NATS it follows the stream's new messages (an
//! ordered consumer of every station's subject), reads the whole boards from
//! the key-value bucket, then feeds every message to its hub. At the next
//! ones it reads the stream on from the last message it applied, so that
//! every delta reaches its clients one by one; only when that stream is gone
//! (NATS came back with an empty store: another stream, or the messages
//! past its 24 h) does it start again from the bucket
//! ([`Hub::receive`]): boards keep the ingest node's `seq`s, so a client's
//! `since` works on any edge, and the deltas reach clients as the ingest node
//! made them. A delta that does not follow (NATS lost messages, an ingest
//! node took over) makes it read the station's board from the bucket again;
//! its clients get the difference as one delta.
//!
//! While NATS is gone the edge keeps serving the boards it has (they age:
//! `/healthz` says `degraded` with `nats.connected: false`), and reconnects
//! every few seconds. A session ends at the first disconnection rather than
//! letting the client library resume its consumer: NATS may come back with
//! an empty store, whose new stream the old consumer's position would skip.
//!
//! It also reads the ingest lease every second: with nobody renewing it,
//! no board moves, and `/healthz` says so.

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
    /// The ingest lease as last read: its holder, its revision, and when
    /// the revision last moved.
    lease: Mutex<Option<(Option<String>, u64, Instant)>>,
}

/// A reading of [`Link`].
#[derive(Debug, Clone)]
pub struct LinkStatus {
    pub connected: bool,
    pub pending: u64,
    pub received: u64,
    pub last_error: Option<String>,
    pub since_last_message: Option<Duration>,
    /// The ingest node holding the lease, while one renews it.
    pub lease_holder: Option<String>,
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
            lease_holder: self
                .lease
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
                .filter(|(_, _, moved)| moved.elapsed() < 2 * crate::lease::LAPSE)
                .and_then(|(holder, _, _)| holder.clone()),
        }
    }

    /// Records a reading of the lease's entry.
    fn lease_read(&self, holder: Option<String>, revision: u64) {
        let mut lease = self.lease.lock().unwrap_or_else(|p| p.into_inner());
        let moved = match &*lease {
            Some((_, r, at)) if *r == revision => *at,
            _ => Instant::now(),
        };
        *lease = Some((holder, revision, moved));
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
    #[error("disconnected from NATS")]
    Disconnected,
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
    let mut position = None;
    loop {
        let outcome = tokio::select! {
            () = cancel.cancelled() => break,
            outcome = session(&hub, &stations, &url, &link, &mut retry, &mut position) => outcome,
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

/// Where an edge is in the stream: the stream (told apart by when it was
/// made) and the sequence of the last message applied.
struct Position {
    created: String,
    sequence: u64,
}

/// One connection to NATS: follows the stream on from `position` when it
/// still holds it, else from now after reading the bucket; then applies
/// messages until an error.
async fn session(
    hub: &Hub,
    stations: &[StationId],
    url: &str,
    link: &Link,
    retry: &mut Duration,
    position: &mut Option<Position>,
) -> Result<(), EdgeError> {
    let (events_tx, mut events) = tokio::sync::mpsc::channel::<async_nats::Event>(16);
    let client = async_nats::ConnectOptions::new()
        .event_callback(move |event| {
            let events = events_tx.clone();
            async move {
                let _ = events.try_send(event);
            }
        })
        .connect(url)
        .await
        .map_err(|e| EdgeError::Connect(e.to_string()))?;
    let js = jetstream::new(client);
    let stream = js.get_stream(STREAM).await.map_err(|e| {
        EdgeError::JetStream(format!("stream {STREAM} (is an ingest node up?): {e}"))
    })?;
    let info = stream.cached_info();
    let created = format!("{:?}", info.created);
    let resume = position
        .as_ref()
        .filter(|p| p.created == created && p.sequence + 1 >= info.state.first_sequence)
        .map(|p| p.sequence + 1);
    let deliver_policy = match resume {
        Some(start_sequence) => consumer::DeliverPolicy::ByStartSequence { start_sequence },
        None => consumer::DeliverPolicy::New,
    };
    let consumer = stream
        .create_consumer(consumer::pull::OrderedConfig {
            filter_subject: subject("*"),
            deliver_policy,
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
    // From now: following first, then reading the bucket. A message
    // published in between is both in the bucket's board and among the
    // messages, where the hub finds it old news.
    if resume.is_none() {
        for station in stations {
            catch_up(hub, &boards, station.as_str()).await?;
        }
    }
    tracing::info!(url, "edge: following the boards on NATS");
    link.connected.store(true, Ordering::Relaxed);
    *retry = RETRY;
    let mut lease_bucket = None;
    let mut lease_tick = tokio::time::interval(crate::lease::RENEW);
    let mut announcements = js
        .client()
        .subscribe(crate::ingest::announce_subject("*"))
        .await
        .map_err(|e| EdgeError::JetStream(format!("announcements: {e}")))?;
    loop {
        let message = tokio::select! {
            Some(announce) = announcements.next() => {
                announced(hub, &announce.payload);
                continue;
            }
            event = events.recv() => match event {
                Some(async_nats::Event::Disconnected | async_nats::Event::Closed) | None => {
                    return Err(EdgeError::Disconnected);
                }
                Some(_) => continue,
            },
            _ = lease_tick.tick() => {
                read_lease(&js, &mut lease_bucket, link).await;
                continue;
            }
            message = messages.next() => message,
        };
        let Some(message) = message else { break };
        let message = message.map_err(|e| EdgeError::JetStream(e.to_string()))?;
        let sequence = message.info().ok().map(|info| {
            link.pending.store(info.pending, Ordering::Relaxed);
            info.stream_sequence
        });
        link.received.fetch_add(1, Ordering::Relaxed);
        *link.last_message.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        let Ok(parsed) = serde_json::from_slice::<ServerMessage>(&message.payload) else {
            tracing::warn!(subject = %message.subject, "edge: not a board message; skipped");
            continue;
        };
        let bytes = axum::body::Bytes::copy_from_slice(&message.payload);
        if let Received::Gap { held } = hub.receive(&parsed, bytes.clone())
            && let ServerMessage::Delta(delta) = &parsed
        {
            tracing::info!(station = %delta.station, ?held, seq = delta.seq, "edge: a gap; reading the board again");
            catch_up(hub, &boards, &delta.station).await?;
            hub.receive(&parsed, bytes);
        }
        if let Some(sequence) = sequence {
            *position = Some(Position {
                created: created.clone(),
                sequence,
            });
        }
    }
    Err(EdgeError::Ended)
}

/// Sends an announcement relayed by the ingest node to this edge's
/// subscribers of its station, now.
fn announced(hub: &Hub, payload: &[u8]) {
    let message = serde_json::from_slice::<ServerMessage>(payload);
    let Some(Ok(station)) = (match &message {
        Ok(ServerMessage::Announce { station, .. }) => Some(station.parse::<StationId>()),
        _ => None,
    }) else {
        tracing::warn!("edge: not an announcement of a station; skipped");
        return;
    };
    let Ok(message) = message else { return };
    let screens = hub.send_now(&station, message.clone());
    tracing::info!(%station, ?screens, "edge: announcement relayed");
}

/// Reads the ingest lease into `link` (the bucket is opened on first use:
/// no ingest node may have made it yet).
async fn read_lease(js: &jetstream::Context, bucket: &mut Option<kv::Store>, link: &Link) {
    if bucket.is_none() {
        *bucket = js.get_key_value(crate::lease::BUCKET).await.ok();
    }
    let Some(kv) = bucket else { return };
    match kv.entry(crate::lease::KEY).await {
        Ok(Some(entry)) => link.lease_read(crate::lease::holder_of(&entry), entry.revision),
        Ok(None) => link.lease_read(None, 0),
        Err(e) => tracing::debug!(error = %e, "edge: the ingest lease cannot be read"),
    }
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
