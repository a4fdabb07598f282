//! What the lease holder relays to the edges beside the GTFS-RT feeds and
//! the facilities ([`super::exports`]), so that an edge can work out a
//! stop's board, a line's departures and a trip itself (docs/scaling.md):
//! - each feed's realtime, as last accepted from upstream
//!   ([`crate::realtime::relay`], one key per feed and kind), put when a
//!   new body is accepted;
//! - the operator notices ([`NOTICES`]), put when they change: an edge
//!   without PostgreSQL has no other way to them (one with it reads them
//!   there, and leaves these).
//!
//! Both fenced like the feeds ([`super::exports::write`]).

use std::collections::HashMap;

use async_nats::jetstream::kv;
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};

use crate::deployment::Deployment;
use crate::notice::Notices;
use crate::realtime::relay::{encode, too_large};
use crate::realtime::{Kind, RealtimeStore};

/// The notices' key in the bucket of relayed exports.
pub const NOTICES: &str = "notices";

/// What has been put, by key: the version put, and the revision written.
pub type Sent = HashMap<String, (u64, u64)>;

/// Puts each feed's kind whose bodies changed since `sent` (checked every
/// second: bodies accepted in between, only the last). Until `forgotten`,
/// also deletes the keys of feeds and kinds `deployment` does not have (a
/// feed taken out of the configuration): once per session while the
/// lease is held, a failure logged (it is housekeeping: the feeds go on).
pub async fn put_realtime(
    bucket: &kv::Store,
    realtime: &RealtimeStore,
    deployment: &Deployment,
    largest: usize,
    sent: &mut Sent,
    forgotten: &mut bool,
) -> Result<(), String> {
    if !std::mem::replace(forgotten, true)
        && let Err(e) = forget_removed(bucket, deployment).await
    {
        tracing::warn!(error = %e, "the realtime of feeds no longer configured not taken out of the relay");
    }
    for (key, bodies) in realtime.kept() {
        if sent.get(&key).is_some_and(|(v, _)| *v == bodies.version) {
            continue;
        }
        // Deflating a large message takes a while: off the async workers.
        // The alerts' times are read now: if a newer body came meanwhile,
        // they may be its (the next look, within a second, puts that body
        // with them).
        let times = crate::realtime::relay::parse_key(&key)
            .map(|(feed, kind)| realtime.alert_times(&feed, kind))
            .unwrap_or_default();
        let kept = bodies.clone();
        let mut value = tokio::task::spawn_blocking(move || encode(&kept, times))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        if value.len() > largest {
            tracing::error!(
                key,
                bytes = value.len(),
                max_payload = largest,
                "a realtime message is larger than NATS takes: edges keep the last one they had, which turns stale (raise max_payload in nats-server.conf)"
            );
            value = too_large(&bodies).map_err(|e| e.to_string())?;
        }
        let revision = sent.get(&key).map(|(_, r)| *r);
        match super::exports::write(bucket, &key, value, revision).await {
            Ok(revision) => {
                sent.insert(key, (bodies.version, revision));
            }
            Err(e) => {
                sent.remove(&key);
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Deletes the `realtime.*` keys of feeds and kinds this node's
/// configuration has no endpoint for.
async fn forget_removed(bucket: &kv::Store, deployment: &Deployment) -> Result<(), String> {
    let configured: Vec<String> = deployment
        .feeds
        .iter()
        .flat_map(|feed| {
            let gtfs_rt = feed.config.realtime.iter().flat_map(|rt| rt.endpoints());
            let siri = feed.config.siri.iter().flat_map(|s| s.endpoints());
            gtfs_rt
                .map(|(kind, _)| kind)
                .chain(siri.map(|(service, _)| Kind::Siri(service)))
                .map(|kind| crate::realtime::relay::key(&feed.id, kind))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut keys = bucket.keys().await.map_err(|e| e.to_string())?;
    let mut stale = Vec::new();
    while let Some(key) = keys.next().await {
        let key = key.map_err(|e| e.to_string())?;
        if key.starts_with(crate::realtime::relay::PREFIX) && !configured.contains(&key) {
            stale.push(key);
        }
    }
    for key in stale {
        tracing::info!(
            key,
            "realtime of a feed no longer configured: taken out of the relay"
        );
        bucket.delete(&key).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A notice as relayed (the API's shape flattens its input, which serde
/// cannot read back).
#[derive(Debug, Serialize, Deserialize)]
pub struct RelayedNotice {
    pub id: String,
    pub version: u64,
    pub input: quai_protocol::NoticeInput,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default)]
    pub ended_at: Option<String>,
}

impl From<&quai_protocol::OperatorNotice> for RelayedNotice {
    fn from(n: &quai_protocol::OperatorNotice) -> RelayedNotice {
        RelayedNotice {
            id: n.id.clone(),
            version: n.version,
            input: n.input.clone(),
            created_by: n.created_by.clone(),
            created_at: n.created_at.clone(),
            updated_at: n.updated_at.clone(),
            ended_at: n.ended_at.clone(),
        }
    }
}

impl From<RelayedNotice> for quai_protocol::OperatorNotice {
    fn from(n: RelayedNotice) -> quai_protocol::OperatorNotice {
        quai_protocol::OperatorNotice {
            id: n.id,
            version: n.version,
            input: n.input,
            created_by: n.created_by,
            created_at: n.created_at,
            updated_at: n.updated_at,
            ended_at: n.ended_at,
        }
    }
}

/// The notices as a value of the bucket (JSON, deflated).
pub fn encode_notices(notices: &Notices) -> std::io::Result<Vec<u8>> {
    let list: Vec<RelayedNotice> = notices
        .all()
        .iter()
        .map(|n| RelayedNotice::from(&n.stored))
        .collect();
    let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    serde_json::to_writer(&mut deflate, &list)?;
    deflate.finish()
}

/// The notices of a value of the bucket.
pub fn decode_notices(value: &[u8]) -> std::io::Result<Vec<quai_protocol::OperatorNotice>> {
    let reader = std::io::Read::take(flate2::read::DeflateDecoder::new(value), 64 * 1024 * 1024);
    let list: Vec<RelayedNotice> = serde_json::from_reader(reader)?;
    Ok(list.into_iter().map(Into::into).collect())
}

/// Puts the notices when their version moved since `sent` (the version
/// looked at, and the revision this node last wrote).
pub async fn put_notices(
    bucket: &kv::Store,
    notices: &Notices,
    largest: usize,
    sent: &mut Option<(u64, Option<u64>)>,
) -> Result<(), String> {
    let version = notices.version();
    if sent.is_some_and(|(v, _)| v == version) {
        return Ok(());
    }
    let revision = sent.and_then(|(_, r)| r);
    let value = encode_notices(notices).map_err(|e| e.to_string())?;
    if value.len() > largest {
        // Logged once per version.
        tracing::error!(
            bytes = value.len(),
            max_payload = largest,
            "the notices are larger than NATS takes: edges without PostgreSQL keep the last ones they had (raise max_payload in nats-server.conf)"
        );
        *sent = Some((version, revision));
        return Ok(());
    }
    match super::exports::write(bucket, NOTICES, value, revision).await {
        Ok(revision) => {
            *sent = Some((version, Some(revision)));
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
    use super::*;

    #[test]
    fn notices_read_back_as_relayed() {
        let input: quai_protocol::NoticeInput = serde_json::from_value(serde_json::json!({
            "severity": "warning", "cause": "construction", "effect": "detour",
            "header": {"fr": "Travaux", "en": "Works"},
            "description": {"fr": "Ligne 21 déviée"},
            "informed_entities": []
        }))
        .expect("input");
        let notice = quai_protocol::OperatorNotice {
            id: "n-1".into(),
            version: 3,
            input,
            created_by: "regie".into(),
            created_at: "2026-12-01T08:00:00Z".into(),
            updated_at: "2026-12-01T09:00:00Z".into(),
            ended_at: None,
        };
        let notices = Notices::new(vec![notice.clone()]);
        let back = decode_notices(&encode_notices(&notices).expect("encode")).expect("decode");
        assert_eq!(back, vec![notice]);
        assert!(decode_notices(b"not deflated json").is_err());
    }
}
