//! The realtime state of every feed: the last accepted GTFS-Realtime message of each
//! kind (trip updates, vehicle positions, alerts), already indexed for the merge.
//!
//! Pollers (`sources::gtfs_rt`) write here; the board reads a [`RealtimeView`] that
//! holds only data fresh enough to show. A message is replaced whole, never edited,
//! so readers see either the old or the new state and never a mix.

pub mod alerts;
pub mod trip_updates;
pub mod vehicles;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use quai_protocol::FeedStatus;

use crate::config::FeedConfig;
use crate::timetable::gtfs_time::rfc3339;
pub use alerts::Alerts;
pub use trip_updates::TripUpdates;
pub use vehicles::Vehicles;

/// The three kinds of GTFS-Realtime feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    TripUpdates,
    VehiclePositions,
    Alerts,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::TripUpdates, Kind::VehiclePositions, Kind::Alerts];

    /// As written in feed ids (`{feed}:trip-updates`) and logs.
    pub fn name(self) -> &'static str {
        match self {
            Kind::TripUpdates => "trip-updates",
            Kind::VehiclePositions => "vehicle-positions",
            Kind::Alerts => "alerts",
        }
    }
}

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
}

impl FeedRealtime {
    pub fn header_timestamp(&self, kind: Kind) -> Option<u64> {
        match kind {
            Kind::TripUpdates => self.trip_updates.as_ref().map(|a| a.header_timestamp),
            Kind::VehiclePositions => self.vehicles.as_ref().map(|a| a.header_timestamp),
            Kind::Alerts => self.alerts.as_ref().map(|a| a.header_timestamp),
        }
    }

    fn received_at(&self, kind: Kind) -> Option<DateTime<Utc>> {
        match kind {
            Kind::TripUpdates => self.trip_updates.as_ref().map(|a| a.received_at),
            Kind::VehiclePositions => self.vehicles.as_ref().map(|a| a.received_at),
            Kind::Alerts => self.alerts.as_ref().map(|a| a.received_at),
        }
    }
}

/// The fresh realtime data of one feed, as the board sees it.
#[derive(Debug, Default, Clone)]
pub struct RealtimeView {
    pub trip_updates: Option<Arc<TripUpdates>>,
    pub vehicles: Option<Arc<Vehicles>>,
    pub alerts: Option<Arc<Alerts>>,
}

/// Shared realtime state of all feeds, with a version counter that moves on every
/// accepted message (the hub listens to it).
#[derive(Debug)]
pub struct RealtimeStore {
    feeds: RwLock<HashMap<String, FeedRealtime>>,
    version: tokio::sync::watch::Sender<u64>,
}

impl Default for RealtimeStore {
    fn default() -> Self {
        RealtimeStore {
            feeds: RwLock::default(),
            version: tokio::sync::watch::Sender::new(0),
        }
    }
}

impl RealtimeStore {
    /// The state of `feed` (a copy of its `Arc`s: cheap).
    pub fn get(&self, feed: &str) -> FeedRealtime {
        self.read().get(feed).cloned().unwrap_or_default()
    }

    /// Replaces one kind of a feed's state.
    pub fn put_trip_updates(&self, feed: &str, a: Accepted<TripUpdates>) {
        self.write(feed, |f| f.trip_updates = Some(a));
    }

    pub fn put_vehicles(&self, feed: &str, a: Accepted<Vehicles>) {
        self.write(feed, |f| f.vehicles = Some(a));
    }

    pub fn put_alerts(&self, feed: &str, a: Accepted<Alerts>) {
        self.write(feed, |f| f.alerts = Some(a));
    }

    /// Moves on each time a message is accepted.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.version.subscribe()
    }

    fn write(&self, feed: &str, f: impl FnOnce(&mut FeedRealtime)) {
        {
            let mut feeds = self
                .feeds
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            f(feeds.entry(feed.to_string()).or_default());
        }
        self.version.send_modify(|v| *v += 1);
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, FeedRealtime>> {
        // Writers replace whole values; a panic mid-write cannot leave a half state.
        self.feeds
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Whether data made at `header_timestamp` is too old at `now`.
pub fn is_stale(header_timestamp: Option<u64>, now: DateTime<Utc>, max_age_s: u64) -> bool {
    match header_timestamp {
        None => true,
        Some(ts) => i128::from(now.timestamp()) - i128::from(ts) > i128::from(max_age_s),
    }
}

/// The view of `feed` at `now`: stale kinds are left out, so the board falls back to
/// the timetable for them.
pub fn view(config: &FeedConfig, state: &FeedRealtime, now: DateTime<Utc>) -> RealtimeView {
    let Some(rt) = &config.realtime else {
        return RealtimeView::default();
    };
    let fresh = |kind: Kind, max: u64| !is_stale(state.header_timestamp(kind), now, max);
    RealtimeView {
        trip_updates: state
            .trip_updates
            .as_ref()
            .filter(|_| fresh(Kind::TripUpdates, rt.stale_after_s))
            .map(|a| a.data.clone()),
        vehicles: state
            .vehicles
            .as_ref()
            .filter(|_| fresh(Kind::VehiclePositions, rt.stale_after_s))
            .map(|a| a.data.clone()),
        alerts: state
            .alerts
            .as_ref()
            .filter(|_| fresh(Kind::Alerts, rt.alerts_stale_after_s))
            .map(|a| a.data.clone()),
    }
}

/// `feeds[]` entries for the realtime endpoints of `config`: `{feed}:{kind}`, with
/// `age_s` the age of the data (from its header timestamp).
pub fn statuses(
    config: &FeedConfig,
    state: &FeedRealtime,
    now: DateTime<Utc>,
    tz: chrono_tz::Tz,
) -> Vec<FeedStatus> {
    let Some(rt) = &config.realtime else {
        return Vec::new();
    };
    let configured = [
        (
            Kind::TripUpdates,
            rt.trip_updates.is_some(),
            rt.stale_after_s,
        ),
        (
            Kind::VehiclePositions,
            rt.vehicle_positions.is_some(),
            rt.stale_after_s,
        ),
        (Kind::Alerts, rt.alerts.is_some(), rt.alerts_stale_after_s),
    ];
    configured
        .into_iter()
        .filter(|(_, on, _)| *on)
        .map(|(kind, _, max)| {
            let ts = state.header_timestamp(kind);
            FeedStatus {
                id: format!("{}:{}", config.id, kind.name()),
                last_success: state.received_at(kind).map(|t| rfc3339(tz, t)),
                age_s: ts.map(|ts| {
                    now.timestamp()
                        .saturating_sub(i64::try_from(ts).unwrap_or(i64::MAX))
                        .max(0)
                }),
                stale: is_stale(ts, now, max),
            }
        })
        .collect()
}
