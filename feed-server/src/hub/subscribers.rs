//! The subscribers of one station (or one followed trip): a vector, which the
//! fan-out walks, and each connection's place in it, so that a connection
//! joins or leaves in constant time. With the vector alone both were a walk
//! over every subscriber under the station's lock: when 10,000 clients left
//! at once (or came back after a restart), 50 million steps, while the board
//! waited to be published.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::{Outgoing, Subscriber};

#[derive(Debug, Default)]
pub struct Subscribers {
    list: Vec<Subscriber>,
    /// Connection -> its index in `list`.
    at: HashMap<u64, usize>,
}

impl Subscribers {
    /// Adds a connection's subscription, in place of its earlier one.
    pub fn insert(&mut self, subscriber: Subscriber) {
        match self.at.get(&subscriber.connection) {
            Some(&i) => self.list[i] = subscriber,
            None => {
                self.at.insert(subscriber.connection, self.list.len());
                self.list.push(subscriber);
            }
        }
    }

    /// Removes a connection's subscription, if it has one.
    pub fn remove(&mut self, connection: u64) {
        if let Some(i) = self.at.remove(&connection) {
            self.take(i);
        }
    }

    /// Keeps the subscribers for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&Subscriber) -> bool) {
        let mut i = 0;
        while i < self.list.len() {
            if keep(&self.list[i]) {
                i += 1;
            } else {
                self.at.remove(&self.list[i].connection);
                // The last one takes its place and is looked at next.
                self.take(i);
            }
        }
    }

    /// Queues `out` on every subscriber's connection; drops (and flags "too
    /// slow") those whose queue is full, and those whose connection is gone.
    pub fn fan_out(&mut self, out: &Arc<Outgoing>) {
        self.retain(|s| match s.queue.try_send(out.clone()) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                s.too_slow.raise();
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        });
    }

    pub fn iter(&self) -> impl Iterator<Item = &Subscriber> {
        self.list.iter()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Removes the entry at `i` (already out of `at`): the last one moves in.
    fn take(&mut self, i: usize) {
        self.list.swap_remove(i);
        if let Some(moved) = self.list.get(i) {
            self.at.insert(moved.connection, i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Queues of one place: a second message finds them full.
    fn subscriber(connection: u64) -> (Subscriber, mpsc::Receiver<Arc<Outgoing>>) {
        Subscriber::for_test(connection, 1)
    }

    fn heartbeat() -> Arc<Outgoing> {
        Arc::new(Outgoing::new(
            "caudry",
            quai_protocol::ServerMessage::Heartbeat {
                station: None,
                trip: None,
                seq: None,
                server_time: String::new(),
            },
        ))
    }

    fn connections(s: &Subscribers) -> Vec<u64> {
        let mut c: Vec<u64> = s.iter().map(|s| s.connection).collect();
        c.sort_unstable();
        c
    }

    /// Every index kept in the map points at its own connection.
    fn consistent(s: &Subscribers) {
        assert_eq!(s.at.len(), s.list.len());
        for (c, i) in &s.at {
            assert_eq!(s.list[*i].connection, *c);
        }
    }

    #[test]
    fn connections_join_and_leave_in_any_order() {
        let mut s = Subscribers::default();
        let mut queues = Vec::new();
        for c in 0..10 {
            let (sub, rx) = subscriber(c);
            s.insert(sub);
            queues.push(rx);
        }
        // Again: replaced, not doubled; the new queue gets what follows.
        let (again, mut again_rx) = subscriber(3);
        s.insert(again);
        assert_eq!(s.len(), 10);
        consistent(&s);
        s.fan_out(&heartbeat());
        assert!(again_rx.try_recv().is_ok());
        assert!(queues[3].try_recv().is_err());
        for (c, q) in queues.iter_mut().enumerate() {
            assert_eq!(q.try_recv().is_ok(), c != 3, "connection {c}");
        }
        for c in [0, 9, 4, 4, 42] {
            s.remove(c);
            consistent(&s);
        }
        assert_eq!(connections(&s), vec![1, 2, 3, 5, 6, 7, 8]);
        s.retain(|sub| sub.connection % 2 == 1);
        consistent(&s);
        assert_eq!(connections(&s), vec![1, 3, 5, 7]);
        // The last in place, then the first.
        let last = s.list.last().map(|l| l.connection);
        s.remove(last.unwrap_or_default());
        consistent(&s);
        let first = s.list[0].connection;
        s.remove(first);
        consistent(&s);
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn the_fan_out_drops_full_and_closed_queues() {
        let out = heartbeat();
        let (full, _full_rx) = subscriber(1);
        let too_slow = full.too_slow.clone();
        // Its one place taken already.
        assert!(full.queue.try_send(out.clone()).is_ok());
        let (gone, gone_rx) = subscriber(2);
        let gone_slow = gone.too_slow.clone();
        drop(gone_rx);
        let (fine, mut fine_rx) = subscriber(3);
        let mut s = Subscribers::default();
        for sub in [full, gone, fine] {
            s.insert(sub);
        }
        s.fan_out(&out);
        consistent(&s);
        assert_eq!(connections(&s), vec![3]);
        assert!(too_slow.is_raised());
        // Gone is not slow.
        assert!(!gone_slow.is_raised());
        assert!(fine_rx.try_recv().is_ok());
    }
}
