//! SQLite persistence (and, with `[store] url`, PostgreSQL for operators,
//! notices and the audit log: [`postgres`], [`Shared`]): operators (with hashed tokens, scopes and whether they
//! may start emergency takeovers), notices (every version), takeovers, the
//! audit log, the last report of each sensor-equipped parking space, push
//! subscriptions, and the screen fleet's reports and draws.
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
//! The database file is made private to its owner (0600) at each open.

mod audit;
mod boards;
mod emergencies;
pub mod import;
mod notices;
mod operators;
pub mod postgres;
pub mod push;
mod screens;
mod shared;
mod spaces;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ring::digest;
use ring::rand::{SecureRandom, SystemRandom};
use rusqlite::Connection;

pub use audit::AuditAction;
pub use boards::ArchivedBoard;
pub use notices::Change;
pub use operators::{ADMIN, Operator, check_name};
pub use postgres::Postgres;
pub use screens::StoredScreen;
pub use shared::Shared;

/// The database file inside the data dir.
pub const DB_FILE: &str = "quai.db";

/// Schema migrations, applied in order; the index + 1 is the schema version.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE operators (
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
    );",
    // Each audit entry's hash chains it to the one before (audit::chain).
    "ALTER TABLE audit ADD COLUMN hash TEXT;",
    // Emergency takeovers, and who may start them (store::emergencies).
    "ALTER TABLE operators ADD COLUMN emergency INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE emergencies (
        id TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        started_by TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        ended_by TEXT
    );",
    // Each sensor-equipped space's last report (store::spaces), so that a
    // restart does not forget the car parks' state.
    "CREATE TABLE sensor_spaces (
        facility TEXT NOT NULL,
        space TEXT NOT NULL,
        occupied INTEGER NOT NULL,
        at TEXT NOT NULL,
        f_cnt INTEGER NOT NULL,
        PRIMARY KEY (facility, space)
    );",
    // Web Push (store::push): the server's VAPID key, the browsers'
    // subscriptions, what each follows and was last told, the pushes to send.
    "CREATE TABLE push_keys (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        pkcs8 BLOB NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE push_subscriptions (
        id TEXT PRIMARY KEY,
        endpoint TEXT NOT NULL UNIQUE,
        p256dh TEXT NOT NULL,
        auth TEXT NOT NULL,
        lang TEXT NOT NULL,
        created_at TEXT NOT NULL,
        seen_at TEXT NOT NULL
    );
    CREATE TABLE push_follows (
        subscription TEXT NOT NULL REFERENCES push_subscriptions (id) ON DELETE CASCADE,
        follow TEXT NOT NULL,
        seen TEXT,
        PRIMARY KEY (subscription, follow)
    );
    CREATE TABLE push_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        subscription TEXT NOT NULL REFERENCES push_subscriptions (id) ON DELETE CASCADE,
        tag TEXT NOT NULL,
        payload TEXT NOT NULL,
        urgency TEXT NOT NULL,
        ttl_s INTEGER NOT NULL,
        attempts INTEGER NOT NULL,
        next_at TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (subscription, tag)
    );
    CREATE INDEX push_outbox_next ON push_outbox (next_at);",
    // The screen fleet (store::screens): each screen's last report, and the
    // boards each drew (by seq and time); every board published, as deltas
    // and now and then whole (store::boards, crate::archive).
    "CREATE TABLE screens (
        id TEXT PRIMARY KEY,
        station TEXT NOT NULL,
        report TEXT NOT NULL,
        reported_at TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        shows_since TEXT NOT NULL
    );
    CREATE TABLE screen_draws (
        screen TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        station TEXT NOT NULL,
        PRIMARY KEY (screen, seq)
    );
    CREATE INDEX screen_draws_at ON screen_draws (screen, at);
    CREATE TABLE board_log (
        station TEXT NOT NULL,
        seq INTEGER NOT NULL,
        whole INTEGER NOT NULL,
        at TEXT NOT NULL,
        body BLOB NOT NULL,
        PRIMARY KEY (station, seq, whole)
    );
    CREATE INDEX board_log_at ON board_log (at);",
    // A screen may draw a board it drew before (restarted, it shows the board
    // it kept until the stream is back): a draw is a screen, a time and a
    // seq, not a screen and a seq, or that draw would be lost and the
    // history would say the later board was on screen.
    "CREATE TABLE screen_draws_by_time (
        screen TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        station TEXT NOT NULL,
        PRIMARY KEY (screen, at, seq)
    );
    INSERT INTO screen_draws_by_time (screen, seq, at, station)
        SELECT screen, seq, at, station FROM screen_draws;
    DROP TABLE screen_draws;
    ALTER TABLE screen_draws_by_time RENAME TO screen_draws;",
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot use the data dir {path}: {reason}")]
    DataDir { path: String, reason: String },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// Past the deadline while the call was under way: a COMMIT may have
    /// been sent.
    #[error("PostgreSQL did not answer within {0} s")]
    PostgresTimeout(u64),
    /// The COMMIT was sent and no answer came back: made or not.
    #[error("PostgreSQL did not confirm the commit: {0}")]
    CommitUnknown(String),
    /// Nothing was sent.
    #[error("PostgreSQL is out of reach: {0}")]
    PostgresUnreachable(String),
    #[error("the connection to PostgreSQL was lost")]
    PostgresLost,
    #[error("the store's task failed")]
    Task,
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    #[error("operator `{0}` already exists")]
    OperatorExists(String),
    #[error("no operator named `{0}`")]
    NoOperator(String),
    #[error("operator name {0}")]
    InvalidName(String),
    #[error("no notice `{0}`")]
    NoNotice(String),
    #[error("notice `{id}` is at version {current}, not {expected}")]
    VersionConflict {
        id: String,
        current: u64,
        expected: u64,
    },
    #[error("too many push subscriptions are kept already; try again later")]
    PushFull,
    #[error("no random numbers from the system")]
    Random,
    #[error(
        "audit entry {seq} does not follow the chain: an entry was edited, inserted or removed at or before it"
    )]
    AuditBroken { seq: i64 },
    #[error(
        "PostgreSQL already holds {0}: an import is for switching an installation to an empty PostgreSQL; nothing was copied"
    )]
    NotEmpty(String),
    #[error("TLS to PostgreSQL: {0}")]
    Tls(String),
    #[error("at most {per_minute} notice writes per minute (every node's)")]
    RateLimited { per_minute: usize, wait_s: u64 },
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

/// Readable and writable by the owner alone (0600).
fn private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

/// `n` random bytes from the system, as lower-case hex.
fn random_hex(n: usize) -> Result<String, StoreError> {
    let mut bytes = vec![0u8; n];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| StoreError::Random)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A new bearer token (256 random bits, `quai_…`).
pub fn new_token() -> Result<String, StoreError> {
    Ok(format!("quai_{}", random_hex(32)?))
}

/// SHA-256 of a token, hex: what the database keeps instead of the token.
pub fn token_hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// SHA-256, hex.
fn sha256_hex(bytes: &[u8]) -> String {
    digest::digest(&digest::SHA256, bytes)
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
        // Token hashes and the audit log are for the server and its admin alone.
        private(&path).map_err(|e| dir_err(format!("{}: {e}", path.display())))?;
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
        audit::chain_unhashed(&conn)?;
        Ok(Store {
            path,
            conn: Mutex::new(conn),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // SQLite rolls back an unfinished transaction; the connection stays usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}
