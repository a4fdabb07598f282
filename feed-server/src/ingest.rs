//! The ingest role (`serve --role ingest --nats URL`, docs/scaling.md): the
//! node that polls the sources and merges them publishes every station's
//! boards to NATS JetStream, for edge nodes to serve.
//!
//! - Every snapshot and delta the stream would send, byte for byte, on the
//!   subject `quai.board.{station}` of the stream [`STREAM`], with the
//!   headers `Quai-Station`, `Quai-Seq` and `Nats-Msg-Id` (`{station}:{seq}`:
//!   JetStream drops a message published twice, as after a reconnect). A
//!   reader rebuilds the boards exactly as a stream client does
//!   (`quai_protocol::BoardState`); a snapshot follows any gap.
//! - The whole board after each change in the key-value bucket [`BUCKET`]
//!   (key: the station's id), for a snapshot without reading the stream.
//!
//! The publisher is a subscriber of the hub like the board archive, with the
//! stream's slow-consumer policy: if NATS is slow or gone and its queue fills,
//! the hub drops it, and once NATS answers again it subscribes again from the
//! last seq it published (a replay, or a snapshot). Boards keep being served
//! locally meanwhile.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, kv, stream};
use quai_protocol::{Applied, BoardState, ServerMessage};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::hub::{Hub, Outgoing, Subscriber, TooSlow};
use crate::id::StationId;

/// The JetStream stream of every station's board messages.
pub const STREAM: &str = "QUAI_BOARDS";
/// The key-value bucket of every station's whole board.
pub const BUCKET: &str = "quai-boards";
/// How long the stream keeps messages: edges replay `since` from it.
const KEEP: Duration = Duration::from_secs(24 * 3600);
/// The publisher's queue (messages of every station).
const QUEUE: usize = 4096;
/// The connection number it subscribes to the hub with (the archive has
/// [`crate::hub::INTERNAL`]).
const CONNECTION: u64 = crate::hub::INTERNAL + 1;

/// The subject of a station's board messages.
pub fn subject(station: &str) -> String {
    format!("quai.board.{station}")
}

#[derive(Debug, thiserror::Error)]
enum IngestError {
    #[error("cannot reach NATS: {0}")]
    Connect(String),
    #[error("JetStream: {0}")]
    JetStream(String),
}

/// Publishes every station's boards to NATS at `url` until `cancel` fires,
/// reconnecting (every few seconds) whenever NATS is gone.
pub async fn run(hub: Arc<Hub>, stations: Vec<StationId>, url: String, cancel: CancellationToken) {
    let mut published: HashMap<String, BoardState> = HashMap::new();
    let mut retry = Duration::from_millis(200);
    loop {
        let outcome = tokio::select! {
            () = cancel.cancelled() => break,
            outcome = session(&hub, &stations, &url, &mut published) => outcome,
        };
        match outcome {
            Ok(()) => break,
            Err(e) => {
                tracing::warn!(error = %e, retry_s = retry.as_secs_f64(), "ingest: boards not published to NATS");
            }
        }
        for station in &stations {
            hub.unsubscribe(station.as_str(), CONNECTION);
        }
        tokio::select! {
            () = cancel.cancelled() => break,
            () = tokio::time::sleep(retry) => {}
        }
        retry = (retry * 2).min(Duration::from_secs(5));
    }
    for station in &stations {
        hub.unsubscribe(station.as_str(), CONNECTION);
    }
}

/// One connection to NATS: sets the stream and bucket up, subscribes to the
/// hub from what was last published, and publishes until an error (or the
/// hub ends).
async fn session(
    hub: &Hub,
    stations: &[StationId],
    url: &str,
    published: &mut HashMap<String, BoardState>,
) -> Result<(), IngestError> {
    let client = async_nats::connect(url)
        .await
        .map_err(|e| IngestError::Connect(e.to_string()))?;
    let js = jetstream::new(client);
    js.get_or_create_stream(stream::Config {
        name: STREAM.to_string(),
        subjects: vec![subject("*")],
        max_age: KEEP,
        ..Default::default()
    })
    .await
    .map_err(|e| IngestError::JetStream(format!("stream {STREAM}: {e}")))?;
    // The bucket's stream as NATS makes a key-value bucket (`KV_` name,
    // `$KV.` subjects, one message a key, rollups, direct gets), made here
    // rather than with `create_key_value`, which first asks for the account's
    // limits in a form servers before 2.10 (Debian 12 has 2.9) do not answer.
    js.get_or_create_stream(stream::Config {
        name: format!("KV_{BUCKET}"),
        subjects: vec![format!("$KV.{BUCKET}.>")],
        max_messages_per_subject: 1,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: stream::DiscardPolicy::New,
        ..Default::default()
    })
    .await
    .map_err(|e| IngestError::JetStream(format!("bucket {BUCKET}: {e}")))?;
    let boards = js
        .get_key_value(BUCKET)
        .await
        .map_err(|e| IngestError::JetStream(format!("bucket {BUCKET}: {e}")))?;
    tracing::info!(url, "ingest: publishing boards to NATS");

    let (queue, mut inbox) = mpsc::channel::<Arc<Outgoing>>(QUEUE);
    let too_slow = Arc::new(TooSlow::default());
    for station in stations {
        let since = published.get(station.as_str()).and_then(BoardState::seq);
        let subscriber = Subscriber {
            connection: CONNECTION,
            queue: queue.clone(),
            too_slow: too_slow.clone(),
        };
        if let Err(e) = hub.subscribe(station.as_str(), since, subscriber) {
            tracing::warn!(%station, error = %e, "ingest: not subscribed");
        }
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
        publish(&js, &boards, published, &out).await?;
    }
}

/// Publishes one message of the hub: on the station's subject, then the
/// board it makes in the bucket.
async fn publish(
    js: &jetstream::Context,
    boards: &kv::Store,
    published: &mut HashMap<String, BoardState>,
    out: &Outgoing,
) -> Result<(), IngestError> {
    let station = match &out.message {
        ServerMessage::Snapshot { station, .. } => station,
        ServerMessage::Delta(d) => &d.station,
        _ => return Ok(()),
    };
    // Applied to a copy: the state moves on only once NATS has it.
    let mut state = published
        .get(station)
        .cloned()
        .unwrap_or_else(|| BoardState::new(station.clone()));
    let Applied::UpToDate(seq) = state.apply(&out.message) else {
        return Ok(());
    };
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Quai-Station", station.as_str());
    headers.insert("Quai-Seq", seq.to_string().as_str());
    headers.insert("Nats-Msg-Id", format!("{station}:{seq}").as_str());
    js.publish_with_headers(subject(station), headers, out.json.clone())
        .await
        .map_err(|e| IngestError::JetStream(e.to_string()))?
        .await
        .map_err(|e| IngestError::JetStream(e.to_string()))?;
    if let Some(board) = state.board() {
        let json = serde_json::to_vec(board).map_err(|e| IngestError::JetStream(e.to_string()))?;
        boards
            .put(station, json.into())
            .await
            .map_err(|e| IngestError::JetStream(e.to_string()))?;
    }
    published.insert(station.clone(), state);
    Ok(())
}
