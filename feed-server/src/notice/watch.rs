//! Keeps a node's notices and takeovers in step with PostgreSQL (`[store]
//! url`, docs/scaling.md): a notice or a takeover written through any node
//! is committed there and notified on
//! [`CHANNEL`](crate::store::postgres::CHANNEL) (a takeover's id after
//! [`EMERGENCY`]); every node listens, reads it and puts it in its list. A
//! node that builds boards (single or ingest) then republishes them, so
//! that a write made on one edge reaches every edge's clients through the
//! ingest node and NATS, and the standby ingest node holds the takeovers
//! the active one showed.
//!
//! Nothing is missed across a lost connection: each time the listener
//! connects, it reads every notice and every running takeover again before
//! taking ids (a notice's version held is never replaced by an older one,
//! [`Notices::replace`]; a takeover held but no longer running there has
//! ended meanwhile). A connection
//! lost without a word is found by TCP keepalives and by a `SELECT 1`
//! every 30 s.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Notices;
use crate::clock::Clock;
use crate::emergency::Emergencies;
use crate::publish::Boards;
use crate::store::postgres::EMERGENCY;
use crate::store::{Postgres, StoreError};

/// What the watch keeps in step.
#[derive(Debug, Clone)]
pub struct Kept {
    pub notices: Notices,
    pub emergencies: Emergencies,
    /// The server's clock (which takeovers are running).
    pub clock: Clock,
}

/// Wait before listening again after a failure.
const RETRY: Duration = Duration::from_secs(1);

/// How often a quiet listener checks that its connection still answers.
const PING: Duration = Duration::from_secs(30);

/// Follows PostgreSQL's notices and takeovers into `kept` until `cancel`;
/// with `boards`, republishes them after each change.
pub async fn run(pg: Arc<Postgres>, kept: Kept, boards: Option<Boards>, cancel: CancellationToken) {
    let mut failing = false;
    loop {
        let session = tokio::select! {
            _ = cancel.cancelled() => return,
            r = follow(&pg, &kept, boards.as_ref(), &mut failing) => r,
        };
        if let Err(e) = session
            && !std::mem::replace(&mut failing, true)
        {
            tracing::warn!(target = pg.target(), error = %e, "cannot follow notices in PostgreSQL; trying again every second");
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(RETRY) => {}
        }
    }
}

/// One listening session: every notice, then each one written, until the
/// connection is lost.
async fn follow(
    pg: &Postgres,
    kept: &Kept,
    boards: Option<&Boards>,
    failing: &mut bool,
) -> Result<(), StoreError> {
    let Kept {
        notices,
        emergencies,
        clock,
    } = kept;
    let mut listener = pg.listen().await?;
    let mut changed = false;
    for notice in pg.notices().await? {
        changed |= notices.replace(notice);
    }
    notices.mark_loaded();
    let version = emergencies.version();
    emergencies.take_all(pg.emergencies().await?, clock.now());
    changed |= emergencies.version() != version;
    if std::mem::replace(failing, false) {
        tracing::info!(
            target = pg.target(),
            "following notices in PostgreSQL again"
        );
    }
    republish(boards, changed);
    let mut ping = tokio::time::interval(PING);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let id = tokio::select! {
            id = listener.ids.recv() => id,
            _ = ping.tick() => {
                if listener.answers().await {
                    continue;
                }
                None
            }
        };
        let Some(id) = id else { break };
        let mut ids = vec![id];
        // A burst is merged once.
        while let Ok(id) = listener.ids.try_recv() {
            ids.push(id);
        }
        ids.dedup();
        let mut changed = false;
        for id in ids {
            if let Some(id) = id.strip_prefix(EMERGENCY) {
                if let Some(stored) = pg.emergency(id).await? {
                    emergencies.replace(stored, clock.now());
                    changed = true;
                }
            } else if let Some(notice) = pg.notice(&id).await? {
                changed |= notices.replace(notice);
            }
        }
        republish(boards, changed);
    }
    Err(StoreError::PostgresLost)
}

fn republish(boards: Option<&Boards>, changed: bool) {
    if changed && let Some(boards) = boards {
        boards.publish_all();
    }
}
