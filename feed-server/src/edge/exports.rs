//! An edge's GTFS-Realtime feeds: what the ingest node relays in bucket
//! [`BUCKET`] (`ingest::exports`), read as it changes into the export
//! cache the routes serve from.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, kv};
use futures_util::StreamExt as _;
use tokio_util::sync::CancellationToken;

use crate::http::gtfs_rt::ExportCache;
use crate::ingest::exports::{BUCKET, decode};

/// Follows the bucket at `url` into `cache` until `cancel`; reconnects
/// after a failure (and waits for the bucket, which the ingest node makes).
pub async fn run(cache: Arc<ExportCache>, url: String, cancel: CancellationToken) {
    loop {
        let session = tokio::select! {
            () = cancel.cancelled() => return,
            r = session(&cache, &url) => r,
        };
        if let Err(e) = session {
            tracing::debug!(error = %e, "GTFS-RT feeds from NATS: trying again in 2 s");
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
}

async fn session(cache: &ExportCache, url: &str) -> Result<(), String> {
    let client = async_nats::connect(url).await.map_err(|e| e.to_string())?;
    let js = jetstream::new(client);
    let bucket = js
        .get_key_value(BUCKET)
        .await
        .map_err(|e| format!("bucket {BUCKET}: {e}"))?;
    // The last value of each feed, then each new one.
    let mut watch = bucket
        .watch_with_history(">")
        .await
        .map_err(|e| format!("bucket {BUCKET}: {e}"))?;
    while let Some(entry) = watch.next().await {
        let entry = entry.map_err(|e| format!("bucket {BUCKET}: {e}"))?;
        if entry.operation != kv::Operation::Put {
            continue;
        }
        let received = decode(&entry.value).and_then(|(head, protobuf)| {
            cache
                .receive(&entry.key, head.etag, head.modified, protobuf.into())
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
        });
        if let Err(e) = received {
            tracing::warn!(feed = %entry.key, error = %e, "a relayed GTFS-RT feed is not readable; the last one stays");
        }
    }
    Err("the bucket's watch ended".into())
}
