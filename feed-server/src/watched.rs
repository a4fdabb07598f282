//! State kept per key (a feed, a weather source) by the stage that writes it and
//! read by the board publisher, with a version that moves on every change so
//! that the publisher knows when to rebuild boards. Both the realtime store and
//! the weather store are one of these.
//!
//! Writers replace whole values under the lock, so a reader never sees half of
//! a change, and a lock poisoned by a panic still holds whole values.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, RwLock, RwLockReadGuard};

use tokio::sync::watch;

/// A cheap handle: clones share the same state.
#[derive(Debug)]
pub struct Watched<K, V> {
    inner: Arc<Inner<K, V>>,
}

#[derive(Debug)]
struct Inner<K, V> {
    map: RwLock<HashMap<K, V>>,
    version: watch::Sender<u64>,
}

impl<K, V> Clone for Watched<K, V> {
    fn clone(&self) -> Self {
        Watched {
            inner: self.inner.clone(),
        }
    }
}

impl<K, V> Default for Watched<K, V> {
    fn default() -> Self {
        Watched {
            inner: Arc::new(Inner {
                map: RwLock::new(HashMap::new()),
                version: watch::Sender::new(0),
            }),
        }
    }
}

impl<K: Eq + Hash + Clone, V: Default> Watched<K, V> {
    /// Every key's value, read-locked.
    pub fn read(&self) -> RwLockReadGuard<'_, HashMap<K, V>> {
        self.inner.map.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes the value of `key` (a default one if it had none); the version
    /// moves when `change` says it changed something.
    pub fn update(&self, key: &K, change: impl FnOnce(&mut V) -> bool) {
        let changed = {
            let mut map = self.inner.map.write().unwrap_or_else(|p| p.into_inner());
            change(map.entry(key.clone()).or_default())
        };
        if changed {
            self.inner.version.send_modify(|v| *v += 1);
        }
    }

    /// The current version (it moves on each change).
    pub fn version(&self) -> u64 {
        *self.inner.version.borrow()
    }

    /// Moves on each change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.version.subscribe()
    }
}
