//! Carrying `seq` on across ingest nodes: a node that takes the ingest lease
//! over numbers its boards on from the last one the other published
//! ([`crate::ingest`]), so that clients never see `seq` go back.

use std::sync::Arc;

use quai_protocol::ServerMessage;

use super::{Hub, Outgoing, Published, now_micros};

impl Hub {
    /// Makes the station's board number `after + 1` or more: the board held
    /// is numbered `after + 1` when its seq is not already higher, and the
    /// next change follows from there. The replay log, in the old numbering,
    /// is forgotten; the node's own subscribers get the board as a snapshot.
    /// Returns the board's seq (None for an unknown station or before its
    /// first board).
    pub fn continue_after(&self, station: &str, after: u64) -> Option<u64> {
        let mut channel = self.channel(station)?;
        let held = channel.board.clone()?;
        if held.wire.seq > after {
            return Some(held.wire.seq);
        }
        let mut wire = (*held.wire).clone();
        wire.seq = after + 1;
        let message = ServerMessage::Snapshot {
            station: station.to_string(),
            seq: wire.seq,
            board: wire.clone(),
            server_time: now_micros(),
        };
        channel.board = Some(Published {
            model: held.model,
            wire: Arc::new(wire),
            json: Arc::default(),
        });
        channel.log.clear();
        channel.snapshot = None;
        let out = Arc::new(Outgoing::new(station, message));
        channel.subscribers.fan_out(&out);
        Some(after + 1)
    }
}
