//! One stream connection's task: what it reads from its client, what it
//! takes from its queue, and the order in which it does both.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use quai_protocol::{ClientMessage, ServerMessage};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use super::messages::{error, only_languages, read_frame};
use super::socket::{self, Socket};
use super::{Close, MAX_CLIENT_FRAME, StreamState};
use crate::config::StreamSettings;
use crate::hub::{Outgoing, SubscribeError, Subscriber, TooSlow, now_micros};
use crate::metrics::Metrics;

pub(super) struct Connection {
    id: u64,
    state: StreamState,
    socket: Socket,
    queue: mpsc::Sender<Arc<Outgoing>>,
    too_slow: Arc<TooSlow>,
    /// Station -> requested languages (None: all).
    subscriptions: HashMap<String, Option<Vec<String>>>,
    last_heard: Instant,
    /// Start of the current one-second window and the messages read in it.
    window: (Instant, u32),
}

/// The connection's task. Its state is built before the future so that the
/// future holds it once (an `async fn` would keep its arguments beside it).
pub(super) fn connection(socket: Socket, state: StreamState, id: u64) -> impl Future<Output = ()> {
    let (queue, mut outgoing) = mpsc::channel(state.settings.queue);
    let mut conn = Connection {
        id,
        state,
        socket,
        queue,
        too_slow: Arc::new(TooSlow::default()),
        subscriptions: HashMap::new(),
        last_heard: Instant::now(),
        window: (Instant::now(), 0),
    };
    // Used in place (moved into locals, they would be held twice).
    async move {
        let metrics = conn.state.metrics.clone();
        metrics.stream_connections.fetch_add(1, Ordering::Relaxed);
        let close = conn.run(&mut outgoing).await;
        // Boxed: the closing steps (and their timers) take no room in the task
        // of every open connection.
        Box::pin(conn.finish(close)).await;
        metrics.stream_connections.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Connection {
    /// Serves the connection until it ends; returns how to close it (None: the
    /// peer is gone, or closed first).
    async fn run(&mut self, outgoing: &mut mpsc::Receiver<Arc<Outgoing>>) -> Option<Close> {
        let StreamSettings {
            heartbeat,
            write_timeout,
            ..
        } = self.state.settings;
        let too_slow = self.too_slow.clone();
        // Made once and kept: each registers its waker once, not on every turn
        // of the loop (10,000 connections re-registering with one shutdown token
        // on every delta contend for its lock).
        let mut stopping = std::pin::pin!(self.state.shutdown.clone().cancelled_owned());
        let mut dropped = std::pin::pin!(too_slow.raised());
        // One timer for both deadlines: the next heartbeat, and the end of the
        // time the socket may stay full.
        let mut next_beat = Instant::now() + heartbeat;
        let mut timer = std::pin::pin!(tokio::time::sleep_until(next_beat.into()));
        loop {
            let unsent = self.socket.unsent();
            let stalled_until = self.socket.stalled_since().map(|t| t + write_timeout);
            let wake = stalled_until.map_or(next_beat, |s| s.min(next_beat));
            if timer.deadline() != wake.into() {
                timer.as_mut().reset(wake.into());
            }
            // Biased, in this order: shutdown and "too slow" win over more writes
            // (once the hub has dropped this connection, or the socket stayed full
            // past `write_timeout`, further writes would only pile up for a peer
            // that does not read); the timers, ready once per `heartbeat_s`, are
            // never starved by a busy queue (or a live client would miss its pings
            // and be taken for dead); then client messages (bounded by the rate
            // limit), then the queue. The queue is read only once the socket has
            // taken everything before: a client that stops reading leaves its
            // queue to fill, and the hub drops it (the slow-consumer policy, `hub`).
            tokio::select! {
                biased;
                () = &mut stopping => return Some(Close { code: 1001, reason: "server shutting down", error: None }),
                () = &mut dropped => return too_slow_close(&too_slow),
                () = &mut timer => {
                    let now = Instant::now();
                    if stalled_until.is_some_and(|s| s <= now) {
                        too_slow.raise();
                        return too_slow_close(&too_slow);
                    }
                    if next_beat <= now {
                        next_beat = now + heartbeat;
                        if self.last_heard.elapsed() > heartbeat * 3 {
                            return Some(Close { code: 1001, reason: "no answer to pings", error: None });
                        }
                        self.heartbeats();
                    }
                }
                // One wait for both directions: writable only matters while
                // frames are waiting.
                ready = self.socket.ready(unsent) => {
                    let Ok(ready) = ready else { return None };
                    if (ready.is_readable() || ready.is_read_closed())
                        && let ControlFlow::Break(close) = self.read_messages()
                    {
                        return close;
                    }
                }
                out = outgoing.recv(), if !unsent => {
                    // The hub never drops the last sender while the connection
                    // holds one: `None` does not happen.
                    let out = out?;
                    self.send_outgoing(&out);
                    // A burst: everything already queued goes out in the same write.
                    for _ in 1..BATCH {
                        let Ok(out) = outgoing.try_recv() else { break };
                        self.send_outgoing(&out);
                    }
                }
            }
            if self.socket.flush().is_err() {
                // The peer is gone.
                return None;
            }
        }
    }

    /// Leaves the hub, then writes what is left: the error and the close, or
    /// the answer to the client's close.
    async fn finish(&mut self, close: Option<Close>) {
        for station in self.subscriptions.keys() {
            match station.strip_prefix("trip:") {
                Some(key) => {
                    if let Some(trips) = &self.state.trips {
                        trips.followed.unsubscribe(key, self.id);
                    }
                }
                None => self.state.hub.unsubscribe(station, self.id),
            }
        }
        if self.too_slow.is_raised() {
            self.state.hub.count_slow();
        }
        if let Some(close) = &close {
            tracing::debug!(code = close.code, reason = close.reason, "closing");
            if let Some((code, message)) = &close.error {
                self.send(&error(code, message.clone()));
            }
            let _ = self.socket.queue_close(close.code, close.reason);
        }
        let timeout = self.state.settings.write_timeout;
        let _ = tokio::time::timeout(timeout, self.socket.flush_all()).await;
        if close.is_some_and(|c| c.code == 1009) {
            // The rest of the oversized message was never read: closing the socket
            // now would reset it, and a reset can destroy the error and the close
            // before the client reads them. Give the client a moment.
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

/// Queued messages written together at most (one `writev`).
const BATCH: usize = 32;

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
    /// Reads and handles every message the client has sent so far; `Break`
    /// ends the connection (with a close, or without when the peer is gone).
    fn read_messages(&mut self) -> ControlFlow<Option<Close>> {
        let settings = self.state.settings;
        loop {
            let message = match self.socket.read() {
                Ok(Some(message)) => message,
                Ok(None) => return ControlFlow::Continue(()),
                Err(e) if too_long(&e) => {
                    return ControlFlow::Break(Some(Close::with_error(
                        1009,
                        "frame too large",
                        "frame_too_large",
                        format!("client messages are limited to {MAX_CLIENT_FRAME} bytes"),
                    )));
                }
                Err(_) => return ControlFlow::Break(None),
            };
            self.last_heard = Instant::now();
            if self.window.0.elapsed() >= Duration::from_secs(1) {
                self.window = (Instant::now(), 0);
            }
            self.window.1 += 1;
            if self.window.1 > settings.max_messages_per_s {
                return ControlFlow::Break(Some(Close::with_error(
                    1008,
                    "too many messages",
                    "rate_limited",
                    format!(
                        "more than {} messages per second",
                        settings.max_messages_per_s
                    ),
                )));
            }
            match message {
                Message::Text(text) => {
                    if let Some(close) = self.handle(text.as_str()) {
                        return ControlFlow::Break(Some(close));
                    }
                }
                Message::Binary(_) => {
                    return ControlFlow::Break(Some(Close::with_error(
                        1003,
                        "binary frames are not supported",
                        "binary_frame",
                        "send JSON text frames".into(),
                    )));
                }
                // Answered by the protocol (into the outbox): written next.
                Message::Close(_) => return ControlFlow::Break(None),
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
            }
        }
    }

    /// Handles one client message; returns how to close if it ends the connection.
    fn handle(&mut self, text: &str) -> Option<Close> {
        let message = match read_frame(text) {
            Ok(m) => m,
            Err(close) => return Some(close),
        };
        // A station or a trip, not both; neither is refused as a message
        // without its station always was.
        let named = match &message {
            ClientMessage::Subscribe { station, trip, .. }
            | ClientMessage::Unsubscribe { station, trip } => station.is_some() != trip.is_some(),
            ClientMessage::Ping => true,
        };
        if !named {
            return Some(Close::with_error(
                1008,
                "invalid message",
                "invalid_message",
                "name a `station` or a `trip` (one of them)".into(),
            ));
        }
        match message {
            ClientMessage::Subscribe {
                trip: Some(trip),
                since,
                lang,
                ..
            } => self.follow(&trip, since, lang),
            ClientMessage::Unsubscribe {
                trip: Some(trip), ..
            } => {
                // By any call's id, as it was followed: the run is the id
                // without its call's sequence.
                let run = |id: &str| id.rsplit_once(':').map_or(id, |(r, _)| r).to_string();
                let asked = run(&trip);
                let followed: Vec<String> = self
                    .subscriptions
                    .keys()
                    .filter_map(|t| t.strip_prefix("trip:"))
                    .filter(|key| run(key) == asked)
                    .map(str::to_string)
                    .collect();
                for key in followed {
                    if let Some(trips) = &self.state.trips {
                        trips.followed.unsubscribe(&key, self.id);
                    }
                    self.subscriptions.remove(&crate::followed::topic(&key));
                }
                self.record_stations();
                None
            }
            ClientMessage::Subscribe {
                station: Some(station),
                since,
                lang,
                ..
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
                        self.send(&e);
                        None
                    }
                    Err(SubscribeError::NoBoardYet(_)) => {
                        self.subscriptions.remove(&station);
                        let e = error(
                            "no_board_yet",
                            format!(
                                "this edge node has not received `{station}`'s first board yet; subscribe again in a few seconds"
                            ),
                        );
                        self.send(&e);
                        None
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
            ClientMessage::Unsubscribe {
                station: Some(station),
                ..
            } => {
                self.state.hub.unsubscribe(&station, self.id);
                self.subscriptions.remove(&station);
                self.record_stations();
                None
            }
            // Refused above.
            ClientMessage::Subscribe { .. } | ClientMessage::Unsubscribe { .. } => None,
            ClientMessage::Ping => {
                let beat = ServerMessage::Heartbeat {
                    station: None,
                    trip: None,
                    seq: None,
                    server_time: now_micros(),
                };
                self.send(&beat);
                None
            }
        }
    }

    /// Follows the run of departure id `trip`: its snapshot (or the replay
    /// after `since`), then its deltas. An id that names no run that day is
    /// answered with an error, as an unknown station is.
    fn follow(
        &mut self,
        trip: &str,
        since: Option<u64>,
        lang: Option<Vec<String>>,
    ) -> Option<Close> {
        let Some(trips) = self.state.trips.clone() else {
            self.send(&error("no_trips", "this stream serves boards only".into()));
            return None;
        };
        if !trips.realtime.is_complete() {
            self.send(&error(
                "no_realtime_yet",
                "this edge has not read the ingest node's realtime yet; try again in a few seconds"
                    .into(),
            ));
            return None;
        }
        let following = self
            .subscriptions
            .keys()
            .filter(|t| t.starts_with("trip:"))
            .count();
        if following >= crate::followed::MAX_PER_CONNECTION {
            self.send(&error(
                "too_many_followed",
                format!(
                    "a connection follows at most {} trips; unsubscribe from one first",
                    crate::followed::MAX_PER_CONNECTION
                ),
            ));
            return None;
        }
        let view = trip
            .parse::<crate::board::DepartureId>()
            .map_err(|e| ("invalid_trip_id", e.to_string()))
            .and_then(|id| {
                trips.view(&id).map_err(|e| match e {
                    crate::trip::TripError::NotRunning { .. } => {
                        ("trip_not_running", e.to_string())
                    }
                    _ => ("unknown_trip", e.to_string()),
                })
            });
        let current = match view {
            Ok(t) => t,
            Err((code, message)) => {
                self.send(&error(code, message));
                return None;
            }
        };
        let Some(key) = current.calls.first().map(|c| c.departure_id.clone()) else {
            self.send(&error("unknown_trip", format!("`{trip}` has no calls")));
            return None;
        };
        let subscriber = Subscriber {
            connection: self.id,
            queue: self.queue.clone(),
            too_slow: self.too_slow.clone(),
        };
        let topic = crate::followed::topic(&key);
        self.subscriptions.insert(topic.clone(), lang);
        match trips.followed.subscribe(&key, since, current, subscriber) {
            Ok(start) => {
                self.record_stations();
                tracing::debug!(trip = %key, ?since, ?start, "following");
                None
            }
            Err(crate::followed::FollowError::TooMany) => {
                self.subscriptions.remove(&topic);
                self.send(&error(
                    "too_many_followed",
                    format!(
                        "{} trips are followed already; try again later",
                        crate::followed::MAX_FOLLOWED
                    ),
                ));
                None
            }
            Err(crate::followed::FollowError::QueueFull) => {
                self.too_slow.raise();
                Some(Close {
                    code: 4008,
                    reason: "too slow: subscribe again with since",
                    error: None,
                })
            }
        }
    }

    /// Writes the subscribed stations into the connection's span.
    fn record_stations(&self) {
        let mut stations: Vec<&str> = self.subscriptions.keys().map(String::as_str).collect();
        stations.sort_unstable();
        tracing::Span::current().record("stations", stations.join(",").as_str());
    }

    /// A heartbeat per subscribed station, and a WebSocket ping.
    fn heartbeats(&mut self) {
        let topics: Vec<String> = self.subscriptions.keys().cloned().collect();
        for topic in topics {
            let beat = match topic.strip_prefix("trip:") {
                Some(key) => ServerMessage::Heartbeat {
                    station: None,
                    seq: self.state.trips.as_ref().and_then(|t| t.followed.seq(key)),
                    trip: Some(key.to_string()),
                    server_time: now_micros(),
                },
                None => ServerMessage::Heartbeat {
                    seq: self.state.hub.current(&topic).map(|b| b.wire.seq),
                    station: Some(topic),
                    trip: None,
                    server_time: now_micros(),
                },
            };
            self.send(&beat);
        }
        // Fails only once the connection is closing, when no ping is due.
        let _ = self.socket.queue_ping();
    }

    /// Queues a hub message, in the subscriber's languages: with all of them,
    /// the frame made once for every connection.
    fn send_outgoing(&mut self, out: &Outgoing) {
        match self.subscriptions.get(out.topic.as_str()) {
            // Unsubscribed since it was queued.
            None => {}
            Some(None) => {
                let frame = out.frame.get_or_init(|| socket::text_frame(&out.json));
                self.queue(frame.clone(), out.json.len());
            }
            Some(Some(langs)) => {
                let filtered = only_languages(&out.message, langs);
                self.send(&filtered);
            }
        }
    }

    fn send(&mut self, message: &ServerMessage) {
        if let Ok(json) = serde_json::to_vec(message) {
            self.queue(socket::text_frame(&json), json.len());
        }
    }

    fn queue(&mut self, frame: Bytes, payload: usize) {
        self.socket.queue_frame(frame);
        Metrics::count(&self.state.metrics.stream_messages);
        self.state
            .metrics
            .stream_bytes
            .fetch_add(payload as u64, Ordering::Relaxed);
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::hub::Hub;
    use tokio_util::sync::CancellationToken;

    /// What one idle connection costs in the server's memory is mostly its
    /// task: the connection's state machine, boxed once by `tokio::spawn`
    /// (issue 17: at most 0.8 × Node `ws`'s memory per idle connection).
    #[tokio::test]
    async fn a_connection_task_stays_small() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let client = tokio::net::TcpStream::connect(listener.local_addr().expect("addr"));
        let (accepted, _client) = tokio::join!(listener.accept(), client);
        let (tcp, _) = accepted.expect("accept");
        let state = StreamState {
            hub: Arc::new(Hub::new(
                [],
                crate::hub::ReplayLimits {
                    deltas: 1,
                    age: Duration::from_secs(1),
                },
            )),
            trips: None,
            settings: StreamSettings::default(),
            metrics: Arc::new(Metrics::default()),
            shutdown: CancellationToken::new(),
        };
        let socket = Socket::from_tcp(tcp, Vec::new());
        let task = connection(socket, state, 1);
        let size = std::mem::size_of_val(&task);
        // 1,232 bytes in a debug build when this was written (it was 2,040
        // before the closing steps were boxed and the state held once); Node's
        // `ws` costs ~6.7 KiB per idle connection in all.
        assert!(size <= 1280, "the connection's task state is {size} bytes");
    }
}
