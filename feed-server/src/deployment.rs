//! A loaded deployment: every feed fetched, parsed and compiled (the [`Feeds`]
//! registry), every station resolved against them, the advice table, and the
//! settings the server runs with. This is what `serve` serves and what `check`
//! reports on; it does not change once loaded.

use std::sync::Arc;

use crate::advisory::AdviceTable;
use crate::config::{BoardSettings, Config, ServerSettings, StreamSettings, WeatherSource};
use crate::feed::{Feed, Feeds, LoadProgress};
use crate::id::SourceId;
use crate::search::Search;
use crate::sources::gtfs_static::FeedError;
use crate::station::{Station, StationError};
use crate::timetable::TimetableCache;

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

#[derive(Debug)]
pub struct Deployment {
    /// Where the configuration came from, for messages.
    pub origin: String,
    pub feeds: Feeds,
    pub stations: Vec<Station>,
    pub weather: Vec<WeatherSource>,
    /// What to tell passengers for each weather warning.
    pub advice: AdviceTable,
    pub server: ServerSettings,
    pub board: BoardSettings,
    pub stream: StreamSettings,
    /// Notice writes one operator may make per minute.
    pub notice_writes_per_minute: usize,
    /// Wrong operator tokens one address may send per minute.
    pub auth_failures_per_minute: usize,
    /// Carpool areas, car parks and bike share, and who pushes their sensors.
    pub facilities: Vec<crate::config::FacilityConfig>,
    pub sensor_integrations: Vec<crate::config::SensorIntegration>,
    pub facility_sources: Vec<crate::config::FacilitySource>,
    /// Stations, stops and lines by name (`GET /v1/search`), built once the
    /// deployment serves ([`Deployment::index_search`]).
    pub search: Search,
    /// `[push]`: Web Push alerts, when a contact is configured.
    pub push: Option<crate::config::PushSettings>,
    /// `[screens]`: how the fleet's screens are judged.
    pub screens: crate::config::ScreenSettings,
}

impl Deployment {
    /// Fetches and compiles every feed, then resolves the stations. `now` stamps the
    /// loads (the server's clock, which `--now` may move).
    pub async fn load(
        config: Config,
        now: impl Fn() -> chrono::DateTime<chrono::Utc>,
        progress: &(dyn LoadProgress + Send),
    ) -> Result<Deployment, LoadError> {
        Deployment::load_cached(config, now, progress, None).await
    }

    /// The same, reading unchanged feeds' compiled timetables from `cache` (and
    /// keeping those it compiles there).
    pub async fn load_cached(
        config: Config,
        now: impl Fn() -> chrono::DateTime<chrono::Utc>,
        progress: &(dyn LoadProgress + Send),
        cache: Option<&TimetableCache>,
    ) -> Result<Deployment, LoadError> {
        let mut feeds = Vec::with_capacity(config.feeds.len());
        for feed in config.feeds {
            feeds.push(Feed::load_cached(feed, now(), progress, cache).await?);
        }
        let feeds = Feeds::new(feeds);
        let stations = config
            .stations
            .iter()
            .map(|s| {
                Station::build(s, &feeds).map_err(|source| LoadError::Station {
                    origin: config.origin.clone(),
                    source,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let advice = match &config.advice_file {
            Some(path) => AdviceTable::load(path)?,
            None => AdviceTable::builtin()?,
        };
        Ok(Deployment {
            origin: config.origin,
            search: Search::default(),
            feeds,
            stations,
            weather: config.weather,
            advice,
            server: config.server,
            board: config.board,
            stream: config.stream,
            notice_writes_per_minute: config.notice_writes_per_minute,
            auth_failures_per_minute: config.auth_failures_per_minute,
            facilities: config.facilities,
            sensor_integrations: config.sensor_integrations,
            facility_sources: config.facility_sources,
            push: config.push,
            screens: config.screens,
        })
    }

    /// Builds the search index on a thread of its own, so that the first
    /// board does not wait for it (searches asked meanwhile wait); here, when
    /// no thread can be started. [`crate::publish::Boards::new`] calls it, for
    /// every server.
    pub fn index_search(self: &Arc<Self>) {
        let deployment = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("search-index".into())
            .spawn(move || {
                deployment
                    .search
                    .build(&deployment.feeds, &deployment.stations)
            });
        if spawned.is_err() {
            self.search.build(&self.feeds, &self.stations);
        }
    }

    pub fn station(&self, id: &str) -> Option<&Station> {
        self.stations.iter().find(|s| s.id == *id)
    }

    /// The name advisories of weather source `id` show as their source.
    pub fn weather_name(&self, id: &SourceId) -> Option<&str> {
        self.weather
            .iter()
            .find(|w| w.id == *id)
            .map(|w| w.name.as_str())
    }
}
