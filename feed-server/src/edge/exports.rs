//! An edge's GTFS-Realtime feeds and facilities: what the ingest node
//! relays in bucket [`BUCKET`] (`ingest::exports`), read as it changes into
//! the export cache the routes serve from, and into the edge's facilities
//! ([`crate::facility::relay`]); and each feed's realtime and the notices
//! (`ingest::relay`), into the edge's own stores, for the stop boards,
//! lines and trips it works out itself. Until the bucket's values as they
//! were when the edge started have been read, its realtime is not complete
//! ([`RealtimeStore::is_complete`]: those routes answer 503).
//!
//! A session ends when NATS disconnects, and the next one reads each
//! feed's last value again: a watch resumed by sequence on a NATS that
//! came back with an empty store would skip every value until the new
//! bucket's sequence passed the old one.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, kv};
use futures_util::StreamExt as _;
use tokio_util::sync::CancellationToken;

use super::Link;
use crate::facility::relay::{self, Relay};
use crate::http::gtfs_rt::ExportCache;
use crate::ingest::exports::{BUCKET, decode};
use crate::notice::Notices;
use crate::realtime::RealtimeStore;
use crate::realtime::relay::Applier;

/// Where what the bucket holds goes.
#[derive(Debug, Clone)]
pub struct Targets {
    /// The GTFS-RT feeds, served as relayed.
    pub cache: Arc<ExportCache>,
    pub facilities: Relay,
    /// The edge's realtime, and what reads relayed bodies into it.
    pub realtime: RealtimeStore,
    pub applier: Arc<Applier>,
    /// The edge's notices, when it has no PostgreSQL to read them from.
    pub notices: Option<Notices>,
}

/// Follows the bucket at `url` into `targets` until `cancel`; starts again
/// after a failure (and waits for the bucket, which the ingest node makes).
pub async fn run(targets: Targets, link: Arc<Link>, url: String, cancel: CancellationToken) {
    let mut failing = false;
    loop {
        let session = tokio::select! {
            () = cancel.cancelled() => return,
            r = session(&targets, &link, &url, &mut failing) => r,
        };
        if let Err(e) = session
            && !std::mem::replace(&mut failing, true)
        {
            tracing::warn!(error = %e, "edge: the relayed exports, realtime and notices not followed on NATS; trying again every 2 s");
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
}

async fn session(
    targets: &Targets,
    link: &Link,
    url: &str,
    failing: &mut bool,
) -> Result<(), String> {
    let (client, mut events) = super::link::connect(url).await.map_err(|e| e.to_string())?;
    let js = jetstream::new(client);
    let bucket = js
        .get_key_value(BUCKET)
        .await
        .map_err(|e| format!("bucket {BUCKET} (is an ingest node up?): {e}"))?;
    // The last value of each feed, then each new one.
    let mut watch = bucket
        .watch_with_history(">")
        .await
        .map_err(|e| format!("bucket {BUCKET}: {e}"))?;
    if std::mem::replace(failing, false) {
        tracing::info!("edge: following the GTFS-RT feeds on NATS again");
    }
    loop {
        let entry = tokio::select! {
            entry = watch.next() => entry,
            event = events.recv() => match event {
                Some(async_nats::Event::Disconnected | async_nats::Event::Closed) | None => {
                    return Err("NATS disconnected".into());
                }
                Some(_) => continue,
            },
        };
        let Some(entry) = entry else {
            return Err("the bucket's watch ended".into());
        };
        let entry = entry.map_err(|e| format!("bucket {BUCKET}: {e}"))?;
        let caught_up = entry.delta == 0 || entry.seen_current;
        take(targets, link, entry).await;
        if caught_up && !targets.realtime.is_complete() {
            tracing::info!("edge: the ingest node's realtime read");
            targets.realtime.relay_read();
        }
    }
}

/// Takes one value of the bucket.
async fn take(targets: &Targets, link: &Link, entry: kv::Entry) {
    if entry.operation != kv::Operation::Put {
        return;
    }
    if entry.key.starts_with(crate::realtime::relay::PREFIX) {
        match crate::realtime::relay::parse_key(&entry.key) {
            Some((feed, kind)) => take_realtime(targets, feed, kind, entry.value).await,
            // A kind of a newer node.
            None => tracing::debug!(key = %entry.key, "relayed realtime of an unknown kind"),
        }
        return;
    }
    if entry.key == crate::ingest::relay::NOTICES {
        if let Some(notices) = targets.notices.clone() {
            // Inflating and reading them all: off the async workers.
            let value = entry.value;
            let taken = tokio::task::spawn_blocking(move || {
                crate::ingest::relay::decode_notices(&value).map(|list| notices.take_all(list))
            })
            .await;
            if let Ok(Err(e)) = taken {
                tracing::warn!(error = %e, "the relayed notices are not readable; the last ones stay");
            }
        }
        return;
    }
    if entry.key == relay::KEY {
        let state = decode(&entry.value).and_then(|(head, json)| {
            if head.too_large {
                return Err(std::io::Error::other("too large for NATS"));
            }
            serde_json::from_slice::<relay::State>(&json).map_err(std::io::Error::other)
        });
        let received = match state {
            Ok(state) => {
                targets.facilities.take(state);
                true
            }
            Err(e) => {
                // 503 rather than counts that no longer move.
                tracing::warn!(error = %e, "the relayed facilities are not readable: this edge answers 503 for them");
                false
            }
        };
        link.facilities
            .store(received, std::sync::atomic::Ordering::Relaxed);
        return;
    }
    let received = decode(&entry.value).and_then(|(head, protobuf)| {
        if head.too_large {
            targets.cache.forget(&entry.key);
            return Ok(());
        }
        targets
            .cache
            .receive(&entry.key, head.etag, head.modified, protobuf.into())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    });
    if let Err(e) = received {
        tracing::warn!(feed = %entry.key, error = %e, "a relayed GTFS-RT feed is not readable; the last one stays");
    }
}

/// Reads a feed's relayed realtime into the edge's store, off the async
/// workers (a large message takes a while to match to the timetable). A
/// body the edge cannot take leaves what it holds, which turns stale as it
/// would on the ingest node.
async fn take_realtime(
    targets: &Targets,
    feed: crate::id::FeedId,
    kind: crate::realtime::Kind,
    value: axum::body::Bytes,
) {
    let store = targets.realtime.clone();
    let applier = targets.applier.clone();
    let key = crate::realtime::relay::key(&feed, kind);
    let applied = tokio::task::spawn_blocking(move || {
        let (head, parts) = crate::realtime::relay::decode(&value).map_err(|e| e.to_string())?;
        if head.too_large {
            return Err("too large for NATS on the ingest node".to_string());
        }
        match applier.apply(&store, &feed, kind, &parts, &head) {
            Err(e) if e.is_older() => {
                tracing::debug!(error = %e, "relayed realtime older than the one held");
                Ok(crate::realtime::Polled::Unchanged)
            }
            applied => applied.map_err(|e| e.to_string()),
        }
    })
    .await;
    match applied {
        Ok(Ok(polled)) => tracing::debug!(key, ?polled, "relayed realtime taken"),
        Ok(Err(e)) => {
            tracing::warn!(key, error = %e, "relayed realtime not taken; the last one stays")
        }
        Err(e) => tracing::warn!(key, error = %e, "relayed realtime not taken"),
    }
}
