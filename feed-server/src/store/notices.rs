//! Notices: every version of each, written with its audit entry in the same
//! transaction.

use quai_protocol::{NoticeInput, NoticeStatus, OperatorNotice};
use rusqlite::{Connection, OptionalExtension, params};

use super::audit::{AuditAction, audit};
use super::{Store, StoreError, now, random_hex};

/// What a write does to a notice.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A new content.
    Update(Box<NoticeInput>),
    /// It ends: it leaves every board and stays as history.
    End,
}

impl Store {
    /// Stores a new notice (version 1) and its audit entry, durably.
    pub fn notice_insert(
        &self,
        input: &NoticeInput,
        operator: &str,
    ) -> Result<OperatorNotice, StoreError> {
        let notice = first_version(input, operator)?;
        let (id, at) = (notice.id.clone(), notice.created_at.clone());
        let body = body(input)?;
        let conn = self.conn();
        let tx = conn.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO notices (id, version, body, created_by, created_at, updated_at) VALUES (?1, 1, ?2, ?3, ?4, ?4)",
            params![id, body, operator, at],
        )?;
        audit(
            &tx,
            &at,
            operator,
            AuditAction::Create,
            Some(&id),
            None,
            Some(&to_value(&notice)),
        )?;
        tx.commit()?;
        Ok(notice)
    }

    /// Writes a new version of notice `id`, if it is still at version
    /// `expected`. `decide` sees the notice as stored, in the same transaction
    /// as the write: whatever it checks (who may touch it, what the new version
    /// is) cannot be undone by another write in between. The version is checked
    /// after `decide`, so that a notice the caller may not see is refused as
    /// such whatever its version.
    pub fn notice_change<E: From<StoreError>>(
        &self,
        id: &str,
        expected: u64,
        operator: &str,
        decide: impl FnOnce(&OperatorNotice) -> Result<Change, E>,
    ) -> Result<OperatorNotice, E> {
        let conn = self.conn();
        let tx = conn.unchecked_transaction().map_err(StoreError::from)?;
        let before = read_notice(&tx, id)?.ok_or_else(|| StoreError::NoNotice(id.to_string()))?;
        let change = decide(&before)?;
        let (after, action) = next_version(&before, expected, change)?;
        let at = after.updated_at.clone();
        let body = body(&after.input)?;
        tx.execute(
            "UPDATE notices SET version = ?2, body = ?3, updated_at = ?4, ended_at = ?5 WHERE id = ?1",
            params![id, after.version as i64, body, at, after.ended_at],
        )
        .map_err(StoreError::from)?;
        audit(
            &tx,
            &at,
            operator,
            action,
            Some(id),
            Some(&to_value(&before)),
            Some(&to_value(&after)),
        )?;
        tx.commit().map_err(StoreError::from)?;
        Ok(after)
    }

    pub fn notice(&self, id: &str) -> Result<Option<OperatorNotice>, StoreError> {
        read_notice(&self.conn(), id)
    }

    /// Every notice, ended ones included, oldest first.
    pub fn notices(&self) -> Result<Vec<OperatorNotice>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, version, body, created_by, created_at, updated_at, ended_at FROM notices ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map([], row_parts)?;
        rows.map(|r| from_parts(r?)).collect()
    }
}

/// A new notice at version 1, written now by `operator`, with a new id.
pub(super) fn first_version(
    input: &NoticeInput,
    operator: &str,
) -> Result<OperatorNotice, StoreError> {
    let at = now();
    Ok(OperatorNotice {
        id: format!("n-{}", random_hex(8)?),
        version: 1,
        input: input.clone(),
        created_by: operator.to_string(),
        created_at: at.clone(),
        updated_at: at,
        ended_at: None,
    })
}

/// The version after `before` once `change` is made now, and what the audit
/// log calls it; refused unless `before` is at version `expected`.
pub(super) fn next_version(
    before: &OperatorNotice,
    expected: u64,
    change: Change,
) -> Result<(OperatorNotice, AuditAction), StoreError> {
    if before.version != expected {
        return Err(StoreError::VersionConflict {
            id: before.id.clone(),
            current: before.version,
            expected,
        });
    }
    let at = now();
    let mut after = before.clone();
    after.version += 1;
    after.updated_at = at.clone();
    let action = match change {
        Change::Update(input) => {
            after.input = *input;
            AuditAction::Update
        }
        Change::End => {
            after.input.status = NoticeStatus::Ended;
            after.ended_at = Some(at);
            AuditAction::End
        }
    };
    Ok((after, action))
}

/// A notice's content as stored: JSON.
pub(super) fn body(input: &NoticeInput) -> Result<String, StoreError> {
    serde_json::to_string(input).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(super) type Parts = (String, i64, String, String, String, String, Option<String>);

fn row_parts(r: &rusqlite::Row<'_>) -> rusqlite::Result<Parts> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

pub(super) fn from_parts(p: Parts) -> Result<OperatorNotice, StoreError> {
    let (id, version, body, created_by, created_at, updated_at, ended_at) = p;
    Ok(OperatorNotice {
        input: serde_json::from_str(&body)
            .map_err(|e| StoreError::Corrupt(format!("notice {id}: {e}")))?,
        id,
        version: version.max(0) as u64,
        created_by,
        created_at,
        updated_at,
        ended_at,
    })
}

fn read_notice(conn: &Connection, id: &str) -> Result<Option<OperatorNotice>, StoreError> {
    conn.query_row(
        "SELECT id, version, body, created_by, created_at, updated_at, ended_at FROM notices WHERE id = ?1",
        [id],
        row_parts,
    )
    .optional()?
    .map(from_parts)
    .transpose()
}

pub(super) fn to_value(n: &OperatorNotice) -> serde_json::Value {
    serde_json::to_value(n).unwrap_or(serde_json::Value::Null)
}
