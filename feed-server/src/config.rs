//! The station configuration file (`--config station.toml`).
//!
//! A deployment names its feeds (where each GTFS comes from) and its stations (which
//! stops of which feeds make each one). Everything is validated up front, and every
//! error names the file, the field and the reason, because the person reading it is a
//! technician installing a screen, not the author of this code.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Deserialize;

/// The name used in messages for the configuration embedded in the binary.
pub const EMBEDDED_DEMO: &str = "<embedded Caudry demo>";
/// The scheme of the GTFS source embedded in the binary (the Caudry demo network).
pub const BUILTIN_DEMO_GTFS: &str = "builtin:caudry-demo";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// TOML syntax or shape; `message` already holds line, column and the reason.
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("{path}: {field}: {reason}")]
    Invalid {
        path: String,
        field: String,
        reason: String,
    },
}

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    server: ServerSection,
    #[serde(default)]
    board: BoardSection,
    #[serde(default)]
    stream: StreamSection,
    #[serde(default)]
    feeds: Vec<FeedSection>,
    #[serde(default)]
    stations: Vec<StationSection>,
    #[serde(default)]
    weather: Vec<WeatherSection>,
    advice: Option<AdviceSection>,
    #[serde(default)]
    notices: NoticesSection,
    #[serde(default)]
    store: StoreSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreSection {
    data_dir: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct NoticesSection {
    writes_per_minute: usize,
}

impl Default for NoticesSection {
    fn default() -> Self {
        NoticesSection {
            writes_per_minute: 60,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WeatherSection {
    id: String,
    url: String,
    name: Option<String>,
    #[serde(default = "default_weather_poll_s")]
    poll_s: f64,
    #[serde(default = "default_rt_timeout_s")]
    timeout_s: f64,
    #[serde(default = "default_weather_max_mb")]
    max_mb: u64,
    #[serde(default = "default_max_backoff_s")]
    max_backoff_s: f64,
}

fn default_weather_poll_s() -> f64 {
    300.0
}
fn default_weather_max_mb() -> u64 {
    4
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdviceSection {
    file: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AreaSection {
    lat: f64,
    lon: f64,
    #[serde(default)]
    codes: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerSection {
    listen: Option<SocketAddr>,
    send_buffer_kb: Option<u32>,
    max_connections_per_ip: Option<usize>,
    header_read_timeout_s: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct BoardSection {
    limit: usize,
    max_limit: usize,
    horizon_min: u32,
    on_time_s: u32,
    departed_keep_s: u32,
    realtime_lookback_min: u32,
}

impl Default for BoardSection {
    fn default() -> Self {
        let d = BoardSettings::default();
        BoardSection {
            limit: d.limit,
            max_limit: d.max_limit,
            horizon_min: d.horizon_s / 60,
            on_time_s: d.on_time_s,
            departed_keep_s: d.departed_keep_s,
            realtime_lookback_min: d.realtime_lookback_s / 60,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct StreamSection {
    queue: usize,
    replay_deltas: usize,
    replay_minutes: u64,
    max_messages_per_s: u32,
    heartbeat_s: f64,
    write_timeout_s: f64,
}

impl Default for StreamSection {
    fn default() -> Self {
        let d = StreamSettings::default();
        StreamSection {
            queue: d.queue,
            replay_deltas: d.replay_deltas,
            replay_minutes: d.replay_age.as_secs() / 60,
            max_messages_per_s: d.max_messages_per_s,
            heartbeat_s: d.heartbeat.as_secs_f64(),
            write_timeout_s: d.write_timeout.as_secs_f64(),
        }
    }
}

/// The live stream's limits (`[stream]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StreamSettings {
    /// Messages waiting for one connection before it is dropped as too slow.
    pub queue: usize,
    /// Deltas kept per station for resuming with `since`...
    pub replay_deltas: usize,
    /// ...and for how long.
    pub replay_age: std::time::Duration,
    /// Client messages allowed per second and connection.
    pub max_messages_per_s: u32,
    /// Heartbeat and WebSocket ping interval.
    pub heartbeat: std::time::Duration,
    /// Longest a write to one client may take before it is dropped.
    pub write_timeout: std::time::Duration,
}

impl Default for StreamSettings {
    fn default() -> Self {
        StreamSettings {
            queue: 256,
            replay_deltas: 512,
            replay_age: std::time::Duration::from_secs(15 * 60),
            max_messages_per_s: 20,
            heartbeat: std::time::Duration::from_secs(15),
            write_timeout: std::time::Duration::from_secs(10),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedSection {
    id: String,
    gtfs: String,
    #[serde(default = "default_timeout_s")]
    timeout_s: u64,
    #[serde(default = "default_max_mb")]
    max_mb: u64,
    #[serde(default)]
    platforms: BTreeMap<String, String>,
    realtime: Option<RealtimeSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RealtimeSection {
    trip_updates_url: Option<String>,
    vehicle_positions_url: Option<String>,
    alerts_url: Option<String>,
    #[serde(default = "default_poll_s")]
    poll_s: f64,
    #[serde(default = "default_rt_timeout_s")]
    timeout_s: f64,
    #[serde(default = "default_rt_max_mb")]
    max_mb: u64,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    query: BTreeMap<String, String>,
    #[serde(default = "default_stale_after_s")]
    stale_after_s: u64,
    #[serde(default = "default_alerts_stale_after_s")]
    alerts_stale_after_s: u64,
    #[serde(default = "default_max_backoff_s")]
    max_backoff_s: f64,
}

fn default_poll_s() -> f64 {
    30.0
}
fn default_rt_timeout_s() -> f64 {
    10.0
}
fn default_rt_max_mb() -> u64 {
    16
}
fn default_stale_after_s() -> u64 {
    90
}
fn default_alerts_stale_after_s() -> u64 {
    600
}
fn default_max_backoff_s() -> f64 {
    300.0
}

fn default_timeout_s() -> u64 {
    60
}
fn default_max_mb() -> u64 {
    512
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StationSection {
    id: String,
    name: String,
    timezone: Option<String>,
    stops: BTreeMap<String, Vec<String>>,
    wifi: Option<WifiSection>,
    area: Option<AreaSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WifiSection {
    ssid: String,
    #[serde(default = "default_security")]
    security: String,
    password: Option<String>,
    portal_url: Option<String>,
    venue_info_url: Option<String>,
    session_s: Option<u64>,
    #[serde(default)]
    can_extend: bool,
}

fn default_security() -> String {
    "nopass".into()
}

/// Open connections per remote address: generous, since a station's Wi-Fi puts
/// hundreds of phones behind one public address.
pub const DEFAULT_MAX_CONNECTIONS_PER_IP: usize = 1024;
/// Seconds a client has to send its request headers.
pub const DEFAULT_HEADER_READ_TIMEOUT_S: f64 = 10.0;

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where it came from, for messages: a path or [`EMBEDDED_DEMO`].
    pub origin: String,
    pub listen: Option<SocketAddr>,
    /// Kernel send buffer of each connection, in KiB (None: the system's autotuning).
    /// A small fixed buffer bounds kernel memory per client and makes a client that
    /// stopped reading show up sooner.
    pub send_buffer_kb: Option<u32>,
    /// Open connections one remote address may hold (503 beyond).
    pub max_connections_per_ip: usize,
    /// How long a client has to send its request headers (slowloris).
    pub header_read_timeout: std::time::Duration,
    pub board: BoardSettings,
    pub stream: StreamSettings,
    pub feeds: Vec<FeedConfig>,
    pub stations: Vec<StationConfig>,
    pub weather: Vec<WeatherSource>,
    /// A replacement for the built-in advice table.
    pub advice_file: Option<PathBuf>,
    /// Notice writes one operator may make per minute (429 beyond).
    pub notice_writes_per_minute: usize,
    /// `[store] data_dir`, resolved against the configuration's folder; the
    /// command line's `--data-dir` wins over it.
    pub data_dir: Option<PathBuf>,
}

/// A source of CAP weather alerts: a CAP document or an Atom/RSS index of them.
#[derive(Debug, Clone)]
pub struct WeatherSource {
    pub id: String,
    pub url: EndpointUrl,
    /// Shown as the advisory's `source` (default: the id).
    pub name: String,
    pub poll: std::time::Duration,
    pub timeout: std::time::Duration,
    pub max_bytes: u64,
    pub max_backoff: std::time::Duration,
}

/// Board defaults for every station.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoardSettings {
    /// Departures returned when a request names no `limit`.
    pub limit: usize,
    /// Departures in the published board (what the stream carries); the largest `limit`.
    pub max_limit: usize,
    /// How far ahead a board looks, in seconds.
    pub horizon_s: u32,
    /// A departure within this many seconds of its schedule is on time.
    pub on_time_s: u32,
    /// How long a departure stays on the board, marked departed, once it has left.
    pub departed_keep_s: u32,
    /// How far back to look for late departures that are still to come, in seconds.
    pub realtime_lookback_s: u32,
}

impl Default for BoardSettings {
    fn default() -> Self {
        BoardSettings {
            limit: 12,
            max_limit: 30,
            horizon_s: 3 * 3600,
            on_time_s: 60,
            departed_keep_s: 60,
            realtime_lookback_s: 2 * 3600,
        }
    }
}

/// Where a feed's static GTFS comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GtfsSource {
    /// A zip file or a folder of `.txt` files.
    Path(PathBuf),
    /// A zip archive over HTTP(S).
    Url(String),
    /// The demo network compiled into the binary.
    BuiltinDemo,
}

#[derive(Debug, Clone)]
pub struct FeedConfig {
    pub id: String,
    pub gtfs: GtfsSource,
    pub timeout_s: u64,
    pub max_bytes: u64,
    /// Platform labels for stops whose feed gives no `platform_code`.
    pub platforms: BTreeMap<String, String>,
    pub realtime: Option<RealtimeConfig>,
}

/// Where a realtime endpoint is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointUrl {
    /// An http(s) URL.
    Http(String),
    /// `self:/path`: a path on this server (the demo simulator), resolved once the
    /// listening address is known.
    SelfPath(String),
}

/// The GTFS-Realtime endpoints of a feed and how to poll them.
#[derive(Debug, Clone)]
pub struct RealtimeConfig {
    pub trip_updates: Option<EndpointUrl>,
    pub vehicle_positions: Option<EndpointUrl>,
    pub alerts: Option<EndpointUrl>,
    pub poll: std::time::Duration,
    pub timeout: std::time::Duration,
    pub max_bytes: u64,
    /// Extra request headers (API keys...).
    pub headers: BTreeMap<String, String>,
    /// Extra query parameters (API keys...).
    pub query: BTreeMap<String, String>,
    /// Trip updates and vehicle positions older than this are stale.
    pub stale_after_s: u64,
    /// Alerts older than this are stale.
    pub alerts_stale_after_s: u64,
    pub max_backoff: std::time::Duration,
}

#[derive(Debug, Clone)]
pub struct StationConfig {
    pub id: String,
    pub name: String,
    /// None: the timezone of the station's first feed.
    pub timezone: Option<Tz>,
    /// Feed id -> stop ids (stops or parent stations) in that feed.
    pub stops: BTreeMap<String, Vec<String>>,
    pub wifi: Option<WifiConfig>,
    /// Where the station is, for weather warnings; None: no advisories.
    pub area: Option<crate::advisory::Place>,
}

/// The station's public Wi-Fi, as screens advertise it and the captive portal API
/// (RFC 8908) describes it.
#[derive(Debug, Clone)]
pub struct WifiConfig {
    pub ssid: String,
    /// `nopass`, `WPA` (WPA/WPA2/WPA3 personal) or `WEP`, as in `WIFI:` QR codes.
    pub security: String,
    pub password: Option<String>,
    /// The splash page (`user-portal-url`).
    pub portal_url: Option<String>,
    pub venue_info_url: Option<String>,
    /// Length of a session once the terms are accepted (`seconds-remaining`).
    pub session_s: Option<u64>,
    pub can_extend: bool,
}

impl Config {
    /// Reads and validates a configuration file. Relative GTFS paths are resolved
    /// against the file's folder, so a config works from any working directory.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: origin.clone(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Config::parse(&text, &origin, base)
    }

    /// The embedded demo: `feed-server/demo/caudry.toml`.
    pub fn demo() -> Result<Config, ConfigError> {
        Config::parse(
            include_str!("../demo/caudry.toml"),
            EMBEDDED_DEMO,
            Path::new("."),
        )
    }

    /// Parses and validates configuration text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str, base: &Path) -> Result<Config, ConfigError> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: origin.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let invalid = |field: String, reason: String| ConfigError::Invalid {
            path: origin.to_string(),
            field,
            reason,
        };

        let board = &file.board;
        if board.limit == 0 || board.limit > board.max_limit {
            return Err(invalid(
                "board.limit".into(),
                format!(
                    "must be between 1 and board.max_limit ({})",
                    board.max_limit
                ),
            ));
        }
        if board.max_limit > 500 {
            return Err(invalid(
                "board.max_limit".into(),
                "must be at most 500".into(),
            ));
        }
        if board.realtime_lookback_min > 24 * 60 {
            return Err(invalid(
                "board.realtime_lookback_min".into(),
                "must be at most 1440 minutes".into(),
            ));
        }
        if board.horizon_min == 0 || board.horizon_min > 48 * 60 {
            return Err(invalid(
                "board.horizon_min".into(),
                "must be between 1 and 2880 minutes".into(),
            ));
        }

        if file
            .server
            .send_buffer_kb
            .is_some_and(|kb| !(4..=65_536).contains(&kb))
        {
            return Err(invalid(
                "server.send_buffer_kb".into(),
                "must be between 4 and 65536".into(),
            ));
        }
        if file
            .server
            .max_connections_per_ip
            .is_some_and(|n| !(1..=1_000_000).contains(&n))
        {
            return Err(invalid(
                "server.max_connections_per_ip".into(),
                "must be between 1 and 1000000".into(),
            ));
        }
        if file
            .server
            .header_read_timeout_s
            .is_some_and(|s| !(s.is_finite() && (0.1..=600.0).contains(&s)))
        {
            return Err(invalid(
                "server.header_read_timeout_s".into(),
                "must be between 0.1 and 600 seconds".into(),
            ));
        }
        let st = &file.stream;
        if st.queue < 2 || st.queue > 65_536 {
            return Err(invalid(
                "stream.queue".into(),
                "must be between 2 and 65536".into(),
            ));
        }
        if st.max_messages_per_s == 0 {
            return Err(invalid(
                "stream.max_messages_per_s".into(),
                "must be positive".into(),
            ));
        }
        for (key, v) in [
            ("heartbeat_s", st.heartbeat_s),
            ("write_timeout_s", st.write_timeout_s),
        ] {
            if !(v.is_finite() && (0.05..=3600.0).contains(&v)) {
                return Err(invalid(
                    format!("stream.{key}"),
                    "must be between 0.05 and 3600 seconds".into(),
                ));
            }
        }
        let stream = StreamSettings {
            queue: st.queue,
            replay_deltas: st.replay_deltas,
            replay_age: std::time::Duration::from_secs(st.replay_minutes.saturating_mul(60)),
            max_messages_per_s: st.max_messages_per_s,
            heartbeat: std::time::Duration::from_secs_f64(st.heartbeat_s),
            write_timeout: std::time::Duration::from_secs_f64(st.write_timeout_s),
        };

        if file.feeds.is_empty() {
            return Err(invalid(
                "feeds".into(),
                "at least one [[feeds]] is needed".into(),
            ));
        }
        let mut feeds = Vec::new();
        for (i, f) in file.feeds.into_iter().enumerate() {
            let field = format!("feeds[{i}]");
            check_id(&f.id).map_err(|r| invalid(format!("{field}.id"), r))?;
            if feeds.iter().any(|other: &FeedConfig| other.id == f.id) {
                return Err(invalid(
                    format!("{field}.id"),
                    format!("feed id `{}` is used twice", f.id),
                ));
            }
            let gtfs =
                parse_source(&f.gtfs, base).map_err(|r| invalid(format!("{field}.gtfs"), r))?;
            if f.timeout_s == 0 {
                return Err(invalid(
                    format!("{field}.timeout_s"),
                    "must be positive".into(),
                ));
            }
            if f.max_mb == 0 {
                return Err(invalid(
                    format!("{field}.max_mb"),
                    "must be positive".into(),
                ));
            }
            let realtime = match f.realtime {
                None => None,
                Some(rt) => Some(
                    realtime(rt).map_err(|(k, r)| invalid(format!("{field}.realtime.{k}"), r))?,
                ),
            };
            feeds.push(FeedConfig {
                id: f.id,
                gtfs,
                timeout_s: f.timeout_s,
                max_bytes: f.max_mb.saturating_mul(1024 * 1024),
                platforms: f.platforms,
                realtime,
            });
        }

        if file.stations.is_empty() {
            return Err(invalid(
                "stations".into(),
                "at least one [[stations]] is needed".into(),
            ));
        }
        let mut stations: Vec<StationConfig> = Vec::new();
        for (i, s) in file.stations.into_iter().enumerate() {
            let field = format!("stations[{i}]");
            check_id(&s.id).map_err(|r| invalid(format!("{field}.id"), r))?;
            if stations.iter().any(|other| other.id == s.id) {
                return Err(invalid(
                    format!("{field}.id"),
                    format!("station id `{}` is used twice", s.id),
                ));
            }
            if s.name.trim().is_empty() {
                return Err(invalid(format!("{field}.name"), "must not be empty".into()));
            }
            let timezone = match &s.timezone {
                None => None,
                Some(name) => Some(name.parse::<Tz>().map_err(|_| {
                    invalid(
                        format!("{field}.timezone"),
                        format!("`{name}` is not an IANA timezone (e.g. Europe/Paris)"),
                    )
                })?),
            };
            if s.stops.is_empty() || s.stops.values().all(Vec::is_empty) {
                return Err(invalid(
                    format!("{field}.stops"),
                    "name at least one stop, e.g. stops = { ter = [\"StopArea:OCE87345561\"] }"
                        .into(),
                ));
            }
            for feed in s.stops.keys() {
                if !feeds.iter().any(|f| &f.id == feed) {
                    return Err(invalid(
                        format!("{field}.stops.{feed}"),
                        format!("no feed has the id `{feed}`"),
                    ));
                }
            }
            let wifi = match s.wifi {
                None => None,
                Some(w) => {
                    Some(wifi_config(w).map_err(|(k, r)| invalid(format!("{field}.wifi.{k}"), r))?)
                }
            };
            let area = match s.area {
                None => None,
                Some(a) => {
                    if !(-90.0..=90.0).contains(&a.lat) || !(-180.0..=180.0).contains(&a.lon) {
                        return Err(invalid(
                            format!("{field}.area"),
                            "lat must be within ±90 and lon within ±180".into(),
                        ));
                    }
                    Some(crate::advisory::Place {
                        lat: a.lat,
                        lon: a.lon,
                        codes: a.codes,
                    })
                }
            };
            stations.push(StationConfig {
                id: s.id,
                name: s.name,
                timezone,
                area,
                stops: s.stops,
                wifi,
            });
        }

        let mut weather: Vec<WeatherSource> = Vec::new();
        for (i, w) in file.weather.into_iter().enumerate() {
            let field = format!("weather[{i}]");
            check_id(&w.id).map_err(|r| invalid(format!("{field}.id"), r))?;
            if weather.iter().any(|o| o.id == w.id) {
                return Err(invalid(
                    format!("{field}.id"),
                    format!("weather source id `{}` is used twice", w.id),
                ));
            }
            let url = if w.url.starts_with("http://") || w.url.starts_with("https://") {
                EndpointUrl::Http(w.url.clone())
            } else if let Some(path) = w.url.strip_prefix("self:") {
                EndpointUrl::SelfPath(path.to_string())
            } else {
                return Err(invalid(
                    format!("{field}.url"),
                    format!("`{}` is not an http(s) URL", w.url),
                ));
            };
            let seconds = |key: &str, v: f64| {
                if v.is_finite() && (0.05..=86_400.0).contains(&v) {
                    Ok(std::time::Duration::from_secs_f64(v))
                } else {
                    Err(invalid(
                        format!("{field}.{key}"),
                        "must be between 0.05 and 86400 seconds".into(),
                    ))
                }
            };
            if w.max_mb == 0 {
                return Err(invalid(
                    format!("{field}.max_mb"),
                    "must be positive".into(),
                ));
            }
            weather.push(WeatherSource {
                name: w.name.unwrap_or_else(|| w.id.clone()),
                poll: seconds("poll_s", w.poll_s)?,
                timeout: seconds("timeout_s", w.timeout_s)?,
                max_backoff: seconds("max_backoff_s", w.max_backoff_s)?,
                max_bytes: w.max_mb.saturating_mul(1024 * 1024),
                id: w.id,
                url,
            });
        }

        Ok(Config {
            origin: origin.to_string(),
            weather,
            advice_file: file.advice.map(|a| base.join(a.file)),
            notice_writes_per_minute: file.notices.writes_per_minute.max(1),
            data_dir: file.store.data_dir.map(|d| base.join(d)),
            listen: file.server.listen,
            send_buffer_kb: file.server.send_buffer_kb,
            max_connections_per_ip: file
                .server
                .max_connections_per_ip
                .unwrap_or(DEFAULT_MAX_CONNECTIONS_PER_IP),
            header_read_timeout: std::time::Duration::from_secs_f64(
                file.server
                    .header_read_timeout_s
                    .unwrap_or(DEFAULT_HEADER_READ_TIMEOUT_S),
            ),
            board: BoardSettings {
                limit: board.limit,
                max_limit: board.max_limit,
                horizon_s: board.horizon_min * 60,
                on_time_s: board.on_time_s,
                departed_keep_s: board.departed_keep_s,
                realtime_lookback_s: board.realtime_lookback_min * 60,
            },
            stream,
            feeds,
            stations,
        })
    }
}

/// Ids appear in URLs and in departure ids (`{feed}:{trip}:...`), so they are kept to
/// lower-case letters, digits, `-` and `_`.
fn check_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{id}` must be 1 to 64 characters among a-z, 0-9, '-' and '_'"
        ))
    }
}

/// Validates a `[stations.wifi]` table; errors are (key, reason).
fn wifi_config(w: WifiSection) -> Result<WifiConfig, (&'static str, String)> {
    if w.ssid.trim().is_empty() {
        return Err(("ssid", "must not be empty".into()));
    }
    if !["nopass", "WPA", "WEP"].contains(&w.security.as_str()) {
        return Err((
            "security",
            format!("`{}` is not one of nopass, WPA, WEP", w.security),
        ));
    }
    match (w.security.as_str(), &w.password) {
        ("nopass", Some(_)) => {
            return Err((
                "password",
                "an open network (security = \"nopass\") has no password".into(),
            ));
        }
        (security, None) if security != "nopass" => {
            return Err(("password", format!("a {security} network needs a password")));
        }
        _ => {}
    }
    for (key, url) in [
        ("portal_url", &w.portal_url),
        ("venue_info_url", &w.venue_info_url),
    ] {
        if let Some(u) = url
            && !(u.starts_with("https://") || u.starts_with("http://"))
        {
            return Err((key, format!("`{u}` is not an http(s) URL")));
        }
    }
    Ok(WifiConfig {
        ssid: w.ssid,
        security: w.security,
        password: w.password,
        portal_url: w.portal_url,
        venue_info_url: w.venue_info_url,
        session_s: w.session_s,
        can_extend: w.can_extend,
    })
}

/// Validates a `[feeds.realtime]` table; errors are (key, reason).
fn realtime(rt: RealtimeSection) -> Result<RealtimeConfig, (&'static str, String)> {
    let url = |key: &'static str,
               v: Option<String>|
     -> Result<Option<EndpointUrl>, (&'static str, String)> {
        match v {
            None => Ok(None),
            Some(u) if u.starts_with("http://") || u.starts_with("https://") => {
                Ok(Some(EndpointUrl::Http(u)))
            }
            Some(u) if u.starts_with("self:/") => Ok(Some(EndpointUrl::SelfPath(
                u.trim_start_matches("self:").to_string(),
            ))),
            Some(u) => Err((key, format!("`{u}` is not an http(s) URL"))),
        }
    };
    let seconds = |key: &'static str, v: f64, min: f64| {
        if v.is_finite() && v >= min && v <= 86_400.0 {
            Ok(std::time::Duration::from_secs_f64(v))
        } else {
            Err((key, format!("must be between {min} and 86400 seconds")))
        }
    };
    let config = RealtimeConfig {
        trip_updates: url("trip_updates_url", rt.trip_updates_url)?,
        vehicle_positions: url("vehicle_positions_url", rt.vehicle_positions_url)?,
        alerts: url("alerts_url", rt.alerts_url)?,
        poll: seconds("poll_s", rt.poll_s, 0.05)?,
        timeout: seconds("timeout_s", rt.timeout_s, 0.05)?,
        max_backoff: seconds("max_backoff_s", rt.max_backoff_s, 0.05)?,
        max_bytes: rt.max_mb.saturating_mul(1024 * 1024),
        headers: rt.headers,
        query: rt.query,
        stale_after_s: rt.stale_after_s,
        alerts_stale_after_s: rt.alerts_stale_after_s,
    };
    if config.trip_updates.is_none()
        && config.vehicle_positions.is_none()
        && config.alerts.is_none()
    {
        return Err((
            "trip_updates_url",
            "name at least one of trip_updates_url, vehicle_positions_url, alerts_url".into(),
        ));
    }
    if config.max_bytes == 0 {
        return Err(("max_mb", "must be positive".into()));
    }
    Ok(config)
}

fn parse_source(value: &str, base: &Path) -> Result<GtfsSource, String> {
    if value == BUILTIN_DEMO_GTFS {
        Ok(GtfsSource::BuiltinDemo)
    } else if value.starts_with("http://") || value.starts_with("https://") {
        Ok(GtfsSource::Url(value.to_string()))
    } else if value.contains("://") || value.starts_with("builtin:") {
        Err(format!(
            "`{value}`: use a file path, a folder, an http(s) URL or `{BUILTIN_DEMO_GTFS}`"
        ))
    } else if value.trim().is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(GtfsSource::Path(base.join(value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, "station.toml", Path::new("/etc/quai"))
    }

    #[test]
    fn the_embedded_demo_is_valid() {
        let c = Config::demo().unwrap();
        assert_eq!(c.stations[0].id, "caudry");
        assert_eq!(c.feeds[0].gtfs, GtfsSource::BuiltinDemo);
    }

    #[test]
    fn relative_paths_are_resolved_against_the_config_folder() {
        let c = parse(
            r#"
            [[feeds]]
            id = "ter"
            gtfs = "data/ter.zip"
            [[stations]]
            id = "caudry"
            name = "Caudry"
            stops = { ter = ["StopArea:OCE87345561"] }
            "#,
        )
        .unwrap();
        assert_eq!(
            c.feeds[0].gtfs,
            GtfsSource::Path(PathBuf::from("/etc/quai/data/ter.zip"))
        );
        assert_eq!(c.board, BoardSettings::default());
    }

    #[test]
    fn errors_name_the_file_the_field_and_the_reason() {
        let e = parse(
            r#"
            [[feeds]]
            id = "ter"
            gtfs = "ter.zip"
            [[stations]]
            id = "caudry"
            name = "Caudry"
            stops = { bus = ["X"] }
            "#,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "station.toml: stations[0].stops.bus: no feed has the id `bus`"
        );

        let e = parse("[[feeds]]\nid = \"ter\"\ngtfs = 3\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("station.toml: TOML parse error at line 3, column 8"),
            "{e}"
        );

        let e = parse("[[feeds]]\nid = \"Ter:1\"\ngtfs = \"a\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("station.toml: feeds[0].id: `Ter:1` must be"),
            "{e}"
        );

        let e = parse("[[feed]]\nid = \"ter\"\n").unwrap_err().to_string();
        assert!(e.contains("unknown field `feed`"), "{e}");
    }
}
