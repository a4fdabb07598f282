//! Operators and the audit log in PostgreSQL (as `store::operators` and
//! `store::audit` keep them in SQLite).

use quai_protocol::AuditEntry;
use tokio_postgres::Row;

use super::super::audit::{AuditAction, Fields};
use super::super::operators::{ADMIN, Operator, check_name, parse_scopes, scope_texts};
use super::super::{StoreError, new_token, now, token_hash};
use super::notices::append;
use super::{Postgres, write_lock};
use crate::notice::Scope;

impl Postgres {
    /// Adds an operator (or gives a revoked one a new token and scopes);
    /// returns its token, which is not stored.
    pub async fn operator_add(
        &self,
        name: &str,
        scopes: &[Scope],
        emergency: bool,
    ) -> Result<String, StoreError> {
        check_name(name)?;
        let token = new_token()?;
        let hash = token_hash(&token);
        let (scopes, scopes_json) = scope_texts(scopes)?;
        let at = now();
        let name = name.to_string();
        self.run(move |client| {
            Box::pin(async move {
                let tx = client.transaction().await?;
                write_lock(&tx).await?;
                let active = tx
                    .query_opt(
                        "SELECT 1 FROM operators WHERE name = $1 AND revoked_at IS NULL",
                        &[&name],
                    )
                    .await?;
                if active.is_some() {
                    return Err(StoreError::OperatorExists(name));
                }
                tx.execute(
                    "INSERT INTO operators (name, token_hash, scopes, created_at, emergency) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (name) DO UPDATE SET token_hash = $2, scopes = $3, created_at = $4, emergency = $5, revoked_at = NULL",
                    &[&name, &hash, &scopes_json, &at, &emergency],
                )
                .await?;
                let what = serde_json::json!({"name": name, "scopes": scopes, "emergency": emergency});
                append(&tx, Fields::new(&at, ADMIN, AuditAction::OperatorAdd, None, None, Some(&what))).await?;
                tx.commit().await?;
                Ok(())
            })
        })
        .await?;
        Ok(token)
    }

    pub async fn operator_revoke(&self, name: &str) -> Result<(), StoreError> {
        let at = now();
        let name = name.to_string();
        self.run(move |client| {
            Box::pin(async move {
                let tx = client.transaction().await?;
                write_lock(&tx).await?;
                let n = tx
                    .execute(
                        "UPDATE operators SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL",
                        &[&name, &at],
                    )
                    .await?;
                if n == 0 {
                    return Err(StoreError::NoOperator(name));
                }
                let what = serde_json::json!({"name": name});
                append(&tx, Fields::new(&at, ADMIN, AuditAction::OperatorRevoke, None, None, Some(&what))).await?;
                tx.commit().await?;
                Ok(())
            })
        })
        .await
    }

    pub async fn operators(&self) -> Result<Vec<Operator>, StoreError> {
        self.run(|client| {
            Box::pin(async move {
                let rows = client
                    .query(
                        "SELECT name, scopes, created_at, revoked_at, emergency FROM operators ORDER BY name",
                        &[],
                    )
                    .await?;
                rows.iter().map(operator).collect()
            })
        })
        .await
    }

    /// The active (not revoked) operator holding `token`.
    pub async fn operator_by_token(&self, token: &str) -> Result<Option<Operator>, StoreError> {
        let hash = token_hash(token);
        self.run(move |client| {
            Box::pin(async move {
                let row = client
                    .query_opt(
                        "SELECT name, scopes, created_at, revoked_at, emergency FROM operators WHERE token_hash = $1 AND revoked_at IS NULL",
                        &[&hash],
                    )
                    .await?;
                row.as_ref().map(operator).transpose()
            })
        })
        .await
    }

    /// The audit log, newest last; at most `limit` entries (the most recent).
    pub async fn audit(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run(move |client| {
            Box::pin(async move {
                let rows = client
                    .query(
                        "SELECT at, operator, action, notice_id, before, after FROM audit ORDER BY seq DESC LIMIT $1",
                        &[&limit],
                    )
                    .await?;
                let mut out = rows
                    .iter()
                    .map(|r| Ok(fields(r)?.entry()))
                    .collect::<Result<Vec<_>, StoreError>>()?;
                out.reverse();
                Ok(out)
            })
        })
        .await
    }

    /// Checks the whole chain; the number of entries when it holds.
    pub async fn audit_verify(&self) -> Result<usize, StoreError> {
        self.run(|client| {
            Box::pin(async move {
                let rows = client
                    .query(
                        "SELECT seq, at, operator, action, notice_id, before, after, hash FROM audit ORDER BY seq",
                        &[],
                    )
                    .await?;
                let mut previous = String::new();
                for row in &rows {
                    let seq: i64 = row.try_get("seq")?;
                    let stored: String = row.try_get("hash")?;
                    let expected = fields(row)?.hash(&previous);
                    if stored != expected {
                        return Err(StoreError::AuditBroken { seq });
                    }
                    previous = expected;
                }
                Ok(rows.len())
            })
        })
        .await
    }
}

fn operator(row: &Row) -> Result<Operator, StoreError> {
    let scopes: String = row.try_get("scopes")?;
    Ok(Operator {
        name: row.try_get("name")?,
        scopes: parse_scopes(&scopes)?,
        emergency: row.try_get("emergency")?,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

fn fields(row: &Row) -> Result<Fields, StoreError> {
    Ok(Fields {
        at: row.try_get("at")?,
        operator: row.try_get("operator")?,
        action: row.try_get("action")?,
        notice_id: row.try_get("notice_id")?,
        before: row.try_get("before")?,
        after: row.try_get("after")?,
    })
}
