//! PostgreSQL for what several nodes write (`[store] url`, docs/scaling.md):
//! operators, notices and the audit log, so that an operator may write
//! through any edge and every node reads the same notices; and the Web Push
//! subscriptions, so that the app may subscribe through any edge.
//!
//! Why one connection, behind a lock: notice writes are rare, and every write
//! takes the same advisory lock anyway (the audit log's chain needs its
//! entries one after the other, across nodes). A lost connection is made again
//! at the next call. A call, its
//! wait for the connection included, ends within [`TIMEOUT`]: past it the
//! call answers [`StoreError::PostgresTimeout`] and drops its connection;
//! what it had not committed PostgreSQL rolls back, but a COMMIT already
//! sent may still be made, so the API's 503 then says the change may or may
//! not have been made. For a second after a failed or timed-out connection,
//! calls fail at once. Each session has `lock_timeout`,
//! `idle_in_transaction_session_timeout` and TCP keepalives, so that a node
//! frozen in a transaction does not hold the write lock for long. A write is
//! acknowledged only after its commit, with `synchronous_commit = on`.
//!
//! Each write notifies channel [`CHANNEL`] with the notice's id, in its
//! transaction (delivered at commit): [`Postgres::listen`] gives those ids to
//! the node that merges notices into boards (`notice::watch`).
//!
//! Migrations are the files of `feed-server/migrations/postgres/`, applied in
//! order under an advisory lock at open (an edge's first connection, when it
//! started while PostgreSQL was out of reach); table `quai_schema` holds the
//! version.

mod emergencies;
mod import;
mod notices;
mod operators;
mod push;
mod tls;

use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client, Config, NoTls};

use super::StoreError;

/// What notices' writes notify, with the notice's id as payload; and
/// takeovers', with `emergency:` and the takeover's id.
pub const CHANNEL: &str = "quai_notices";

/// What a takeover's notification starts with.
pub const EMERGENCY: &str = "emergency:";

/// The longest a call may take before its connection is dropped.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// Every session's settings: a write acknowledged only once on disk,
/// whatever the server's default; a lock not had within 4 s, a statement
/// running 5 s (its caller gave up), or a session idle 10 s inside a
/// transaction (its node frozen), given up by the server.
const SESSION: &str = "SET synchronous_commit = on; SET lock_timeout = '4s'; \
    SET statement_timeout = '5s'; SET idle_in_transaction_session_timeout = '10s'";

/// Migrations, applied in order; the index + 1 is the schema version.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_shared.sql"),
    include_str!("../../migrations/postgres/0002_push.sql"),
    include_str!("../../migrations/postgres/0003_emergencies.sql"),
    include_str!("../../migrations/postgres/0004_audit_by_operator.sql"),
];

/// Advisory lock keys (arbitrary, Quai's own): one for migrations, one that
/// every write holds until its commit.
const MIGRATE_LOCK: i64 = 0x5175_6169_0001;
const WRITE_LOCK: i64 = 0x5175_6169_0002;
/// Held by a push subscription's write (one endpoint, one subscription,
/// whichever node two requests reach).
const PUSH_LOCK: i64 = 0x5175_6169_0003;

pub struct Postgres {
    config: Config,
    /// TLS, when asked for ([`tls`]).
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
    /// `host:port/dbname`, for logs and errors (never a password).
    target: String,
    client: tokio::sync::Mutex<Session>,
    /// `[notices] writes_per_minute`, counted in the audit log (0: none;
    /// [`Postgres::limit_notice_writes`]).
    notice_writes_per_minute: std::sync::atomic::AtomicUsize,
    /// Whether this process has brought the schema up to date (once: at
    /// start, or at an edge's first connection).
    migrated: std::sync::atomic::AtomicBool,
}

/// The connection, or when the last attempt to make one failed.
#[derive(Default)]
struct Session {
    client: Option<Client>,
    failed_at: Option<std::time::Instant>,
}

/// After a failed connection attempt, calls fail at once for this long
/// rather than each waiting on an unreachable server in turn.
const BACKOFF: Duration = Duration::from_secs(1);

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres")
            .field("target", &self.target)
            .finish()
    }
}

/// Where `config` leads, without its password.
fn target(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().or(config.get_user()).unwrap_or("");
    format!("{host}:{port}/{db}")
}

impl Postgres {
    /// The store at `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`),
    /// over TLS when it says `sslmode=require` or `ca_file` names the
    /// server's certificate authority ([`tls`]); not yet connected: the
    /// first call connects (an edge starts while PostgreSQL is out of
    /// reach).
    pub fn new(url: &str, ca_file: Option<&std::path::Path>) -> Result<Postgres, StoreError> {
        let mut config: Config = url.parse()?;
        let tls = tls::connector(&mut config, ca_file)?;
        // A peer gone silent (a partition, a frozen machine) is noticed in
        // about 25 s rather than the system's two hours.
        config
            .connect_timeout(TIMEOUT)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(10))
            .keepalives_interval(Duration::from_secs(5))
            .keepalives_retries(3)
            .tcp_user_timeout(Duration::from_secs(25));
        Ok(Postgres {
            target: target(&config),
            config,
            tls,
            client: tokio::sync::Mutex::default(),
            notice_writes_per_minute: 0.into(),
            migrated: false.into(),
        })
    }

    /// [`Postgres::new`], connected now: checks that a commit is durable and
    /// brings the schema up to date.
    pub async fn open(
        url: &str,
        ca_file: Option<&std::path::Path>,
    ) -> Result<Postgres, StoreError> {
        let pg = Postgres::new(url, ca_file)?;
        pg.run(|_| Box::pin(async { Ok::<_, StoreError>(()) }))
            .await?;
        tracing::info!(target = %pg.target, "PostgreSQL store opened");
        Ok(pg)
    }

    /// Refuses an operator's notice write past `per_minute` in a minute,
    /// every node's writes counted together (a server's; the command line
    /// sets none).
    pub fn limit_notice_writes(&self, per_minute: usize) {
        self.notice_writes_per_minute
            .store(per_minute, std::sync::atomic::Ordering::Relaxed);
    }

    fn notice_writes_per_minute(&self) -> Option<usize> {
        match self
            .notice_writes_per_minute
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            0 => None,
            n => Some(n),
        }
    }

    /// `host:port/dbname`.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// A connection, driven by a task of its own (which gives `notified`
    /// the payloads of the notifications it receives, when given).
    async fn connect(
        &self,
        notified: Option<mpsc::Sender<String>>,
    ) -> Result<(Client, tokio::task::JoinHandle<()>), StoreError> {
        let late = |_| StoreError::PostgresTimeout(TIMEOUT.as_secs());
        let target = self.target.clone();
        Ok(match &self.tls {
            None => {
                let (client, connection) =
                    tokio::time::timeout(TIMEOUT, self.config.connect(NoTls))
                        .await
                        .map_err(late)??;
                (client, drive(connection, target, notified))
            }
            Some(tls) => {
                let (client, connection) =
                    tokio::time::timeout(TIMEOUT, self.config.connect(tls.clone()))
                        .await
                        .map_err(late)??;
                (client, drive(connection, target, notified))
            }
        })
    }

    /// A new connection with its settings, the schema checked on it.
    async fn session(&self) -> Result<Client, StoreError> {
        let (mut client, _driver) = self.connect(None).await?;
        client.batch_execute(SESSION).await?;
        if !self.migrated.load(std::sync::atomic::Ordering::Acquire) {
            migrate(&mut client).await?;
            self.migrated
                .store(true, std::sync::atomic::Ordering::Release);
        }
        Ok(client)
    }

    /// Runs `op` on the connection (made again first if there is none or it
    /// was lost); the whole call, its wait for the connection included,
    /// within [`TIMEOUT`].
    async fn run<T, E: From<StoreError>>(
        &self,
        op: impl for<'c> FnOnce(&'c mut Client) -> BoxFuture<'c, Result<T, E>>,
    ) -> Result<T, E> {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        let late = || StoreError::PostgresTimeout(TIMEOUT.as_secs());
        let unreachable = |why: &str| StoreError::PostgresUnreachable(why.to_string());
        let mut session = tokio::time::timeout_at(deadline, self.client.lock())
            .await
            .map_err(|_| unreachable("calls waited 5 s for the connection"))?;
        if session.client.as_ref().is_none_or(Client::is_closed) {
            if session.failed_at.is_some_and(|at| at.elapsed() < BACKOFF) {
                return Err(StoreError::PostgresLost.into());
            }
            let made = tokio::time::timeout_at(deadline, self.session())
                .await
                .unwrap_or_else(|_| Err(unreachable("no connection within 5 s")));
            match made {
                Ok(client) => {
                    session.client = Some(client);
                    session.failed_at = None;
                }
                Err(e) => {
                    session.failed_at = Some(std::time::Instant::now());
                    return Err(e.into());
                }
            }
        }
        let Some(client) = session.client.as_mut() else {
            return Err(StoreError::Task.into());
        };
        match tokio::time::timeout_at(deadline, op(client)).await {
            Ok(result) => {
                if result.is_err() && client.is_closed() {
                    session.client = None;
                }
                result
            }
            Err(_) => {
                // What was not committed is rolled back when the server
                // sees the connection go (or the session idle, 10 s).
                session.client = None;
                session.failed_at = Some(std::time::Instant::now());
                Err(late().into())
            }
        }
    }

    /// A connection of its own that listens on [`CHANNEL`]: the ids of the
    /// notices written, in commit order, until the connection is lost (then
    /// `ids` ends; listen again, and read every notice, for what was missed).
    pub async fn listen(&self) -> Result<Listener, StoreError> {
        // Bounded: when the merge lags, the driver stops reading and
        // PostgreSQL keeps the notifications queued for this session.
        let (send, ids) = mpsc::channel(256);
        let (client, driver) = self.connect(Some(send)).await?;
        tokio::time::timeout(TIMEOUT, client.batch_execute(&format!("LISTEN {CHANNEL}")))
            .await
            .map_err(|_| StoreError::PostgresTimeout(TIMEOUT.as_secs()))??;
        Ok(Listener {
            client,
            ids,
            driver,
        })
    }
}

/// Drives `connection` until it ends, giving `notified` the payloads of its
/// notifications (a plain or a TLS connection alike).
fn drive<T>(
    mut connection: tokio_postgres::Connection<tokio_postgres::Socket, T>,
    target: String,
    notified: Option<mpsc::Sender<String>>,
) -> tokio::task::JoinHandle<()>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    if let Some(send) = &notified
                        && send.send(n.payload().to_string()).await.is_err()
                    {
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(%target, error = %e, "PostgreSQL connection lost");
                    return;
                }
            }
        }
    })
}

/// The ids of notices written, from [`Postgres::listen`].
pub struct Listener {
    /// Held: dropping it would close the connection.
    client: Client,
    pub ids: mpsc::Receiver<String>,
    driver: tokio::task::JoinHandle<()>,
}

impl Listener {
    /// Whether the connection still answers (a quiet channel says nothing
    /// of a connection lost without a word).
    pub async fn answers(&self) -> bool {
        matches!(
            tokio::time::timeout(TIMEOUT, self.client.simple_query("SELECT 1")).await,
            Ok(Ok(_))
        )
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// Refuses a server that would lose an acknowledged write, then applies the
/// migrations not yet applied, under a lock (two nodes may start together).
async fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let fsync: String = client.query_one("SHOW fsync", &[]).await?.try_get(0)?;
    if fsync != "on" {
        return Err(StoreError::DataDir {
            path: "PostgreSQL".into(),
            reason: format!("fsync is {fsync}: an acknowledged notice could be lost; turn it on"),
        });
    }
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])
        .await?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS quai_schema (version INTEGER NOT NULL)")
        .await?;
    let version: Option<i32> = match tx.query_opt("SELECT version FROM quai_schema", &[]).await? {
        Some(row) => Some(row.try_get(0)?),
        None => None,
    };
    let version = version.unwrap_or(0).max(0) as usize;
    if version > MIGRATIONS.len() {
        return Err(StoreError::Corrupt(format!(
            "the PostgreSQL schema is at version {version}, newer than this server's {}: upgrade the server",
            MIGRATIONS.len()
        )));
    }
    for sql in &MIGRATIONS[version..] {
        tx.batch_execute(sql).await?;
    }
    let latest = MIGRATIONS.len() as i32;
    if tx
        .execute("UPDATE quai_schema SET version = $1", &[&latest])
        .await?
        == 0
    {
        tx.execute("INSERT INTO quai_schema (version) VALUES ($1)", &[&latest])
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Takes the write lock for the rest of `tx` (every write: the audit chain
/// needs its entries one after the other, whichever node writes them).
async fn write_lock(tx: &tokio_postgres::Transaction<'_>) -> Result<(), StoreError> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
        .await?;
    Ok(())
}
