//! The board archive: every board each station published, by `seq`, kept
//! `[screens] keep_days`, so that « what did screen 3 show at 07:42 » has an
//! answer (`GET /v1/stations/{id}/board?seq=N`, with the screen's history).
//!
//! Kept compactly: the deltas the stream sends, deflated, and now and then
//! a whole board (at start, after a gap, and every [`SNAPSHOT_EVERY`] deltas
//! or [`SNAPSHOT_AGE`]); a board is the last whole one before it with the
//! deltas after it applied, exactly as a stream client rebuilds it.
//!
//! The archivist is a subscriber of the hub like any stream connection, with
//! the same slow-consumer policy: if the store falls behind and its queue
//! fills, the hub drops it; it subscribes again from the last `seq` it kept
//! (a replay, or a whole board when the replay log no longer has it), so the
//! archive has no silent hole: a gap is always followed by a whole board.
//! Writes are batched, one transaction a second at most.

use std::collections::HashMap;
use std::io::{Read as _, Write as _};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use quai_protocol::{Applied, Board, BoardState, ServerMessage};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::hub::{Hub, Outgoing, Subscriber, TooSlow};
use crate::id::StationId;
use crate::store::{ArchivedBoard, Store, StoreError};

/// A whole board is kept at least every this many deltas of a station...
pub const SNAPSHOT_EVERY: u32 = 200;
/// ...and at least this often while it changes.
pub const SNAPSHOT_AGE: Duration = Duration::from_secs(3600);
/// The archivist's queue (messages of every station).
const QUEUE: usize = 4096;
/// The connection number the archivist subscribes with (stream connections
/// count up from 1; the hub leaves it out of its counts).
const CONNECTION: u64 = crate::hub::INTERNAL;

/// What one station's archive stands at.
struct Kept {
    state: BoardState,
    since_snapshot: u32,
    snapshot_at: Instant,
}

/// Keeps every station's boards until `cancel` fires.
pub async fn run(
    hub: Arc<Hub>,
    stations: Vec<StationId>,
    store: Arc<Store>,
    clock: crate::clock::Clock,
    cancel: CancellationToken,
) {
    let mut kept: HashMap<String, Kept> = HashMap::new();
    'subscribe: loop {
        let (queue, mut inbox) = mpsc::channel::<Arc<Outgoing>>(QUEUE);
        let too_slow = Arc::new(TooSlow::default());
        for station in &stations {
            let since = kept.get(station.as_str()).and_then(|k| k.state.seq());
            let subscriber = Subscriber {
                connection: CONNECTION,
                queue: queue.clone(),
                too_slow: too_slow.clone(),
            };
            if let Err(e) = hub.subscribe(station.as_str(), since, subscriber) {
                tracing::warn!(%station, error = %e, "board archive: not subscribed");
            }
        }
        drop(queue);
        let mut batch: Vec<ArchivedBoard> = Vec::new();
        let mut flush = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                biased;
                () = cancel.cancelled() => {
                    write(&store, std::mem::take(&mut batch), &mut kept).await;
                    break 'subscribe;
                }
                () = too_slow.raised() => {
                    tracing::warn!("board archive: fell behind; subscribing again from the last kept seq");
                    write(&store, std::mem::take(&mut batch), &mut kept).await;
                    for station in &stations {
                        hub.unsubscribe(station.as_str(), CONNECTION);
                    }
                    continue 'subscribe;
                }
                _ = flush.tick() => write(&store, std::mem::take(&mut batch), &mut kept).await,
                out = inbox.recv() => {
                    let Some(out) = out else { break 'subscribe };
                    batch.extend(archived(&mut kept, &out, clock.now()));
                }
            }
        }
    }
    for station in &stations {
        hub.unsubscribe(station.as_str(), CONNECTION);
    }
}

/// What to keep of `out`: the delta, and a whole board when one is due.
fn archived(
    kept: &mut HashMap<String, Kept>,
    out: &Outgoing,
    at: DateTime<Utc>,
) -> Vec<ArchivedBoard> {
    let (station, delta) = match &out.message {
        ServerMessage::Snapshot { station, .. } => (station, false),
        ServerMessage::Delta(d) => (&d.station, true),
        _ => return Vec::new(),
    };
    let k = kept.entry(station.clone()).or_insert_with(|| Kept {
        state: BoardState::new(station.clone()),
        since_snapshot: 0,
        snapshot_at: Instant::now(),
    });
    let Applied::UpToDate(seq) = k.state.apply(&out.message) else {
        // Old news, or a gap (which the hub never makes: a snapshot follows).
        return Vec::new();
    };
    let mut rows = Vec::new();
    if delta {
        rows.push(ArchivedBoard {
            station: station.clone(),
            seq,
            whole: false,
            at,
            body: deflate(&out.json),
        });
        k.since_snapshot += 1;
    }
    let due =
        !delta || k.since_snapshot >= SNAPSHOT_EVERY || k.snapshot_at.elapsed() >= SNAPSHOT_AGE;
    if due && let Some(board) = k.state.board() {
        rows.push(ArchivedBoard {
            station: station.clone(),
            seq,
            whole: true,
            at,
            body: deflate(&serde_json::to_vec(board).unwrap_or_default()),
        });
        k.since_snapshot = 0;
        k.snapshot_at = Instant::now();
    }
    rows
}

/// Writes `batch`; when it fails, the next message of every station keeps
/// a whole board (the deltas lost would leave a hole otherwise).
async fn write(store: &Arc<Store>, batch: Vec<ArchivedBoard>, kept: &mut HashMap<String, Kept>) {
    if batch.is_empty() {
        return;
    }
    let store = store.clone();
    let failed = match tokio::task::spawn_blocking(move || store.boards_put(&batch)).await {
        Ok(Ok(())) => false,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "board archive: not written");
            true
        }
        Err(e) => {
            tracing::warn!(error = %e, "board archive: writer failed");
            true
        }
    };
    if failed {
        for k in kept.values_mut() {
            k.since_snapshot = SNAPSHOT_EVERY;
        }
    }
}

fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut out = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = out.write_all(bytes);
    out.finish().unwrap_or_default()
}

fn inflate(bytes: &[u8]) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::new();
    flate2::read::DeflateDecoder::new(bytes)
        // A board is well under 16 MiB: more is damage.
        .take(16 << 20)
        .read_to_end(&mut out)
        .map_err(|e| StoreError::Corrupt(format!("an archived board does not inflate: {e}")))?;
    Ok(out)
}

/// Why a board is not in the archive.
#[derive(Debug, thiserror::Error)]
pub enum NotKept {
    #[error("the board of seq {0} is not kept (older than the archive, or never published)")]
    Missing(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Boards rebuilt lately, kept for the next ask (`?seq=` is public, and a
/// rebuild reads and inflates up to [`SNAPSHOT_EVERY`] deltas).
static REBUILT: std::sync::Mutex<std::collections::VecDeque<RebuiltBoard>> =
    std::sync::Mutex::new(std::collections::VecDeque::new());
/// The store's file and station, the seq, the board and when it was kept.
type RebuiltBoard = (String, u64, Arc<(Board, DateTime<Utc>)>);
const REBUILT_KEPT: usize = 64;

/// The board `station` published at `seq`, and when it was kept.
pub fn board_at(store: &Store, station: &str, seq: u64) -> Result<(Board, DateTime<Utc>), NotKept> {
    let lock = || REBUILT.lock().unwrap_or_else(|p| p.into_inner());
    // One process may hold several stores (tests): the key names the file.
    let key = format!("{}\0{station}", store.path().display());
    if let Some(found) = lock()
        .iter()
        .find(|(s, n, _)| *s == key && *n == seq)
        .map(|(_, _, b)| b.clone())
    {
        return Ok((*found).clone());
    }
    let rebuilt = rebuild(store, station, seq)?;
    let mut kept = lock();
    if kept.len() >= REBUILT_KEPT {
        kept.pop_front();
    }
    kept.push_back((key, seq, Arc::new(rebuilt.clone())));
    Ok(rebuilt)
}

fn rebuild(store: &Store, station: &str, seq: u64) -> Result<(Board, DateTime<Utc>), NotKept> {
    let (whole, deltas) = store.boards_for(station, seq)?;
    let Some(whole) = whole else {
        return Err(NotKept::Missing(seq));
    };
    let board: Board = serde_json::from_slice(&inflate(&whole.body)?)
        .map_err(|e| StoreError::Corrupt(format!("an archived board does not read: {e}")))?;
    let mut state = BoardState::new(station);
    state.apply(&ServerMessage::Snapshot {
        station: station.to_string(),
        seq: whole.seq,
        board,
        server_time: String::new(),
    });
    let mut at = whole.at;
    for d in deltas {
        let message: ServerMessage = serde_json::from_slice(&inflate(&d.body)?)
            .map_err(|e| StoreError::Corrupt(format!("an archived delta does not read: {e}")))?;
        match state.apply(&message) {
            Applied::UpToDate(_) => at = d.at,
            Applied::Ignored => {}
            Applied::Resubscribe { .. } => return Err(NotKept::Missing(seq)),
        }
    }
    match state.board() {
        Some(b) if b.seq == seq => Ok((b.clone(), at)),
        _ => Err(NotKept::Missing(seq)),
    }
}
