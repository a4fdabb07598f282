//! The GTFS-Realtime feeds, relayed to the edges (docs/scaling.md): an edge
//! has no realtime of its own, so the ingest node holding the lease puts
//! each feed, as it renders it, in the key-value bucket [`BUCKET`] (one key
//! per feed, the last value only); edges serve what they read there
//! (`edge::exports`), byte for byte, with the same validators.
//!
//! A value is one line of JSON (`{"etag":…,"modified":…}`) and the feed's
//! protobuf, deflated. A feed is put each time it is rendered anew (a
//! board or the vehicle positions changed), checked every second. One
//! larger than the NATS server's largest message (`max_payload`, 1 MiB by
//! default) is not relayed: the log says so once per version, and edges
//! keep the last one they had.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use tokio_util::sync::CancellationToken;

use crate::http::gtfs_rt::{Export, FEEDS, Rendered, rendered};
use crate::lease::Lease;

/// The bucket of relayed feeds.
pub const BUCKET: &str = "quai-exports";

/// How often the feeds are looked at.
const EVERY: Duration = Duration::from_secs(1);

/// What travels ahead of a feed's bytes.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Head {
    pub etag: String,
    pub modified: chrono::DateTime<chrono::Utc>,
}

/// A feed as it goes into the bucket.
pub fn encode(r: &Rendered) -> std::io::Result<Vec<u8>> {
    let head = Head {
        etag: r.etag.clone(),
        modified: r.modified,
    };
    let mut out = serde_json::to_vec(&head)?;
    out.push(b'\n');
    let mut deflate = flate2::write::DeflateEncoder::new(out, flate2::Compression::default());
    deflate.write_all(&r.protobuf)?;
    deflate.finish()
}

/// A value of the bucket: its head and the feed's protobuf.
pub fn decode(value: &[u8]) -> std::io::Result<(Head, Vec<u8>)> {
    let bad = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
    let end = value
        .iter()
        .position(|b| *b == b'\n')
        .ok_or_else(|| bad("no head".into()))?;
    let head: Head = serde_json::from_slice(&value[..end]).map_err(|e| bad(e.to_string()))?;
    let mut protobuf = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::DeflateDecoder::new(&value[end + 1..]),
        &mut protobuf,
    )?;
    Ok((head, protobuf))
}

/// Relays the feeds while `lease` is held, until `cancel`; reconnects
/// after a failure.
pub async fn run(export: Export, url: String, lease: Arc<Lease>, cancel: CancellationToken) {
    loop {
        let session = tokio::select! {
            () = cancel.cancelled() => return,
            r = session(&export, &url, &lease) => r,
        };
        if let Err(e) = session {
            tracing::warn!(error = %e, "GTFS-RT feeds not relayed to NATS; trying again in 2 s");
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
}

async fn session(export: &Export, url: &str, lease: &Lease) -> Result<(), String> {
    let client = async_nats::connect(url).await.map_err(|e| e.to_string())?;
    let largest = client.server_info().max_payload;
    let js = jetstream::new(client);
    let bucket = super::key_value(&js, BUCKET).await?;
    // Each feed as last put (or found too large), by its rendering.
    let mut sent: HashMap<&'static str, Arc<Rendered>> = HashMap::new();
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if !lease.holds() {
            // Another node may put newer ones meanwhile: all again on return.
            sent.clear();
            continue;
        }
        for name in FEEDS {
            let Some(r) = rendered(export, name) else {
                continue;
            };
            if sent.get(name).is_some_and(|s| Arc::ptr_eq(s, &r)) {
                continue;
            }
            let value = encode(&r).map_err(|e| e.to_string())?;
            if value.len() > largest {
                tracing::error!(
                    feed = name,
                    bytes = value.len(),
                    max_payload = largest,
                    "a GTFS-RT feed is larger than NATS takes: not relayed to the edges (raise max_payload in nats-server.conf)"
                );
            } else {
                bucket
                    .put(name, value.into())
                    .await
                    .map_err(|e| format!("bucket {BUCKET}: {e}"))?;
            }
            sent.insert(name, r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_reads_back_as_written() {
        let head = Head {
            etag: "\"00ff\"".into(),
            modified: chrono::DateTime::from_timestamp(1_767_000_000, 0).expect("instant"),
        };
        let mut value = serde_json::to_vec(&head).expect("json");
        value.push(b'\n');
        let mut deflate = flate2::write::DeflateEncoder::new(value, flate2::Compression::default());
        deflate.write_all(b"\x0a\x03\x32\x2e\x30").expect("write");
        let value = deflate.finish().expect("deflate");
        let (read, protobuf) = decode(&value).expect("decode");
        assert_eq!(read.etag, head.etag);
        assert_eq!(read.modified, head.modified);
        assert_eq!(protobuf, b"\x0a\x03\x32\x2e\x30");
        assert!(decode(b"no head at all").is_err());
    }
}
