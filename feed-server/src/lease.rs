//! The ingest lease (docs/scaling.md): two ingest nodes may run; the one
//! holding the lease publishes, the other polls and builds its boards as
//! well (warm) and takes over when the lease lapses.
//!
//! The lease is one key of a NATS key-value bucket ([`BUCKET`], key
//! [`KEY`]), written only with compare-and-set on its revision: the holder
//! renews it every [`RENEW`]; a node that sees the same revision for
//! [`LAPSE`] by its own clock writes over it, and only one such write can
//! win. A holder whose renewal finds another revision has lost it and stops
//! publishing at once; one that cannot renew for [`LAPSE`] (NATS gone, the
//! process stalled) stops publishing too, since another may have taken over
//! ([`Lease::holds`]). A failover therefore takes [`LAPSE`] plus up to one
//! [`RENEW`]: 6 s.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, kv, stream};
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

/// The lease's value: who holds it, since when, last renewed when.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Holder {
    node: String,
    renewed_at: String,
}

/// This node's view of the lease, shared by the task that keeps it, the
/// publisher and `/healthz`.
#[derive(Debug)]
pub struct Lease {
    node: String,
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
}

impl Lease {
    pub fn new(node: String) -> Arc<Lease> {
        Arc::new(Lease {
            node,
            active: watch::Sender::new(false),
            renewed: Mutex::new(None),
            holder: Mutex::new(None),
            connected: Default::default(),
            revision: Default::default(),
        })
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    /// Whether this node holds the lease now: it won it and renewed it less
    /// than [`LAPSE`] ago.
    pub fn holds(&self) -> bool {
        *self.active.borrow()
            && self
                .renewed
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_some_and(|t| t.elapsed() < LAPSE)
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

    fn set(&self, active: bool, holder: Option<String>) {
        if active {
            *self.renewed.lock().unwrap_or_else(|p| p.into_inner()) = Some(Instant::now());
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
        lease.set(false, lease.holder());
        if let Err(e) = outcome {
            tracing::warn!(error = %e, held = was, "ingest lease: cannot reach it");
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(RETRY) => {}
        }
    }
    if lease.holds() {
        lease.set(false, None);
        let revision = lease.revision.load(std::sync::atomic::Ordering::Relaxed);
        if let Err(e) = release(&url, revision).await {
            tracing::warn!(error = %e, "ingest lease: not released (the standby waits for it to lapse)");
        }
    }
}

/// Opens the lease's bucket (making it as NATS makes a key-value bucket,
/// for the reason [`crate::ingest`] gives).
async fn bucket(js: &jetstream::Context) -> Result<kv::Store, LeaseError> {
    js.get_or_create_stream(stream::Config {
        name: format!("KV_{BUCKET}"),
        subjects: vec![format!("$KV.{BUCKET}.>")],
        max_messages_per_subject: 1,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: stream::DiscardPolicy::New,
        ..Default::default()
    })
    .await
    .map_err(|e| LeaseError::JetStream(format!("bucket {BUCKET}: {e}")))?;
    js.get_key_value(BUCKET)
        .await
        .map_err(|e| LeaseError::JetStream(format!("bucket {BUCKET}: {e}")))
}

fn value(node: &str) -> axum::body::Bytes {
    let holder = Holder {
        node: node.to_string(),
        renewed_at: crate::hub::now_micros(),
    };
    serde_json::to_vec(&holder).unwrap_or_default().into()
}

/// One connection: renews the lease while it holds it, else watches it and
/// takes it once it lapses.
async fn keep(lease: &Lease, url: &str) -> Result<(), LeaseError> {
    let client = async_nats::connect(url)
        .await
        .map_err(|e| LeaseError::Connect(e.to_string()))?;
    let js = jetstream::new(client);
    let kv = bucket(&js).await?;
    lease
        .connected
        .store(true, std::sync::atomic::Ordering::Relaxed);
    // The revision this node last wrote, while it holds the lease.
    let mut mine: Option<u64> = None;
    // Another's revision, and since when it has not moved.
    let mut seen: Option<(u64, Instant)> = None;
    loop {
        mine = match mine {
            Some(revision) => match kv.update(KEY, value(&lease.node), revision).await {
                Ok(revision) => {
                    lease.set(true, Some(lease.node.clone()));
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
                    lease.set(false, None);
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
    let won = match entry {
        None => match kv.create(KEY, value(&lease.node)).await {
            Ok(revision) => Some((revision, None)),
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => None,
            Err(e) => return Err(LeaseError::JetStream(e.to_string())),
        },
        Some(entry) => {
            let holder = serde_json::from_slice::<Holder>(&entry.value)
                .ok()
                .map(|h| h.node)
                .filter(|_| entry.operation == kv::Operation::Put);
            let moved = seen.is_none_or(|(r, _)| r != entry.revision);
            if moved {
                *seen = Some((entry.revision, Instant::now()));
            }
            let lapsed = seen.is_some_and(|(_, at)| at.elapsed() >= LAPSE);
            let free = holder.is_none() || holder.as_deref() == Some(lease.node.as_str());
            if free || lapsed {
                match kv.update(KEY, value(&lease.node), entry.revision).await {
                    Ok(revision) => Some((revision, holder)),
                    Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => None,
                    Err(e) => return Err(LeaseError::JetStream(e.to_string())),
                }
            } else {
                lease.set(false, holder);
                None
            }
        }
    };
    let Some((revision, before)) = won else {
        return Ok(None);
    };
    tracing::info!(
        node = lease.node,
        previous = before.as_deref().unwrap_or("none"),
        "ingest lease: taken; this node publishes"
    );
    *seen = None;
    lease.set(true, Some(lease.node.clone()));
    lease
        .revision
        .store(revision, std::sync::atomic::Ordering::Relaxed);
    Ok(Some(revision))
}

/// Gives the lease up (a clean stop), if this node's write at `revision`
/// is still the last: its value then says nobody holds it.
async fn release(url: &str, revision: u64) -> Result<(), LeaseError> {
    let client = async_nats::connect(url)
        .await
        .map_err(|e| LeaseError::Connect(e.to_string()))?;
    let kv = bucket(&jetstream::new(client)).await?;
    kv.update(KEY, axum::body::Bytes::from_static(b"{}"), revision)
        .await
        .map_err(|e| LeaseError::JetStream(e.to_string()))?;
    Ok(())
}
