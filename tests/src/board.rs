//! Reading a [`Board`] in tests: departures, notices and feeds by id, local clock
//! times of its RFC 3339 instants, and the parts a stream client must reproduce.

use chrono::{DateTime, FixedOffset};
use quai_protocol::{Board, Departure, FeedStatus, Notice};

/// Lookups on a board by id.
pub trait BoardExt {
    /// The departure with `id`, if any.
    fn departure(&self, id: &str) -> Option<&Departure>;
    /// The departure with `id`; panics with the board's ids when it is not there.
    fn expect_departure(&self, id: &str) -> &Departure;
    /// The ids of the departures, in board order.
    fn ids(&self) -> Vec<&str>;
    /// The notice with `id`, if any.
    fn notice(&self, id: &str) -> Option<&Notice>;
    /// The ids of the notices, in board order.
    fn notice_ids(&self) -> Vec<&str>;
    /// The freshness of feed `id`, if listed.
    fn feed(&self, id: &str) -> Option<&FeedStatus>;
}

impl BoardExt for Board {
    fn departure(&self, id: &str) -> Option<&Departure> {
        self.departures.iter().find(|d| d.id == id)
    }

    fn expect_departure(&self, id: &str) -> &Departure {
        self.departure(id)
            .unwrap_or_else(|| panic!("{id} is not on the board: {:?}", self.ids()))
    }

    fn ids(&self) -> Vec<&str> {
        self.departures.iter().map(|d| d.id.as_str()).collect()
    }

    fn notice(&self, id: &str) -> Option<&Notice> {
        self.notices.iter().find(|n| n.id == id)
    }

    fn notice_ids(&self) -> Vec<&str> {
        self.notices.iter().map(|n| n.id.as_str()).collect()
    }

    fn feed(&self, id: &str) -> Option<&FeedStatus> {
        self.feeds.iter().find(|f| f.id == id)
    }
}

/// An RFC 3339 instant as written on a board (panics when it is not one).
pub fn instant(rfc3339: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap_or_else(|e| panic!("not an RFC 3339 instant: {rfc3339:?}: {e}"))
}

/// The local time `HH:MM` of an RFC 3339 instant, in its own offset (the
/// station's, on a board).
pub fn hm(rfc3339: &str) -> String {
    instant(rfc3339).format("%H:%M").to_string()
}

/// The local time `HH:MM:SS` of an RFC 3339 instant, in its own offset.
pub fn hms(rfc3339: &str) -> String {
    instant(rfc3339).format("%H:%M:%S").to_string()
}

/// When a departure leaves: its expected time, else its scheduled one.
pub fn leaves(d: &Departure) -> DateTime<FixedOffset> {
    instant(d.expected.as_deref().unwrap_or(&d.scheduled))
}

/// Whether the departures are in the order they leave (expected, else scheduled).
pub fn in_time_order(board: &Board) -> bool {
    board
        .departures
        .windows(2)
        .all(|w| leaves(&w[0]) <= leaves(&w[1]))
}

/// The parts of a board the stream must reproduce exactly (a board from the stream
/// compared with the REST board of the same `seq`): all of it but the feeds' ages
/// and last successes, which follow the clock.
pub fn content(board: &Board) -> Board {
    let mut board = board.clone();
    for feed in &mut board.feeds {
        feed.last_success = None;
        feed.age_s = None;
    }
    board
}
