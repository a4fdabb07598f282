//! The audit log: who changed what, when, with the value before and after.
//!
//! The log is tamper-evident: each entry carries the SHA-256 of its own fields
//! and of the entry before it, so that editing, inserting or removing an entry
//! breaks the chain from there on ([`Store::audit_verify`],
//! `feed-server audit --verify`). Entries written before the chain existed are
//! chained, in order, the first time a newer server opens the store.

use quai_protocol::AuditEntry;
use rusqlite::{Connection, OptionalExtension, params};

use super::{Store, StoreError, sha256_hex};

/// What an audit entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    OperatorAdd,
    OperatorRevoke,
    Create,
    Update,
    End,
    EmergencyStart,
    EmergencyEnd,
}

impl AuditAction {
    /// As the log writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::OperatorAdd => "operator_add",
            AuditAction::OperatorRevoke => "operator_revoke",
            AuditAction::Create => "create",
            AuditAction::Update => "update",
            AuditAction::End => "end",
            AuditAction::EmergencyStart => "emergency_start",
            AuditAction::EmergencyEnd => "emergency_end",
        }
    }
}

impl Store {
    /// The audit log, newest last; at most `limit` entries (the most recent).
    pub fn audit(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT at, operator, action, notice_id, before, after FROM audit ORDER BY seq DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], Fields::read)?;
        let mut out: Vec<AuditEntry> = rows
            .map(|r| Ok(r?.entry()))
            .collect::<Result<_, StoreError>>()?;
        out.reverse();
        Ok(out)
    }
}

pub(super) fn audit(
    conn: &Connection,
    at: &str,
    operator: &str,
    action: AuditAction,
    notice_id: Option<&str>,
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> Result<(), StoreError> {
    let fields = Fields::new(at, operator, action, notice_id, before, after);
    let previous = last_hash(conn)?;
    conn.execute(
        "INSERT INTO audit (at, operator, action, notice_id, before, after, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            fields.at,
            fields.operator,
            fields.action,
            fields.notice_id,
            fields.before,
            fields.after,
            fields.hash(&previous)
        ],
    )?;
    Ok(())
}

/// One entry's fields as stored.
pub(super) struct Fields {
    pub(super) at: String,
    pub(super) operator: String,
    pub(super) action: String,
    pub(super) notice_id: Option<String>,
    pub(super) before: Option<String>,
    pub(super) after: Option<String>,
}

impl Fields {
    pub(super) fn new(
        at: &str,
        operator: &str,
        action: AuditAction,
        notice_id: Option<&str>,
        before: Option<&serde_json::Value>,
        after: Option<&serde_json::Value>,
    ) -> Fields {
        Fields {
            at: at.to_string(),
            operator: operator.to_string(),
            action: action.as_str().to_string(),
            notice_id: notice_id.map(str::to_string),
            before: before.map(|v| v.to_string()),
            after: after.map(|v| v.to_string()),
        }
    }

    /// As the API and `feed-server audit` show it.
    pub(super) fn entry(self) -> AuditEntry {
        let parse = |v: Option<String>| v.and_then(|s| serde_json::from_str(&s).ok());
        AuditEntry {
            at: self.at,
            operator: self.operator,
            action: self.action,
            notice_id: self.notice_id,
            before: parse(self.before),
            after: parse(self.after),
        }
    }

    fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Fields> {
        Ok(Fields {
            at: r.get("at")?,
            operator: r.get("operator")?,
            action: r.get("action")?,
            notice_id: r.get("notice_id")?,
            before: r.get("before")?,
            after: r.get("after")?,
        })
    }

    /// The entry's link in the chain: the previous hash and every field, each
    /// written with its length so that no two entries can write the same text.
    pub(super) fn hash(&self, previous: &str) -> String {
        let mut text = String::new();
        for part in [
            Some(previous),
            Some(self.at.as_str()),
            Some(self.operator.as_str()),
            Some(self.action.as_str()),
            self.notice_id.as_deref(),
            self.before.as_deref(),
            self.after.as_deref(),
        ] {
            match part {
                Some(p) => text.push_str(&format!("{}:{p};", p.len())),
                None => text.push_str("-;"),
            }
        }
        sha256_hex(text.as_bytes())
    }
}

/// The hash of the newest entry ("" for an empty log).
fn last_hash(conn: &Connection) -> Result<String, StoreError> {
    let hash: Option<Option<String>> = conn
        .query_row(
            "SELECT hash FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(hash.flatten().unwrap_or_default())
}

/// Chains, in order, the entries written before the chain existed.
pub(super) fn chain_unhashed(conn: &Connection) -> Result<(), StoreError> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, operator, action, notice_id, before, after, hash FROM audit ORDER BY seq",
    )?;
    let rows: Vec<(i64, Fields, Option<String>)> = stmt
        .query_map([], |r| {
            Ok((r.get("seq")?, Fields::read(r)?, r.get("hash")?))
        })?
        .collect::<Result<_, _>>()?;
    if rows.iter().all(|(_, _, h)| h.is_some()) {
        return Ok(());
    }
    let tx = conn.unchecked_transaction()?;
    let mut previous = String::new();
    for (seq, fields, hash) in rows {
        let hash = match hash {
            Some(h) => h,
            None => {
                let h = fields.hash(&previous);
                tx.execute("UPDATE audit SET hash = ?2 WHERE seq = ?1", params![seq, h])?;
                h
            }
        };
        previous = hash;
    }
    tx.commit()?;
    Ok(())
}

impl Store {
    /// Checks the whole chain; the number of entries when it holds.
    pub fn audit_verify(&self) -> Result<usize, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT seq, at, operator, action, notice_id, before, after, hash FROM audit ORDER BY seq",
        )?;
        let mut rows = stmt.query([])?;
        let mut previous = String::new();
        let mut count = 0;
        while let Some(r) = rows.next()? {
            let seq: i64 = r.get("seq")?;
            let stored: Option<String> = r.get("hash")?;
            let expected = Fields::read(r)?.hash(&previous);
            if stored.as_deref() != Some(expected.as_str()) {
                return Err(StoreError::AuditBroken { seq });
            }
            previous = expected;
            count += 1;
        }
        Ok(count)
    }
}
