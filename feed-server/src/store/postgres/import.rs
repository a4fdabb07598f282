//! A data dir's SQLite copied into PostgreSQL (`feed-server import`,
//! [`crate::store::import`]): in one transaction, under the write lock, and
//! only into a PostgreSQL that holds none of it yet (an import is for
//! switching an installation, not for merging two: two audit logs cannot
//! be one chain, and two VAPID keys cannot both be the server's).
//!
//! On a connection of its own, without the 5 s bound of the nodes' calls: a
//! long-lived station's audit log and subscriptions take longer.

use tokio_postgres::types::ToSql;

use super::super::StoreError;
use super::super::import::Exported;
use super::{Postgres, write_lock};

/// What PostgreSQL must not hold yet, by table.
const TABLES: [&str; 5] = [
    "operators",
    "notices",
    "audit",
    "emergencies",
    "push_subscriptions",
];

impl Postgres {
    /// Copies `exported` in; refused, copying nothing, when PostgreSQL
    /// already holds operators, notices, audit entries, takeovers or
    /// subscriptions, or a push key other than the one copied.
    pub async fn import(&self, exported: &Exported) -> Result<(), StoreError> {
        let mut client = self.session().await?;
        client.batch_execute("SET statement_timeout = 0").await?;
        let tx = client.transaction().await?;
        write_lock(&tx).await?;
        let mut held = Vec::new();
        for table in TABLES {
            let n: i64 = tx
                .query_one(&format!("SELECT count(*) FROM {table}"), &[])
                .await?
                .try_get(0)?;
            if n > 0 {
                held.push(format!("{n} rows in {table}"));
            }
        }
        let key: Option<Vec<u8>> = tx
            .query_opt("SELECT pkcs8 FROM push_keys WHERE id = 1", &[])
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        let other_key =
            key.is_some_and(|k| exported.push_key.as_ref().is_none_or(|(e, _)| *e != k));
        if other_key {
            // A node started on this PostgreSQL made a key of its own.
            held.push("a push key of its own (a node has run on it)".into());
        }
        if !held.is_empty() {
            return Err(StoreError::NotEmpty(held.join(", ")));
        }
        for o in &exported.operators {
            let row: [&(dyn ToSql + Sync); 6] = [&o.0, &o.1, &o.2, &o.3, &o.4, &o.5];
            tx.execute(
                "INSERT INTO operators (name, token_hash, scopes, created_at, revoked_at, emergency) VALUES ($1, $2, $3, $4, $5, $6)",
                &row,
            )
            .await?;
        }
        for n in &exported.notices {
            let row: [&(dyn ToSql + Sync); 7] = [&n.0, &n.1, &n.2, &n.3, &n.4, &n.5, &n.6];
            tx.execute(
                "INSERT INTO notices (id, version, body, created_by, created_at, updated_at, ended_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &row,
            )
            .await?;
        }
        // In order: the chain is the order (an entry's hash names the one
        // before), not the numbers.
        for a in &exported.audit {
            let row: [&(dyn ToSql + Sync); 7] = [&a.0, &a.1, &a.2, &a.3, &a.4, &a.5, &a.6];
            tx.execute(
                "INSERT INTO audit (at, operator, action, notice_id, before, after, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &row,
            )
            .await?;
        }
        for e in &exported.emergencies {
            let row: [&(dyn ToSql + Sync); 6] = [&e.0, &e.1, &e.2, &e.3, &e.4, &e.5];
            tx.execute(
                "INSERT INTO emergencies (id, body, started_by, started_at, ended_at, ended_by) VALUES ($1, $2, $3, $4, $5, $6)",
                &row,
            )
            .await?;
        }
        if let Some((pkcs8, created_at)) = &exported.push_key {
            tx.execute(
                "INSERT INTO push_keys (id, pkcs8, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING",
                &[pkcs8, created_at],
            )
            .await?;
            // A node starting meanwhile may have made one (its key is not
            // made under the write lock): the copied one, or nothing.
            let held: Vec<u8> = tx
                .query_one("SELECT pkcs8 FROM push_keys WHERE id = 1", &[])
                .await?
                .try_get(0)?;
            if held != *pkcs8 {
                return Err(StoreError::NotEmpty(
                    "a push key of its own (a node started during the import)".into(),
                ));
            }
        }
        for s in &exported.subscriptions {
            let row: [&(dyn ToSql + Sync); 7] = [&s.0, &s.1, &s.2, &s.3, &s.4, &s.5, &s.6];
            tx.execute(
                "INSERT INTO push_subscriptions (id, endpoint, p256dh, auth, lang, created_at, seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &row,
            )
            .await?;
        }
        for f in &exported.follows {
            tx.execute(
                "INSERT INTO push_follows (subscription, follow, seen) VALUES ($1, $2, $3)",
                &[&f.0, &f.1, &f.2],
            )
            .await?;
        }
        for o in &exported.outbox {
            let row: [&(dyn ToSql + Sync); 8] = [&o.0, &o.1, &o.2, &o.3, &o.4, &o.5, &o.6, &o.7];
            tx.execute(
                "INSERT INTO push_outbox (subscription, tag, payload, urgency, ttl_s, attempts, next_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &row,
            )
            .await?;
        }
        tx.commit()
            .await
            .map_err(|e| StoreError::CommitUnknown(e.to_string()))?;
        Ok(())
    }
}
