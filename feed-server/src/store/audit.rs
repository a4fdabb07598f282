//! The audit log: who changed what, when, with the value before and after.

use quai_protocol::AuditEntry;
use rusqlite::{Connection, params};

use super::{Store, StoreError};

/// What an audit entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    OperatorAdd,
    OperatorRevoke,
    Create,
    Update,
    End,
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
        let rows = stmt.query_map([limit as i64], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })?;
        let mut out: Vec<AuditEntry> = rows
            .map(|r| {
                let (at, operator, action, notice_id, before, after) = r?;
                let parse = |v: Option<String>| v.and_then(|s| serde_json::from_str(&s).ok());
                Ok(AuditEntry {
                    at,
                    operator,
                    action,
                    notice_id,
                    before: parse(before),
                    after: parse(after),
                })
            })
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
    conn.execute(
        "INSERT INTO audit (at, operator, action, notice_id, before, after) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            at,
            operator,
            action.as_str(),
            notice_id,
            before.map(|v| v.to_string()),
            after.map(|v| v.to_string())
        ],
    )?;
    Ok(())
}
