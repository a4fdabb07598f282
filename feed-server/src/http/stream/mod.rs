//! `GET /v1/stream`: the live boards over WebSocket (JSON text frames).
//!
//! A connection subscribes to stations; the hub queues a snapshot (or a replay of
//! the deltas after `since`) and then every delta into the connection's bounded
//! queue, and this task writes them out. It also sends a heartbeat per subscribed
//! station and a WebSocket ping every `heartbeat_s`, and closes connections that
//! stop answering, break the protocol or flood it.
//!
//! Close codes: 1000 normal, 1001 server shutting down or peer silent, 1003 binary
//! frame, 1007 invalid JSON, 1008 unknown op / invalid message / flood, 1009 frame
//! over 64 KiB, 4008 too slow (the queue filled, or a write took longer than
//! `write_timeout_s`: subscribe again with `since`).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::response::Response;
use futures_util::SinkExt as _;
use futures_util::stream::{SplitSink, StreamExt as _};
use quai_protocol::{ClientMessage, ServerMessage};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use crate::accept::{Hold, Remote};
use crate::config::StreamSettings;
use crate::hub::{Hub, Outgoing, SubscribeError, Subscriber, TooSlow, now_micros};
use crate::metrics::Metrics;
pub use messages::read_frame;
use messages::{error, only_languages};

mod messages;
mod socket;

use socket::Socket;

/// Largest client frame accepted; larger ones get an error and a close.
pub const MAX_CLIENT_FRAME: usize = 64 * 1024;

static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);

/// What a stream connection reads and moves.
#[derive(Debug, Clone)]
pub struct StreamState {
    pub hub: Arc<Hub>,
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

type Sink = SplitSink<Socket, Message>;

struct Connection {
    id: u64,
    state: StreamState,
    sink: Sink,
    queue: mpsc::Sender<Arc<Outgoing>>,
    too_slow: Arc<TooSlow>,
    /// Station -> requested languages (None: all).
    subscriptions: HashMap<String, Option<Vec<String>>>,
}

async fn connection(socket: Socket, state: StreamState, id: u64) {
    let settings = state.settings;
    let (sink, mut incoming) = socket.split();
    let (queue, mut outgoing) = mpsc::channel(settings.queue);
    let mut conn = Connection {
        id,
        state: state.clone(),
        sink,
        queue,
        too_slow: Arc::new(TooSlow::default()),
        subscriptions: HashMap::new(),
    };
    state
        .metrics
        .stream_connections
        .fetch_add(1, Ordering::Relaxed);
    let mut beat = tokio::time::interval(settings.heartbeat);
    beat.tick().await;
    let mut last_heard = Instant::now();
    let mut window = (Instant::now(), 0u32);
    let too_slow = conn.too_slow.clone();

    let close: Option<Close> = loop {
        // Biased, in this order: shutdown and "too slow" win over more writes (once
        // the hub has dropped this connection, or a write timed out, every further
        // write would wait `write_timeout` again on a peer that does not read); the
        // heartbeat, ready once per `heartbeat_s`, is never starved by a busy queue
        // (or a live client would miss its pings and be taken for dead); then
        // client messages (bounded by the rate limit), then the queue.
        tokio::select! {
            biased;
            () = state.shutdown.cancelled() => break Some(Close { code: 1001, reason: "server shutting down", error: None }),
            () = too_slow.raised() => break too_slow_close(&too_slow),
            _ = beat.tick() => {
                if last_heard.elapsed() > settings.heartbeat * 3 {
                    break Some(Close { code: 1001, reason: "no answer to pings", error: None });
                }
                if !conn.heartbeats().await {
                    break too_slow_close(&too_slow);
                }
            }
            frame = incoming.next() => {
                let frame = match frame {
                    Some(Ok(frame)) => frame,
                    Some(Err(e)) if too_long(&e) => break Some(Close::with_error(1009, "frame too large",
                        "frame_too_large", format!("client messages are limited to {MAX_CLIENT_FRAME} bytes"))),
                    _ => break None,
                };
                last_heard = Instant::now();
                if window.0.elapsed() >= Duration::from_secs(1) {
                    window = (Instant::now(), 0);
                }
                window.1 += 1;
                if window.1 > settings.max_messages_per_s {
                    break Some(Close::with_error(1008, "too many messages", "rate_limited", format!(
                        "more than {} messages per second", settings.max_messages_per_s)));
                }
                match frame {
                    Message::Text(text) => {
                        if let Some(close) = conn.handle(text.as_str()).await {
                            break Some(close);
                        }
                    }
                    Message::Binary(_) => break Some(Close::with_error(1003, "binary frames are not supported",
                        "binary_frame", "send JSON text frames".into())),
                    Message::Close(_) => break None,
                    Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
                }
            }
            out = outgoing.recv() => {
                let Some(out) = out else { break None };
                if !conn.send_outgoing(&out).await {
                    break too_slow_close(&too_slow);
                }
            }
        }
    };

    for station in conn.subscriptions.keys() {
        state.hub.unsubscribe(station, conn.id);
    }
    if too_slow.is_raised() {
        state.hub.count_slow();
    }
    if let Some(close) = close {
        tracing::debug!(code = close.code, reason = close.reason, "closing");
        if let Some((code, message)) = close.error {
            let _ = conn.send(&error(code, message)).await;
        }
        let frame = Message::Close(Some(CloseFrame {
            code: CloseCode::from(close.code),
            reason: close.reason.into(),
        }));
        let _ = tokio::time::timeout(settings.write_timeout, conn.sink.send(frame)).await;
        if close.code == 1009 {
            // The rest of the oversized message was never read: closing the socket
            // now would reset it, and a reset can destroy the error and the close
            // before the client reads them. Give the client a moment.
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    state
        .metrics
        .stream_connections
        .fetch_sub(1, Ordering::Relaxed);
}

/// Whether a read failed because the client's message grew past the limit.
fn too_long(e: &tokio_tungstenite::tungstenite::Error) -> bool {
    matches!(e, tokio_tungstenite::tungstenite::Error::Capacity(_))
}

/// How a connection ends after a failed write: "too slow" (4008) when the write
/// timed out or the hub dropped it, else it just ends (the peer is gone).
fn too_slow_close(too_slow: &TooSlow) -> Option<Close> {
    too_slow.is_raised().then_some(Close {
        code: 4008,
        reason: "too slow: subscribe again with since",
        error: None,
    })
}

impl Connection {
    /// Handles one client message; returns how to close if it ends the connection.
    async fn handle(&mut self, text: &str) -> Option<Close> {
        let message = match read_frame(text) {
            Ok(m) => m,
            Err(close) => return Some(close),
        };
        match message {
            ClientMessage::Subscribe {
                station,
                since,
                lang,
            } => {
                let subscriber = Subscriber {
                    connection: self.id,
                    queue: self.queue.clone(),
                    too_slow: self.too_slow.clone(),
                };
                // Register the languages first: the snapshot is already queued when
                // subscribe returns.
                self.subscriptions.insert(station.clone(), lang);
                match self.state.hub.subscribe(&station, since, subscriber) {
                    Ok(start) => {
                        self.record_stations();
                        tracing::debug!(%station, ?since, ?start, "subscribed");
                        None
                    }
                    Err(SubscribeError::UnknownStation(_)) => {
                        self.subscriptions.remove(&station);
                        let e = error(
                            "unknown_station",
                            format!(
                                "no station has the id `{station}`; GET /v1/stations lists them"
                            ),
                        );
                        (!self.send(&e).await).then(|| self.write_failed())
                    }
                    Err(SubscribeError::QueueFull) => {
                        self.too_slow.raise();
                        Some(Close {
                            code: 4008,
                            reason: "too slow: subscribe again with since",
                            error: None,
                        })
                    }
                }
            }
            ClientMessage::Unsubscribe { station } => {
                self.state.hub.unsubscribe(&station, self.id);
                self.subscriptions.remove(&station);
                self.record_stations();
                None
            }
            ClientMessage::Ping => {
                let beat = ServerMessage::Heartbeat {
                    station: None,
                    seq: None,
                    server_time: now_micros(),
                };
                (!self.send(&beat).await).then(|| self.write_failed())
            }
        }
    }

    /// Writes the subscribed stations into the connection's span.
    fn record_stations(&self) {
        let mut stations: Vec<&str> = self.subscriptions.keys().map(String::as_str).collect();
        stations.sort_unstable();
        tracing::Span::current().record("stations", stations.join(",").as_str());
    }

    /// How to close after a reply could not be written: "too slow" when the write
    /// timed out, else 1001.
    fn write_failed(&self) -> Close {
        too_slow_close(&self.too_slow).unwrap_or(Close {
            code: 1001,
            reason: "write failed",
            error: None,
        })
    }

    /// A heartbeat per subscribed station, and a WebSocket ping.
    async fn heartbeats(&mut self) -> bool {
        let stations: Vec<String> = self.subscriptions.keys().cloned().collect();
        for station in stations {
            let seq = self.state.hub.current(&station).map(|b| b.wire.seq);
            let beat = ServerMessage::Heartbeat {
                station: Some(station),
                seq,
                server_time: now_micros(),
            };
            if !self.send(&beat).await {
                return false;
            }
        }
        self.write(Message::Ping(Default::default())).await
    }

    /// Writes a queued hub message, in the subscriber's languages.
    async fn send_outgoing(&mut self, out: &Outgoing) -> bool {
        match self.subscriptions.get(out.station.as_str()) {
            // Unsubscribed since it was queued.
            None => true,
            Some(None) => self.write_text(out.json.clone()).await,
            Some(Some(langs)) => {
                let filtered = only_languages(&out.message, langs);
                self.send(&filtered).await
            }
        }
    }

    async fn send(&mut self, message: &ServerMessage) -> bool {
        match serde_json::to_string(message) {
            Ok(json) => self.write_text(Bytes::from(json)).await,
            Err(_) => false,
        }
    }

    async fn write_text(&mut self, json: Bytes) -> bool {
        let len = json.len() as u64;
        let mut ok = true;
        for frame in socket::text_frames(json) {
            ok = ok && self.write(frame).await;
        }
        if ok {
            Metrics::count(&self.state.metrics.stream_messages);
            self.state
                .metrics
                .stream_bytes
                .fetch_add(len, Ordering::Relaxed);
        }
        ok
    }

    /// A write that may not take longer than `write_timeout`: a client that stopped
    /// reading must not hold its task forever. Timing out counts as too slow, like a
    /// full queue.
    async fn write(&mut self, message: Message) -> bool {
        let timeout = self.state.settings.write_timeout;
        match tokio::time::timeout(timeout, self.sink.send(message)).await {
            Ok(Ok(())) => true,
            Ok(Err(_)) => false,
            Err(_) => {
                self.too_slow.raise();
                false
            }
        }
    }
}
