//! What an edge knows of its link to NATS and of the ingest lease, for
//! `/healthz`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, kv};

use super::EdgeError;

/// What `/healthz` says of an edge's link to NATS.
#[derive(Debug, Default)]
pub struct Link {
    pub(super) connected: AtomicBool,
    /// Messages of the stream not yet delivered to this node, as of the last
    /// one received.
    pub(super) pending: AtomicU64,
    pub(super) received: AtomicU64,
    pub(super) last_error: Mutex<Option<String>>,
    pub(super) last_message: Mutex<Option<Instant>>,
    /// The ingest lease as last read: its holder, its revision, and when
    /// the revision last moved.
    pub(super) lease: Mutex<Option<(Option<String>, u64, Instant)>>,
    /// Whether the facilities relayed by the ingest node have come (until
    /// then the edge answers 503 for them rather than none).
    pub(super) facilities: AtomicBool,
}

impl Link {
    pub fn has_facilities(&self) -> bool {
        self.facilities.load(Ordering::Relaxed)
    }
}

/// A reading of [`Link`].
#[derive(Debug, Clone)]
pub struct LinkStatus {
    pub connected: bool,
    pub pending: u64,
    pub received: u64,
    pub last_error: Option<String>,
    pub since_last_message: Option<Duration>,
    /// The ingest node holding the lease, while one renews it.
    pub lease_holder: Option<String>,
}

impl Link {
    pub fn status(&self) -> LinkStatus {
        LinkStatus {
            connected: self.connected.load(Ordering::Relaxed),
            pending: self.pending.load(Ordering::Relaxed),
            received: self.received.load(Ordering::Relaxed),
            last_error: self
                .last_error
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
            since_last_message: self
                .last_message
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .map(|t| t.elapsed()),
            lease_holder: self
                .lease
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .as_ref()
                .filter(|(_, _, moved)| moved.elapsed() < 2 * crate::lease::LAPSE)
                .and_then(|(holder, _, _)| holder.clone()),
        }
    }

    /// Records a reading of the lease's entry.
    pub(super) fn lease_read(&self, holder: Option<String>, revision: u64) {
        let mut lease = self.lease.lock().unwrap_or_else(|p| p.into_inner());
        let moved = match &*lease {
            Some((_, r, at)) if *r == revision => *at,
            _ => Instant::now(),
        };
        *lease = Some((holder, revision, moved));
    }

    pub(super) fn failed(&self, error: &EdgeError) {
        self.connected.store(false, Ordering::Relaxed);
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(error.to_string());
    }
}

/// Reads the ingest lease into `link` (the bucket is opened on first use:
/// no ingest node may have made it yet).
pub(super) async fn read_lease(
    js: &jetstream::Context,
    bucket: &mut Option<kv::Store>,
    link: &Link,
) {
    if bucket.is_none() {
        *bucket = js.get_key_value(crate::lease::BUCKET).await.ok();
    }
    let Some(kv) = bucket else { return };
    match kv.entry(crate::lease::KEY).await {
        Ok(Some(entry)) => link.lease_read(crate::lease::holder_of(&entry), entry.revision),
        Ok(None) => link.lease_read(None, 0),
        Err(e) => tracing::debug!(error = %e, "edge: the ingest lease cannot be read"),
    }
}

/// A connection to NATS at `url`, with its events (a disconnection ends an
/// edge's sessions: what they resume from is read again).
pub(super) async fn connect(
    url: &str,
) -> Result<
    (
        async_nats::Client,
        tokio::sync::mpsc::Receiver<async_nats::Event>,
    ),
    async_nats::ConnectError,
> {
    let (events_tx, events) = tokio::sync::mpsc::channel::<async_nats::Event>(16);
    let client = crate::node::nats_options()
        .event_callback(move |event| {
            let events = events_tx.clone();
            async move {
                let _ = events.try_send(event);
            }
        })
        .connect(crate::node::servers(url))
        .await?;
    Ok((client, events))
}
