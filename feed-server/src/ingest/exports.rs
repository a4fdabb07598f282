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
//! default) is not relayed: the log says so once per version, and the
//! value says so (`too_large`), so that edges answer 503 rather than an
//! old feed.
//!
//! The facilities' live state travels the same way (key
//! [`crate::facility::relay::KEY`], JSON instead of protobuf, its version
//! as `etag`), put when it changes and at least every
//! [`FACILITIES_EVERY`], so that an edge's counts age as the ingest node's
//! do (a source's document confirmed unchanged moves no version).
//!
//! So do each feed's realtime as accepted from upstream and the operator
//! notices ([`super::relay`]), for what an edge works out itself.
//!
//! Fenced as the boards are: after its first put of a term, a node writes
//! a feed only if its key is still at the revision it wrote last, so a
//! late write of a node that has just lost the lease cannot replace the
//! new holder's.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream;
use tokio_util::sync::CancellationToken;

use crate::facility::relay::{KEY, Relay};
use crate::http::gtfs_rt::{Export, FEEDS, Rendered, rendered};
use crate::lease::Lease;
use crate::node::relayed;

/// The bucket of relayed feeds.
pub const BUCKET: &str = "quai-exports";

/// How often the feeds are looked at.
const EVERY: Duration = Duration::from_secs(1);
/// How often the lease holder checks the copies of what it makes
/// ([`super::keep_copies`]).
const COPIES_EVERY: Duration = Duration::from_secs(60);
/// The facilities are put at least this often.
const FACILITIES_EVERY: Duration = Duration::from_secs(30);

/// What travels ahead of a feed's bytes.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Head {
    pub etag: String,
    pub modified: chrono::DateTime<chrono::Utc>,
    /// The feed was too large to relay: there is none to serve.
    #[serde(default)]
    pub too_large: bool,
}

/// The most a relayed feed may inflate to.
const LARGEST_FEED: u64 = 256 * 1024 * 1024;

/// A feed as it goes into the bucket.
pub fn encode(r: &Rendered) -> std::io::Result<Vec<u8>> {
    let head = Head {
        etag: r.etag.clone(),
        modified: r.modified,
        too_large: false,
    };
    relayed::pack(&head, &[&r.protobuf])
}

/// A value of the bucket: its head and the feed's protobuf (none when the
/// head says it was too large).
pub fn decode(value: &[u8]) -> std::io::Result<(Head, Vec<u8>)> {
    relayed::unpack(value, LARGEST_FEED)
}

/// Relays the feeds while `lease` is held, until `cancel`; reconnects
/// after a failure.
pub async fn run(
    export: Export,
    relay: Relay,
    notices: crate::notice::Notices,
    url: String,
    lease: Arc<Lease>,
    cancel: CancellationToken,
) {
    let mut failing = false;
    loop {
        let session = tokio::select! {
            () = cancel.cancelled() => return,
            r = session(&export, &relay, &notices, &url, &lease, &mut failing) => r,
        };
        if let Err(e) = session
            && !std::mem::replace(&mut failing, true)
        {
            tracing::warn!(error = %e, "GTFS-RT feeds not relayed to NATS; trying again every 2 s");
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
}

async fn session(
    export: &Export,
    relay: &Relay,
    notices: &crate::notice::Notices,
    url: &str,
    lease: &Lease,
    failing: &mut bool,
) -> Result<(), String> {
    let client = crate::node::nats_options()
        .connect(crate::node::servers(url))
        .await
        .map_err(|e| e.to_string())?;
    let largest = client.server_info().max_payload;
    let js = jetstream::new(client);
    let bucket = super::key_value(&js, BUCKET, lease.replicas).await?;
    if std::mem::replace(failing, false) {
        tracing::info!("GTFS-RT feeds relayed to NATS again");
    }
    // Each feed as last put (or found too large), by its rendering, and
    // the revision this node wrote it at.
    let mut sent: HashMap<&'static str, (Arc<Rendered>, u64)> = HashMap::new();
    let mut too_large: Option<String> = None;
    // The facilities' version as last put, when, and at which revision.
    let mut facilities: Option<(u64, Instant, u64)> = None;
    // The realtime bodies and the notices as last put (`super::relay`).
    let mut realtime = super::relay::Sent::new();
    let mut forgotten = false;
    let mut notices_sent: Option<(u64, Option<u64>)> = None;
    let mut copies_checked = Instant::now();
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if lease.holds() {
            put_facilities(&bucket, relay, largest, &mut facilities).await?;
            super::relay::put_realtime(
                &bucket,
                &export.realtime,
                &export.deployment,
                largest,
                &mut realtime,
                &mut forgotten,
            )
            .await?;
            super::relay::put_notices(&bucket, notices, largest, &mut notices_sent).await?;
            if let Some(replicas) = lease.replicas
                && copies_checked.elapsed() >= COPIES_EVERY
            {
                // Bounded: during an election its requests wait, and the
                // feeds must not.
                let _ = tokio::time::timeout(EVERY * 5, super::keep_copies(&js, replicas)).await;
                copies_checked = Instant::now();
            }
        } else {
            facilities = None;
            realtime.clear();
            forgotten = false;
            notices_sent = None;
        }
        for name in FEEDS {
            if !lease.holds() {
                // Another node puts them meanwhile: all again, unfenced,
                // when this one holds the lease again.
                sent.clear();
                break;
            }
            let Some(r) = rendered(export, name) else {
                continue;
            };
            if sent.get(name).is_some_and(|(s, _)| Arc::ptr_eq(s, &r)) {
                continue;
            }
            let mut value = encode(&r).map_err(|e| e.to_string())?;
            if value.len() > largest {
                if too_large.as_ref() != Some(&r.etag) {
                    tracing::error!(
                        feed = name,
                        bytes = value.len(),
                        max_payload = largest,
                        "a GTFS-RT feed is larger than NATS takes: edges answer 503 for it (raise max_payload in nats-server.conf)"
                    );
                    too_large = Some(r.etag.clone());
                }
                let head = Head {
                    etag: r.etag.clone(),
                    modified: r.modified,
                    too_large: true,
                };
                value = relayed::marker(&head).map_err(|e| e.to_string())?;
            }
            let written = write(&bucket, name, value, sent.get(name).map(|(_, r)| *r)).await;
            match written {
                Ok(revision) => {
                    sent.insert(name, (r, revision));
                }
                Err(e) => {
                    // Unfenced again at the next look, if this node still
                    // holds the lease then.
                    sent.remove(name);
                    return Err(e);
                }
            }
        }
    }
}

/// Writes `value` under `key`: after this node's first write of a term,
/// only if the key is still at `revision`, the one it wrote last (the
/// fence); the revision written.
pub(super) async fn write(
    bucket: &async_nats::jetstream::kv::Store,
    key: &str,
    value: Vec<u8>,
    revision: Option<u64>,
) -> Result<u64, String> {
    match revision {
        Some(revision) => bucket
            .update(key, value.into(), revision)
            .await
            .map_err(|e| format!("bucket {BUCKET}, {key}: {e} (another node relays the exports?)")),
        None => bucket
            .put(key, value.into())
            .await
            .map_err(|e| format!("bucket {BUCKET}, {key}: {e}")),
    }
}

/// Puts the facilities' state when it moved since `sent` (or is
/// [`FACILITIES_EVERY`] old), fenced by the revision written last.
async fn put_facilities(
    bucket: &async_nats::jetstream::kv::Store,
    relay: &Relay,
    largest: usize,
    sent: &mut Option<(u64, Instant, u64)>,
) -> Result<(), String> {
    let version = relay.facilities.version();
    if sent
        .as_ref()
        .is_some_and(|(v, at, _)| *v == version && at.elapsed() < FACILITIES_EVERY)
    {
        return Ok(());
    }
    let state = relay.facilities.state(&relay.sources);
    let json = serde_json::to_vec(&state).map_err(|e| e.to_string())?;
    let head = Head {
        etag: format!("\"{}\"", state.version),
        modified: chrono::Utc::now(),
        too_large: false,
    };
    let mut value = relayed::pack(&head, &[&json]).map_err(|e| e.to_string())?;
    if value.len() > largest {
        // Not once per look: once per version.
        if sent.as_ref().is_none_or(|(v, ..)| *v != state.version) {
            tracing::error!(
                bytes = value.len(),
                max_payload = largest,
                "the facilities are larger than NATS takes: edges answer 503 for them (raise max_payload in nats-server.conf)"
            );
        }
        // A marker, so that edges answer 503 rather than old counts.
        value = relayed::marker(&Head {
            too_large: true,
            ..head
        })
        .map_err(|e| e.to_string())?;
    }
    let written = write(bucket, KEY, value, sent.as_ref().map(|(.., r)| *r)).await;
    match written {
        Ok(revision) => {
            *sent = Some((state.version, Instant::now(), revision));
            Ok(())
        }
        Err(e) => {
            *sent = None;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    #[test]
    fn a_value_reads_back_as_written() {
        let head = Head {
            etag: "\"00ff\"".into(),
            modified: chrono::DateTime::from_timestamp(1_767_000_000, 0).expect("instant"),
            too_large: false,
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
        // Too large on the ingest node: the head alone, read as no feed
        // (an edge then answers 503, not an old feed).
        let marker = crate::node::relayed::marker(&Head {
            too_large: true,
            ..head
        })
        .expect("marker");
        let (read, protobuf) = decode(&marker).expect("a marker reads");
        assert!(read.too_large && protobuf.is_empty());
    }
}
