//! Where operators, notices, takeovers and the audit log live: the node's
//! own SQLite store, or PostgreSQL shared by every node (`[store] url`).
//! The notice and takeover APIs and the command line go through [`Shared`]
//! and need not know which.

use std::sync::Arc;

use quai_protocol::{AuditEntry, EmergencyInput, NoticeInput, OperatorNotice, StoredEmergency};

use super::{Change, Operator, Postgres, Store, StoreError};
use crate::notice::Scope;

#[derive(Debug, Clone)]
pub enum Shared {
    /// One `serve` process writes (the default).
    Sqlite(Arc<Store>),
    /// Any node writes; the ingest node hears of each write (`notice::watch`).
    Postgres(Arc<Postgres>),
}

/// Runs a SQLite call on a blocking thread.
async fn blocking<T: Send + 'static, E: From<StoreError> + Send + 'static>(
    store: &Arc<Store>,
    f: impl FnOnce(&Store) -> Result<T, E> + Send + 'static,
) -> Result<T, E> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(&store))
        .await
        .map_err(|_| E::from(StoreError::Task))?
}

impl Shared {
    /// The PostgreSQL store, when it is one.
    pub fn postgres(&self) -> Option<&Arc<Postgres>> {
        match self {
            Shared::Postgres(pg) => Some(pg),
            Shared::Sqlite(_) => None,
        }
    }

    pub async fn notice_insert(
        &self,
        input: NoticeInput,
        operator: String,
    ) -> Result<OperatorNotice, StoreError> {
        match self {
            Shared::Sqlite(s) => blocking(s, move |s| s.notice_insert(&input, &operator)).await,
            Shared::Postgres(pg) => pg.notice_insert(&input, &operator).await,
        }
    }

    /// See [`Store::notice_change`].
    pub async fn notice_change<E: From<StoreError> + Send + 'static>(
        &self,
        id: String,
        expected: u64,
        operator: String,
        decide: impl FnOnce(&OperatorNotice) -> Result<Change, E> + Send + 'static,
    ) -> Result<OperatorNotice, E> {
        match self {
            Shared::Sqlite(s) => {
                blocking(s, move |s| {
                    s.notice_change(&id, expected, &operator, decide)
                })
                .await
            }
            Shared::Postgres(pg) => pg.notice_change(&id, expected, &operator, decide).await,
        }
    }

    /// Every notice, ended ones included, oldest first.
    pub async fn notices(&self) -> Result<Vec<OperatorNotice>, StoreError> {
        match self {
            Shared::Sqlite(s) => blocking(s, Store::notices).await,
            Shared::Postgres(pg) => pg.notices().await,
        }
    }

    pub async fn operator_add(
        &self,
        name: String,
        scopes: Vec<Scope>,
        emergency: bool,
    ) -> Result<String, StoreError> {
        match self {
            Shared::Sqlite(s) => {
                blocking(s, move |s| s.operator_add(&name, &scopes, emergency)).await
            }
            Shared::Postgres(pg) => pg.operator_add(&name, &scopes, emergency).await,
        }
    }

    pub async fn operator_revoke(&self, name: String) -> Result<(), StoreError> {
        match self {
            Shared::Sqlite(s) => blocking(s, move |s| s.operator_revoke(&name)).await,
            Shared::Postgres(pg) => pg.operator_revoke(&name).await,
        }
    }

    pub async fn operators(&self) -> Result<Vec<Operator>, StoreError> {
        match self {
            Shared::Sqlite(s) => blocking(s, Store::operators).await,
            Shared::Postgres(pg) => pg.operators().await,
        }
    }

    /// The active operator holding `token`.
    pub async fn operator_by_token(&self, token: String) -> Result<Option<Operator>, StoreError> {
        match self {
            Shared::Sqlite(s) => blocking(s, move |s| s.operator_by_token(&token)).await,
            Shared::Postgres(pg) => pg.operator_by_token(&token).await,
        }
    }

    pub async fn audit(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        match self {
            Shared::Sqlite(s) => blocking(s, move |s| s.audit(limit)).await,
            Shared::Postgres(pg) => pg.audit(limit).await,
        }
    }

    /// Stores a new takeover and its audit entry, durably.
    pub async fn emergency_insert(
        &self,
        input: EmergencyInput,
        operator: String,
    ) -> Result<StoredEmergency, StoreError> {
        match self {
            Shared::Sqlite(s) => blocking(s, move |s| s.emergency_insert(&input, &operator)).await,
            Shared::Postgres(pg) => pg.emergency_insert(&input, &operator).await,
        }
    }

    /// Ends takeover `id` now; None when there is none running by that id.
    pub async fn emergency_end(
        &self,
        id: String,
        operator: String,
    ) -> Result<Option<StoredEmergency>, StoreError> {
        match self {
            Shared::Sqlite(s) => blocking(s, move |s| s.emergency_end(&id, &operator)).await,
            Shared::Postgres(pg) => pg.emergency_end(&id, &operator).await,
        }
    }

    pub async fn audit_verify(&self) -> Result<usize, StoreError> {
        match self {
            Shared::Sqlite(s) => blocking(s, Store::audit_verify).await,
            Shared::Postgres(pg) => pg.audit_verify().await,
        }
    }
}
