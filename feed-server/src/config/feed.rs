//! `[[feeds]]` and `[feeds.realtime]`: where each timetable and its realtime
//! come from, and how they are fetched.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use super::endpoint::{EndpointUrl, GtfsSource, Redirects};
use super::file::{FeedSection, RealtimeSection};
use super::siri::{SiriConfig, SiriService};
use super::{Invalid, units};
use crate::id::FeedId;

#[derive(Debug, Clone)]
pub struct FeedConfig {
    pub id: FeedId,
    pub gtfs: GtfsSource,
    /// Total time allowed to download the archive.
    pub timeout: Duration,
    pub max_bytes: u64,
    /// Platform labels for stops whose feed gives no `platform_code`.
    pub platforms: BTreeMap<String, String>,
    /// Which redirects a download of the archive follows.
    pub redirects: Redirects,
    pub realtime: Option<RealtimeConfig>,
    pub siri: Option<SiriConfig>,
}

/// The kinds of realtime message, one endpoint each: the three of
/// GTFS-Realtime and the SIRI services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    TripUpdates,
    VehiclePositions,
    Alerts,
    Siri(SiriService),
}

impl Kind {
    /// As written in feed ids (`{feed}:trip-updates`, `{feed}:siri-et`), URLs
    /// and logs.
    pub fn name(self) -> &'static str {
        match self {
            Kind::TripUpdates => "trip-updates",
            Kind::VehiclePositions => "vehicle-positions",
            Kind::Alerts => "alerts",
            Kind::Siri(service) => service.name(),
        }
    }
}

/// The delays beyond which a predicted time is a producer's error
/// (`max_late_min`, `max_early_min`), in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DelayBounds {
    /// Seconds late, at most.
    pub late_s: i64,
    /// Seconds early, at most.
    pub early_s: i64,
}

impl DelayBounds {
    /// From `max_late_min` and `max_early_min`, each 1 to 2880 (two days).
    pub fn from_minutes(late_min: u32, early_min: u32) -> Result<DelayBounds, Invalid> {
        let minutes = |key: &'static str, n: u32| {
            units::count(n, 1, 2880)
                .map(|m| i64::from(m) * 60)
                .map_err(|r| Invalid::new(key, r))
        };
        Ok(DelayBounds {
            late_s: minutes("max_late_min", late_min)?,
            early_s: minutes("max_early_min", early_min)?,
        })
    }
}

impl Default for DelayBounds {
    fn default() -> DelayBounds {
        DelayBounds {
            late_s: i64::from(super::defaults::REALTIME_MAX_LATE_MIN) * 60,
            early_s: i64::from(super::defaults::REALTIME_MAX_EARLY_MIN) * 60,
        }
    }
}

/// The GTFS-Realtime endpoints of a feed and how to poll them.
#[derive(Debug, Clone)]
pub struct RealtimeConfig {
    pub trip_updates: Option<EndpointUrl>,
    pub vehicle_positions: Option<EndpointUrl>,
    pub alerts: Option<EndpointUrl>,
    pub poll: Duration,
    pub timeout: Duration,
    pub max_bytes: u64,
    /// Entities one message may hold; a message with more is refused whole.
    pub max_entities: usize,
    /// Delays beyond which a predicted time is dropped as a producer's error.
    pub delay_bounds: DelayBounds,
    /// Below this share (percent) of trip updates attached to a running trip,
    /// the feed is degraded in `/healthz`.
    pub min_attached_percent: u32,
    /// Extra request headers (API keys...).
    pub headers: BTreeMap<String, String>,
    /// Extra query parameters (API keys...).
    pub query: BTreeMap<String, String>,
    /// Which redirects are followed (never to another origin with the headers
    /// and query above).
    pub redirects: Redirects,
    /// Trip updates and vehicle positions older than this are stale.
    pub stale_after: Duration,
    /// Alerts older than this are stale.
    pub alerts_stale_after: Duration,
    pub max_backoff: Duration,
}

impl FeedConfig {
    /// A feed read from `gtfs`, without realtime, every other setting at its
    /// default (for tools and benchmarks that build a deployment in code).
    pub fn new(id: FeedId, gtfs: GtfsSource) -> FeedConfig {
        FeedConfig {
            id,
            gtfs,
            timeout: super::defaults::FEED_TIMEOUT,
            max_bytes: super::defaults::FEED_MAX_MB * 1024 * 1024,
            platforms: BTreeMap::new(),
            redirects: Redirects::Any,
            realtime: None,
            siri: None,
        }
    }

    /// Validates one `[[feeds]]` table; relative paths are read from `base`.
    pub(super) fn from_file(f: FeedSection, base: &Path) -> Result<FeedConfig, Invalid> {
        let id: FeedId =
            f.id.parse()
                .map_err(|e: crate::id::InvalidId| Invalid::new("id", e.to_string()))?;
        let gtfs = GtfsSource::parse(&f.gtfs, base).map_err(|r| Invalid::new("gtfs", r))?;
        let realtime = f
            .realtime
            .map(|rt| RealtimeConfig::from_file(rt).map_err(|e| e.under("realtime")))
            .transpose()?;
        let siri = f
            .siri
            .map(|s| SiriConfig::from_file(s).map_err(|e| e.under("siri")))
            .transpose()?;
        Ok(FeedConfig {
            id,
            gtfs,
            timeout: units::whole_seconds(f.timeout_s, true)
                .map_err(|r| Invalid::new("timeout_s", r))?,
            max_bytes: units::megabytes(f.max_mb).map_err(|r| Invalid::new("max_mb", r))?,
            platforms: f.platforms,
            redirects: Redirects::parse(&f.redirects).map_err(|r| Invalid::new("redirects", r))?,
            realtime,
            siri,
        })
    }
}

impl RealtimeConfig {
    fn from_file(rt: RealtimeSection) -> Result<RealtimeConfig, Invalid> {
        let url = |key: &str, v: Option<String>| {
            v.map(|u| EndpointUrl::parse(&u))
                .transpose()
                .map_err(|r| Invalid::new(key, r))
        };
        let seconds =
            |key: &str, v: f64| units::seconds(v, 0.05, 86_400.0).map_err(|r| Invalid::new(key, r));
        let config = RealtimeConfig {
            trip_updates: url("trip_updates_url", rt.trip_updates_url)?,
            vehicle_positions: url("vehicle_positions_url", rt.vehicle_positions_url)?,
            alerts: url("alerts_url", rt.alerts_url)?,
            poll: seconds("poll_s", rt.poll_s)?,
            timeout: seconds("timeout_s", rt.timeout_s)?,
            max_backoff: seconds("max_backoff_s", rt.max_backoff_s)?,
            max_bytes: units::megabytes(rt.max_mb).map_err(|r| Invalid::new("max_mb", r))?,
            max_entities: units::count(rt.max_entities, 1, 10_000_000)
                .map_err(|r| Invalid::new("max_entities", r))?,
            delay_bounds: DelayBounds::from_minutes(rt.max_late_min, rt.max_early_min)?,
            min_attached_percent: units::count(rt.min_attached_percent, 0, 100)
                .map_err(|r| Invalid::new("min_attached_percent", r))?,
            redirects: Redirects::parse(&rt.redirects).map_err(|r| Invalid::new("redirects", r))?,
            headers: rt.headers,
            query: rt.query,
            stale_after: Duration::from_secs(rt.stale_after_s),
            alerts_stale_after: Duration::from_secs(rt.alerts_stale_after_s),
        };
        config
            .redirects
            .allows_secrets(!(config.headers.is_empty() && config.query.is_empty()))
            .map_err(|r| Invalid::new("redirects", r))?;
        if config.trip_updates.is_none()
            && config.vehicle_positions.is_none()
            && config.alerts.is_none()
        {
            return Err(Invalid::new(
                "trip_updates_url",
                "name at least one of trip_updates_url, vehicle_positions_url, alerts_url",
            ));
        }
        Ok(config)
    }

    /// The values of the configured headers and query parameters: secrets that
    /// no log line or error may show.
    pub fn secrets(&self) -> Vec<String> {
        self.headers
            .values()
            .chain(self.query.values())
            .cloned()
            .collect()
    }

    /// The configured endpoints, by kind of message.
    pub fn endpoints(&self) -> impl Iterator<Item = (Kind, &EndpointUrl)> {
        [
            (Kind::TripUpdates, &self.trip_updates),
            (Kind::VehiclePositions, &self.vehicle_positions),
            (Kind::Alerts, &self.alerts),
        ]
        .into_iter()
        .filter_map(|(kind, url)| url.as_ref().map(|u| (kind, u)))
    }

    /// How old a message of `kind` may be before it is stale.
    pub fn stale_after(&self, kind: Kind) -> Duration {
        match kind {
            Kind::Alerts => self.alerts_stale_after,
            _ => self.stale_after,
        }
    }
}

impl FeedConfig {
    /// How old a message of `kind` may be before it is stale, by the section
    /// that configures it (None: the feed does not poll it).
    pub fn stale_after(&self, kind: Kind) -> Option<Duration> {
        match kind {
            Kind::Siri(service) => self.siri.as_ref().map(|s| s.stale_after(service)),
            _ => self.realtime.as_ref().map(|r| r.stale_after(kind)),
        }
    }
}
