//! The realtime, relayed from the ingest node to the edges (docs/scaling.md).
//! An edge polls no upstream, yet a stop's board, a line's departures and a
//! trip (`/v1/stops/…`, `/v1/routes/…`, `/v1/trips/…`, trips followed on
//! the stream) are worked out where they are asked, from the timetable and
//! the realtime. So the ingest node keeps the last body it accepted of each
//! feed's kind ([`Kept`], as upstream sent it: one, or one per
//! StopMonitoring request), the node holding the lease puts it in the
//! bucket of relayed exports (`ingest::exports`, key [`key`]), and each
//! edge reads it as the ingest node's poller did ([`Applier`]): against its
//! own timetable, with the same checks (a body older than the one held is
//! refused), so what it holds is what the ingest node held when it put the
//! body (not the reason of a failed poll: a feed turns stale on the edge
//! as there). Alerts carry an `updated` time that depends on the messages
//! before the last (an alert repeated unchanged keeps its first time), and
//! an edge may have started after them: the ingest node's times travel in
//! the head and are given to the edge's alerts ([`RealtimeStore::restamp`]).
//!
//! Bodies, not the indexed state: an index names trips by their position in
//! a timetable, and an edge's timetable is its own (a feed updated on one
//! node before the other would shift every position).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Kind, Polled, RealtimeStore};
use crate::config::SiriService;
use crate::deployment::Deployment;
use crate::id::FeedId;
use crate::node::relayed;

/// What the keys of relayed realtime start with, in the bucket of relayed
/// exports.
pub const PREFIX: &str = "realtime.";

/// The most one relayed kind may inflate to (all its bodies).
const LARGEST: u64 = 256 * 1024 * 1024;

/// The key of a feed's kind: `realtime.{feed}.{kind}` (feed ids are
/// lowercase letters, digits, `-` and `_`, which NATS keys take).
pub fn key(feed: &FeedId, kind: Kind) -> String {
    format!("{PREFIX}{feed}.{}", kind.name())
}

/// The feed and kind a key names.
pub fn parse_key(key: &str) -> Option<(FeedId, Kind)> {
    let (feed, kind) = key.strip_prefix(PREFIX)?.rsplit_once('.')?;
    let kind = [Kind::TripUpdates, Kind::VehiclePositions, Kind::Alerts]
        .into_iter()
        .chain(SiriService::ALL.map(Kind::Siri))
        .find(|k| k.name() == kind)?;
    Some((feed.parse().ok()?, kind))
}

/// The last accepted bodies of one feed's kind.
#[derive(Debug)]
pub struct Bodies {
    /// As upstream sent them: one, or one per StopMonitoring request.
    pub parts: Vec<Vec<u8>>,
    /// When the ingest node accepted them.
    pub received_at: DateTime<Utc>,
    /// Moves on at every body kept (of any feed).
    pub version: u64,
}

/// On an ingest node: the bodies accepted, kept for the relay. Off
/// elsewhere (nothing is copied).
#[derive(Debug, Default)]
pub struct Kept {
    on: AtomicBool,
    next: AtomicU64,
    bodies: Mutex<BTreeMap<(FeedId, Kind), Arc<Bodies>>>,
}

impl Kept {
    /// Keeps the bodies accepted from now on (an ingest node).
    pub fn switch_on(&self) {
        self.on.store(true, Ordering::Relaxed);
    }

    /// Whether bodies are kept (the StopMonitoring poller holds a round's
    /// bodies only then).
    pub fn is_on(&self) -> bool {
        self.on.load(Ordering::Relaxed)
    }

    /// Keeps `parts` as the last accepted of `feed`'s `kind`, when on.
    pub fn keep(&self, feed: &FeedId, kind: Kind, parts: &[&[u8]], received_at: DateTime<Utc>) {
        if !self.on.load(Ordering::Relaxed) {
            return;
        }
        let bodies = Bodies {
            parts: parts.iter().map(|p| p.to_vec()).collect(),
            received_at,
            version: self.next.fetch_add(1, Ordering::Relaxed) + 1,
        };
        self.bodies
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((feed.clone(), kind), Arc::new(bodies));
    }

    /// Every kind's last bodies, by key.
    pub fn all(&self) -> Vec<(String, Arc<Bodies>)> {
        let bodies = self.bodies.lock().unwrap_or_else(|p| p.into_inner());
        bodies
            .iter()
            .map(|((feed, kind), b)| (key(feed, *kind), b.clone()))
            .collect()
    }
}

/// What travels ahead of the bodies.
#[derive(Debug, Serialize, Deserialize)]
pub struct Head {
    pub received_at: DateTime<Utc>,
    /// Each body's length, in order (they follow one another, deflated).
    pub parts: Vec<u64>,
    /// Too large for NATS: the edges keep what they had, which turns stale.
    #[serde(default)]
    pub too_large: bool,
    /// Alerts (GTFS-RT or SIRI situations): each one's `updated` time as
    /// the ingest node holds it, by entity id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub updated: BTreeMap<String, u64>,
}

/// A value of the bucket ([`crate::node::relayed`]): the head, then the
/// bodies deflated; `updated`, the alerts' times as held
/// ([`RealtimeStore::alert_times`]).
pub fn encode(bodies: &Bodies, updated: BTreeMap<String, u64>) -> std::io::Result<Vec<u8>> {
    let head = Head {
        received_at: bodies.received_at,
        parts: bodies.parts.iter().map(|p| p.len() as u64).collect(),
        too_large: false,
        updated,
    };
    let parts: Vec<&[u8]> = bodies.parts.iter().map(Vec::as_slice).collect();
    relayed::pack(&head, &parts)
}

/// The marker put instead of bodies too large for NATS.
pub fn too_large(bodies: &Bodies) -> std::io::Result<Vec<u8>> {
    relayed::marker(&Head {
        received_at: bodies.received_at,
        parts: Vec::new(),
        too_large: true,
        updated: BTreeMap::new(),
    })
}

/// A value of the bucket: its head and bodies (none after the marker).
pub fn decode(value: &[u8]) -> std::io::Result<(Head, Vec<Vec<u8>>)> {
    let bad = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidData, e);
    let (head, all) = relayed::unpack::<Head>(value, LARGEST)?;
    if head.too_large {
        return Ok((head, Vec::new()));
    }
    let total = head
        .parts
        .iter()
        .try_fold(0u64, |sum, len| sum.checked_add(*len))
        .ok_or_else(|| bad("the head's lengths overflow".into()))?;
    if all.len() as u64 != total {
        return Err(bad(format!(
            "{} bytes of bodies where the head says {total}",
            all.len()
        )));
    }
    let mut parts = Vec::with_capacity(head.parts.len());
    let mut rest = all.as_slice();
    for len in &head.parts {
        let (part, tail) = usize::try_from(*len)
            .ok()
            .and_then(|len| rest.split_at_checked(len))
            .ok_or_else(|| bad("the head's lengths do not add up".into()))?;
        parts.push(part.to_vec());
        rest = tail;
    }
    Ok((head, parts))
}

/// Why an edge could not take a relayed body.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("feed `{0}` is not in this node's configuration")]
    UnknownFeed(FeedId),
    #[error("this node's configuration has no {kind} endpoint for feed `{feed}`")]
    NotConfigured { feed: FeedId, kind: &'static str },
    #[error("no body")]
    Empty,
    #[error(transparent)]
    GtfsRt(#[from] super::IngestError),
    #[error(transparent)]
    Siri(#[from] super::siri::SiriIngestError),
    #[error(transparent)]
    SiriBody(#[from] crate::sources::siri::SiriError),
}

impl ApplyError {
    /// Older than what the edge holds: after a failover, the standby's last
    /// poll may be older than the last one relayed. Not a fault.
    pub fn is_older(&self) -> bool {
        matches!(
            self,
            ApplyError::GtfsRt(super::IngestError::Backwards { .. })
                | ApplyError::Siri(super::siri::SiriIngestError::Backwards { .. })
        )
    }
}

/// On an edge: takes relayed bodies into the realtime store as the ingest
/// node's pollers did. Keeps each SIRI feed's references (built once from
/// the timetable).
pub struct Applier {
    deployment: Arc<Deployment>,
    references: Mutex<HashMap<FeedId, Arc<super::siri::References>>>,
}

impl std::fmt::Debug for Applier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Applier").finish_non_exhaustive()
    }
}

impl Applier {
    pub fn new(deployment: Arc<Deployment>) -> Applier {
        Applier {
            deployment,
            references: Mutex::default(),
        }
    }

    /// Reads `parts` of `feed`'s `kind` into `store` as the ingest node did
    /// when it accepted them at `received_at`: that instant stands for the
    /// clock (a message without a timestamp is dated by it, as there), and
    /// is what the feed's freshness reads.
    pub fn apply(
        &self,
        store: &RealtimeStore,
        feed: &FeedId,
        kind: Kind,
        parts: &[Vec<u8>],
        head: &Head,
    ) -> Result<Polled, ApplyError> {
        let polled = self.ingest(store, feed, kind, parts, head.received_at)?;
        store.restamp(feed, kind, &head.updated);
        Ok(polled)
    }

    fn ingest(
        &self,
        store: &RealtimeStore,
        feed: &FeedId,
        kind: Kind,
        parts: &[Vec<u8>],
        received_at: DateTime<Utc>,
    ) -> Result<Polled, ApplyError> {
        let now = received_at;
        let known = self
            .deployment
            .feeds
            .iter()
            .find(|f| &f.id == feed)
            .ok_or_else(|| ApplyError::UnknownFeed(feed.clone()))?;
        let not_configured = || ApplyError::NotConfigured {
            feed: feed.clone(),
            kind: kind.name(),
        };
        let first = parts.first().ok_or(ApplyError::Empty)?;
        match kind {
            Kind::Siri(service) => {
                let config = known.config.siri.as_ref().ok_or_else(not_configured)?;
                let refs = self
                    .references
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .entry(feed.clone())
                    .or_insert_with(|| {
                        Arc::new(super::siri::References::new(
                            &known.timetable,
                            config.matching.clone(),
                        ))
                    })
                    .clone();
                let cx = super::siri::Context {
                    feed,
                    timetable: &known.timetable,
                    refs: &refs,
                    delay_bounds: config.delay_bounds,
                };
                let mut delivery = crate::sources::siri::Delivery::default();
                for part in parts {
                    let read =
                        crate::sources::siri::parse(part, service, super::siri::defaults(&cx))?;
                    delivery.absorb(read);
                }
                Ok(super::siri::ingest_delivery(
                    store, &cx, service, delivery, now,
                )?)
            }
            _ => {
                let config = known.config.realtime.as_ref().ok_or_else(not_configured)?;
                let limits = super::ingest::Limits {
                    max_entities: config.max_entities,
                    delay_bounds: config.delay_bounds,
                };
                Ok(super::ingest(
                    store,
                    feed,
                    &known.timetable,
                    kind,
                    first,
                    limits,
                    now,
                )?)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_the_feed_and_kind() {
        let feed: FeedId = "ter-hdf".parse().expect("id");
        for kind in [
            Kind::TripUpdates,
            Kind::VehiclePositions,
            Kind::Alerts,
            Kind::Siri(SiriService::StopMonitoring),
        ] {
            assert_eq!(parse_key(&key(&feed, kind)), Some((feed.clone(), kind)));
        }
        assert_eq!(parse_key("trip-updates"), None);
        assert_eq!(parse_key("realtime.ter.nothing"), None);
    }

    #[test]
    fn an_edge_takes_the_ingest_nodes_alert_times() {
        let feed: FeedId = "ter".parse().expect("id");
        let entity = |id: &str| gtfs_realtime::FeedEntity {
            id: id.into(),
            alert: Some(gtfs_realtime::Alert::default()),
            ..Default::default()
        };
        let alerts = |updated| {
            let data =
                super::super::Alerts::from_entities(updated, [entity("a1"), entity("a2")], "fr");
            super::super::Accepted {
                data: Arc::new(data),
                header_timestamp: updated,
                received_at: DateTime::from_timestamp(updated as i64, 0).expect("instant"),
            }
        };
        // The ingest node has held a1 since 100 (repeated unchanged), a2
        // since 200; an edge started at 200 holds both at 200.
        let ingest = RealtimeStore::default();
        ingest.put_alerts(&feed, alerts(100));
        let mut later = alerts(200);
        let mut data = (*later.data).clone();
        data.keep_unchanged_times(&alerts(100).data);
        data.alerts[1].updated = 200;
        later.data = Arc::new(data);
        ingest.put_alerts(&feed, later);
        let times = ingest.alert_times(&feed, Kind::Alerts);
        assert_eq!(times.get("a1"), Some(&100));

        let edge = RealtimeStore::default();
        edge.put_alerts(&feed, alerts(200));
        let version = edge.version();
        edge.restamp(&feed, Kind::Alerts, &times);
        assert_eq!(edge.alert_times(&feed, Kind::Alerts), times);
        assert!(edge.version() > version, "boards built before are rebuilt");
        edge.restamp(&feed, Kind::Alerts, &times);
        assert_eq!(
            edge.version(),
            version + 1,
            "the same times again: no change"
        );
    }

    #[test]
    fn bodies_read_back_as_kept() {
        let kept = Kept::default();
        let feed: FeedId = "ter".parse().expect("id");
        let at = DateTime::from_timestamp(1_767_000_000, 0).expect("instant");
        kept.keep(&feed, Kind::TripUpdates, &[b"off"], at);
        assert!(kept.all().is_empty(), "nothing kept while off");
        kept.switch_on();
        kept.keep(
            &feed,
            Kind::Siri(SiriService::StopMonitoring),
            &[b"<a/>", b"", b"<b/>"],
            at,
        );
        let all = kept.all();
        assert_eq!(all.len(), 1);
        let (k, bodies) = &all[0];
        assert_eq!(k, "realtime.ter.siri-sm");
        let times = BTreeMap::from([("a1".to_string(), 1_766_999_000)]);
        let (head, parts) =
            decode(&encode(bodies, times.clone()).expect("encode")).expect("decode");
        assert_eq!(head.updated, times);
        assert_eq!(head.received_at, at);
        assert!(!head.too_large);
        assert_eq!(parts, vec![b"<a/>".to_vec(), Vec::new(), b"<b/>".to_vec()]);
        let (head, parts) = decode(&too_large(bodies).expect("marker")).expect("decode");
        assert!(head.too_large && parts.is_empty());
        assert!(decode(b"no head").is_err());
        // A head that lies about the lengths.
        let mut value = encode(bodies, BTreeMap::new()).expect("encode");
        let lie = br#"{"received_at":"2026-01-01T00:00:00Z","parts":[99]}"#;
        let end = value.iter().position(|b| *b == b'\n').expect("head");
        value.splice(..end, lie.iter().copied());
        assert!(decode(&value).is_err());
        // Lengths that overflow when added.
        let lie = format!(
            r#"{{"received_at":"2026-01-01T00:00:00Z","parts":[{},{}]}}"#,
            u64::MAX,
            u64::MAX
        );
        let end = value.iter().position(|b| *b == b'\n').expect("head");
        value.splice(..end, lie.bytes());
        assert!(decode(&value).is_err());
    }
}
