//! The configuration file as written: TOML shapes read by serde, with the units
//! and names people write (`poll_s`, `horizon_min`, `max_mb`). Nothing here is
//! checked beyond its type; [`super::Config::parse`] validates and converts.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use serde::Deserialize;

use super::defaults as d;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub server: ServerSection,
    #[serde(default)]
    pub board: BoardSection,
    #[serde(default)]
    pub stream: StreamSection,
    #[serde(default)]
    pub feeds: Vec<FeedSection>,
    #[serde(default)]
    pub stations: Vec<StationSection>,
    #[serde(default)]
    pub weather: Vec<WeatherSection>,
    pub advice: Option<AdviceSection>,
    #[serde(default)]
    pub notices: NoticesSection,
    #[serde(default)]
    pub store: StoreSection,
    #[serde(default)]
    pub facilities: Vec<FacilitySection>,
    #[serde(default)]
    pub sensor_integrations: Vec<SensorIntegrationSection>,
    #[serde(default)]
    pub facility_sources: Vec<FacilitySourceSection>,
    #[serde(default)]
    pub push: super::push::PushSection,
    #[serde(default)]
    pub screens: super::screens::ScreensSection,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacilitySourceSection {
    pub id: String,
    pub format: String,
    pub url: Option<String>,
    pub path: Option<String>,
    pub status_url: Option<String>,
    #[serde(default)]
    pub stations: Vec<String>,
    pub radius_m: Option<f64>,
    #[serde(default)]
    pub only: Vec<String>,
    pub kind: Option<String>,
    #[serde(default = "facility_source_stale_after_s")]
    pub stale_after_s: f64,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    #[serde(default = "facility_source_poll_s")]
    pub poll_s: f64,
    #[serde(default = "weather_timeout_s")]
    pub timeout_s: f64,
    #[serde(default = "weather_max_mb")]
    pub max_mb: u64,
    #[serde(default = "max_backoff_s")]
    pub max_backoff_s: f64,
    #[serde(default = "redirects_same_origin")]
    pub redirects: String,
}

fn facility_source_stale_after_s() -> f64 {
    d::FACILITY_SOURCE_STALE_AFTER.as_secs_f64()
}
fn facility_source_poll_s() -> f64 {
    d::FACILITY_SOURCE_POLL.as_secs_f64()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacilitySection {
    pub id: String,
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub stations: Vec<String>,
    pub capacity: u32,
    pub capacity_pmr: Option<u32>,
    #[serde(default = "facility_stale_after_s")]
    pub stale_after_s: u64,
    pub sensors: Option<SensorsSection>,
}

fn facility_stale_after_s() -> u64 {
    d::FACILITY_STALE_AFTER_S
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorsSection {
    pub integration: String,
    pub model: String,
    /// Device EUI → the space's label.
    pub spaces: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorIntegrationSection {
    pub id: String,
    pub server: String,
    pub token_sha256: String,
    /// The demo's: play this integration's network server with this token.
    pub simulate_with_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSection {
    pub data_dir: Option<String>,
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`: operators, notices and
    /// the audit log in PostgreSQL, shared by every node (docs/scaling.md).
    pub url: Option<String>,
    /// The certificate authority (PEM) of PostgreSQL's certificate: TLS,
    /// trusting it alone.
    pub ca_file: Option<String>,
    /// Keep each feed's compiled timetable in `<data_dir>/timetables` for restarts.
    pub cache_timetables: bool,
}

impl Default for StoreSection {
    fn default() -> Self {
        StoreSection {
            data_dir: None,
            url: None,
            ca_file: None,
            cache_timetables: true,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NoticesSection {
    pub writes_per_minute: usize,
    pub auth_failures_per_minute: usize,
}

impl Default for NoticesSection {
    fn default() -> Self {
        NoticesSection {
            writes_per_minute: d::NOTICE_WRITES_PER_MINUTE,
            auth_failures_per_minute: d::AUTH_FAILURES_PER_MINUTE,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdviceSection {
    pub file: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    pub listen: Option<SocketAddr>,
    pub send_buffer_kb: Option<u32>,
    pub max_connections_per_ip: Option<usize>,
    pub max_connections: Option<usize>,
    pub header_read_timeout_s: Option<f64>,
    pub body_read_timeout_s: Option<f64>,
    pub metrics_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BoardSection {
    pub limit: usize,
    pub max_limit: usize,
    pub horizon_min: u32,
    pub on_time_s: u32,
    pub departed_keep_s: u32,
    pub realtime_lookback_min: u32,
}

impl Default for BoardSection {
    fn default() -> Self {
        BoardSection {
            limit: d::BOARD_LIMIT,
            max_limit: d::BOARD_MAX_LIMIT,
            horizon_min: minutes(d::BOARD_HORIZON),
            on_time_s: d::BOARD_ON_TIME.as_secs() as u32,
            departed_keep_s: d::BOARD_DEPARTED_KEEP.as_secs() as u32,
            realtime_lookback_min: minutes(d::BOARD_REALTIME_LOOKBACK),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StreamSection {
    pub queue: usize,
    pub replay_deltas: usize,
    pub replay_minutes: u64,
    pub max_messages_per_s: u32,
    pub heartbeat_s: f64,
    pub write_timeout_s: f64,
}

impl Default for StreamSection {
    fn default() -> Self {
        StreamSection {
            queue: d::STREAM_QUEUE,
            replay_deltas: d::STREAM_REPLAY_DELTAS,
            replay_minutes: d::STREAM_REPLAY_AGE.as_secs() / 60,
            max_messages_per_s: d::STREAM_MAX_MESSAGES_PER_S,
            heartbeat_s: d::STREAM_HEARTBEAT.as_secs_f64(),
            write_timeout_s: d::STREAM_WRITE_TIMEOUT.as_secs_f64(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSection {
    pub id: String,
    pub gtfs: String,
    #[serde(default = "feed_timeout_s")]
    pub timeout_s: u64,
    #[serde(default = "feed_max_mb")]
    pub max_mb: u64,
    #[serde(default)]
    pub platforms: BTreeMap<String, String>,
    #[serde(default = "redirects_any")]
    pub redirects: String,
    pub realtime: Option<RealtimeSection>,
    pub siri: Option<SiriSection>,
}

/// `[feeds.siri]`: SIRI deliveries of the feed's producer.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiriSection {
    #[serde(default = "siri_version")]
    pub version: String,
    #[serde(default = "siri_transport")]
    pub transport: String,
    pub requestor_ref: Option<String>,
    pub estimated_timetable_url: Option<String>,
    pub stop_monitoring_url: Option<String>,
    pub situation_exchange_url: Option<String>,
    pub general_message_url: Option<String>,
    /// `MonitoringRef`s asked of a StopMonitoring server (needed with
    /// `stop_monitoring_url`).
    #[serde(default)]
    pub monitoring_refs: Vec<String>,
    #[serde(default = "realtime_poll_s")]
    pub poll_s: f64,
    #[serde(default = "realtime_timeout_s")]
    pub timeout_s: f64,
    #[serde(default = "siri_max_mb")]
    pub max_mb: u64,
    #[serde(default = "realtime_max_late_min")]
    pub max_late_min: u32,
    #[serde(default = "realtime_max_early_min")]
    pub max_early_min: u32,
    #[serde(default = "realtime_min_attached_percent")]
    pub min_attached_percent: u32,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    #[serde(default = "realtime_stale_after_s")]
    pub stale_after_s: u64,
    #[serde(default = "alerts_stale_after_s")]
    pub situations_stale_after_s: u64,
    #[serde(default = "max_backoff_s")]
    pub max_backoff_s: f64,
    #[serde(default = "redirects_same_origin")]
    pub redirects: String,
    #[serde(default, rename = "match")]
    pub matching: SiriMatchSection,
}

/// `[feeds.siri.match]`: how SIRI references name the timetable's trips,
/// stops and routes.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SiriMatchSection {
    pub journeys: Option<Vec<String>>,
    pub trip_id_pattern: Option<String>,
    pub train_number_pattern: Option<String>,
    pub stop_pattern: Option<String>,
    pub stop_ids: Option<Vec<String>>,
    pub line_pattern: Option<String>,
    pub route_ids: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RealtimeSection {
    pub trip_updates_url: Option<String>,
    pub vehicle_positions_url: Option<String>,
    pub alerts_url: Option<String>,
    #[serde(default = "realtime_poll_s")]
    pub poll_s: f64,
    #[serde(default = "realtime_timeout_s")]
    pub timeout_s: f64,
    #[serde(default = "realtime_max_mb")]
    pub max_mb: u64,
    #[serde(default = "realtime_max_entities")]
    pub max_entities: usize,
    #[serde(default = "realtime_max_late_min")]
    pub max_late_min: u32,
    #[serde(default = "realtime_max_early_min")]
    pub max_early_min: u32,
    #[serde(default = "realtime_min_attached_percent")]
    pub min_attached_percent: u32,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    #[serde(default = "realtime_stale_after_s")]
    pub stale_after_s: u64,
    #[serde(default = "alerts_stale_after_s")]
    pub alerts_stale_after_s: u64,
    #[serde(default = "max_backoff_s")]
    pub max_backoff_s: f64,
    #[serde(default = "redirects_same_origin")]
    pub redirects: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationSection {
    pub id: String,
    pub name: String,
    pub timezone: Option<String>,
    pub stops: BTreeMap<String, Vec<String>>,
    pub wifi: Option<WifiSection>,
    pub area: Option<AreaSection>,
    #[serde(default)]
    pub arrivals: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WifiSection {
    pub ssid: String,
    #[serde(default = "wifi_security")]
    pub security: String,
    pub password: Option<String>,
    pub portal_url: Option<String>,
    pub venue_info_url: Option<String>,
    pub session_s: Option<u64>,
    #[serde(default)]
    pub can_extend: bool,
    #[serde(default)]
    pub continue_urls: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaSection {
    pub lat: f64,
    pub lon: f64,
    #[serde(default)]
    pub codes: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeatherSection {
    pub id: String,
    pub url: String,
    #[serde(default = "weather_kind")]
    pub kind: String,
    pub name: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    #[serde(default = "weather_poll_s")]
    pub poll_s: f64,
    #[serde(default = "weather_timeout_s")]
    pub timeout_s: f64,
    #[serde(default = "weather_max_mb")]
    pub max_mb: u64,
    #[serde(default = "max_backoff_s")]
    pub max_backoff_s: f64,
    #[serde(default = "redirects_same_origin")]
    pub redirects: String,
}

fn weather_kind() -> String {
    "cap".into()
}
fn redirects_any() -> String {
    "any".into()
}
fn redirects_same_origin() -> String {
    "same-origin".into()
}
fn minutes(d: std::time::Duration) -> u32 {
    (d.as_secs() / 60) as u32
}
fn feed_timeout_s() -> u64 {
    d::FEED_TIMEOUT.as_secs()
}
fn feed_max_mb() -> u64 {
    d::FEED_MAX_MB
}
fn realtime_poll_s() -> f64 {
    d::REALTIME_POLL.as_secs_f64()
}
fn realtime_timeout_s() -> f64 {
    d::REALTIME_TIMEOUT.as_secs_f64()
}
fn realtime_max_mb() -> u64 {
    d::REALTIME_MAX_MB
}
fn realtime_max_entities() -> usize {
    d::REALTIME_MAX_ENTITIES
}
fn realtime_max_late_min() -> u32 {
    d::REALTIME_MAX_LATE_MIN
}
fn realtime_max_early_min() -> u32 {
    d::REALTIME_MAX_EARLY_MIN
}
fn realtime_min_attached_percent() -> u32 {
    d::REALTIME_MIN_ATTACHED_PERCENT
}
fn realtime_stale_after_s() -> u64 {
    d::REALTIME_STALE_AFTER.as_secs()
}
fn alerts_stale_after_s() -> u64 {
    d::ALERTS_STALE_AFTER.as_secs()
}
fn siri_version() -> String {
    "2.1".into()
}
fn siri_transport() -> String {
    "lite".into()
}
fn siri_max_mb() -> u64 {
    d::SIRI_MAX_MB
}
fn max_backoff_s() -> f64 {
    d::MAX_BACKOFF.as_secs_f64()
}
fn weather_poll_s() -> f64 {
    d::WEATHER_POLL.as_secs_f64()
}
fn weather_timeout_s() -> f64 {
    d::WEATHER_TIMEOUT.as_secs_f64()
}
fn weather_max_mb() -> u64 {
    d::WEATHER_MAX_MB
}
fn wifi_security() -> String {
    "nopass".into()
}
