//! The ingest role (`serve --role ingest --nats URL`, docs/scaling.md): the
//! node that polls the sources and merges them publishes every station's
//! boards to NATS JetStream, for edge nodes to serve.
//!
//! - Every snapshot and delta the stream would send, byte for byte, on the
//!   subject `quai.board.{station}` of the stream [`STREAM`], with the
//!   headers `Quai-Station`, `Quai-Seq` and `Nats-Msg-Id` (`{station}:{seq}`,
//!   `{station}:{seq}:snapshot` for a snapshot: JetStream drops a message
//!   published twice within [`DEDUPLICATE`], as after a reconnect). A reader
//!   rebuilds the boards exactly as a stream client does
//!   (`quai_protocol::BoardState`): a snapshot of each station starts every
//!   connection to NATS (whatever NATS kept or lost) and comes again at least
//!   every [`SNAPSHOT_AGE`], so the stream never holds deltas without a
//!   snapshot before them for longer than that.
//! - The whole board after each change in the key-value bucket [`BUCKET`]
//!   (key: the station's id), for a snapshot without reading the stream;
//!   never replaced by an older one ([`bucket`]).
//!
//! The publisher is a subscriber of the hub like the board archive, with the
//! stream's slow-consumer policy: if NATS is slow or gone and its queue fills,
//! the hub drops it, and once NATS answers again it subscribes again from the
//! last seq it published (a replay, or a snapshot). Boards keep being served
//! locally meanwhile.
//!
//! It publishes only while this node holds the ingest lease
//! ([`crate::lease`]). A node that takes the lease over numbers its boards
//! on from the last message of each station's subject
//! ([`Hub::continue_after`]) and starts with a snapshot: edges turn it into
//! one delta for their clients, and `seq` never goes back.

mod bucket;
pub mod exports;
pub mod relay;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, kv, stream};
use quai_protocol::{Applied, BoardState, ServerMessage};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::hub::{Hub, Outgoing, Subscriber, TooSlow};
use crate::id::StationId;
use crate::lease::Lease;

/// The JetStream stream of every station's board messages.
pub const STREAM: &str = "QUAI_BOARDS";
/// The key-value bucket of every station's whole board.
pub const BUCKET: &str = "quai-boards";
/// How long the stream keeps messages: edges replay `since` from it.
const KEEP: Duration = Duration::from_secs(24 * 3600);
/// How long JetStream remembers message ids to drop a message sent twice.
const DEDUPLICATE: Duration = Duration::from_secs(3600);
/// A station's snapshot is published again at least this often (when it
/// changes: a quiet station's last one is in the bucket).
pub const SNAPSHOT_AGE: Duration = Duration::from_secs(3600);
/// The first wait before connecting again, doubled up to [`RETRY_MAX`].
const RETRY: Duration = Duration::from_millis(200);
/// How long the publishing session's JetStream requests and
/// acknowledgements wait for an answer.
const SESSION_ANSWER_WITHIN: Duration = Duration::from_secs(5);
const RETRY_MAX: Duration = Duration::from_secs(5);
/// The publisher's queue (messages of every station).
const QUEUE: usize = 4096;
/// The connection number it subscribes to the hub with (the archive has
/// [`crate::hub::INTERNAL`]).
const CONNECTION: u64 = crate::hub::INTERNAL + 1;

/// The subject of a station's board messages.
pub fn subject(station: &str) -> String {
    format!("quai.board.{station}")
}

/// The subject of a station's announcements (`POST …/announce`), on core
/// NATS: sent now to the edges' screens, not kept.
pub fn announce_subject(station: &str) -> String {
    format!("quai.announce.{station}")
}

#[derive(Debug, thiserror::Error)]
enum IngestError {
    #[error("cannot reach NATS: {0}")]
    Connect(String),
    #[error("JetStream: {0}")]
    JetStream(String),
    #[error("this node no longer holds the ingest lease")]
    LostLease,
}

/// Publishes every station's boards to NATS at `url`, while `lease` is
/// held, until `cancel` fires; reconnects (every few seconds) whenever NATS
/// is gone.
pub async fn run(
    hub: Arc<Hub>,
    stations: Vec<StationId>,
    url: String,
    lease: Arc<Lease>,
    cancel: CancellationToken,
) {
    let mut published: HashMap<String, Published> = HashMap::new();
    // The lease's term `published` belongs to.
    let mut term = None;
    let mut retry = RETRY;
    let mut changes = lease.changes();
    loop {
        while !lease.holds() {
            tokio::select! {
                () = cancel.cancelled() => return unsubscribe(&hub, &stations),
                _ = changes.changed() => {}
                () = tokio::time::sleep(crate::lease::RENEW) => {}
            }
        }
        // The lease was taken again since (lost through an error, say):
        // another node may have published meanwhile.
        if term != Some(lease.term()) {
            published.clear();
            term = Some(lease.term());
        }
        let outcome = tokio::select! {
            () = cancel.cancelled() => break,
            outcome = session(&hub, &stations, &url, &lease, &mut published, &mut retry) => outcome,
            () = lost(&lease) => Err(IngestError::LostLease),
        };
        match outcome {
            Ok(()) => break,
            Err(IngestError::LostLease) => {
                // Whether another node published meanwhile, the lease's
                // term says when this node takes it again.
                unsubscribe(&hub, &stations);
                tracing::warn!("ingest: the lease is lost; publishing stopped");
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, retry_s = retry.as_secs_f64(), "ingest: boards not published to NATS");
                lease.note_error(Some(e.to_string()));
            }
        }
        unsubscribe(&hub, &stations);
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(retry) => {}
        }
        retry = (retry * 2).min(RETRY_MAX);
    }
    unsubscribe(&hub, &stations);
}

fn unsubscribe(hub: &Hub, stations: &[StationId]) {
    for station in stations {
        hub.unsubscribe(station.as_str(), CONNECTION);
    }
}

/// Completes once this node no longer holds the lease.
async fn lost(lease: &Lease) {
    while lease.holds() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What was last published of a station: its board as NATS has it, and
/// when its last snapshot went out.
#[derive(Clone)]
struct Published {
    state: BoardState,
    snapshot_at: Instant,
}

/// One connection to NATS: sets the stream and bucket up, publishes a
/// snapshot of what was last published (NATS may have lost it), subscribes
/// to the hub from there, and publishes until an error (or the hub ends).
async fn session(
    hub: &Hub,
    stations: &[StationId],
    url: &str,
    lease: &Lease,
    published: &mut HashMap<String, Published>,
    retry: &mut Duration,
) -> Result<(), IngestError> {
    let client = crate::node::nats_options()
        .connect(crate::node::servers(url))
        .await
        .map_err(|e| IngestError::Connect(e.to_string()))?;
    let mut js = jetstream::new(client);
    // Reading where each station was left may take longer than the node's
    // usual 2 s on a large store (the stream's leader looks its last
    // message up): 5 s here, as for the acknowledgements.
    js.set_timeout(SESSION_ANSWER_WITHIN);
    let board_stream = made(
        &js,
        stream::Config {
            name: STREAM.to_string(),
            subjects: vec![subject("*")],
            max_age: KEEP,
            duplicate_window: DEDUPLICATE,
            ..Default::default()
        },
        lease.replicas,
    )
    .await
    .map_err(IngestError::JetStream)?;
    let boards = key_value(&js, BUCKET, lease.replicas)
        .await
        .map_err(IngestError::JetStream)?;
    let mut nats = Nats {
        js,
        boards: bucket::BoardBucket::new(boards),
        last: HashMap::new(),
    };
    for station in stations {
        let last = last_on_stream(&board_stream, station.as_str()).await?;
        let quai_seq = last.as_ref().and_then(|l| l.quai_seq);
        if let Some(l) = &last {
            nats.last.insert(station.to_string(), l.sequence);
        }
        // The stream holds a later board than this node knows it sent: NATS
        // stored its last message, then died before the acknowledgement
        // came (one message at most: each waits for the last's). That
        // message is what was published: applied to this node's record, the
        // station goes on from it; else it starts again as if new (a
        // snapshot past it), never from an older seq.
        if let (Some(p), Some(l)) = (published.get_mut(station.as_str()), &last)
            && p.state
                .seq()
                .is_some_and(|p| l.quai_seq.is_some_and(|q| q > p))
        {
            // Only a message of this node's own numbering (not past its
            // hub's board: another writer's would be).
            let own = l.quai_seq.is_some_and(|q| {
                hub.current(station.as_str())
                    .is_some_and(|b| b.wire.seq >= q)
            });
            let caught = own
                && serde_json::from_slice::<ServerMessage>(&l.payload)
                    .map(|m| p.state.apply(&m))
                    .is_ok_and(|a| Some(a) == l.quai_seq.map(Applied::UpToDate));
            if !caught {
                published.remove(station.as_str());
            }
        }
        if published.contains_key(station.as_str()) {
            continue;
        }
        // Not published by this node in this term: its boards go on from
        // the last one another node left, on the stream or in the bucket
        // (a quiet station's last message may be past the stream's 24 h).
        let in_bucket = nats.boards.seq(station.as_str()).await?;
        if let Some(last) = quai_seq.max(in_bucket) {
            let seq = hub.continue_after(station.as_str(), last);
            tracing::info!(%station, last, ?seq, "ingest: boards numbered on from the last published");
        }
    }
    tracing::info!(
        url,
        node = lease.node(),
        "ingest: publishing boards to NATS"
    );
    lease.note_error(None);
    *retry = RETRY;
    // What NATS had may be gone (a new store, a power cut): every station
    // starts again from a snapshot of what was last published.
    for (station, last) in published.iter_mut() {
        nats.snapshot(station, &last.state).await?;
        last.snapshot_at = Instant::now();
    }

    let (queue, mut inbox) = mpsc::channel::<Arc<Outgoing>>(QUEUE);
    let too_slow = Arc::new(TooSlow::default());
    for station in stations {
        let since = published.get(station.as_str()).and_then(|p| p.state.seq());
        let subscriber = Subscriber {
            connection: CONNECTION,
            queue: queue.clone(),
            too_slow: too_slow.clone(),
        };
        hub.subscribe(station.as_str(), since, subscriber)
            .map_err(|e| IngestError::JetStream(format!("station {station}: {e}")))?;
    }
    drop(queue);
    loop {
        let out = tokio::select! {
            () = too_slow.raised() => {
                return Err(IngestError::JetStream("fell behind the boards".into()));
            }
            out = inbox.recv() => out,
        };
        let Some(out) = out else { return Ok(()) };
        if !lease.holds() {
            return Err(IngestError::LostLease);
        }
        nats.publish(published, &out).await?;
    }
}

/// The session's JetStream handles, and where this node left each
/// station's subject.
struct Nats {
    js: jetstream::Context,
    /// Each station's whole board, never going back.
    boards: bucket::BoardBucket,
    /// The stream sequence of the last message on each station's subject,
    /// as this node last saw it: every message is published on the
    /// condition that it is still the last
    /// (`Nats-Expected-Last-Subject-Sequence`), so that a message of a node
    /// that lost the lease, or raced another, is refused rather than
    /// interleaved.
    last: HashMap<String, u64>,
}

impl Nats {
    /// Publishes one message of the hub: on the station's subject, then
    /// the board it makes in the bucket; and a snapshot when the last is
    /// [`SNAPSHOT_AGE`] old.
    async fn publish(
        &mut self,
        published: &mut HashMap<String, Published>,
        out: &Outgoing,
    ) -> Result<(), IngestError> {
        let (station, snapshot) = match &out.message {
            ServerMessage::Snapshot { station, .. } => (station, true),
            ServerMessage::Delta(d) => (&d.station, false),
            ServerMessage::Announce { station, .. } => {
                // For now, not for later: on core NATS, not kept, for the
                // edges' screens.
                return self
                    .js
                    .client()
                    .publish(announce_subject(station), out.json.clone())
                    .await
                    .map_err(|e| IngestError::JetStream(format!("announce: {e}")));
            }
            _ => return Ok(()),
        };
        // Applied to a copy: the state moves on only once NATS has it.
        let mut last = published
            .get(station)
            .cloned()
            .unwrap_or_else(|| Published {
                state: BoardState::new(station.clone()),
                snapshot_at: Instant::now(),
            });
        let seq = match last.state.apply(&out.message) {
            Applied::UpToDate(seq) => seq,
            Applied::Ignored => return Ok(()),
            // The hub's chain does not follow what was published: start
            // the session again (a snapshot).
            Applied::Resubscribe { .. } => {
                published.remove(station);
                return Err(IngestError::JetStream(format!(
                    "{station}: the hub's deltas do not follow what was published"
                )));
            }
        };
        let id = if snapshot {
            format!("{station}:{seq}:snapshot")
        } else {
            format!("{station}:{seq}")
        };
        self.send(station, seq, &id, out.json.clone()).await?;
        // The stream has it: from here on this is what NATS holds (were the
        // bucket's put to fail, the snapshot of the next connection puts it;
        // sent again, this message would be dropped as a duplicate).
        if snapshot {
            last.snapshot_at = Instant::now();
        }
        let due = !snapshot && last.snapshot_at.elapsed() >= SNAPSHOT_AGE;
        published.insert(station.clone(), last);
        let state = &published[station].state;
        self.boards.put(station, state).await?;
        if due {
            self.snapshot(station, state).await?;
            if let Some(p) = published.get_mut(station) {
                p.snapshot_at = Instant::now();
            }
        }
        Ok(())
    }

    /// Publishes `state` as a snapshot on the station's subject (the
    /// stream's snapshot message, at its seq) and in the bucket.
    async fn snapshot(&mut self, station: &str, state: &BoardState) -> Result<(), IngestError> {
        let (Some(board), Some(seq)) = (state.board(), state.seq()) else {
            return Ok(());
        };
        let message = ServerMessage::Snapshot {
            station: station.to_string(),
            seq,
            board: board.clone(),
            server_time: crate::hub::now_micros(),
        };
        let json =
            serde_json::to_vec(&message).map_err(|e| IngestError::JetStream(e.to_string()))?;
        self.send(
            station,
            seq,
            &format!("{station}:{seq}:snapshot"),
            json.into(),
        )
        .await?;
        self.boards.put(station, state).await
    }

    /// One message on the station's subject, acknowledged by JetStream, on
    /// the condition that the subject's last message is the one this node
    /// last saw.
    async fn send(
        &mut self,
        station: &str,
        seq: u64,
        id: &str,
        payload: axum::body::Bytes,
    ) -> Result<(), IngestError> {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Quai-Station", station);
        headers.insert("Quai-Seq", seq.to_string().as_str());
        headers.insert("Nats-Msg-Id", id);
        // 0: the subject must still be empty (a new stream).
        let last = self.last.get(station).copied().unwrap_or(0);
        headers.insert(
            "Nats-Expected-Last-Subject-Sequence",
            last.to_string().as_str(),
        );
        let ack = self
            .js
            .publish_with_headers(subject(station), headers, payload)
            .await
            .map_err(|e| IngestError::JetStream(e.to_string()))?
            .await
            .map_err(|e| IngestError::JetStream(format!("{station} at {seq}: {e}")))?;
        self.last.insert(station.to_string(), ack.sequence);
        Ok(())
    }
}

/// Opens the key-value bucket `name`, making it if need be as NATS makes a
/// key-value bucket (`KV_` stream, `$KV.` subjects, one message a key,
/// rollups, direct gets): made here rather than with `create_key_value`,
/// which first asks for the account's limits in a form servers before 2.10
/// (Debian 12 has 2.9) do not answer.
pub async fn key_value(
    js: &jetstream::Context,
    name: &str,
    replicas: Option<usize>,
) -> Result<kv::Store, String> {
    made(
        js,
        stream::Config {
            name: format!("KV_{name}"),
            subjects: vec![format!("$KV.{name}.>")],
            max_messages_per_subject: 1,
            allow_rollup: true,
            deny_delete: true,
            allow_direct: true,
            discard: stream::DiscardPolicy::New,
            ..Default::default()
        },
        replicas,
    )
    .await
    .map_err(|e| format!("bucket {name}: {e}"))?;
    js.get_key_value(name)
        .await
        .map_err(|e| format!("bucket {name}: {e}"))
}

/// The stream `config` names, made with it if need be, on `replicas`
/// NATS servers (`--nats-replicas`; one when not given). One made before
/// with another number of copies (the option changed, a single NATS server
/// grown into a cluster) is changed to the number given: nats-server then
/// makes or drops the copies itself; every ingest node must be given the
/// same number, or they would change it back and forth. When the change
/// is refused (a server of the cluster down, say), the stream serves as it
/// is and the refusal is logged; without the option, what exists is left
/// as it is.
pub async fn made(
    js: &jetstream::Context,
    mut config: stream::Config,
    replicas: Option<usize>,
) -> Result<jetstream::stream::Stream, String> {
    let name = config.name.clone();
    let wanted = replicas.unwrap_or(1).max(1);
    if wanted > 1 && js.client().server_info().cluster.is_none() {
        return Err(format!(
            "--nats-replicas {wanted} needs a NATS cluster of {wanted} servers or more; this NATS server is alone"
        ));
    }
    config.num_replicas = wanted;
    let stream = js
        .get_or_create_stream(config)
        .await
        .map_err(|e| format!("stream {name}: {e}"))?;
    if replicas.is_some() {
        change_copies(js, &stream, wanted).await;
    }
    Ok(stream)
}

/// Gives every stream an ingest node makes (the boards' and the three
/// buckets') `replicas` copies where it has another number: at each
/// connection through [`made`], and every minute by the lease holder
/// (`ingest::exports`), so that a change refused once (a server of the
/// cluster down) is tried again.
pub async fn keep_copies(js: &jetstream::Context, replicas: usize) {
    let names = [
        STREAM.to_string(),
        format!("KV_{BUCKET}"),
        format!("KV_{}", crate::lease::BUCKET),
        format!("KV_{}", exports::BUCKET),
    ];
    for name in names {
        if let Ok(stream) = js.get_stream(&name).await {
            change_copies(js, &stream, replicas.max(1)).await;
        }
    }
}

/// Asks nats-server to keep `wanted` copies of `stream`, if it has
/// another number; a refusal is logged, the stream serving as it is.
async fn change_copies(js: &jetstream::Context, stream: &jetstream::stream::Stream, wanted: usize) {
    let held = stream.cached_info().config.num_replicas.max(1);
    if held == wanted {
        return;
    }
    let name = &stream.cached_info().config.name;
    let mut changed = stream.cached_info().config.clone();
    changed.num_replicas = wanted;
    match js.update_stream(changed).await {
        Ok(_) => {
            tracing::info!(stream = %name, from = held, to = wanted, "NATS: the stream's copies changed");
        }
        Err(e) => {
            tracing::warn!(stream = %name, from = held, to = wanted, error = %e, "NATS: the stream's copies not changed (tried again in a minute); it serves as it is");
        }
    }
}

/// The last message on a station's subject.
struct Last {
    /// Its stream sequence.
    sequence: u64,
    /// Its `Quai-Seq`.
    quai_seq: Option<u64>,
    payload: axum::body::Bytes,
}

/// The last message on the station's subject (None when it has none).
async fn last_on_stream(
    stream: &stream::Stream,
    station: &str,
) -> Result<Option<Last>, IngestError> {
    match stream
        .get_last_raw_message_by_subject(&subject(station))
        .await
    {
        Ok(message) => Ok(Some(Last {
            sequence: message.sequence,
            quai_seq: message
                .headers
                .get("Quai-Seq")
                .and_then(|v| v.as_str().parse().ok()),
            payload: message.payload,
        })),
        Err(e) if e.kind() == stream::LastRawMessageErrorKind::NoMessageFound => Ok(None),
        Err(e) => Err(IngestError::JetStream(format!(
            "last message of {station}: {e}"
        ))),
    }
}
