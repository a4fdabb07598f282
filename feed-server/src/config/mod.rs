//! The station configuration file (`--config station.toml`).
//!
//! A deployment names its feeds (where each GTFS comes from) and its stations (which
//! stops of which feeds make each one). Everything is validated up front, and every
//! error names the file, the field and the reason, because the person reading it is a
//! technician installing a screen, not the author of this code.
//!
//! By concern: [`file`] is the file as written (serde shapes), [`units`] turns
//! its seconds, minutes and MiB into the code's one convention (`Duration`,
//! bytes) with their bounds, [`endpoint`] holds the one rule for URLs and GTFS
//! sources, [`defaults`] every default; [`settings`], [`feed`], [`station`] and
//! [`weather`] validate their sections into the types the server uses.

pub mod defaults;
pub mod endpoint;
pub mod facility;
pub mod facility_source;
pub mod feed;
mod file;
pub mod push;
pub mod screens;
pub mod settings;
pub mod siri;
pub mod station;
pub mod units;
pub mod weather;

use std::path::{Path, PathBuf};

pub use endpoint::{BUILTIN_DEMO_GTFS, EndpointUrl, GtfsSource, HttpUrl, Redirects};
pub use facility::{FacilityConfig, SensorIntegration, Sensors};
pub use facility_source::{FacilityFormat, FacilitySource};
pub use feed::{DelayBounds, FeedConfig, Kind, RealtimeConfig};
pub use push::{PushSettings, QuietHours};
pub use screens::ScreenSettings;
pub use settings::{BoardSettings, ServerSettings, StreamSettings};
pub use siri::{JourneyRule, Matching, SiriConfig, SiriService, Transport};
pub use station::{Place, StationConfig, WifiConfig, WifiSecurity};
pub use weather::{WeatherKind, WeatherSource};

/// The name used in messages for the configuration embedded in the binary.
pub const EMBEDDED_DEMO: &str = "<embedded Caudry demo>";

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

/// A value that does not validate: the field (a path such as `feeds[0].max_mb`,
/// built up as the error leaves each section) and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    field: String,
    reason: String,
}

impl Invalid {
    pub(crate) fn new(field: impl Into<String>, reason: impl Into<String>) -> Invalid {
        Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The same error, inside section `prefix`.
    fn under(self, prefix: &str) -> Invalid {
        Invalid {
            field: format!("{prefix}.{}", self.field),
            reason: self.reason,
        }
    }

    fn in_file(self, origin: &str) -> ConfigError {
        ConfigError::Invalid {
            path: origin.to_string(),
            field: self.field,
            reason: self.reason,
        }
    }
}

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where it came from, for messages: a path or [`EMBEDDED_DEMO`].
    pub origin: String,
    pub server: ServerSettings,
    pub board: BoardSettings,
    pub stream: StreamSettings,
    pub feeds: Vec<FeedConfig>,
    pub stations: Vec<StationConfig>,
    pub weather: Vec<WeatherSource>,
    /// A replacement for the built-in advice table.
    pub advice_file: Option<PathBuf>,
    /// Notice writes one operator may make per minute (429 beyond).
    pub notice_writes_per_minute: usize,
    /// Wrong tokens one address may send per minute (429 beyond).
    pub auth_failures_per_minute: usize,
    /// `[store] data_dir`, resolved against the configuration's folder; the
    /// command line's `--data-dir` wins over it.
    pub data_dir: Option<PathBuf>,
    /// `[store] url`: operators, notices and the audit log in PostgreSQL
    /// (docs/scaling.md); None keeps them in the data dir's SQLite.
    pub store_url: Option<String>,
    /// `[store] ca_file`, resolved against the configuration's folder: TLS to
    /// PostgreSQL, trusting that certificate authority alone.
    pub store_ca_file: Option<PathBuf>,
    /// `[store] cache_timetables`: `serve` keeps compiled timetables in
    /// `<data dir>/timetables` and reads them back on restart.
    pub cache_timetables: bool,
    pub facilities: Vec<FacilityConfig>,
    pub sensor_integrations: Vec<SensorIntegration>,
    /// Documents that describe and count facilities.
    pub facility_sources: Vec<FacilitySource>,
    /// `[push]`: None (push alerts off) without a contact.
    pub push: Option<PushSettings>,
    /// `[screens]`: how screens are judged.
    pub screens: ScreenSettings,
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
            include_str!("../../demo/caudry.toml"),
            EMBEDDED_DEMO,
            Path::new("."),
        )
    }

    /// Parses and validates configuration text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str, base: &Path) -> Result<Config, ConfigError> {
        let file: file::ConfigFile = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: origin.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        Config::validate(file, origin, base).map_err(|e| e.in_file(origin))
    }

    fn validate(file: file::ConfigFile, origin: &str, base: &Path) -> Result<Config, Invalid> {
        let board = BoardSettings::from_file(&file.board)?;
        let server = ServerSettings::from_file(&file.server)?;
        let stream = StreamSettings::from_file(&file.stream)?;

        if file.feeds.is_empty() {
            return Err(Invalid::new("feeds", "at least one [[feeds]] is needed"));
        }
        let mut feeds: Vec<FeedConfig> = Vec::new();
        for (i, f) in file.feeds.into_iter().enumerate() {
            let section = format!("feeds[{i}]");
            let feed = FeedConfig::from_file(f, base).map_err(|e| e.under(&section))?;
            if feeds.iter().any(|other| other.id == feed.id) {
                return Err(Invalid::new(
                    format!("{section}.id"),
                    format!("feed id `{}` is used twice", feed.id),
                ));
            }
            feeds.push(feed);
        }

        if file.stations.is_empty() {
            return Err(Invalid::new(
                "stations",
                "at least one [[stations]] is needed",
            ));
        }
        let feed_ids: Vec<_> = feeds.iter().map(|f| f.id.clone()).collect();
        let mut stations: Vec<StationConfig> = Vec::new();
        for (i, s) in file.stations.into_iter().enumerate() {
            let section = format!("stations[{i}]");
            let station = StationConfig::from_file(s, &feed_ids).map_err(|e| e.under(&section))?;
            if stations.iter().any(|other| other.id == station.id) {
                return Err(Invalid::new(
                    format!("{section}.id"),
                    format!("station id `{}` is used twice", station.id),
                ));
            }
            stations.push(station);
        }

        let mut weather: Vec<WeatherSource> = Vec::new();
        for (i, w) in file.weather.into_iter().enumerate() {
            let section = format!("weather[{i}]");
            let source = WeatherSource::from_file(w).map_err(|e| e.under(&section))?;
            if weather.iter().any(|o| o.id == source.id) {
                return Err(Invalid::new(
                    format!("{section}.id"),
                    format!("weather source id `{}` is used twice", source.id),
                ));
            }
            weather.push(source);
        }

        let mut sensor_integrations: Vec<SensorIntegration> = Vec::new();
        for (i, s) in file.sensor_integrations.into_iter().enumerate() {
            let section = format!("sensor_integrations[{i}]");
            let integration = SensorIntegration::from_file(s).map_err(|e| e.under(&section))?;
            if sensor_integrations.iter().any(|o| o.id == integration.id) {
                return Err(Invalid::new(
                    format!("{section}.id"),
                    format!("integration id `{}` is used twice", integration.id),
                ));
            }
            sensor_integrations.push(integration);
        }
        let station_ids: Vec<_> = stations.iter().map(|s| s.id.clone()).collect();
        let mut facilities: Vec<FacilityConfig> = Vec::new();
        for (i, f) in file.facilities.into_iter().enumerate() {
            let section = format!("facilities[{i}]");
            let facility = FacilityConfig::from_file(f, &station_ids, &sensor_integrations)
                .map_err(|e| e.under(&section))?;
            if facilities.iter().any(|o| o.id == facility.id) {
                return Err(Invalid::new(
                    format!("{section}.id"),
                    format!("facility id `{}` is used twice", facility.id),
                ));
            }
            let eui_twice = facility
                .sensors
                .iter()
                .flat_map(|s| s.spaces.keys())
                .find(|eui| {
                    facilities
                        .iter()
                        .flat_map(|o| o.sensors.iter().flat_map(|s| s.spaces.keys()))
                        .any(|other| other == *eui)
                });
            if let Some(eui) = eui_twice {
                return Err(Invalid::new(
                    format!("{section}.sensors.spaces.{eui}"),
                    "this device is already a space of another facility",
                ));
            }
            facilities.push(facility);
        }

        let mut facility_sources: Vec<FacilitySource> = Vec::new();
        for (i, f) in file.facility_sources.into_iter().enumerate() {
            let section = format!("facility_sources[{i}]");
            let source =
                FacilitySource::from_file(f, &station_ids, base).map_err(|e| e.under(&section))?;
            if facility_sources.iter().any(|o| o.id == source.id) {
                return Err(Invalid::new(
                    format!("{section}.id"),
                    format!("facility source id `{}` is used twice", source.id),
                ));
            }
            if source.radius_m.is_some() && stations.iter().all(|s| s.area.is_none()) {
                return Err(Invalid::new(
                    format!("{section}.radius_m"),
                    "no station has an `area` point to measure from",
                ));
            }
            facility_sources.push(source);
        }

        if let Some(url) = &file.store.url {
            let scheme = url.starts_with("postgres://") || url.starts_with("postgresql://");
            let parsed = url.parse::<tokio_postgres::Config>();
            if !scheme || parsed.is_err() {
                return Err(Invalid::new(
                    "store.url",
                    "write postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE",
                ));
            }
        }

        let push = PushSettings::from_file(file.push).map_err(|e| e.under("push"))?;
        let screens = ScreenSettings::from_file(file.screens).map_err(|e| e.under("screens"))?;

        Ok(Config {
            origin: origin.to_string(),
            server,
            board,
            stream,
            feeds,
            stations,
            weather,
            advice_file: file.advice.map(|a| base.join(a.file)),
            notice_writes_per_minute: file.notices.writes_per_minute.max(1),
            auth_failures_per_minute: file.notices.auth_failures_per_minute.max(1),
            data_dir: file.store.data_dir.map(|d| base.join(d)),
            store_url: file.store.url,
            store_ca_file: file.store.ca_file.map(|f| base.join(f)),
            cache_timetables: file.store.cache_timetables,
            facilities,
            sensor_integrations,
            facility_sources,
            push,
            screens,
        })
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
        assert_eq!(c.origin, EMBEDDED_DEMO);
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
        assert_eq!(c.stream, StreamSettings::default());
        assert_eq!(c.server, ServerSettings::default());
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

        let e = parse(
            "[[feeds]]\nid = \"ter\"\ngtfs = \"a\"\n[feeds.realtime]\nalerts_url = \"self:x\"\n",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "station.toml: feeds[0].realtime.alerts_url: `self:x`: write self:/path"
        );
    }
}
