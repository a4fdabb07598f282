//! The boards' bucket ([`super::BUCKET`]): each station's whole board, for
//! the edges' first reads and for the numbering of the node that takes the
//! lease over (it goes on from the last seq on the stream *or here*: a
//! quiet station's last message may be past the stream's 24 h).
//!
//! So a board here must never go back. The stream's messages are fenced
//! (`Nats-Expected-Last-Subject-Sequence`), but the bucket's put comes
//! after: a node deposed between its message and its put, or merely slow,
//! could otherwise replace the new holder's board with an older one, and
//! a later takeover would number on from that older seq. Each put is a
//! compare-and-set on the entry's revision this node last saw; when
//! another node wrote meanwhile, the entry is read again and the board is
//! put only if its seq is higher than the one there.

use std::collections::HashMap;

use async_nats::jetstream::kv;
use quai_protocol::BoardState;

use super::{BUCKET, IngestError};

/// The bucket, and the revision of each station's entry as this node last
/// wrote or read it.
#[derive(Debug)]
pub(super) struct BoardBucket {
    store: kv::Store,
    revisions: HashMap<String, u64>,
}

/// Tries before giving up on one put (each lost race reads the entry
/// again; two nodes write the same station only around a takeover).
const TRIES: usize = 4;

impl BoardBucket {
    pub(super) fn new(store: kv::Store) -> BoardBucket {
        BoardBucket {
            store,
            revisions: HashMap::new(),
        }
    }

    /// Puts the station's board of `state`, unless the bucket holds one
    /// as new or newer.
    pub(super) async fn put(
        &mut self,
        station: &str,
        state: &BoardState,
    ) -> Result<(), IngestError> {
        let (Some(board), Some(seq)) = (state.board(), state.seq()) else {
            return Ok(());
        };
        let json: axum::body::Bytes = serde_json::to_vec(board)
            .map_err(|e| IngestError::JetStream(e.to_string()))?
            .into();
        let failed = |e: String| IngestError::JetStream(format!("bucket {BUCKET}, {station}: {e}"));
        for _ in 0..TRIES {
            if let Some(revision) = self.revisions.get(station).copied() {
                match self.store.update(station, json.clone(), revision).await {
                    Ok(revision) => {
                        self.revisions.insert(station.to_string(), revision);
                        return Ok(());
                    }
                    Err(e) if e.kind() == kv::UpdateErrorKind::WrongLastRevision => {}
                    Err(e) => return Err(failed(e.to_string())),
                }
            }
            // Another node wrote, or this one never did: what is there?
            match self
                .store
                .entry(station)
                .await
                .map_err(|e| failed(e.to_string()))?
            {
                Some(entry) if entry.operation == kv::Operation::Put => {
                    let there = serde_json::from_slice::<quai_protocol::Board>(&entry.value)
                        .ok()
                        .map(|b| b.seq);
                    if there == Some(seq) {
                        // This board already (this node's own put, before
                        // a reconnection).
                        self.revisions.insert(station.to_string(), entry.revision);
                        return Ok(());
                    }
                    if there.is_some_and(|there| there > seq) {
                        // Not its revision to write on: the next put
                        // compares again.
                        self.revisions.remove(station);
                        tracing::info!(
                            station,
                            seq,
                            there,
                            "ingest: the bucket holds a newer board than this node's; left as it is"
                        );
                        return Ok(());
                    }
                    self.revisions.insert(station.to_string(), entry.revision);
                }
                _ => match self.store.create(station, json.clone()).await {
                    Ok(revision) => {
                        self.revisions.insert(station.to_string(), revision);
                        return Ok(());
                    }
                    Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {
                        self.revisions.remove(station);
                    }
                    Err(e) => return Err(failed(e.to_string())),
                },
            }
        }
        Err(failed(format!(
            "written by another node {TRIES} times in a row"
        )))
    }

    /// The seq of the station's board here, if there is one.
    pub(super) async fn seq(&self, station: &str) -> Result<Option<u64>, IngestError> {
        let json = self
            .store
            .get(station)
            .await
            .map_err(|e| IngestError::JetStream(format!("bucket {BUCKET}, {station}: {e}")))?;
        Ok(json.and_then(|json| {
            serde_json::from_slice::<quai_protocol::Board>(&json)
                .ok()
                .map(|b| b.seq)
        }))
    }
}
