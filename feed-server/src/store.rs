//! SQLite persistence: operators (with hashed tokens and scopes), notices (every
//! version) and the audit log.
//!
//! The database uses a rollback journal (`journal_mode=DELETE`) with
//! `synchronous=FULL`: a write returns only once it is on disk, so an
//! acknowledged notice survives a crash or a power cut. Not WAL: WAL maps its
//! `-shm` index into memory, and when the data dir stops taking writes (a disk
//! the kernel remounted read-only) the next write through that mapping kills the
//! process with SIGBUS, boards and all. With a journal, such a write fails as an
//! error, the API answers 503 and everything else keeps running. Notice writes
//! are rare; WAL's concurrency is not needed.
//! Migrations are numbered in [`MIGRATIONS`] and applied in order at open.
//!
//! Backup, while the server runs: `sqlite3 DATA_DIR/quai.db "VACUUM INTO 'backup.db'"`.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use quai_protocol::{AuditEntry, NoticeInput, NoticeStatus, OperatorNotice};
use ring::digest;
use ring::rand::{SecureRandom, SystemRandom};
use rusqlite::{Connection, OptionalExtension, params};

/// The database file inside the data dir.
pub const DB_FILE: &str = "quai.db";

/// Schema migrations, applied in order; the index + 1 is the schema version.
const MIGRATIONS: &[&str] = &["CREATE TABLE operators (
        name TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        scopes TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE TABLE notices (
        id TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        body TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        ended_at TEXT
    );
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        operator TEXT NOT NULL,
        action TEXT NOT NULL,
        notice_id TEXT,
        before TEXT,
        after TEXT
    );"];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot use the data dir {path}: {reason}")]
    DataDir { path: String, reason: String },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    #[error("operator `{0}` already exists")]
    OperatorExists(String),
    #[error("no operator named `{0}`")]
    NoOperator(String),
    #[error("no notice `{0}`")]
    NoNotice(String),
    #[error("notice `{id}` is at version {current}, not {expected}")]
    VersionConflict {
        id: String,
        current: u64,
        expected: u64,
    },
    #[error("no random numbers from the system")]
    Random,
}

/// An operator allowed to write notices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub name: String,
    /// `station:ID`, `route:ID` or `*`.
    pub scopes: Vec<String>,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

pub struct Store {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// SHA-256 of a token, hex: what the database keeps instead of the token.
pub fn token_hash(token: &str) -> String {
    digest::digest(&digest::SHA256, token.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Store {
    /// Opens (creating it and its folder if needed) the database of `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        let dir_err = |reason: String| StoreError::DataDir {
            path: data_dir.display().to_string(),
            reason,
        };
        std::fs::create_dir_all(data_dir).map_err(|e| dir_err(e.to_string()))?;
        let path = data_dir.join(DB_FILE);
        let conn = Connection::open(&path).map_err(|e| dir_err(e.to_string()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let mode: String = conn.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        let synchronous: i64 = conn.pragma_query_value(None, "synchronous", |r| r.get(0))?;
        // An acknowledged write must be on disk: refuse to run otherwise.
        if !mode.eq_ignore_ascii_case("delete") || synchronous != 2 {
            return Err(dir_err(format!(
                "SQLite would not use a rollback journal with synchronous=FULL (got {mode}, {synchronous})"
            )));
        }
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
            let tx = conn.unchecked_transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(Store {
            path,
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // SQLite rolls back an unfinished transaction; the connection stays usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds an operator and returns its token, which is not stored and cannot be
    /// shown again.
    pub fn operator_add(&self, name: &str, scopes: &[String]) -> Result<String, StoreError> {
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| StoreError::Random)?;
        let token = format!(
            "quai_{}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
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
        let scopes_json =
            serde_json::to_string(scopes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let at = now();
        let tx = conn.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO operators (name, token_hash, scopes, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(name) DO UPDATE SET token_hash = ?2, scopes = ?3, created_at = ?4, revoked_at = NULL",
            params![name, token_hash(&token), scopes_json, at],
        )?;
        audit(
            &tx,
            &at,
            "admin",
            "operator_add",
            None,
            None,
            Some(&serde_json::json!({"name": name, "scopes": scopes})),
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
            "admin",
            "operator_revoke",
            None,
            None,
            Some(&serde_json::json!({"name": name})),
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn operators(&self) -> Result<Vec<Operator>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT name, scopes, created_at, revoked_at FROM operators ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })?;
        rows.map(|row| {
            let (name, scopes, created_at, revoked_at) = row?;
            Ok(Operator {
                name,
                scopes: serde_json::from_str(&scopes)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
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
                "SELECT name, scopes, created_at FROM operators WHERE token_hash = ?1 AND revoked_at IS NULL",
                [token_hash(token)],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)),
            )
            .optional()?;
        row.map(|(name, scopes, created_at)| {
            Ok(Operator {
                name,
                scopes: serde_json::from_str(&scopes)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                created_at,
                revoked_at: None,
            })
        })
        .transpose()
    }

    /// Stores a new notice (version 1) and its audit entry, durably.
    pub fn notice_insert(
        &self,
        input: &NoticeInput,
        operator: &str,
    ) -> Result<OperatorNotice, StoreError> {
        let mut bytes = [0u8; 8];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| StoreError::Random)?;
        let id = format!(
            "n-{}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        let at = now();
        let notice = OperatorNotice {
            id: id.clone(),
            version: 1,
            input: input.clone(),
            created_by: operator.to_string(),
            created_at: at.clone(),
            updated_at: at.clone(),
            ended_at: None,
        };
        let body = serde_json::to_string(input).map_err(|e| StoreError::Corrupt(e.to_string()))?;
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
            "create",
            Some(&id),
            None,
            Some(&to_value(&notice)),
        )?;
        tx.commit()?;
        Ok(notice)
    }

    /// Replaces a notice's content if it is still at `expected` version.
    pub fn notice_update(
        &self,
        id: &str,
        expected: u64,
        input: &NoticeInput,
        operator: &str,
    ) -> Result<OperatorNotice, StoreError> {
        let conn = self.conn();
        let tx = conn.unchecked_transaction()?;
        let before = read_notice(&tx, id)?.ok_or_else(|| StoreError::NoNotice(id.to_string()))?;
        if before.version != expected {
            return Err(StoreError::VersionConflict {
                id: id.to_string(),
                current: before.version,
                expected,
            });
        }
        let at = now();
        let mut after = before.clone();
        after.version += 1;
        after.input = input.clone();
        after.updated_at = at.clone();
        let body = serde_json::to_string(input).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        tx.execute(
            "UPDATE notices SET version = ?2, body = ?3, updated_at = ?4 WHERE id = ?1",
            params![id, after.version as i64, body, at],
        )?;
        audit(
            &tx,
            &at,
            operator,
            "update",
            Some(id),
            Some(&to_value(&before)),
            Some(&to_value(&after)),
        )?;
        tx.commit()?;
        Ok(after)
    }

    /// Ends a notice (it leaves every board) and keeps it as history.
    pub fn notice_end(
        &self,
        id: &str,
        expected: u64,
        operator: &str,
    ) -> Result<OperatorNotice, StoreError> {
        let conn = self.conn();
        let tx = conn.unchecked_transaction()?;
        let before = read_notice(&tx, id)?.ok_or_else(|| StoreError::NoNotice(id.to_string()))?;
        if before.version != expected {
            return Err(StoreError::VersionConflict {
                id: id.to_string(),
                current: before.version,
                expected,
            });
        }
        let at = now();
        let mut after = before.clone();
        after.version += 1;
        after.input.status = NoticeStatus::Ended;
        after.updated_at = at.clone();
        after.ended_at = Some(at.clone());
        let body =
            serde_json::to_string(&after.input).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        tx.execute(
            "UPDATE notices SET version = ?2, body = ?3, updated_at = ?4, ended_at = ?4 WHERE id = ?1",
            params![id, after.version as i64, body, at],
        )?;
        audit(
            &tx,
            &at,
            operator,
            "end",
            Some(id),
            Some(&to_value(&before)),
            Some(&to_value(&after)),
        )?;
        tx.commit()?;
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

type Parts = (String, i64, String, String, String, String, Option<String>);

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

fn from_parts(p: Parts) -> Result<OperatorNotice, StoreError> {
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

fn to_value(n: &OperatorNotice) -> serde_json::Value {
    serde_json::to_value(n).unwrap_or(serde_json::Value::Null)
}

fn audit(
    conn: &Connection,
    at: &str,
    operator: &str,
    action: &str,
    notice_id: Option<&str>,
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO audit (at, operator, action, notice_id, before, after) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            at,
            operator,
            action,
            notice_id,
            before.map(|v| v.to_string()),
            after.map(|v| v.to_string())
        ],
    )?;
    Ok(())
}
