//! Operators: who may write notices, with what scope, by a token kept only as
//! its hash.

use rusqlite::{OptionalExtension, params};

use super::audit::{AuditAction, audit};
use super::{Store, StoreError, now, token_hash};
use crate::notice::Scope;

/// An operator allowed to write notices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub name: String,
    pub scopes: Vec<Scope>,
    /// May start and end emergency takeovers (`operator add --emergency`),
    /// whatever its scopes.
    pub emergency: bool,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// Who the audit log names for changes made on the command line.
pub const ADMIN: &str = "admin";

/// Whether `name` can name an operator: 1 to 64 characters among lower-case
/// letters, digits, `.`, `_` and `-`, starting with a letter or digit, and not
/// the name the audit log gives the command line. Names appear in the audit
/// log and in `operator list`'s tab-separated lines: nothing in them can forge
/// a field, a line or another author.
pub fn check_name(name: &str) -> Result<(), StoreError> {
    let ok = (1..=64).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if !ok {
        return Err(StoreError::InvalidName(format!(
            "`{}`: 1 to 64 characters among a-z, 0-9, '.', '_' and '-', starting with a letter or digit",
            name.escape_debug()
        )));
    }
    if name == ADMIN {
        return Err(StoreError::InvalidName(format!(
            "`{ADMIN}` names the command line in the audit log; choose another name"
        )));
    }
    Ok(())
}

impl Store {
    /// Adds an operator and returns its token, which is not stored and cannot be
    /// shown again. `emergency`: it may also start emergency takeovers.
    pub fn operator_add(
        &self,
        name: &str,
        scopes: &[Scope],
        emergency: bool,
    ) -> Result<String, StoreError> {
        check_name(name)?;
        let token = super::new_token()?;
        let conn = self.conn();
        // A revoked operator can be added again (a lost token): new token, new scopes.
        let existing: Option<Option<String>> = conn
            .query_row(
                "SELECT revoked_at FROM operators WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?;
        if matches!(existing, Some(None)) {
            return Err(StoreError::OperatorExists(name.to_string()));
        }
        let (scopes, scopes_json) = scope_texts(scopes)?;
        let at = now();
        let tx = conn.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO operators (name, token_hash, scopes, created_at, emergency) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(name) DO UPDATE SET token_hash = ?2, scopes = ?3, created_at = ?4, emergency = ?5, revoked_at = NULL",
            params![name, token_hash(&token), scopes_json, at, emergency],
        )?;
        audit(
            &tx,
            &at,
            ADMIN,
            AuditAction::OperatorAdd,
            None,
            None,
            Some(&serde_json::json!({"name": name, "scopes": scopes, "emergency": emergency})),
        )?;
        tx.commit()?;
        Ok(token)
    }

    pub fn operator_revoke(&self, name: &str) -> Result<(), StoreError> {
        let conn = self.conn();
        let at = now();
        let tx = conn.unchecked_transaction()?;
        let n = tx.execute(
            "UPDATE operators SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL",
            params![name, at],
        )?;
        if n == 0 {
            return Err(StoreError::NoOperator(name.to_string()));
        }
        audit(
            &tx,
            &at,
            ADMIN,
            AuditAction::OperatorRevoke,
            None,
            None,
            Some(&serde_json::json!({"name": name})),
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn operators(&self) -> Result<Vec<Operator>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT name, scopes, created_at, revoked_at, emergency FROM operators ORDER BY name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, bool>(4)?,
            ))
        })?;
        rows.map(|row| {
            let (name, scopes, created_at, revoked_at, emergency) = row?;
            Ok(Operator {
                name,
                scopes: parse_scopes(&scopes)?,
                emergency,
                created_at,
                revoked_at,
            })
        })
        .collect()
    }

    /// The active (not revoked) operator holding `token`.
    pub fn operator_by_token(&self, token: &str) -> Result<Option<Operator>, StoreError> {
        let conn = self.conn();
        let row = conn
            .query_row(
                "SELECT name, scopes, created_at, emergency FROM operators WHERE token_hash = ?1 AND revoked_at IS NULL",
                [token_hash(token)],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, bool>(3)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(name, scopes, created_at, emergency)| {
            Ok(Operator {
                name,
                scopes: parse_scopes(&scopes)?,
                emergency,
                created_at,
                revoked_at: None,
            })
        })
        .transpose()
    }
}

/// Scopes as written: each as text, and the JSON list the store keeps.
pub(super) fn scope_texts(scopes: &[Scope]) -> Result<(Vec<String>, String), StoreError> {
    let texts: Vec<String> = scopes.iter().map(ToString::to_string).collect();
    let json = serde_json::to_string(&texts).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok((texts, json))
}

/// Scopes as stored: a JSON list of `station:ID`, `route:ID` or `*`.
pub(super) fn parse_scopes(json: &str) -> Result<Vec<Scope>, StoreError> {
    let texts: Vec<String> =
        serde_json::from_str(json).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    texts
        .iter()
        .map(|t| t.parse().map_err(StoreError::Corrupt))
        .collect()
}
