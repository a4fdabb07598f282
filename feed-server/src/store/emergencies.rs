//! Emergency takeovers: each kept with who started and who ended it, written
//! with its audit entry in the same transaction, so that a takeover survives a
//! restart and every one is on record.

use quai_protocol::{EmergencyInput, StoredEmergency};
use rusqlite::{OptionalExtension, params};

use super::audit::{AuditAction, audit};
use super::{Store, StoreError, now, random_hex};

impl Store {
    /// Stores a new takeover and its audit entry, durably.
    pub fn emergency_insert(
        &self,
        input: &EmergencyInput,
        operator: &str,
    ) -> Result<StoredEmergency, StoreError> {
        let emergency = started(input, operator)?;
        let at = emergency.started_at.clone();
        let body = body(input)?;
        let conn = self.conn();
        let tx = conn.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO emergencies (id, body, started_by, started_at) VALUES (?1, ?2, ?3, ?4)",
            params![emergency.id, body, operator, at],
        )?;
        audit(
            &tx,
            &at,
            operator,
            AuditAction::EmergencyStart,
            Some(&emergency.id),
            None,
            Some(&to_value(&emergency)),
        )?;
        tx.commit()?;
        Ok(emergency)
    }

    /// Ends takeover `id` now, with its audit entry; None when there is no
    /// such takeover or it had already ended.
    pub fn emergency_end(
        &self,
        id: &str,
        operator: &str,
    ) -> Result<Option<StoredEmergency>, StoreError> {
        let conn = self.conn();
        let tx = conn.unchecked_transaction()?;
        let Some(before) = tx
            .query_row(
                "SELECT id, body, started_by, started_at, ended_at, ended_by FROM emergencies WHERE id = ?1",
                [id],
                row_parts,
            )
            .optional()?
            .map(from_parts)
            .transpose()?
        else {
            return Ok(None);
        };
        if before.ended_at.is_some() {
            return Ok(None);
        }
        let at = now();
        let after = StoredEmergency {
            ended_at: Some(at.clone()),
            ended_by: Some(operator.to_string()),
            ..before.clone()
        };
        tx.execute(
            "UPDATE emergencies SET ended_at = ?2, ended_by = ?3 WHERE id = ?1",
            params![id, at, operator],
        )?;
        audit(
            &tx,
            &at,
            operator,
            AuditAction::EmergencyEnd,
            Some(id),
            Some(&to_value(&before)),
            Some(&to_value(&after)),
        )?;
        tx.commit()?;
        Ok(Some(after))
    }

    /// The takeovers no operator ended (those past their end included), oldest
    /// first.
    pub fn emergencies(&self) -> Result<Vec<StoredEmergency>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, body, started_by, started_at, ended_at, ended_by FROM emergencies
             WHERE ended_at IS NULL ORDER BY started_at, id",
        )?;
        let rows = stmt.query_map([], row_parts)?;
        rows.map(|r| from_parts(r?)).collect()
    }
}

/// A new takeover of `input` by `operator`, now.
pub(super) fn started(
    input: &EmergencyInput,
    operator: &str,
) -> Result<StoredEmergency, StoreError> {
    Ok(StoredEmergency {
        id: format!("e-{}", random_hex(8)?),
        input: input.clone(),
        started_by: operator.to_string(),
        started_at: now(),
        ended_at: None,
        ended_by: None,
    })
}

/// `input` as stored.
pub(super) fn body(input: &EmergencyInput) -> Result<String, StoreError> {
    serde_json::to_string(input).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(super) type Parts = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
);

fn row_parts(r: &rusqlite::Row<'_>) -> rusqlite::Result<Parts> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

pub(super) fn from_parts(p: Parts) -> Result<StoredEmergency, StoreError> {
    let (id, body, started_by, started_at, ended_at, ended_by) = p;
    Ok(StoredEmergency {
        input: serde_json::from_str(&body)
            .map_err(|e| StoreError::Corrupt(format!("emergency {id}: {e}")))?,
        id,
        started_by,
        started_at,
        ended_at,
        ended_by,
    })
}

pub(super) fn to_value(e: &StoredEmergency) -> serde_json::Value {
    serde_json::to_value(e).unwrap_or(serde_json::Value::Null)
}
