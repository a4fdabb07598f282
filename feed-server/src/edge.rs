//! The edge role (`serve --role edge --nats URL`, docs/scaling.md): a node
//! that polls nothing and serves the boards the ingest node publishes on
//! NATS JetStream ([`crate::ingest`]).
//!
//! At its first connection to NATS it reads the stream's last stretch (an
//! ordered consumer of every station's subject, from [`SNAPSHOT_AGE`] plus
//! the replay log's age back): each station's board from its last snapshot
//! there, and the deltas after it into the replay log, so that a client
//! that was on another edge resumes here with `since`; a station with no
//! snapshot in that stretch gets its whole board from the key-value bucket.
//! Then it feeds every new message to its hub. At the next connections it
//! reads the stream on from the last message it applied, so that every
//! delta reaches its clients one by one; only when that stream is gone
//! (NATS came back with an empty store, or the messages are past its 24 h)
//! does it start again the same way
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
//! no board moves, and `/healthz` says so. And it watches its consumer: on
//! a NATS cluster, the server the consumer lives on may die while the edge
//! stays connected to another; when the stream holds messages past the
//! last one read and none comes for a few seconds, the session ends and
//! the next one reads on from there ([`watch`]).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer, kv};
use futures_util::StreamExt as _;
use quai_protocol::{Board, ServerMessage};
use tokio_util::sync::CancellationToken;

use crate::hub::{Hub, Received};
use crate::id::StationId;
use crate::ingest::{BUCKET, SNAPSHOT_AGE, STREAM, subject};

pub mod exports;
mod link;
use link::read_lease;
pub use link::{Link, LinkStatus};

/// Reading the stream's last stretch ends when nothing more was pending,
/// or after this long without a message.
const WARM_QUIET: Duration = Duration::from_secs(5);
/// How long each pull of the edge's consumer waits, which also sets how
/// often the server sends it a heartbeat while nothing comes (half of it).
/// The consumer lives on one NATS server; when that server dies while the
/// edge stays connected to another, the client library makes a new
/// consumer after two missed checks of twice the heartbeat (about 4 s),
/// from the last message it delivered (or, when it delivered none, from
/// the stream's first: those the edge has read are skipped). The
/// library's own 30 s pull (15 s heartbeat) would leave the edge's boards
/// still for a minute (found by the drill that kills one server of three).
const PULL_EXPIRES: Duration = Duration::from_secs(2);
/// After this long without a message, each look at the lease also asks
/// the stream how far it goes ([`watch`]).
const WATCH_QUIET: Duration = Duration::from_secs(1);
/// The stream ahead of the last message read this long, with nothing
/// coming: the consumer is lost ([`watch`]).
const STALLED: Duration = Duration::from_secs(3);
/// The first wait before connecting again, doubled up to [`RETRY_MAX`].
const RETRY: Duration = Duration::from_millis(200);
const RETRY_MAX: Duration = Duration::from_secs(5);

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
    #[error(
        "the stream holds messages up to {last}, none after {read} came for {STALLED:?}: the consumer is lost"
    )]
    Stalled { read: u64, last: u64 },
}

/// What an edge follows, and where it keeps it.
pub struct Follow {
    pub hub: Arc<Hub>,
    pub stations: Vec<StationId>,
    /// The NATS server, or a cluster's servers comma-separated.
    pub url: String,
    pub link: Arc<Link>,
    /// How far back the replay log keeps deltas (`[stream]
    /// replay_minutes`).
    pub replay_age: Duration,
}

/// Feeds the hub with the boards published on NATS until `cancel` fires,
/// reconnecting whenever NATS is gone.
pub async fn run(follow: Follow, cancel: CancellationToken) {
    let link = follow.link.clone();
    let mut retry = RETRY;
    let mut position = None;
    // Whether a session has read the stream's last stretch to its end:
    // until then the hub stays closed (its boards are older than clients').
    let mut warmed = false;
    follow.hub.set_open(false);
    loop {
        let outcome = tokio::select! {
            () = cancel.cancelled() => break,
            outcome = session(&follow, &mut retry, &mut position, &mut warmed) => outcome,
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
/// still holds it, else from its last stretch (then the bucket for the
/// stations still without a board); applies messages until an error.
async fn session(
    follow: &Follow,
    retry: &mut Duration,
    position: &mut Option<Position>,
    warmed: &mut bool,
) -> Result<(), EdgeError> {
    let Follow {
        hub,
        stations,
        url,
        link,
        replay_age,
    } = follow;
    let (client, mut events) = link::connect(url)
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
        .filter(|p| {
            p.created == created
                && p.sequence + 1 >= info.state.first_sequence
                && p.sequence <= info.state.last_sequence
        })
        .map(|p| p.sequence + 1);
    let deliver_policy = match resume {
        Some(start_sequence) => consumer::DeliverPolicy::ByStartSequence { start_sequence },
        None => chrono::Duration::from_std(SNAPSHOT_AGE.saturating_add(*replay_age))
            .ok()
            .and_then(|back| chrono::Utc::now().checked_sub_signed(back))
            .map_or(consumer::DeliverPolicy::All, |start_time| {
                consumer::DeliverPolicy::ByStartTime { start_time }
            }),
    };
    let consumer = stream.create_consumer(consumer::pull::OrderedConfig {
        filter_subject: subject("*"),
        deliver_policy,
        max_expires: PULL_EXPIRES,
        ..Default::default()
    });
    // Within node::ANSWER_WITHIN: a consumer placed on a NATS server that
    // died a moment ago never answers, and the next try is placed anew.
    let consumer = consumer
        .await
        .map_err(|e| EdgeError::JetStream(format!("consumer: {e}")))?;
    // The last message of the stream this consumer has read (its start, less one).
    let mut read = consumer.cached_info().delivered.stream_sequence;
    let mut behind: Option<(u64, Instant)> = None;
    // Reading the last stretch until nothing was pending: a delta before a
    // station's first snapshot there has no board to apply to.
    // Reading a stretch (not yet read to its end, or a new stream) until
    // nothing is pending: a delta before a station's first snapshot there
    // has no board to apply to.
    let mut warming = (resume.is_none() || !*warmed) && consumer.cached_info().num_pending > 0;
    let mut messages = consumer
        .messages()
        .await
        .map_err(|e| EdgeError::JetStream(format!("consumer: {e}")))?;
    let boards = js
        .get_key_value(BUCKET)
        .await
        .map_err(|e| EdgeError::JetStream(format!("bucket {BUCKET}: {e}")))?;
    // The stations the stretch has no board of, from the bucket (a
    // message published meanwhile is both in the bucket's board and among
    // the messages, where the hub finds it old news).
    if !warming {
        catch_up_missing(hub, &boards, stations).await?;
        *warmed = true;
        hub.set_open(true);
    }
    tracing::info!(url, "edge: following the boards on NATS");
    link.connected.store(true, Ordering::Relaxed);
    *retry = RETRY;
    let mut lease_bucket = None;
    let mut lease_tick = tokio::time::interval(crate::lease::RENEW);
    lease_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut quiet_since = Instant::now();
    let mut lease_read = Instant::now();
    let mut announcements = js
        .client()
        .subscribe(crate::ingest::announce_subject("*"))
        .await
        .map_err(|e| EdgeError::JetStream(format!("announcements: {e}")))?;
    loop {
        let message = tokio::select! {
            // In this order: the rare events and announcements, then the
            // messages, and only then the tick, which must not judge the
            // consumer lost while its messages wait (the lease is also
            // read between messages when a backlog holds the tick off).
            biased;
            event = events.recv() => match event {
                Some(async_nats::Event::Disconnected | async_nats::Event::Closed) | None => {
                    return Err(EdgeError::Disconnected);
                }
                Some(_) => continue,
            },
            Some(announce) = announcements.next() => {
                announced(hub, &announce.payload);
                continue;
            }
            message = messages.next() => message,
            _ = lease_tick.tick() => {
                read_lease(&js, &mut lease_bucket, link).await;
                lease_read = Instant::now();
                // What was pending is gone (past the stream's age, say):
                // the stretch is read.
                if warming && quiet_since.elapsed() > WARM_QUIET {
                    warming = false;
                    catch_up_missing(hub, &boards, stations).await?;
                    *warmed = true;
                    hub.set_open(true);
                }
                if quiet_since.elapsed() > WATCH_QUIET {
                    watch(&stream, read, &mut behind).await?;
                }
                continue;
            }
        };
        let Some(message) = message else { break };
        quiet_since = Instant::now();
        behind = None;
        if lease_read.elapsed() > 2 * crate::lease::RENEW {
            // Bounded: the messages must not wait on an election.
            let read = read_lease(&js, &mut lease_bucket, link);
            let _ = tokio::time::timeout(crate::lease::RENEW / 2, read).await;
            lease_read = Instant::now();
        }
        let message = message.map_err(|e| EdgeError::JetStream(e.to_string()))?;
        let (sequence, pending) = message
            .info()
            .ok()
            .map(|info| (info.stream_sequence, info.pending))
            .unzip();
        link.pending.store(pending.unwrap_or(0), Ordering::Relaxed);
        link.received.fetch_add(1, Ordering::Relaxed);
        *link.last_message.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
        // A consumer the client library made anew before this session read
        // anything starts at the stream's first message: what was read is
        // not applied again.
        let new = sequence.is_none_or(|s| s > read);
        if new {
            match serde_json::from_slice::<ServerMessage>(&message.payload) {
                Ok(parsed) => apply(hub, &boards, &parsed, &message.payload, warming).await?,
                Err(_) => {
                    tracing::warn!(subject = %message.subject, "edge: not a board message; skipped");
                }
            }
        }
        if warming && pending == Some(0) {
            warming = false;
            catch_up_missing(hub, &boards, stations).await?;
            *warmed = true;
            hub.set_open(true);
        }
        if let Some(sequence) = sequence.filter(|_| new) {
            read = sequence;
            *position = Some(Position {
                created: created.clone(),
                sequence,
            });
        }
    }
    Err(EdgeError::Ended)
}

/// Ends the session when the stream has held messages after the last one
/// read (`read`) for [`STALLED`] without any coming: the edge's consumer
/// is gone with the NATS server it lived on (nats-server 2.9 may even make
/// the library's replacement there again, where it never answers). A new
/// session makes a new one from the last message read. `behind` keeps
/// when the stream was first seen ahead of `read`; a stream that cannot be
/// asked right now (a leader being elected) proves nothing.
async fn watch(
    stream: &jetstream::stream::Stream,
    read: u64,
    behind: &mut Option<(u64, Instant)>,
) -> Result<(), EdgeError> {
    let Ok(info) = stream.get_info().await else {
        *behind = None;
        return Ok(());
    };
    let last = info.state.last_sequence;
    if last <= read {
        *behind = None;
        return Ok(());
    }
    match behind {
        Some((at, since)) if *at == read => {
            if since.elapsed() >= STALLED {
                return Err(EdgeError::Stalled { read, last });
            }
        }
        _ => *behind = Some((read, Instant::now())),
    }
    Ok(())
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

/// Applies one message. A delta that does not follow the board held makes
/// the station's board be read from the bucket again; not while reading
/// the stream's last stretch (`warming`), where a station's deltas before
/// its first snapshot there have no board to follow.
async fn apply(
    hub: &Hub,
    boards: &kv::Store,
    parsed: &ServerMessage,
    payload: &[u8],
    warming: bool,
) -> Result<(), EdgeError> {
    let bytes = axum::body::Bytes::copy_from_slice(payload);
    if let Received::Gap { held } = hub.receive(parsed, bytes.clone())
        && (held.is_some() || !warming)
        && let ServerMessage::Delta(delta) = parsed
    {
        tracing::info!(station = %delta.station, ?held, seq = delta.seq, "edge: a gap; reading the board again");
        catch_up(hub, boards, &delta.station).await?;
        hub.receive(parsed, bytes);
    }
    Ok(())
}

/// Reads from the bucket the boards of the stations the hub has none of.
async fn catch_up_missing(
    hub: &Hub,
    boards: &kv::Store,
    stations: &[StationId],
) -> Result<(), EdgeError> {
    for station in stations {
        if !hub.has_board(station.as_str()) {
            catch_up(hub, boards, station.as_str()).await?;
        }
    }
    Ok(())
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
