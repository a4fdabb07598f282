//! Versioned per-station state and fan-out to stream subscribers.
//!
//! For each station the hub keeps the last published board (the server's
//! [`model::Board`] and, converted once, the wire's [`Board`]), its `seq`, a
//! bounded log of the deltas that led to it (for resuming with `since`), and the
//! subscribers' queues. Publishing builds the board under the station's lock, so
//! boards are numbered in the order they were made; a board equal in content to the
//! last one publishes nothing.
//!
//! # Slow consumers
//!
//! Each connection has a bounded queue (`[stream] queue`, 256 messages). The hub
//! never waits for a subscriber: it `try_send`s, and a subscriber whose queue is
//! full is dropped on the spot and told why when its connection closes (close code
//! 4008, "too slow"), so that it can come back with `since` and get a replay or a
//! snapshot. One stuck client therefore costs at most its own queue and never
//! delays the others, the same policy as a bounded broadcast channel whose laggards
//! are cut off.
//!
//! `seq` starts from the server's start time in milliseconds, so numbers keep
//! growing across restarts and a client's old `since` never lands in a new log.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use chrono::{SecondsFormat, Utc};
use quai_protocol::{Board, ServerMessage, diff};
use tokio::sync::mpsc;

use crate::board::model;
use crate::id::StationId;

mod receive;
mod renumber;
mod subscribers;

pub use receive::Received;
pub use subscribers::Subscribers;

/// A message on its way to subscribers, serialised once for all of them: the
/// frame payload is reference-counted, so fan-out to thousands of connections
/// copies no bytes.
#[derive(Debug)]
pub struct Outgoing {
    /// What it is about: a station's id, or `trip:{run}` for a followed trip.
    pub topic: String,
    pub message: ServerMessage,
    /// Its JSON (UTF-8), shared by every connection that sends it.
    pub json: Bytes,
    /// The same as the stream writes it (a WebSocket frame), made by the first
    /// connection that sends it and shared by the others.
    pub frame: OnceLock<Bytes>,
}

impl Outgoing {
    pub fn new(topic: &str, message: ServerMessage) -> Outgoing {
        // Serialising plain data into a String cannot fail.
        let json = serde_json::to_string(&message).unwrap_or_default();
        Outgoing::with_json(topic, message, json.into())
    }

    /// A message whose JSON was made elsewhere (an edge node sends the
    /// ingest node's bytes, `server_time` included, as they came).
    pub fn with_json(topic: &str, message: ServerMessage, json: Bytes) -> Outgoing {
        Outgoing {
            topic: topic.to_string(),
            message,
            json,
            frame: OnceLock::new(),
        }
    }
}

/// Raised by the hub when it drops a connection whose queue was full, or by the
/// connection itself when a write took longer than `write_timeout_s`.
#[derive(Debug, Default)]
pub struct TooSlow {
    flag: AtomicBool,
    notify: tokio::sync::Notify,
}

impl TooSlow {
    pub fn raise(&self) {
        self.flag.store(true, Ordering::Relaxed);
        self.notify.notify_one();
    }

    pub fn is_raised(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }

    /// Completes once raised.
    pub async fn raised(&self) {
        if !self.is_raised() {
            self.notify.notified().await;
        }
    }
}

/// Connection numbers from here on are the server's own subscribers (the
/// board archive), not clients: left out of counts.
pub const INTERNAL: u64 = u64::MAX - 15;

/// The sending side of a connection's queue, as the hub holds it.
#[derive(Debug, Clone)]
pub struct Subscriber {
    pub connection: u64,
    pub queue: mpsc::Sender<Arc<Outgoing>>,
    pub too_slow: Arc<TooSlow>,
}

#[cfg(test)]
impl Subscriber {
    /// A subscriber for tests, with its queue of `capacity` and the
    /// receiving end.
    pub fn for_test(
        connection: u64,
        capacity: usize,
    ) -> (Subscriber, mpsc::Receiver<Arc<Outgoing>>) {
        let (queue, inbox) = mpsc::channel(capacity);
        let subscriber = Subscriber {
            connection,
            queue,
            too_slow: Arc::new(TooSlow::default()),
        };
        (subscriber, inbox)
    }
}

/// How a subscription started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    Snapshot,
    /// `since` was found in the log: this many deltas were replayed.
    Replayed(usize),
    /// `since` is the current seq: nothing to send.
    UpToDate,
}

#[derive(Debug, thiserror::Error)]
pub enum SubscribeError {
    #[error("no station has the id `{0}`")]
    UnknownStation(String),
    #[error("the connection's queue is full")]
    QueueFull,
    /// An edge node that has not received the station's first board.
    #[error("no board of `{0}` has arrived yet")]
    NoBoardYet(String),
}

/// Replay log limits (`[stream] replay_deltas`, `replay_minutes`).
#[derive(Debug, Clone, Copy)]
pub struct ReplayLimits {
    pub deltas: usize,
    pub age: Duration,
}

impl ReplayLimits {
    /// Logs `out` for replays, and forgets what is past the limits.
    pub fn keep(&self, log: &mut VecDeque<(Instant, Arc<Outgoing>)>, out: &Arc<Outgoing>) {
        let now = Instant::now();
        log.push_back((now, out.clone()));
        while log.len() > self.deltas
            || log
                .front()
                .is_some_and(|(t, _)| now.duration_since(*t) > self.age)
        {
            log.pop_front();
        }
    }
}

/// A published board: as the server made it, and as clients read it.
#[derive(Debug, Clone)]
pub struct Published {
    /// None on an edge node, which receives the wire's board only
    /// ([`Hub::receive`]).
    pub model: Option<Arc<model::Board>>,
    pub wire: Arc<Board>,
    /// Its JSON as REST serves it, per `limit`, made by the first request that
    /// asks: every later request for this board gets the same bytes.
    pub json: Arc<Mutex<Vec<(usize, axum::body::Bytes)>>>,
}

impl Published {
    fn new(model: model::Board, wire: Board) -> Published {
        Published {
            model: Some(Arc::new(model)),
            wire: Arc::new(wire),
            json: Arc::default(),
        }
    }

    /// The JSON of its first `limit` departures (serialised once per limit).
    pub fn json(&self, limit: usize) -> Result<axum::body::Bytes, serde_json::Error> {
        let mut cache = self.json.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, bytes)) = cache.iter().find(|(l, _)| *l == limit) {
            return Ok(bytes.clone());
        }
        let whole = limit >= self.wire.departures.len() && limit >= self.wire.arrivals.len();
        let bytes: axum::body::Bytes = if whole {
            serde_json::to_vec(&*self.wire)?
        } else {
            let mut board = (*self.wire).clone();
            board.departures.truncate(limit);
            board.arrivals.truncate(limit);
            serde_json::to_vec(&board)?
        }
        .into();
        cache.push((limit, bytes.clone()));
        Ok(bytes)
    }
}

#[derive(Debug, Default)]
struct Channel {
    board: Option<Published>,
    /// What the board was built from (see [`Hub::publish_with`]).
    built_from: Option<u64>,
    log: VecDeque<(Instant, Arc<Outgoing>)>,
    subscribers: Subscribers,
    /// The last snapshot sent, shared by every connection that subscribes to
    /// the same board within [`SNAPSHOT_REUSE`] (a reconnect storm after a
    /// restart makes a few snapshots, not one per client).
    snapshot: Option<(Instant, Arc<Outgoing>)>,
}

/// How long a snapshot is shared: its `server_time` is never older than this.
const SNAPSHOT_REUSE: Duration = Duration::from_secs(1);

/// Counters the stream reports in `/metrics`.
#[derive(Debug, Default)]
pub struct HubCounters {
    pub published: AtomicU64,
    pub dropped_slow: AtomicU64,
    pub replay_hits: AtomicU64,
    pub replay_misses: AtomicU64,
}

#[derive(Debug)]
pub struct Hub {
    channels: HashMap<StationId, Mutex<Channel>>,
    first_seq: u64,
    limits: ReplayLimits,
    pub counters: HubCounters,
    /// Whether boards are served: an edge closes its hub while it reads the
    /// stream's last stretch, whose boards are older than the clients'
    /// (see [`Hub::receive`]).
    open: AtomicBool,
}

impl Hub {
    pub fn new(stations: impl IntoIterator<Item = StationId>, limits: ReplayLimits) -> Hub {
        let first_seq = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(1);
        Hub {
            channels: stations
                .into_iter()
                .map(|s| (s, Mutex::new(Channel::default())))
                .collect(),
            first_seq,
            limits,
            counters: HubCounters::default(),
            open: AtomicBool::new(true),
        }
    }

    fn channel(&self, station: &str) -> Option<std::sync::MutexGuard<'_, Channel>> {
        // A poisoned lock means a panic in a short critical section that only swaps
        // whole values; the data is still consistent.
        self.channels
            .get(station)
            .map(|c| c.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Builds the station's board with `build` and publishes it if it differs from the
    /// last one; returns the board as published (the wire's carries its `seq`).
    /// `inputs` names what the board is built from (the stores' versions and
    /// the second): when the last board was built from the same, it is returned
    /// as it is, without building (a REST request costs a lookup, not a build).
    pub fn publish_with(
        &self,
        station: &str,
        inputs: u64,
        build: impl FnOnce() -> model::Board,
    ) -> Option<Published> {
        let mut channel = self.channel(station)?;
        if channel.built_from == Some(inputs)
            && let Some(last) = &channel.board
        {
            return Some(last.clone());
        }
        channel.built_from = Some(inputs);
        let board = build();
        let Some(last) = channel.board.clone() else {
            let wire = board.to_wire(self.first_seq);
            let published = Published::new(board, wire);
            channel.board = Some(published.clone());
            return Some(published);
        };
        if last.model.as_ref().is_some_and(|m| m.same_content(&board)) {
            return Some(last);
        }
        let seq = last.wire.seq + 1;
        let wire = board.to_wire(seq);
        if same_content(&last.wire, &wire) {
            return Some(last);
        }
        let published = Published::new(board, wire);
        let delta = diff(&last.wire, &published.wire, now_micros());
        let out = Arc::new(Outgoing::new(station, ServerMessage::Delta(delta)));
        self.limits.keep(&mut channel.log, &out);
        channel.subscribers.fan_out(&out);
        channel.board = Some(published.clone());
        self.counters.published.fetch_add(1, Ordering::Relaxed);
        Some(published)
    }

    /// The last published board of a station.
    pub fn current(&self, station: &str) -> Option<Published> {
        if !self.open.load(Ordering::Relaxed) {
            return None;
        }
        self.channel(station)?.board.clone()
    }

    /// The station's board now, and the newest one published at least
    /// `grace` ago (by `seq`): a screen drawing an older one than that is
    /// behind. Read from the replay log; with nothing that old in it, the
    /// board before its oldest change.
    pub fn settled(&self, station: &str, grace: Duration) -> Option<(u64, u64)> {
        let channel = self.channel(station)?;
        let now = channel.board.as_ref()?.wire.seq;
        let deltas = || {
            channel.log.iter().filter_map(|(at, o)| match &o.message {
                ServerMessage::Delta(d) => Some((*at, d)),
                _ => None,
            })
        };
        let settled = deltas()
            .filter(|(at, _)| at.elapsed() >= grace)
            .map(|(_, d)| d.seq)
            .max()
            .or_else(|| deltas().next().map(|(_, d)| d.prev_seq))
            .unwrap_or(now);
        Some((now, settled))
    }

    /// Registers `subscriber` for `station` and queues, under the same lock as
    /// publishing (so nothing is missed or doubled), the replay after `since` when the
    /// log still holds it, else a snapshot.
    pub fn subscribe(
        &self,
        station: &str,
        since: Option<u64>,
        subscriber: Subscriber,
    ) -> Result<Start, SubscribeError> {
        let mut channel = self
            .channel(station)
            .ok_or_else(|| SubscribeError::UnknownStation(station.to_string()))?;
        let Some(Published { wire: board, .. }) = channel
            .board
            .clone()
            .filter(|_| self.open.load(Ordering::Relaxed))
        else {
            return Err(SubscribeError::NoBoardYet(station.to_string()));
        };
        let start = match since {
            Some(s) if s == board.seq => Start::UpToDate,
            Some(s) if s < board.seq => {
                let replay: Vec<Arc<Outgoing>> = channel
                    .log
                    .iter()
                    .filter_map(|(_, o)| match &o.message {
                        ServerMessage::Delta(d) if d.seq > s => Some(o.clone()),
                        _ => None,
                    })
                    .collect();
                let starts_right = replay.first().is_some_and(
                    |o| matches!(&o.message, ServerMessage::Delta(d) if d.prev_seq == s),
                );
                // A replay that would not fit the connection's queue would end in a
                // "too slow" close, and the same resume again: a snapshot instead.
                let fits = replay.len() < subscriber.queue.capacity();
                if starts_right && fits {
                    for o in &replay {
                        subscriber
                            .queue
                            .try_send(o.clone())
                            .map_err(|_| SubscribeError::QueueFull)?;
                    }
                    Start::Replayed(replay.len())
                } else {
                    Start::Snapshot
                }
            }
            _ => Start::Snapshot,
        };
        match start {
            Start::Snapshot => {
                if since.is_some() {
                    self.counters.replay_misses.fetch_add(1, Ordering::Relaxed);
                }
                let now = Instant::now();
                let snapshot = match &channel.snapshot {
                    Some((made, out))
                        if now.duration_since(*made) < SNAPSHOT_REUSE
                            && matches!(&out.message, ServerMessage::Snapshot { seq, .. } if *seq == board.seq) =>
                    {
                        out.clone()
                    }
                    _ => {
                        let message = ServerMessage::Snapshot {
                            station: station.to_string(),
                            seq: board.seq,
                            board: (*board).clone(),
                            server_time: now_micros(),
                        };
                        let out = Arc::new(Outgoing::new(station, message));
                        channel.snapshot = Some((now, out.clone()));
                        out
                    }
                };
                subscriber
                    .queue
                    .try_send(snapshot)
                    .map_err(|_| SubscribeError::QueueFull)?;
            }
            Start::Replayed(_) | Start::UpToDate => {
                self.counters.replay_hits.fetch_add(1, Ordering::Relaxed);
            }
        }
        channel.subscribers.insert(subscriber);
        Ok(start)
    }

    pub fn unsubscribe(&self, station: &str, connection: u64) {
        if let Some(mut channel) = self.channel(station) {
            channel.subscribers.remove(connection);
        }
    }

    /// Sends `message` (an `announce`) to the station's subscribers now, under
    /// the same slow-consumer rule as deltas; it is not kept for replay (it is
    /// for now, not for later). Returns how many connections it was queued on,
    /// or None for an unknown station.
    pub fn send_now(&self, station: &StationId, message: ServerMessage) -> Option<usize> {
        let mut channel = self.channel(station.as_str())?;
        let out = Arc::new(Outgoing::new(station.as_str(), message));
        channel.subscribers.fan_out(&out);
        Some(
            channel
                .subscribers
                .iter()
                .filter(|s| s.connection < INTERNAL)
                .count(),
        )
    }

    /// Subscribers per station, for `/metrics`.
    pub fn subscriber_counts(&self) -> Vec<(StationId, usize)> {
        let mut out: Vec<(StationId, usize)> = self
            .channels
            .keys()
            .map(|s| {
                (
                    s.clone(),
                    self.channel(s.as_str()).map_or(0, |c| {
                        c.subscribers
                            .iter()
                            .filter(|s| s.connection < INTERNAL)
                            .count()
                    }),
                )
            })
            .collect();
        out.sort();
        out
    }

    /// Counts a subscriber dropped for slowness (the connection reports it).
    pub fn count_slow(&self) {
        self.counters.dropped_slow.fetch_add(1, Ordering::Relaxed);
    }
}

/// RFC 3339 UTC with microseconds: the `server_time` of stream messages
/// (milliseconds were too coarse to measure a delivery on this machine's
/// loopback, which takes well under one).
pub fn now_micros() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Whether two boards, as clients read them, show passengers the same thing.
fn same_content(a: &Board, b: &Board) -> bool {
    a.departures == b.departures
        && a.arrivals == b.arrivals
        && a.notices == b.notices
        && a.advisories == b.advisories
        && a.wifi == b.wifi
        && a.next_service == b.next_service
        && a.emergency == b.emergency
        && a.facilities == b.facilities
        && a.feeds
            .iter()
            .map(|f| (&f.id, f.stale))
            .eq(b.feeds.iter().map(|f| (&f.id, f.stale)))
}
