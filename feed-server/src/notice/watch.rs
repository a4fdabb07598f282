//! Keeps a node's notices in step with PostgreSQL (`[store] url`,
//! docs/scaling.md): a notice written through any node is committed there
//! and notified on [`CHANNEL`](crate::store::postgres::CHANNEL); every node
//! listens, reads the notice and puts it in its list. A node that builds
//! boards (single or ingest) then republishes them, so that a write made on
//! one edge reaches every edge's clients through the ingest node and NATS.
//!
//! Nothing is missed across a lost connection: each time the listener
//! connects, it reads every notice again before taking ids (a version held
//! is never replaced by an older one, [`Notices::replace`]). A connection
//! lost without a word is found by TCP keepalives and by a `SELECT 1`
//! every 30 s.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::Notices;
use crate::publish::Boards;
use crate::store::{Postgres, StoreError};

/// Wait before listening again after a failure.
const RETRY: Duration = Duration::from_secs(1);

/// How often a quiet listener checks that its connection still answers.
const PING: Duration = Duration::from_secs(30);

/// Follows PostgreSQL's notices into `notices` until `cancel`; with `boards`,
/// republishes them after each change.
pub async fn run(
    pg: Arc<Postgres>,
    notices: Notices,
    boards: Option<Boards>,
    cancel: CancellationToken,
) {
    let mut failing = false;
    loop {
        let session = tokio::select! {
            _ = cancel.cancelled() => return,
            r = follow(&pg, &notices, boards.as_ref(), &mut failing) => r,
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
    notices: &Notices,
    boards: Option<&Boards>,
    failing: &mut bool,
) -> Result<(), StoreError> {
    let mut listener = pg.listen().await?;
    let mut changed = false;
    for notice in pg.notices().await? {
        changed |= notices.replace(notice);
    }
    notices.mark_loaded();
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
            if let Some(notice) = pg.notice(&id).await? {
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
