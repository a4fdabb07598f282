//! An edge node's hub: boards are not built here but received, numbered, from
//! the ingest node over NATS ([`crate::edge`]). The hub keeps the ingest's
//! `seq`s, so that a client's `since` means the same board on every edge, and
//! sends its own clients the same deltas, byte for byte.
//!
//! A snapshot that moves the board on (the first after NATS came back, or
//! from an ingest node that took over) reaches clients as the delta from the
//! board they hold: a client of an edge sees one unbroken chain of deltas
//! whatever happened upstream.

use std::sync::Arc;

use axum::body::Bytes;
use quai_protocol::{Applied, Board, BoardState, ServerMessage, diff};

use super::{Hub, Outgoing, Published, now_micros};

/// What became of a received message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// The board moved on to this seq (a delta went to subscribers).
    Moved(u64),
    /// The first board of the station (no subscriber could be waiting).
    First(u64),
    /// Old news: the board is at this seq or later already.
    Ignored,
    /// A delta that does not follow the board held (`held`: its seq, None
    /// before the first board): the caller reads the whole board again.
    Gap { held: Option<u64> },
    /// Not a board message, or of a station this node does not serve.
    NotABoard,
}

impl Hub {
    /// Opens or closes the hub: closed, it serves no board (REST answers
    /// `no_board_yet`, subscriptions too) while it receives.
    pub fn set_open(&self, open: bool) {
        self.open.store(open, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether it holds a board of the station, served or not.
    pub fn has_board(&self, station: &str) -> bool {
        self.channel(station).is_some_and(|c| c.board.is_some())
    }

    /// Takes a board message received from the ingest node (`json`: its
    /// bytes as they came). A delta that follows the board held is applied
    /// and sent on as it is; a snapshot newer than the board held is sent as
    /// the delta between the two.
    pub fn receive(&self, message: &ServerMessage, json: Bytes) -> Received {
        let station = match message {
            ServerMessage::Snapshot { station, .. } => station,
            ServerMessage::Delta(d) => &d.station,
            _ => return Received::NotABoard,
        };
        let Some(mut channel) = self.channel(station) else {
            return Received::NotABoard;
        };
        let held = channel.board.as_ref().map(|p| p.wire.clone());
        let (board, out) = match (message, held) {
            (ServerMessage::Snapshot { seq, board, .. }, None) => {
                let mut board = board.clone();
                board.seq = *seq;
                channel.board = Some(received(board));
                return Received::First(*seq);
            }
            (ServerMessage::Snapshot { seq, board, .. }, Some(held)) => {
                if *seq <= held.seq {
                    return Received::Ignored;
                }
                let mut board = board.clone();
                board.seq = *seq;
                let delta = diff(&held, &board, now_micros());
                let out = Outgoing::new(station, ServerMessage::Delta(delta));
                (board, out)
            }
            (ServerMessage::Delta(_), None) => return Received::Gap { held: None },
            (ServerMessage::Delta(delta), Some(held)) => {
                let mut state = BoardState::new(station.clone());
                state.apply(&ServerMessage::Snapshot {
                    station: station.clone(),
                    seq: held.seq,
                    board: (*held).clone(),
                    server_time: String::new(),
                });
                match state.apply(message) {
                    Applied::UpToDate(_) => {}
                    Applied::Ignored => return Received::Ignored,
                    Applied::Resubscribe { .. } => {
                        return Received::Gap {
                            held: Some(held.seq),
                        };
                    }
                }
                let Some(board) = state.board().cloned() else {
                    return Received::Gap {
                        held: Some(held.seq),
                    };
                };
                let out = Outgoing::with_json(station, ServerMessage::Delta(delta.clone()), json);
                (board, out)
            }
            _ => return Received::NotABoard,
        };
        let seq = board.seq;
        let out = Arc::new(out);
        self.limits.keep(&mut channel.log, &out);
        channel.subscribers.fan_out(&out);
        channel.board = Some(received(board));
        self.counters
            .published
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Received::Moved(seq)
    }
}

fn received(board: Board) -> Published {
    Published {
        model: None,
        wire: Arc::new(board),
        json: Arc::default(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use quai_protocol::{Board, ServerMessage};
    use tokio::sync::mpsc;

    use super::*;
    use crate::hub::{ReplayLimits, Start, Subscriber};
    use crate::id::StationId;

    /// A board of departures with these ids.
    fn board(seq: u64, departures: &[&str]) -> Board {
        let call = |id: &str| {
            serde_json::json!({
                "id": id, "mode": "bus",
                "route": {"id": "1", "short_name": "1", "long_name": null, "color": "#FFFFFF", "text_color": "#000000"},
                "headsign": "Cambrai", "stop_id": "demo:CAUDRY:A", "platform": "A",
                "scheduled": "2026-12-04T07:40:00+01:00", "expected": null, "delay_s": null,
                "status": "scheduled", "realtime": false, "notice_ids": []
            })
        };
        serde_json::from_value(serde_json::json!({
            "station": {"id": "caudry", "name": "Caudry", "timezone": "Europe/Paris"},
            "generated_at": "2026-12-04T07:30:00+01:00", "seq": seq,
            "departures": departures.iter().map(|id| call(id)).collect::<Vec<_>>(),
            "notices": [], "advisories": [], "wifi": null, "feeds": []
        }))
        .expect("a board")
    }

    fn snapshot(b: &Board) -> ServerMessage {
        ServerMessage::Snapshot {
            station: "caudry".into(),
            seq: b.seq,
            board: b.clone(),
            server_time: now_micros(),
        }
    }

    fn hub() -> Hub {
        Hub::new(
            ["caudry".parse::<StationId>().expect("an id")],
            ReplayLimits {
                deltas: 100,
                age: Duration::from_secs(600),
            },
        )
    }

    fn subscriber(connection: u64) -> (Subscriber, mpsc::Receiver<Arc<Outgoing>>) {
        Subscriber::for_test(connection, 16)
    }

    /// What the subscriber was sent, as (prev_seq, seq) for deltas and
    /// (0, seq) for snapshots.
    fn sent(inbox: &mut mpsc::Receiver<Arc<Outgoing>>) -> Vec<(u64, u64)> {
        std::iter::from_fn(|| inbox.try_recv().ok())
            .map(|o| match &o.message {
                ServerMessage::Delta(d) => (d.prev_seq, d.seq),
                ServerMessage::Snapshot { seq, .. } => (0, *seq),
                _ => (0, 0),
            })
            .collect()
    }

    #[test]
    fn received_boards_keep_their_seqs_and_reach_clients_as_deltas() {
        let hub = hub();
        let b100 = board(100, &["a"]);
        let (sub, _) = subscriber(9);
        assert!(hub.subscribe("caudry", None, sub).is_err(), "no board yet");
        assert_eq!(
            hub.receive(&snapshot(&b100), Bytes::new()),
            Received::First(100)
        );
        let (sub, mut inbox) = subscriber(1);
        assert!(matches!(
            hub.subscribe("caudry", Some(100), sub),
            Ok(Start::UpToDate)
        ));

        // A delta that follows is sent on as it came, bytes included.
        let b101 = board(101, &["a", "b"]);
        let delta = ServerMessage::Delta(diff(&b100, &b101, now_micros()));
        let bytes = Bytes::from(serde_json::to_vec(&delta).expect("json"));
        assert_eq!(hub.receive(&delta, bytes.clone()), Received::Moved(101));
        let out = inbox.try_recv().expect("the delta");
        assert_eq!(out.json, bytes);
        // The same again (NATS redelivered it): nothing.
        assert_eq!(hub.receive(&delta, bytes), Received::Ignored);
        assert_eq!(sent(&mut inbox), vec![]);

        // A delta past a gap is refused; the snapshot that closes it goes
        // to clients as one delta from what they hold.
        let b105 = board(105, &["c"]);
        let b106 = board(106, &["c", "d"]);
        let late = ServerMessage::Delta(diff(&b105, &b106, now_micros()));
        assert_eq!(
            hub.receive(&late, Bytes::new()),
            Received::Gap { held: Some(101) }
        );
        assert_eq!(
            hub.receive(&snapshot(&b105), Bytes::new()),
            Received::Moved(105)
        );
        assert_eq!(hub.receive(&late, Bytes::new()), Received::Moved(106));
        assert_eq!(
            hub.receive(&snapshot(&b105), Bytes::new()),
            Received::Ignored
        );
        assert_eq!(sent(&mut inbox), vec![(101, 105), (105, 106)]);
        let now = hub.current("caudry").expect("a board");
        assert_eq!(now.wire.seq, 106);
        assert!(now.model.is_none());
        let ids: Vec<_> = now.wire.departures.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["c", "d"]);

        // A client of another edge resumes here from 101: the same chain.
        let (sub, mut other) = subscriber(2);
        assert!(matches!(
            hub.subscribe("caudry", Some(101), sub),
            Ok(Start::Replayed(2))
        ));
        assert_eq!(sent(&mut other), vec![(101, 105), (105, 106)]);
    }

    /// A node taking the ingest lease over numbers on from the stream's last
    /// seq; never back.
    #[test]
    fn a_board_is_numbered_on_from_another_nodes_last_seq() {
        let hub = hub();
        hub.receive(&snapshot(&board(100, &["a"])), Bytes::new());
        let (sub, mut inbox) = subscriber(1);
        assert!(matches!(
            hub.subscribe("caudry", Some(100), sub),
            Ok(Start::UpToDate)
        ));
        assert_eq!(hub.continue_after("caudry", 90), Some(100));
        assert_eq!(sent(&mut inbox), vec![]);
        assert_eq!(hub.continue_after("caudry", 100), Some(101));
        assert_eq!(hub.continue_after("caudry", 200), Some(201));
        assert_eq!(sent(&mut inbox), vec![(0, 101), (0, 201)]);
        assert_eq!(hub.current("caudry").map(|p| p.wire.seq), Some(201));
        // The old numbering's log is gone: a resume from 100 gets a snapshot.
        let (sub, mut other) = subscriber(2);
        assert!(matches!(
            hub.subscribe("caudry", Some(100), sub),
            Ok(Start::Snapshot)
        ));
        assert_eq!(sent(&mut other), vec![(0, 201)]);
        assert_eq!(hub.continue_after("elsewhere", 1), None);
    }
}
