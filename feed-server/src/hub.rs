//! Versioned per-station state: the last published board of each station and its
//! `seq`.
//!
//! A board gets a new `seq` only when what passengers see changes (departures,
//! notices, advisories, Wi-Fi, feed staleness); rebuilding an identical board keeps
//! the number, so clients can tell "nothing new" from "something changed".

use std::collections::HashMap;
use std::sync::Mutex;

use quai_protocol::Board;

#[derive(Debug, Default)]
pub struct Hub {
    published: Mutex<HashMap<String, Board>>,
}

impl Hub {
    /// Publishes `board` for its station and returns it with its `seq` set.
    pub fn publish(&self, mut board: Board) -> Board {
        // A poisoned lock only means another request panicked mid-update; the map
        // itself is always a valid set of boards.
        let mut published = self
            .published
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let seq = match published.get(&board.station.id) {
            Some(last) if same_content(last, &board) => last.seq,
            Some(last) => last.seq + 1,
            None => 1,
        };
        board.seq = seq;
        published.insert(board.station.id.clone(), board.clone());
        board
    }
}

fn same_content(a: &Board, b: &Board) -> bool {
    a.departures == b.departures
        && a.notices == b.notices
        && a.advisories == b.advisories
        && a.wifi == b.wifi
        && a.next_service == b.next_service
        && a.feeds
            .iter()
            .map(|f| (&f.id, f.stale))
            .eq(b.feeds.iter().map(|f| (&f.id, f.stale)))
}
