//! The export's cache: each export encoded once per change of what it is made
//! from, and the same bytes handed to every request until then.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher as _};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use gtfs_realtime::feed_header::Incrementality;
use gtfs_realtime::{FeedEntity, FeedHeader, FeedMessage};
use prost::Message as _;

/// Each export as last rendered, with what it was rendered from: a request
/// that finds the same inputs gets the same bytes, so the export costs one
/// encoding per change of its inputs (an accepted message, a board change),
/// not one per request, whatever the upstream's size.
#[derive(Debug, Default)]
pub struct ExportCache {
    entries: Mutex<BTreeMap<&'static str, Arc<Rendered>>>,
}

/// One export, encoded.
#[derive(Debug)]
pub struct Rendered {
    /// A hash of the inputs it was made from.
    key: u64,
    pub etag: String,
    /// When its content last changed.
    pub modified: DateTime<Utc>,
    pub(super) message: FeedMessage,
    /// Shared by every answer (cloning it copies no bytes).
    pub protobuf: axum::body::Bytes,
}

impl ExportCache {
    /// Export `name` for inputs `key`: the cached one, or `build`'s, encoded.
    pub(super) fn render(
        &self,
        name: &'static str,
        key: u64,
        now: DateTime<Utc>,
        build: impl FnOnce() -> Vec<FeedEntity>,
    ) -> Arc<Rendered> {
        let previous = self
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned();
        if let Some(r) = previous.as_ref().filter(|r| r.key == key) {
            return r.clone();
        }
        let entity = build();
        let content = FeedMessage {
            header: FeedHeader::default(),
            entity: entity.clone(),
        }
        .encode_to_vec();
        let etag = format!("\"{:016x}\"", fnv(&content));
        let modified = previous
            .filter(|r| r.etag == etag)
            .map_or(now, |r| r.modified);
        let message = FeedMessage {
            header: FeedHeader {
                gtfs_realtime_version: "2.0".into(),
                incrementality: Some(Incrementality::FullDataset as i32),
                timestamp: Some(now.timestamp().max(0) as u64),
                ..FeedHeader::default()
            },
            entity,
        };
        let rendered = Arc::new(Rendered {
            key,
            etag,
            modified,
            protobuf: message.encode_to_vec().into(),
            message,
        });
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name, rendered.clone());
        rendered
    }
}

impl ExportCache {
    /// On an edge: export `name` as the ingest node rendered it (its
    /// protobuf, ETag and time of change), served as it came, so that a
    /// consumer moving between nodes keeps its validators.
    pub fn receive(
        &self,
        name: &str,
        etag: String,
        modified: DateTime<Utc>,
        protobuf: axum::body::Bytes,
    ) -> Result<(), String> {
        let Some(name) = super::FEEDS.into_iter().find(|n| *n == name) else {
            return Ok(());
        };
        // A validator as the routes write it: `"…"`, printable ASCII.
        let quoted = etag.len() >= 2
            && etag.starts_with('"')
            && etag.ends_with('"')
            && etag.bytes().all(|b| b.is_ascii_graphic());
        if !quoted {
            return Err(format!("not an ETag: {}", etag.escape_debug()));
        }
        let message = FeedMessage::decode(protobuf.as_ref()).map_err(|e| e.to_string())?;
        let rendered = Arc::new(Rendered {
            key: 0,
            etag,
            modified,
            message,
            protobuf,
        });
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name, rendered);
        Ok(())
    }

    /// On an edge: export `name` is no longer relayed (too large).
    pub fn forget(&self, name: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|n, _| *n != name);
    }

    /// On an edge: export `name` as last received.
    pub(super) fn received(&self, name: &str) -> Option<Arc<Rendered>> {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
    }
}

/// FNV-1a: a content hash for validators (not a defence against anyone).
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// A hash of what an export is made from.
pub(super) fn inputs(parts: impl Hash) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}
