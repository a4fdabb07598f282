//! Emergency takeovers in PostgreSQL: each written with its audit entry and
//! its notification (`emergency:{id}` on [`CHANNEL`]) in one transaction, as
//! `store::emergencies` does in SQLite. Shared, so that the standby ingest
//! node shows the takeovers the active one held when it takes over, and
//! an operator may start or end one through any node.

use quai_protocol::{EmergencyInput, StoredEmergency};
use tokio_postgres::Row;

use super::super::StoreError;
use super::super::audit::{AuditAction, Fields};
use super::super::emergencies::{Parts, body, from_parts, started, to_value};
use super::notices::append;
use super::{CHANNEL, EMERGENCY, Postgres, write_lock};

const COLUMNS: &str = "id, body, started_by, started_at, ended_at, ended_by";

impl Postgres {
    /// Stores a new takeover and its audit entry; returns once committed.
    pub async fn emergency_insert(
        &self,
        input: &EmergencyInput,
        operator: &str,
    ) -> Result<StoredEmergency, StoreError> {
        let emergency = started(input, operator)?;
        let body = body(input)?;
        self.run(move |client| {
            Box::pin(async move {
                let tx = client.transaction().await?;
                write_lock(&tx).await?;
                tx.execute(
                    "INSERT INTO emergencies (id, body, started_by, started_at) VALUES ($1, $2, $3, $4)",
                    &[&emergency.id, &body, &emergency.started_by, &emergency.started_at],
                )
                .await?;
                let entry = Fields::new(
                    &emergency.started_at,
                    &emergency.started_by,
                    AuditAction::EmergencyStart,
                    Some(&emergency.id),
                    None,
                    Some(&to_value(&emergency)),
                );
                append(&tx, entry).await?;
                notify(&tx, &emergency.id).await?;
                tx.commit()
                    .await
                    .map_err(|e| StoreError::CommitUnknown(e.to_string()))?;
                Ok(emergency)
            })
        })
        .await
    }

    /// Ends takeover `id` now, with its audit entry; None when there is no
    /// such takeover or it had already ended.
    pub async fn emergency_end(
        &self,
        id: &str,
        operator: &str,
    ) -> Result<Option<StoredEmergency>, StoreError> {
        let (id, operator) = (id.to_string(), operator.to_string());
        self.run(move |client| {
            Box::pin(async move {
                let tx = client.transaction().await?;
                write_lock(&tx).await?;
                let sql = format!("SELECT {COLUMNS} FROM emergencies WHERE id = $1 FOR UPDATE");
                let before = match tx.query_opt(&sql, &[&id]).await? {
                    Some(row) => emergency(&row)?,
                    None => return Ok(None),
                };
                if before.ended_at.is_some() {
                    return Ok(None);
                }
                let at = super::super::now();
                let after = StoredEmergency {
                    ended_at: Some(at.clone()),
                    ended_by: Some(operator.clone()),
                    ..before.clone()
                };
                tx.execute(
                    "UPDATE emergencies SET ended_at = $2, ended_by = $3 WHERE id = $1",
                    &[&id, &at, &operator],
                )
                .await?;
                let entry = Fields::new(
                    &at,
                    &operator,
                    AuditAction::EmergencyEnd,
                    Some(&id),
                    Some(&to_value(&before)),
                    Some(&to_value(&after)),
                );
                append(&tx, entry).await?;
                notify(&tx, &id).await?;
                tx.commit()
                    .await
                    .map_err(|e| StoreError::CommitUnknown(e.to_string()))?;
                Ok(Some(after))
            })
        })
        .await
    }

    /// Takeover `id` as stored, ended or not.
    pub async fn emergency(&self, id: &str) -> Result<Option<StoredEmergency>, StoreError> {
        let id = id.to_string();
        self.run(move |client| {
            Box::pin(async move {
                let sql = format!("SELECT {COLUMNS} FROM emergencies WHERE id = $1");
                match client.query_opt(&sql, &[&id]).await? {
                    Some(row) => Ok(Some(emergency(&row)?)),
                    None => Ok(None),
                }
            })
        })
        .await
    }

    /// The takeovers no operator ended, oldest first.
    pub async fn emergencies(&self) -> Result<Vec<StoredEmergency>, StoreError> {
        self.run(|client| {
            Box::pin(async move {
                let sql = format!(
                    "SELECT {COLUMNS} FROM emergencies WHERE ended_at IS NULL ORDER BY started_at, id"
                );
                client.query(&sql, &[]).await?.iter().map(emergency).collect()
            })
        })
        .await
    }
}

fn emergency(row: &Row) -> Result<StoredEmergency, StoreError> {
    let parts: Parts = (
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
        row.try_get(4)?,
        row.try_get(5)?,
    );
    from_parts(parts)
}

/// Tells the listening nodes, at commit, that takeover `id` changed.
async fn notify(tx: &tokio_postgres::Transaction<'_>, id: &str) -> Result<(), StoreError> {
    let payload = format!("{EMERGENCY}{id}");
    tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload])
        .await?;
    Ok(())
}
