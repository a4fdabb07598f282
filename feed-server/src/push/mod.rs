//! Web Push alerts for the passenger app (docs/app.md, docs/privacy.md):
//! a browser subscribes to lines, stops or trips (`/v1/push/…`,
//! [`crate::http::push`]); the [`watch`]er looks at what they follow and
//! decides what to tell ([`follow`], [`change`]); the [`send`]er encrypts
//! and delivers through the browser's push service ([`vapid`] signs).
//!
//! Decided pushes wait in the store's outbox: none is lost when a push
//! service is down or the server restarts, and a change recorded as told
//! is never queued again. Push is off without a `[push] contact` or a data
//! dir (or PostgreSQL: [`PushStore`]).

pub mod change;
pub mod follow;
pub mod send;
pub mod store;
pub mod vapid;
pub mod watch;

use std::sync::Arc;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::config::PushSettings;
use crate::lease::Lease;
use crate::publish::Boards;
use crate::store::{Postgres, Store, StoreError};
pub use store::PushStore;

/// Whether this node watches and sends now: always, or, when two ingest
/// nodes share PostgreSQL (`[store] url`), while it holds the ingest lease,
/// so that a push goes out once.
#[derive(Debug, Clone, Default)]
pub struct Turn(Option<Arc<Lease>>);

impl Turn {
    /// While `lease` is held.
    pub fn holding(lease: Arc<Lease>) -> Turn {
        Turn(Some(lease))
    }

    pub fn now(&self) -> bool {
        self.0.as_ref().is_none_or(|l| l.holds())
    }
}

/// What the push routes need: the settings, the store and the public key.
#[derive(Debug, Clone)]
pub struct Push {
    pub settings: PushSettings,
    pub store: PushStore,
    pub vapid: Arc<vapid::Vapid>,
    pub counters: Arc<send::PushCounters>,
    wake: Arc<Notify>,
}

impl Push {
    /// Push alerts for `boards` with `store`, when configured.
    pub fn new(boards: &Boards, store: &Arc<Store>) -> Result<Option<Push>, StoreError> {
        let Some(settings) = boards.deployment.push.clone() else {
            return Ok(None);
        };
        let vapid = vapid::Vapid::load(store, &settings.contact)?;
        Ok(Some(Push::with(
            settings,
            PushStore::Sqlite(store.clone()),
            vapid,
        )))
    }

    /// Push alerts for `boards` with their subscriptions and key in
    /// PostgreSQL, when configured. On the server's runtime.
    pub async fn with_postgres(
        boards: &Boards,
        pg: &Arc<Postgres>,
    ) -> Result<Option<Push>, StoreError> {
        let Some(settings) = boards.deployment.push.clone() else {
            return Ok(None);
        };
        let pkcs8 = pg.push_key(vapid::Vapid::generate()?).await?;
        let vapid = vapid::Vapid::from_pkcs8(&pkcs8, &settings.contact)?;
        let store = PushStore::Postgres {
            pg: pg.clone(),
            runtime: tokio::runtime::Handle::current(),
        };
        Ok(Some(Push::with(settings, store, vapid)))
    }

    fn with(settings: PushSettings, store: PushStore, vapid: vapid::Vapid) -> Push {
        Push {
            settings,
            store,
            vapid: Arc::new(vapid),
            counters: Arc::default(),
            wake: Arc::default(),
        }
    }

    /// Starts the watcher and the sender on `tasks`; they end with `cancel`;
    /// they work while `turn` says so.
    pub fn spawn(
        &self,
        boards: &Boards,
        turn: Turn,
        tasks: &mut tokio::task::JoinSet<()>,
        cancel: &CancellationToken,
    ) {
        let timezone = self.settings.timezone.unwrap_or_else(|| {
            boards
                .deployment
                .stations
                .first()
                .map_or(chrono_tz::Europe::Paris, |s| s.timezone)
        });
        let watcher = watch::Watcher {
            settings: self.settings.clone(),
            store: self.store.clone(),
            turn: turn.clone(),
            trips: boards.trip_views(),
            stops: boards.stop_stations.clone(),
            timezone,
            wake: self.wake.clone(),
        };
        tasks.spawn(watcher.run(cancel.child_token()));
        match crate::sources::http::push_client(std::time::Duration::from_secs(15)) {
            Ok(client) => {
                let sender = send::Sender {
                    settings: self.settings.clone(),
                    timezone,
                    clock: boards.clock,
                    store: self.store.clone(),
                    turn,
                    vapid: self.vapid.clone(),
                    client,
                    wake: self.wake.clone(),
                    counters: self.counters.clone(),
                    recent: Default::default(),
                };
                tasks.spawn(sender.run(cancel.child_token()));
            }
            Err(e) => tracing::error!("push alerts: no HTTP client: {e}"),
        }
    }
}
