//! An edge's GTFS-Realtime feeds and facilities: what the ingest node
//! relays in bucket [`BUCKET`] (`ingest::exports`), read as it changes into
//! the export cache the routes serve from, and into the edge's facilities
//! ([`crate::facility::relay`]).
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

/// Follows the bucket at `url` into `cache` until `cancel`; starts again
/// after a failure (and waits for the bucket, which the ingest node makes).
pub async fn run(
    cache: Arc<ExportCache>,
    relay: Relay,
    link: Arc<Link>,
    url: String,
    cancel: CancellationToken,
) {
    let mut failing = false;
    loop {
        let session = tokio::select! {
            () = cancel.cancelled() => return,
            r = session(&cache, &relay, &link, &url, &mut failing) => r,
        };
        if let Err(e) = session
            && !std::mem::replace(&mut failing, true)
        {
            tracing::warn!(error = %e, "edge: GTFS-RT feeds and facilities not followed on NATS; trying again every 2 s");
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
}

async fn session(
    cache: &ExportCache,
    relay: &Relay,
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
        if entry.operation != kv::Operation::Put {
            continue;
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
                    relay.take(state);
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
            continue;
        }
        let received = decode(&entry.value).and_then(|(head, protobuf)| {
            if head.too_large {
                cache.forget(&entry.key);
                return Ok(());
            }
            cache
                .receive(&entry.key, head.etag, head.modified, protobuf.into())
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
        });
        if let Err(e) = received {
            tracing::warn!(feed = %entry.key, error = %e, "a relayed GTFS-RT feed is not readable; the last one stays");
        }
    }
}
