//! Where push subscriptions live: the node's SQLite store, or PostgreSQL
//! (`[store] url`), shared by every node so that the app may subscribe
//! through any edge. The watcher, the sender and the routes call it from
//! blocking threads, as they always called SQLite: PostgreSQL's calls are
//! run to completion on the server's runtime from there.

use std::sync::Arc;

use quai_protocol::{Follow, PushSubscription, PushSubscriptionInput};

use crate::store::push::{Following, Told, Waiting};
use crate::store::{Postgres, Store, StoreError};

type Instant = chrono::DateTime<chrono::Utc>;

#[derive(Debug, Clone)]
pub enum PushStore {
    Sqlite(Arc<Store>),
    Postgres {
        pg: Arc<Postgres>,
        /// The server's runtime, which PostgreSQL's connection runs on.
        runtime: tokio::runtime::Handle,
    },
}

impl PushStore {
    pub fn push_subscribe(
        &self,
        input: &PushSubscriptionInput,
        now: Instant,
        keep: chrono::Duration,
    ) -> Result<PushSubscription, StoreError> {
        match self {
            PushStore::Sqlite(s) => s.push_subscribe(input, now, keep),
            PushStore::Postgres { pg, runtime } => {
                runtime.block_on(pg.push_subscribe(input, now, keep))
            }
        }
    }

    pub fn push_subscription(
        &self,
        id: &str,
        keep: chrono::Duration,
    ) -> Result<Option<PushSubscription>, StoreError> {
        match self {
            PushStore::Sqlite(s) => s.push_subscription(id, keep),
            PushStore::Postgres { pg, runtime } => runtime.block_on(pg.push_subscription(id, keep)),
        }
    }

    pub fn push_unsubscribe(&self, id: &str) -> Result<bool, StoreError> {
        match self {
            PushStore::Sqlite(s) => s.push_unsubscribe(id),
            PushStore::Postgres { pg, runtime } => runtime.block_on(pg.push_unsubscribe(id)),
        }
    }

    pub fn push_follows(&self) -> Result<Vec<Following>, StoreError> {
        match self {
            PushStore::Sqlite(s) => s.push_follows(),
            PushStore::Postgres { pg, runtime } => runtime.block_on(pg.push_follows()),
        }
    }

    pub fn push_told(&self, told: &[Told], now: Instant) -> Result<(), StoreError> {
        match self {
            PushStore::Sqlite(s) => s.push_told(told, now),
            PushStore::Postgres { pg, runtime } => runtime.block_on(pg.push_told(told, now)),
        }
    }

    pub fn push_unfollow(&self, subscription: &str, follow: &Follow) -> Result<(), StoreError> {
        match self {
            PushStore::Sqlite(s) => s.push_unfollow(subscription, follow),
            PushStore::Postgres { pg, runtime } => {
                runtime.block_on(pg.push_unfollow(subscription, follow))
            }
        }
    }

    pub fn push_due(&self, now: Instant, limit: usize) -> Result<Vec<Waiting>, StoreError> {
        match self {
            PushStore::Sqlite(s) => s.push_due(now, limit),
            PushStore::Postgres { pg, runtime } => runtime.block_on(pg.push_due(now, limit)),
        }
    }

    pub fn push_sent(&self, row: i64) -> Result<(), StoreError> {
        match self {
            PushStore::Sqlite(s) => s.push_sent(row),
            PushStore::Postgres { pg, runtime } => runtime.block_on(pg.push_sent(row)),
        }
    }

    pub fn push_later(&self, row: i64, attempts: u32, next: Instant) -> Result<(), StoreError> {
        match self {
            PushStore::Sqlite(s) => s.push_later(row, attempts, next),
            PushStore::Postgres { pg, runtime } => {
                runtime.block_on(pg.push_later(row, attempts, next))
            }
        }
    }

    pub fn push_sweep(&self, before: Instant) -> Result<usize, StoreError> {
        match self {
            PushStore::Sqlite(s) => s.push_sweep(before),
            PushStore::Postgres { pg, runtime } => runtime.block_on(pg.push_sweep(before)),
        }
    }
}
