//! A loaded deployment: the configuration with every feed fetched, parsed and
//! compiled, and every station resolved. This is what `serve` serves and what
//! `check` reports on.

use std::time::Instant;

use chrono::{DateTime, Utc};
use quai_protocol::Wifi;

use std::collections::HashMap;

use crate::advisory::AdviceTable;
use crate::config::{Config, StationConfig};
use crate::sources::gtfs_static::{self, FeedError};
use crate::timetable::station::StationError;
use crate::timetable::{Station, Timetable, compile};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Feed(#[from] FeedError),
    #[error(transparent)]
    Advice(#[from] crate::advisory::advice::AdviceError),
    #[error("{origin}: {source}")]
    Station {
        origin: String,
        #[source]
        source: StationError,
    },
}

/// What happened while loading one feed, for logs and `check`.
#[derive(Debug, Clone)]
pub struct FeedLoad {
    pub id: String,
    pub loaded_at: DateTime<Utc>,
    pub duration: std::time::Duration,
}

/// Reports loading progress (the `check` command draws bars with it).
pub trait LoadProgress: Sync {
    /// A feed starts loading.
    fn feed_started(&self, _feed: &str) {}
    /// `done` of `total` stop_times compiled.
    fn compiling(&self, _feed: &str, _done: u64, _total: u64) {}
    fn feed_done(&self, _feed: &str) {}
}

/// No progress display.
pub struct Quiet;
impl LoadProgress for Quiet {}

pub struct Deployment {
    pub config: Config,
    pub timetable: Timetable,
    pub stations: Vec<Station>,
    pub loads: Vec<FeedLoad>,
    /// What to tell passengers for each weather warning.
    pub advice: AdviceTable,
    /// Weather source id -> the name shown on advisories.
    pub weather_names: HashMap<String, String>,
}

impl Deployment {
    /// Fetches and compiles every feed, then resolves the stations. `now` stamps the
    /// loads (the server's clock, which `--now` may move).
    pub async fn load(
        config: Config,
        now: impl Fn() -> DateTime<Utc>,
        progress: &(dyn LoadProgress + Send),
    ) -> Result<Deployment, LoadError> {
        let mut timetable = Timetable::default();
        let mut loads = Vec::new();
        for feed in &config.feeds {
            progress.feed_started(&feed.id);
            let started = Instant::now();
            let archive = gtfs_static::fetch(feed).await?;
            let location = gtfs_static::location(&feed.gtfs);
            let id = feed.id.clone();
            let labels = feed.platforms.clone();
            // Parsing and compiling are CPU-bound and run inline: loading happens before
            // the server accepts connections, so there is nothing to starve yet.
            let raw = gtfs_static::parse(&id, &location, archive)?;
            let compiled = compile(&id, &location, raw, labels, &|done, total| {
                progress.compiling(&id, done, total)
            })?;
            progress.feed_done(&feed.id);
            tracing::info!(
                feed = %feed.id,
                trips = compiled.trips.len(),
                stop_times = compiled.stop_times.len(),
                warnings = compiled.warning_count,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "feed loaded"
            );
            for w in &compiled.warnings {
                tracing::warn!(feed = %feed.id, "{w}");
            }
            timetable.feeds.push(compiled);
            loads.push(FeedLoad {
                id: feed.id.clone(),
                loaded_at: now(),
                duration: started.elapsed(),
            });
        }
        let stations = config
            .stations
            .iter()
            .map(|s| {
                Station::build(s, &timetable).map_err(|source| LoadError::Station {
                    origin: config.origin.clone(),
                    source,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let advice = match &config.advice_file {
            Some(path) => AdviceTable::load(path)?,
            None => AdviceTable::builtin()?,
        };
        let weather_names = config
            .weather
            .iter()
            .map(|w| (w.id.clone(), w.name.clone()))
            .collect();
        Ok(Deployment {
            config,
            timetable,
            stations,
            loads,
            advice,
            weather_names,
        })
    }

    pub fn station(&self, id: &str) -> Option<(&Station, &StationConfig)> {
        self.stations
            .iter()
            .zip(&self.config.stations)
            .find(|(s, _)| s.id == id)
    }
}

/// The Wi-Fi block of a board: the QR payload follows the de-facto `WIFI:` URI scheme
/// that phone cameras understand (`WIFI:T:WPA;S:ssid;P:password;;`, `T:nopass` and no
/// `P` for an open network).
pub fn wifi(config: &StationConfig) -> Option<Wifi> {
    config.wifi.as_ref().map(|w| {
        let password = w
            .password
            .as_deref()
            .map(|p| format!("P:{};", escape_wifi(p)))
            .unwrap_or_default();
        Wifi {
            ssid: w.ssid.clone(),
            qr_payload: format!(
                "WIFI:T:{};S:{};{password};",
                w.security,
                escape_wifi(&w.ssid)
            ),
            portal_url: w.portal_url.clone(),
        }
    })
}

/// `\`, `;`, `,`, `:` and `"` are escaped with a backslash in `WIFI:` payloads.
fn escape_wifi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | ';' | ',' | ':' | '"') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wifi_payload_escapes_special_characters() {
        assert_eq!(
            escape_wifi(r#"Gare; "Caudry":1"#),
            r#"Gare\; \"Caudry\"\:1"#
        );
    }

    #[test]
    fn wifi_payloads_for_open_and_protected_networks() {
        let config = |security: &str, password: Option<&str>| StationConfig {
            id: "s".into(),
            name: "S".into(),
            timezone: None,
            stops: Default::default(),
            area: None,
            wifi: Some(crate::config::WifiConfig {
                ssid: "Gare, Caudry".into(),
                security: security.into(),
                password: password.map(Into::into),
                portal_url: None,
                venue_info_url: None,
                session_s: None,
                can_extend: false,
            }),
        };
        let open = wifi(&config("nopass", None)).unwrap();
        assert_eq!(open.qr_payload, r"WIFI:T:nopass;S:Gare\, Caudry;;");
        let wpa = wifi(&config("WPA", Some(r"a;b\c"))).unwrap();
        assert_eq!(wpa.qr_payload, r"WIFI:T:WPA;S:Gare\, Caudry;P:a\;b\\c;;");
    }
}
