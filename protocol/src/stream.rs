//! Messages of the live stream (`GET /v1/stream`, WebSocket, JSON text frames).

use serde::{Deserialize, Serialize};

use crate::{Advisory, Arrival, Board, Departure, Emergency, Facility, FeedStatus, Notice};

/// What a client sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// Start receiving a station's board (`station`), or a trip's state
    /// (`trip`: any departure id of the run). With `since`, the server replays
    /// the deltas after that `seq` if it still holds them, else sends a
    /// snapshot. With `lang`, texts are limited to those languages.
    Subscribe {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        station: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        trip: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lang: Option<Vec<String>>,
    },
    Unsubscribe {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        station: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        trip: Option<String>,
    },
    Ping,
}

/// What the server sends. Every message carries `server_time` (RFC 3339 with
/// milliseconds) so that clients can measure delivery delay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The whole board at `seq`.
    Snapshot {
        station: String,
        seq: u64,
        board: Board,
        server_time: String,
    },
    /// What changed from `prev_seq` to `seq`.
    Delta(Delta),
    /// A followed trip's whole state at `seq` (`trip` as subscribed: the
    /// run's first call's departure id).
    TripSnapshot {
        trip: String,
        seq: u64,
        state: crate::Trip,
        server_time: String,
    },
    /// What changed in a followed trip from `prev_seq` to `seq`.
    TripDelta(crate::TripDelta),
    /// Sent at least every 15 s per subscribed station, and in answer to `ping`
    /// (then without station).
    Heartbeat {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        station: Option<String>,
        /// A followed trip's, instead of a station's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        trip: Option<String>,
        seq: Option<u64>,
        server_time: String,
    },
    Error {
        code: String,
        message: String,
        server_time: String,
    },
    /// An operator asked the station's screens to read their board aloud now
    /// (`POST /v1/stations/{id}/announce`). Not replayed: it is for now.
    Announce {
        station: String,
        server_time: String,
    },
    /// An operator asked screen `screen` of the station for a picture of
    /// what it shows (`POST /v1/screens/{id}/screenshot`): that screen
    /// sends one (`PUT /v1/screens/{id}/screenshot`); other clients ignore
    /// it. Not replayed.
    ScreenshotRequest {
        station: String,
        screen: String,
        server_time: String,
    },
}

/// Changes to a board. Applying it to the board at `prev_seq` gives the board at
/// `seq`, exactly as REST returns it for that `seq`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delta {
    pub station: String,
    pub seq: u64,
    pub prev_seq: u64,
    pub upsert: Upserts,
    pub remove: Removals,
    /// The ids of all departures in board order, when the set or the order changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<Vec<String>>,
    /// The ids of all arrivals in board order, when the set or the order changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrival_order: Option<Vec<String>>,
    /// The ids of all notices in board order (most severe first), when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_order: Option<Vec<String>>,
    /// The ids of all advisories in board order, when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advisory_order: Option<Vec<String>>,
    /// The board's `next_service` after this change.
    #[serde(default)]
    pub next_service: Option<String>,
    /// The board's `emergency` after this change.
    #[serde(default)]
    pub emergency: Option<Emergency>,
    /// The board's `facilities`, whole, when one of them changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facilities: Option<Vec<Facility>>,
    /// The board's `feeds`, when a feed's staleness changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feeds: Option<Vec<FeedStatus>>,
    /// The board's `generated_at` at `seq`.
    pub generated_at: String,
    pub server_time: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Upserts {
    pub departures: Vec<Departure>,
    /// Present when the station shows arrivals and one changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arrivals: Vec<Arrival>,
    pub notices: Vec<Notice>,
    pub advisories: Vec<Advisory>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Removals {
    pub departures: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arrivals: Vec<String>,
    pub notices: Vec<String>,
    pub advisories: Vec<String>,
}

impl Delta {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.upsert.departures.is_empty()
            && self.upsert.arrivals.is_empty()
            && self.upsert.notices.is_empty()
            && self.upsert.advisories.is_empty()
            && self.remove.departures.is_empty()
            && self.remove.arrivals.is_empty()
            && self.remove.notices.is_empty()
            && self.remove.advisories.is_empty()
            && self.order.is_none()
            && self.arrival_order.is_none()
            && self.notice_order.is_none()
            && self.advisory_order.is_none()
            && self.feeds.is_none()
            && self.facilities.is_none()
    }
}

/// The delta that turns `old` into `new` (both of one station); `seq`s and times are
/// taken from `new`. `server_time` is the publication time.
pub fn diff(old: &Board, new: &Board, server_time: String) -> Delta {
    fn changes<T: PartialEq + Clone>(
        old: &[T],
        new: &[T],
        id: impl Fn(&T) -> &str,
    ) -> (Vec<T>, Vec<String>) {
        let upsert = new
            .iter()
            .filter(|n| !old.iter().any(|o| id(o) == id(n) && o == *n))
            .cloned()
            .collect();
        let remove = old
            .iter()
            .filter(|o| !new.iter().any(|n| id(n) == id(o)))
            .map(|o| id(o).to_string())
            .collect();
        (upsert, remove)
    }
    let (departures, removed_departures) = changes(&old.departures, &new.departures, |d| &d.id);
    let (arrivals, removed_arrivals) = changes(&old.arrivals, &new.arrivals, |a| &a.id);
    let (notices, removed_notices) = changes(&old.notices, &new.notices, |n| &n.id);
    let (advisories, removed_advisories) = changes(&old.advisories, &new.advisories, |a| &a.id);
    fn order<T>(old: &[T], new: &[T], id: impl Fn(&T) -> &String) -> Option<Vec<String>> {
        old.iter()
            .map(&id)
            .ne(new.iter().map(&id))
            .then(|| new.iter().map(|x| id(x).clone()).collect())
    }
    let notice_order = order(&old.notices, &new.notices, |n| &n.id);
    let advisory_order = order(&old.advisories, &new.advisories, |a| &a.id);
    let arrival_order = order(&old.arrivals, &new.arrivals, |a| &a.id);
    let order = order(&old.departures, &new.departures, |d| &d.id);
    let stale = |b: &Board| {
        b.feeds
            .iter()
            .map(|f| (f.id.clone(), f.stale))
            .collect::<Vec<_>>()
    };
    let feeds = (stale(old) != stale(new)).then(|| new.feeds.clone());
    let facilities = (old.facilities != new.facilities).then(|| new.facilities.clone());
    Delta {
        station: new.station.id.clone(),
        seq: new.seq,
        prev_seq: old.seq,
        upsert: Upserts {
            departures,
            arrivals,
            notices,
            advisories,
        },
        remove: Removals {
            departures: removed_departures,
            arrivals: removed_arrivals,
            notices: removed_notices,
            advisories: removed_advisories,
        },
        order,
        arrival_order,
        notice_order,
        advisory_order,
        next_service: new.next_service.clone(),
        emergency: new.emergency.clone(),
        facilities,
        feeds,
        generated_at: new.generated_at.clone(),
        server_time,
    }
}

/// What a client must do after a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The board is up to date at this `seq`.
    UpToDate(u64),
    /// The message was not about this board, or was old news.
    Ignored,
    /// A delta did not follow the board held (a gap): subscribe again with
    /// `since` (the value given; None when no board is held).
    Resubscribe { since: Option<u64> },
}

/// The board of one station as a client holds it: apply every server message in
/// order, and resubscribe when told to. The reference for app developers.
#[derive(Debug, Clone, Default)]
pub struct BoardState {
    station: String,
    board: Option<Board>,
}

impl BoardState {
    pub fn new(station: impl Into<String>) -> BoardState {
        BoardState {
            station: station.into(),
            board: None,
        }
    }

    pub fn board(&self) -> Option<&Board> {
        self.board.as_ref()
    }

    pub fn seq(&self) -> Option<u64> {
        self.board.as_ref().map(|b| b.seq)
    }

    /// Applies a message from the server.
    pub fn apply(&mut self, message: &ServerMessage) -> Applied {
        match message {
            ServerMessage::Snapshot {
                station,
                seq,
                board,
                ..
            } if *station == self.station => {
                let mut board = board.clone();
                board.seq = *seq;
                self.board = Some(board);
                Applied::UpToDate(*seq)
            }
            ServerMessage::Delta(delta) if delta.station == self.station => self.apply_delta(delta),
            _ => Applied::Ignored,
        }
    }

    fn apply_delta(&mut self, delta: &Delta) -> Applied {
        let Some(board) = self.board.as_mut() else {
            return Applied::Resubscribe { since: None };
        };
        if delta.seq <= board.seq {
            return Applied::Ignored;
        }
        if delta.prev_seq != board.seq {
            return Applied::Resubscribe {
                since: Some(board.seq),
            };
        }
        upsert(&mut board.departures, &delta.upsert.departures, |d| &d.id);
        upsert(&mut board.arrivals, &delta.upsert.arrivals, |a| &a.id);
        upsert(&mut board.notices, &delta.upsert.notices, |n| &n.id);
        upsert(&mut board.advisories, &delta.upsert.advisories, |a| &a.id);
        board
            .departures
            .retain(|d| !delta.remove.departures.contains(&d.id));
        board
            .arrivals
            .retain(|a| !delta.remove.arrivals.contains(&a.id));
        board
            .notices
            .retain(|n| !delta.remove.notices.contains(&n.id));
        board
            .advisories
            .retain(|a| !delta.remove.advisories.contains(&a.id));
        if let Some(order) = &delta.order {
            sort_by(&mut board.departures, order, |d| &d.id);
        }
        if let Some(order) = &delta.arrival_order {
            sort_by(&mut board.arrivals, order, |a| &a.id);
        }
        if let Some(order) = &delta.notice_order {
            sort_by(&mut board.notices, order, |n| &n.id);
        }
        if let Some(order) = &delta.advisory_order {
            sort_by(&mut board.advisories, order, |a| &a.id);
        }
        if let Some(feeds) = &delta.feeds {
            board.feeds = feeds.clone();
        }
        board.next_service = delta.next_service.clone();
        board.emergency = delta.emergency.clone();
        if let Some(facilities) = &delta.facilities {
            board.facilities = facilities.clone();
        }
        board.generated_at = delta.generated_at.clone();
        board.seq = delta.seq;
        Applied::UpToDate(delta.seq)
    }
}

/// Puts items in the order of `ids`.
fn sort_by<T>(items: &mut [T], ids: &[String], id: impl Fn(&T) -> &String) {
    items.sort_by_key(|x| ids.iter().position(|i| i == id(x)).unwrap_or(usize::MAX));
}

/// Replaces items with the same id, appends new ones.
fn upsert<T: Clone>(items: &mut Vec<T>, new: &[T], id: impl Fn(&T) -> &str) {
    for n in new {
        match items.iter_mut().find(|i| id(i) == id(n)) {
            Some(slot) => *slot = n.clone(),
            None => items.push(n.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board(seq: u64, departures: &[&str], arrivals: &[(&str, &str)]) -> Board {
        let call = |id: &str, at: &str| {
            serde_json::json!({
                "id": id, "mode": "bus",
                "route": {"id": "1", "short_name": "1", "long_name": null, "color": "#FFFFFF", "text_color": "#000000"},
                "headsign": "Cambrai", "stop_id": "demo:CAUDRY:A", "platform": "A",
                "scheduled": at, "expected": null, "delay_s": null,
                "status": "scheduled", "realtime": false, "notice_ids": []
            })
        };
        let arrivals: Vec<serde_json::Value> = arrivals
            .iter()
            .map(|(id, at)| {
                let mut a = call(id, at);
                a["origin"] = "Cambrai".into();
                a
            })
            .collect();
        serde_json::from_value(serde_json::json!({
            "station": {"id": "caudry", "name": "Caudry", "timezone": "Europe/Paris"},
            "generated_at": "2026-03-09T07:30:00+01:00", "seq": seq,
            "departures": departures.iter().map(|id| call(id, "2026-03-09T07:40:00+01:00")).collect::<Vec<_>>(),
            "arrivals": arrivals,
            "notices": [], "advisories": [], "wifi": null, "feeds": []
        }))
        .expect("a board")
    }

    /// Applying `diff(old, new)` to `old` gives `new`, arrivals included:
    /// added, removed, changed, reordered, and a change to arrivals alone.
    #[test]
    fn a_delta_rebuilds_the_new_board_arrivals_and_all() {
        let old = board(
            1,
            &["d1"],
            &[("a1", "07:31"), ("a2", "07:35"), ("a3", "07:50")],
        );
        let steps = [
            board(
                2,
                &["d1"],
                &[("a2", "07:35"), ("a1", "07:38"), ("a4", "07:52")],
            ),
            board(
                3,
                &["d1"],
                &[("a2", "07:36"), ("a1", "07:38"), ("a4", "07:52")],
            ),
            board(4, &["d1", "d2"], &[]),
        ];
        let mut state = BoardState::new("caudry");
        let snapshot = ServerMessage::Snapshot {
            station: "caudry".into(),
            seq: 1,
            board: old.clone(),
            server_time: String::new(),
        };
        assert_eq!(state.apply(&snapshot), Applied::UpToDate(1));
        let mut before = old;
        for new in steps {
            let delta = diff(&before, &new, String::new());
            assert!(!delta.is_empty());
            let arrivals_only = before.departures == new.departures;
            if arrivals_only {
                assert!(delta.upsert.departures.is_empty() && delta.order.is_none());
            }
            // What the wire carries is what is applied.
            let text = serde_json::to_string(&ServerMessage::Delta(delta)).expect("JSON");
            let message: ServerMessage = serde_json::from_str(&text).expect("read back");
            assert_eq!(state.apply(&message), Applied::UpToDate(new.seq));
            assert_eq!(state.board(), Some(&new));
            before = new;
        }
    }
}
