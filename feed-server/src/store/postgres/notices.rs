//! Notices in PostgreSQL: every version of each, written with its audit entry
//! and its notification in one transaction (as `store::notices` does in SQLite).

use quai_protocol::{NoticeInput, OperatorNotice};
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use super::super::StoreError;
use super::super::audit::{AuditAction, Fields};
use super::super::notices::{
    Change, Parts, body, first_version, from_parts, next_version, to_value,
};
use super::{CHANNEL, Postgres, write_lock};

const COLUMNS: &str = "id, version, body, created_by, created_at, updated_at, ended_at";

impl Postgres {
    /// Stores a new notice (version 1) and its audit entry; returns once
    /// committed.
    pub async fn notice_insert(
        &self,
        input: &NoticeInput,
        operator: &str,
    ) -> Result<OperatorNotice, StoreError> {
        let notice = first_version(input, operator)?;
        let body = body(input)?;
        let operator = operator.to_string();
        let per_minute = self.notice_writes_per_minute();
        self.run(move |client| {
            Box::pin(async move {
                let tx = client.transaction().await?;
                write_lock(&tx).await?;
                budget(&tx, &operator, per_minute).await?;
                tx.execute(
                    "INSERT INTO notices (id, version, body, created_by, created_at, updated_at) VALUES ($1, 1, $2, $3, $4, $4)",
                    &[&notice.id, &body, &notice.created_by, &notice.created_at],
                )
                .await?;
                let entry = Fields::new(
                    &notice.created_at,
                    &operator,
                    AuditAction::Create,
                    Some(&notice.id),
                    None,
                    Some(&to_value(&notice)),
                );
                append(&tx, entry).await?;
                notify(&tx, &notice.id).await?;
                tx.commit()
                    .await
                    .map_err(|e| StoreError::CommitUnknown(e.to_string()))?;
                Ok(notice)
            })
        })
        .await
    }

    /// Writes a new version of notice `id` if it is still at `expected`:
    /// `decide` sees it as stored, under the write lock, as
    /// `Store::notice_change` does.
    pub async fn notice_change<E: From<StoreError> + Send + 'static>(
        &self,
        id: &str,
        expected: u64,
        operator: &str,
        decide: impl FnOnce(&OperatorNotice) -> Result<Change, E> + Send + 'static,
    ) -> Result<OperatorNotice, E> {
        let (id, operator) = (id.to_string(), operator.to_string());
        let per_minute = self.notice_writes_per_minute();
        self.run(move |client| {
            Box::pin(async move {
                let tx = client.transaction().await.map_err(StoreError::from)?;
                write_lock(&tx).await?;
                budget(&tx, &operator, per_minute).await?;
                let row = tx
                    .query_opt(
                        &format!("SELECT {COLUMNS} FROM notices WHERE id = $1 FOR UPDATE"),
                        &[&id],
                    )
                    .await
                    .map_err(StoreError::from)?;
                let id = id.as_str();
                let before = match row {
                    Some(row) => notice(&row)?,
                    None => return Err(StoreError::NoNotice(id.to_string()).into()),
                };
                let change = decide(&before)?;
                let (after, action) = next_version(&before, expected, change)?;
                let body = body(&after.input)?;
                tx.execute(
                    "UPDATE notices SET version = $2, body = $3, updated_at = $4, ended_at = $5 WHERE id = $1",
                    &[&id, &(after.version as i64), &body, &after.updated_at, &after.ended_at],
                )
                .await
                .map_err(StoreError::from)?;
                let entry = Fields::new(
                    &after.updated_at,
                    &operator,
                    action,
                    Some(id),
                    Some(&to_value(&before)),
                    Some(&to_value(&after)),
                );
                append(&tx, entry).await?;
                notify(&tx, id).await?;
                tx.commit()
                    .await
                    .map_err(|e| StoreError::CommitUnknown(e.to_string()))?;
                Ok(after)
            })
        })
        .await
    }

    pub async fn notice(&self, id: &str) -> Result<Option<OperatorNotice>, StoreError> {
        let id = id.to_string();
        self.run(move |client| {
            Box::pin(async move {
                let sql = format!("SELECT {COLUMNS} FROM notices WHERE id = $1");
                match client.query_opt(&sql, &[&id]).await? {
                    Some(row) => Ok(Some(notice(&row)?)),
                    None => Ok(None),
                }
            })
        })
        .await
    }

    /// Every notice, ended ones included, oldest first.
    pub async fn notices(&self) -> Result<Vec<OperatorNotice>, StoreError> {
        self.run(|client| {
            Box::pin(async move {
                let sql = format!("SELECT {COLUMNS} FROM notices ORDER BY created_at, id");
                client.query(&sql, &[]).await?.iter().map(notice).collect()
            })
        })
        .await
    }
}

fn notice(row: &Row) -> Result<OperatorNotice, StoreError> {
    let parts: Parts = (
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
        row.try_get(4)?,
        row.try_get(5)?,
        row.try_get(6)?,
    );
    from_parts(parts)
}

/// Refuses a notice write of `operator` when `per_minute` of them (new,
/// changed, ended; through any node) are in the audit log's last minute
/// (`[notices] writes_per_minute`; none: no limit). Counted under the write
/// lock, so every node's writes are counted exactly, one after the other.
async fn budget(
    tx: &tokio_postgres::Transaction<'_>,
    operator: &str,
    per_minute: Option<usize>,
) -> Result<(), StoreError> {
    let Some(per_minute) = per_minute else {
        return Ok(());
    };
    // The log's instants are the writing nodes' wall clocks, as text.
    let now = chrono::Utc::now();
    let since =
        (now - chrono::Duration::minutes(1)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    const WRITES: &str =
        "FROM audit WHERE operator = $1 AND at > $2 AND action IN ('create', 'update', 'end')";
    let count: i64 = tx
        .query_one(&format!("SELECT count(*) {WRITES}"), &[&operator, &since])
        .await?
        .try_get(0)?;
    let limit = i64::try_from(per_minute).unwrap_or(i64::MAX);
    if count < limit {
        return Ok(());
    }
    // A place is free once enough of them are a minute old.
    let freeing: Option<String> = tx
        .query_opt(
            &format!("SELECT at {WRITES} ORDER BY at OFFSET $3 LIMIT 1"),
            &[&operator, &since, &(count - limit)],
        )
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
    let wait_s = freeing
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
        .map_or(60, |t| {
            (t.to_utc() + chrono::Duration::minutes(1) - now).num_seconds()
        })
        .clamp(1, 60);
    Err(StoreError::RateLimited {
        per_minute,
        wait_s: wait_s as u64,
    })
}

/// Appends an entry to the audit log, chained to the last one (the caller
/// holds the write lock).
pub(super) async fn append(
    tx: &tokio_postgres::Transaction<'_>,
    entry: Fields,
) -> Result<(), StoreError> {
    let previous: String = match tx
        .query_opt("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1", &[])
        .await?
    {
        Some(row) => row.try_get(0)?,
        None => String::new(),
    };
    let hash = entry.hash(&previous);
    let values: [&(dyn ToSql + Sync); 7] = [
        &entry.at,
        &entry.operator,
        &entry.action,
        &entry.notice_id,
        &entry.before,
        &entry.after,
        &hash,
    ];
    tx.execute(
        "INSERT INTO audit (at, operator, action, notice_id, before, after, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &values,
    )
    .await?;
    Ok(())
}

/// Tells the listening nodes, at commit, that notice `id` changed.
async fn notify(tx: &tokio_postgres::Transaction<'_>, id: &str) -> Result<(), StoreError> {
    tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &id])
        .await?;
    Ok(())
}
