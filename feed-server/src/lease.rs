//! The ingest lease (docs/scaling.md): two ingest nodes may run; the one
//! holding the lease publishes, the other polls and builds its boards as
//! well (warm) and takes over when the lease lapses.
//!
//! The lease is one key of a NATS key-value bucket ([`BUCKET`], key
//! [`KEY`]), written only with compare-and-set on its revision: the holder
//! renews it every [`RENEW`]; a node that sees the same revision for
//! [`LAPSE`] by its own clock writes over it, and only one such write can
//! win. A holder whose renewal finds another revision has lost it and stops
//! publishing at once; one whose last renewal was sent [`LAPSE`] less
//! [`RENEW`] ago (NATS gone, the process stalled) stops publishing too,
//! before another may take over ([`Lease::holds`]). A failover therefore
//! takes [`LAPSE`] plus up to one [`RENEW`]: 6 s. The lease is a courtesy,
//! not the fence: every board message is published on the condition that
//! the station's subject is where this node left it
//! ([`crate::ingest`]), so a deposed node's late message is refused.
//!
//! Nodes are told apart by an instance id drawn at start, not by their
//! names: two containers may both be `host:1`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, kv};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// The bucket of the lease.
pub const BUCKET: &str = "quai-ingest";
/// The lease's key.
pub const KEY: &str = "lease";
/// How often the holder renews the lease, and others look at it.
pub const RENEW: Duration = Duration::from_secs(1);
/// How long a lease lasts without renewal.
pub const LAPSE: Duration = Duration::from_secs(5);
const RETRY: Duration = Duration::from_secs(1);

/// The lease's value: who holds it (its name, and the instance id that
/// tells it apart), last renewed when.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Holder {
    node: String,
    instance: String,
    renewed_at: String,
}

/// This node's view of the lease, shared by the task that keeps it, the
/// publisher and `/healthz`.
#[derive(Debug)]
pub struct Lease {
    node: String,
    /// Drawn at start: what the lease's value compares.
    instance: String,
    /// How many times this node has taken the lease from nobody or another
    /// node: a publisher that finds another term knows another node may
    /// have published meanwhile.
    term: std::sync::atomic::AtomicU64,
    /// The last error talking to NATS (lease or publisher), for `/healthz`.
    last_error: Mutex<Option<String>>,
    /// Whether this node holds it (the publisher waits on changes).
    active: watch::Sender<bool>,
    /// When this node last wrote it.
    renewed: Mutex<Option<Instant>>,
    /// The holder as last read (this node's name while it holds it).
    holder: Mutex<Option<String>>,
    connected: std::sync::atomic::AtomicBool,
    /// The lease's revision as this node last wrote it (0: none), to give it
    /// up only if it is still this node's.
    revision: std::sync::atomic::AtomicU64,
    /// On how many NATS servers the stream and the buckets are kept
    /// (`--nats-replicas`; None: made with one copy, left as they are).
    pub replicas: Option<usize>,
}

impl Lease {
    pub fn new(node: String, replicas: Option<usize>) -> Arc<Lease> {
        let instance = crate::store::new_token()
            .unwrap_or_else(|_| format!("{}-{:?}", std::process::id(), Instant::now()));
        Arc::new(Lease {
            node,
            instance,
            term: Default::default(),
            last_error: Mutex::new(None),
            active: watch::Sender::new(false),
            renewed: Mutex::new(None),
            holder: Mutex::new(None),
            connected: Default::default(),
            revision: Default::default(),
            replicas,
        })
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    /// Whether this node holds the lease now: it won it, and sent its last
    /// renewal less than [`LAPSE`] less [`RENEW`] ago (a margin for the
    /// other node's clock, which starts when it reads the renewal).
    pub fn holds(&self) -> bool {
        *self.active.borrow()
            && self
                .renewed
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_some_and(|t| t.elapsed() < LAPSE - RENEW)
    }

    /// Which time this node holds the lease (changes at each take).
    pub fn term(&self) -> u64 {
        self.term.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Notes an error talking to NATS, for `/healthz` (None: cleared).
    pub fn note_error(&self, error: Option<String>) {
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = error;
    }

    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Changes of [`Lease::holds`] as the keeper sees them.
    pub fn changes(&self) -> watch::Receiver<bool> {
        self.active.subscribe()
    }

    /// The holder as last read, if any.
    pub fn holder(&self) -> Option<String> {
        self.holder
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Whether the keeper is connected to NATS.
    pub fn connected(&self) -> bool {
        self.connected.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Records what was read or written; `sent`: when the write that won or
    /// renewed the lease was sent.
    fn set(&self, active: bool, holder: Option<String>, sent: Option<Instant>) {
        if let Some(sent) = sent {
            *self.renewed.lock().unwrap_or_else(|p| p.into_inner()) = Some(sent);
        }
        *self.holder.lock().unwrap_or_else(|p| p.into_inner()) = holder;
        self.active
            .send_if_modified(|a| std::mem::replace(a, active) != active);
    }
}

#[derive(Debug, thiserror::Error)]
enum LeaseError {
    #[error("cannot reach NATS: {0}")]
    Connect(String),
    #[error("JetStream: {0}")]
    JetStream(String),
}

/// Keeps (or waits for) the lease on NATS at `url` until `cancel` fires;
/// gives it up on the way out, so that the standby need not wait.
pub async fn run(lease: Arc<Lease>, url: String, cancel: CancellationToken) {
    loop {
        let outcome = tokio::select! {
            () = cancel.cancelled() => break,
            outcome = keep(&lease, &url) => outcome,
        };
        lease
            .connected
            .store(false, std::sync::atomic::Ordering::Relaxed);
        let was = lease.holds();
        lease.set(false, lease.holder(), None);
        if let Err(e) = outcome {
            tracing::warn!(error = %e, held = was, "ingest lease: cannot reach it");
            lease.note_error(Some(e.to_string()));
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(RETRY) => {}
        }
    }
    if lease.holds() {
        lease.set(false, None, None);
        let revision = lease.revision.load(std::sync::atomic::Ordering::Relaxed);
        if let Err(e) = release(&url, revision).await {
            tracing::warn!(error = %e, "ingest lease: not released (the standby waits for it to lapse)");
        }
    }
}

/// Opens the lease's bucket (made if need be: [`crate::ingest::key_value`]).
async fn bucket(js: &jetstream::Context, replicas: Option<usize>) -> Result<kv::Store, LeaseError> {
    crate::ingest::key_value(js, BUCKET, replicas)
        .await
        .map_err(LeaseError::JetStream)
}

fn value(lease: &Lease) -> axum::body::Bytes {
    let holder = Holder {
        node: lease.node.clone(),
        instance: lease.instance.clone(),
        renewed_at: crate::hub::now_micros(),
    };
    serde_json::to_vec(&holder).unwrap_or_default().into()
}

/// One connection: renews the lease while it holds it, else watches it and
/// takes it once it lapses.
async fn keep(lease: &Lease, url: &str) -> Result<(), LeaseError> {
    let client = crate::node::nats_options()
        .connect(crate::node::servers(url))
        .await
        .map_err(|e| LeaseError::Connect(e.to_string()))?;
    let js = jetstream::new(client);
    let kv = bucket(&js, lease.replicas).await?;
    lease
        .connected
        .store(true, std::sync::atomic::Ordering::Relaxed);
    lease.note_error(None);
    // The revision this node last wrote, while it holds the lease.
    let mut mine: Option<u64> = None;
    // Another's revision, and since when it has not moved.
    let mut seen: Option<(u64, Instant)> = None;
    loop {
        // The lease runs from the sending of the write, not its answer.
        let sent = Instant::now();
        mine = match mine {
            Some(revision) => match kv.update(KEY, value(lease), revision).await {
                Ok(revision) => {
                    lease.set(true, Some(lease.node.clone()), Some(sent));
                    lease
                        .revision
                        .store(revision, std::sync::atomic::Ordering::Relaxed);
                    Some(revision)
                }
                Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => {
                    tracing::warn!(
                        node = lease.node,
                        "ingest lease: lost to another node; publishing stops"
                    );
                    lease.set(false, None, None);
                    None
                }
                Err(e) => return Err(LeaseError::JetStream(e.to_string())),
            },
            None => take(lease, &kv, &mut seen).await?,
        };
        tokio::time::sleep(RENEW).await;
    }
}

/// Looks at the lease and takes it when nobody holds it, when it is this
/// node's own (a reconnection), or when it has not moved for [`LAPSE`].
async fn take(
    lease: &Lease,
    kv: &kv::Store,
    seen: &mut Option<(u64, Instant)>,
) -> Result<Option<u64>, LeaseError> {
    let entry = kv
        .entry(KEY)
        .await
        .map_err(|e| LeaseError::JetStream(e.to_string()))?;
    let sent = Instant::now();
    let won = match entry {
        None => match kv.create(KEY, value(lease)).await {
            Ok(revision) => Some((revision, None, false)),
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => None,
            Err(e) => return Err(LeaseError::JetStream(e.to_string())),
        },
        Some(entry) => {
            let read = serde_json::from_slice::<Holder>(&entry.value)
                .ok()
                .filter(|_| entry.operation == kv::Operation::Put);
            let holder = read.as_ref().map(|h| h.node.clone());
            let moved = seen.is_none_or(|(r, _)| r != entry.revision);
            if moved {
                *seen = Some((entry.revision, Instant::now()));
            }
            let lapsed = seen.is_some_and(|(_, at)| at.elapsed() >= LAPSE);
            // Nobody's, or this very process's (it reconnected).
            let own = read.as_ref().is_some_and(|h| h.instance == lease.instance);
            if read.is_none() || own || lapsed {
                match kv.update(KEY, value(lease), entry.revision).await {
                    Ok(revision) => Some((revision, holder, own)),
                    Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => None,
                    Err(e) => return Err(LeaseError::JetStream(e.to_string())),
                }
            } else {
                lease.set(false, holder, None);
                None
            }
        }
    };
    let Some((revision, before, own)) = won else {
        return Ok(None);
    };
    tracing::info!(
        node = lease.node,
        previous = before.as_deref().unwrap_or("none"),
        "ingest lease: taken; this node publishes"
    );
    *seen = None;
    // Its own lease taken back (a reconnection): nobody published between,
    // the same term goes on.
    if !own {
        lease
            .term
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    lease.set(true, Some(lease.node.clone()), Some(sent));
    lease
        .revision
        .store(revision, std::sync::atomic::Ordering::Relaxed);
    Ok(Some(revision))
}

/// The holder named by an entry of the lease's bucket (None: nobody).
pub fn holder_of(entry: &kv::Entry) -> Option<String> {
    serde_json::from_slice::<Holder>(&entry.value)
        .ok()
        .filter(|_| entry.operation == kv::Operation::Put)
        .map(|h| h.node)
}

/// Gives the lease up (a clean stop), if this node's write at `revision`
/// is still the last: its value then says nobody holds it.
async fn release(url: &str, revision: u64) -> Result<(), LeaseError> {
    let client = crate::node::nats_options()
        .connect(crate::node::servers(url))
        .await
        .map_err(|e| LeaseError::Connect(e.to_string()))?;
    let kv = jetstream::new(client)
        .get_key_value(BUCKET)
        .await
        .map_err(|e| LeaseError::JetStream(e.to_string()))?;
    kv.update(KEY, axum::body::Bytes::from_static(b"{}"), revision)
        .await
        .map_err(|e| LeaseError::JetStream(e.to_string()))?;
    Ok(())
}
