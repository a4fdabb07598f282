//! The realtime state of every feed: the last accepted GTFS-Realtime message of each
//! kind (trip updates, vehicle positions, alerts), already indexed for the merge.
//!
//! Pollers (`sources::gtfs_rt`) hand each body to [`ingest`], which decodes,
//! checks and stores it here; the board reads a [`RealtimeView`] that holds only
//! data fresh enough to show. A message is replaced whole, never edited, so
//! readers see either the old or the new state and never a mix.

pub mod alerts;
pub mod attachment;
pub mod cause;
pub mod ingest;
pub mod relay;
pub mod siri;
pub mod trip_updates;
pub mod vehicles;
pub mod wire;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use crate::config::Kind;
use crate::config::{FeedConfig, SiriService};
use crate::id::FeedId;
use crate::watched::Watched;
pub use alerts::Alerts;
pub use attachment::Attachment;
pub use cause::{Cause, Effect};
pub use ingest::{IngestError, Polled, ingest};
pub use trip_updates::TripUpdates;
pub use vehicles::Vehicles;

/// One accepted message, indexed.
#[derive(Debug)]
pub struct Accepted<T> {
    pub data: Arc<T>,
    /// `FeedHeader.timestamp`: when the producer made it (POSIX seconds).
    pub header_timestamp: u64,
    /// When we accepted it (server clock).
    pub received_at: DateTime<Utc>,
}

impl<T> Clone for Accepted<T> {
    fn clone(&self) -> Self {
        Accepted {
            data: self.data.clone(),
            header_timestamp: self.header_timestamp,
            received_at: self.received_at,
        }
    }
}

/// What is known of one feed's realtime.
#[derive(Debug, Default, Clone)]
pub struct FeedRealtime {
    pub trip_updates: Option<Accepted<TripUpdates>>,
    pub vehicles: Option<Accepted<Vehicles>>,
    pub alerts: Option<Accepted<Alerts>>,
    /// SIRI EstimatedTimetable and StopMonitoring, matched to trips.
    pub siri_journeys: BTreeMap<SiriService, Accepted<TripUpdates>>,
    /// SIRI SituationExchange and GeneralMessage, as alerts.
    pub siri_situations: BTreeMap<SiriService, Accepted<Alerts>>,
    /// Why the last poll of each kind failed, until one succeeds.
    pub failures: BTreeMap<Kind, String>,
}

impl FeedRealtime {
    pub fn header_timestamp(&self, kind: Kind) -> Option<u64> {
        match kind {
            Kind::TripUpdates => self.trip_updates.as_ref().map(|a| a.header_timestamp),
            Kind::VehiclePositions => self.vehicles.as_ref().map(|a| a.header_timestamp),
            Kind::Alerts => self.alerts.as_ref().map(|a| a.header_timestamp),
            Kind::Siri(s) => self
                .siri_journeys
                .get(&s)
                .map(|a| a.header_timestamp)
                .or_else(|| self.siri_situations.get(&s).map(|a| a.header_timestamp)),
        }
    }

    pub fn received_at(&self, kind: Kind) -> Option<DateTime<Utc>> {
        match kind {
            Kind::TripUpdates => self.trip_updates.as_ref().map(|a| a.received_at),
            Kind::VehiclePositions => self.vehicles.as_ref().map(|a| a.received_at),
            Kind::Alerts => self.alerts.as_ref().map(|a| a.received_at),
            Kind::Siri(s) => self
                .siri_journeys
                .get(&s)
                .map(|a| a.received_at)
                .or_else(|| self.siri_situations.get(&s).map(|a| a.received_at)),
        }
    }

    /// The fresh part of this state at `now`: stale kinds are left out, so the
    /// board falls back to the timetable for them.
    pub fn view(&self, config: &FeedConfig, now: DateTime<Utc>) -> RealtimeView {
        let fresh = |kind: Kind| {
            config
                .stale_after(kind)
                .is_some_and(|max| !is_stale(self.header_timestamp(kind), now, max))
        };
        RealtimeView {
            trip_updates: self
                .trip_updates
                .as_ref()
                .filter(|_| fresh(Kind::TripUpdates))
                .map(|a| a.data.clone()),
            vehicles: self
                .vehicles
                .as_ref()
                .filter(|_| fresh(Kind::VehiclePositions))
                .map(|a| a.data.clone()),
            alerts: self
                .alerts
                .as_ref()
                .filter(|_| fresh(Kind::Alerts))
                .map(|a| a.data.clone()),
            siri_journeys: self
                .siri_journeys
                .iter()
                .filter(|(s, _)| fresh(Kind::Siri(**s)))
                .map(|(_, a)| a.data.clone())
                .collect(),
            siri_situations: self
                .siri_situations
                .iter()
                .filter(|(s, _)| fresh(Kind::Siri(**s)))
                .map(|(_, a)| a.data.clone())
                .collect(),
        }
    }
}

/// The fresh realtime data of one feed, as the board sees it.
#[derive(Debug, Default, Clone)]
pub struct RealtimeView {
    pub trip_updates: Option<Arc<TripUpdates>>,
    pub vehicles: Option<Arc<Vehicles>>,
    pub alerts: Option<Arc<Alerts>>,
    /// SIRI journeys (EstimatedTimetable first, then StopMonitoring).
    pub siri_journeys: Vec<Arc<TripUpdates>>,
    /// SIRI situations (SituationExchange first, then GeneralMessage).
    pub siri_situations: Vec<Arc<Alerts>>,
}

impl RealtimeView {
    /// Whether any source predicts times.
    pub fn has_trip_updates(&self) -> bool {
        self.trip_updates.is_some() || !self.siri_journeys.is_empty()
    }
}

/// Shared realtime state of all feeds; its version moves on every accepted
/// message (the board publisher listens to it). A cheap handle.
#[derive(Debug, Clone, Default)]
pub struct RealtimeStore {
    feeds: Watched<FeedId, FeedRealtime>,
    /// On an ingest node: the bodies accepted, for the edges.
    kept: Arc<relay::Kept>,
    /// On an edge: set until the ingest node's realtime has been read.
    awaiting: Arc<std::sync::atomic::AtomicBool>,
}

impl RealtimeStore {
    /// The state of `feed` (a copy of its `Arc`s: cheap).
    pub fn get(&self, feed: &FeedId) -> FeedRealtime {
        self.feeds.read().get(feed).cloned().unwrap_or_default()
    }

    /// Replaces one kind of a feed's state.
    pub fn put_trip_updates(&self, feed: &FeedId, a: Accepted<TripUpdates>) {
        self.put(feed, Kind::TripUpdates, |f| f.trip_updates = Some(a));
    }

    pub fn put_vehicles(&self, feed: &FeedId, a: Accepted<Vehicles>) {
        self.put(feed, Kind::VehiclePositions, |f| f.vehicles = Some(a));
    }

    pub fn put_alerts(&self, feed: &FeedId, a: Accepted<Alerts>) {
        self.put(feed, Kind::Alerts, |f| f.alerts = Some(a));
    }

    pub fn put_siri_journeys(&self, feed: &FeedId, s: SiriService, a: Accepted<TripUpdates>) {
        self.put(feed, Kind::Siri(s), |f| {
            f.siri_journeys.insert(s, a);
        });
    }

    pub fn put_siri_situations(&self, feed: &FeedId, s: SiriService, a: Accepted<Alerts>) {
        self.put(feed, Kind::Siri(s), |f| {
            f.siri_situations.insert(s, a);
        });
    }

    /// Records why a poll of `kind` failed (the last good state stays); a
    /// feed that goes stale says so. Boards are not rebuilt for it.
    pub fn fail(&self, feed: &FeedId, kind: Kind, reason: String) {
        self.feeds.update(feed, |f| {
            f.failures.insert(kind, reason);
            false
        });
    }

    /// A poll of `kind` that brought nothing new (304, or the same message)
    /// still clears the last failure.
    pub fn recovered(&self, feed: &FeedId, kind: Kind) {
        self.feeds.update(feed, |f| {
            f.failures.remove(&kind);
            false
        });
    }

    /// Keeps the last accepted bodies of each feed's kind from now on, for
    /// the edges ([`relay`]; an ingest node).
    pub fn keep_bodies(&self) {
        self.kept.switch_on();
    }

    /// Keeps `parts`, accepted at `at`, as `feed`'s last `kind` (when
    /// [`RealtimeStore::keep_bodies`] was called).
    pub fn keep(&self, feed: &FeedId, kind: Kind, parts: &[&[u8]], at: DateTime<Utc>) {
        self.kept.keep(feed, kind, parts, at);
    }

    /// Every kind's last bodies kept, by their relay key.
    pub fn kept(&self) -> Vec<(String, Arc<relay::Bodies>)> {
        self.kept.all()
    }

    /// Whether accepted bodies are kept ([`RealtimeStore::keep_bodies`]).
    pub fn keeps_bodies(&self) -> bool {
        self.kept.is_on()
    }

    /// The `updated` time of each alert of `feed`'s `kind` (GTFS-RT alerts
    /// or a SIRI situation service), by entity id: what the relay sends
    /// with the body ([`relay`]).
    pub fn alert_times(&self, feed: &FeedId, kind: Kind) -> BTreeMap<String, u64> {
        let held = self.get(feed);
        let alerts = match kind {
            Kind::Alerts => held.alerts,
            Kind::Siri(s) => held.siri_situations.get(&s).cloned(),
            Kind::TripUpdates | Kind::VehiclePositions => None,
        };
        alerts
            .map(|a| {
                (a.data.alerts.iter())
                    .map(|alert| (alert.entity_id.clone(), alert.updated))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Gives `feed`'s alerts of `kind` the `updated` times of `times` (by
    /// entity id; the ingest node's, on an edge).
    pub fn restamp(&self, feed: &FeedId, kind: Kind, times: &BTreeMap<String, u64>) {
        if times.is_empty() {
            return;
        }
        self.feeds.update(feed, |f| {
            let held = match kind {
                Kind::Alerts => f.alerts.as_mut(),
                Kind::Siri(s) => f.siri_situations.get_mut(&s),
                Kind::TripUpdates | Kind::VehiclePositions => None,
            };
            let Some(held) = held else { return false };
            let mut data = (*held.data).clone();
            let mut changed = false;
            for alert in &mut data.alerts {
                if let Some(t) = times.get(&alert.entity_id)
                    && alert.updated != *t
                {
                    alert.updated = *t;
                    changed = true;
                }
            }
            if changed {
                held.data = Arc::new(data);
            }
            changed
        });
    }

    /// This store is filled from the ingest node's relay (an edge): until
    /// it has been read, [`RealtimeStore::is_complete`] is false.
    pub fn await_relay(&self) {
        self.awaiting
            .store(true, std::sync::atomic::Ordering::Release);
    }

    /// What the ingest node relays has been read.
    pub fn relay_read(&self) {
        self.awaiting
            .store(false, std::sync::atomic::Ordering::Release);
    }

    /// Whether this store holds what the node's realtime is (an edge before
    /// the relay has been read does not).
    pub fn is_complete(&self) -> bool {
        !self.awaiting.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Moves on each time a message is accepted (or a poll fails).
    pub fn version(&self) -> u64 {
        self.feeds.version()
    }

    /// Moves on each time a message is accepted.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.feeds.subscribe()
    }

    fn put(&self, feed: &FeedId, kind: Kind, f: impl FnOnce(&mut FeedRealtime)) {
        self.feeds.update(feed, |state| {
            f(state);
            state.failures.remove(&kind);
            true
        });
    }
}

/// Whether data made at `header_timestamp` is too old at `now`.
pub fn is_stale(
    header_timestamp: Option<u64>,
    now: DateTime<Utc>,
    max_age: std::time::Duration,
) -> bool {
    match header_timestamp {
        None => true,
        Some(ts) => i128::from(now.timestamp()) - i128::from(ts) > i128::from(max_age.as_secs()),
    }
}
