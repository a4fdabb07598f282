//! Publication: the stage between the domain stores and the hub. It gathers what
//! a station's board is made of (the timetable, the fresh realtime, the notices,
//! the emergency takeover, the advisories, the feeds' freshness), has [`crate::board::build`] make it,
//! and hands it to the [`Hub`], which numbers it and sends the change to
//! subscribers.
//!
//! Boards are published whenever realtime or weather data is accepted, after
//! every notice write, on every REST board request (so a REST board is never
//! older than its request), and once a second (time passing moves departures:
//! one leaves, a new one enters the horizon). A board is built once per change
//! of what it is made of (the stores' versions and the second): publishing
//! again within the same second with nothing changed costs a lookup; a build
//! that changes nothing sends nothing.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::advisory::WeatherStore;
use crate::board::{self, BoardInput};
use crate::clock::Clock;
use crate::deployment::Deployment;
use crate::emergency::Emergencies;
use crate::facility::Facilities;
use crate::feed::FeedIdx;
use crate::freshness::Freshness;
use crate::hub::{Hub, Published, ReplayLimits};
use crate::metrics::Metrics;
use crate::notice::Notices;
use crate::realtime::{RealtimeStore, RealtimeView};
use crate::timetable::Table;

/// Builds and publishes boards. A cheap handle: clones share everything.
#[derive(Debug, Clone)]
pub struct Boards {
    pub deployment: Arc<Deployment>,
    pub realtime: RealtimeStore,
    pub weather: WeatherStore,
    pub notices: Notices,
    pub emergencies: Emergencies,
    pub facilities: Facilities,
    pub clock: Clock,
    pub hub: Arc<Hub>,
    /// Trips followed on the stream.
    pub followed: Arc<crate::followed::Followed>,
    /// Stops made stations for `/v1/stops/{id}/board`.
    pub stop_stations: Arc<crate::stop_station::StopStations>,
    pub metrics: Arc<Metrics>,
    /// Beats once per round of [`Boards::run`] (the systemd watchdog's proof
    /// of life).
    pub pulse: crate::service_manager::Pulse,
    /// Where the boards come from: built here, or received (an edge node).
    pub origin: Origin,
}

/// Where a node's boards come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Origin {
    /// Built here from the stores (a single process, an ingest node).
    #[default]
    Built,
    /// Received from the ingest node over NATS (an edge node,
    /// [`crate::edge`]).
    Received,
}

impl Boards {
    /// A publisher for `deployment` with empty stores and a new hub (replay
    /// limits from `[stream]`); the deployment's search index is built from
    /// here on, on a thread of its own ([`Deployment::index_search`]).
    pub fn new(deployment: Arc<Deployment>, clock: Clock) -> Boards {
        deployment.index_search();
        let stream = deployment.stream;
        let limits = ReplayLimits {
            deltas: stream.replay_deltas,
            age: stream.replay_age,
        };
        let hub = Hub::new(deployment.stations.iter().map(|s| s.id.clone()), limits);
        Boards {
            deployment,
            realtime: RealtimeStore::default(),
            weather: WeatherStore::default(),
            notices: Notices::default(),
            emergencies: Emergencies::default(),
            facilities: Facilities::default(),
            clock,
            hub: Arc::new(hub),
            followed: Arc::new(crate::followed::Followed::new(limits)),
            stop_stations: Arc::default(),
            metrics: Arc::new(Metrics::default()),
            pulse: crate::service_manager::Pulse::default(),
            origin: Origin::Built,
        }
    }

    /// What works followed trips out, over the current stores.
    pub fn trip_views(&self) -> crate::followed::TripViews {
        crate::followed::TripViews {
            deployment: self.deployment.clone(),
            realtime: self.realtime.clone(),
            notices: self.notices.clone(),
            clock: self.clock,
            followed: self.followed.clone(),
        }
    }

    /// The freshness of every feed, as boards and `/healthz` report it.
    pub fn freshness(&self) -> Freshness {
        Freshness {
            deployment: self.deployment.clone(),
            realtime: self.realtime.clone(),
            clock: self.clock,
        }
    }

    /// Builds the station's board now and publishes it (a new `seq` and a delta to
    /// subscribers if it changed); returns the board as published, or None for an
    /// unknown station.
    /// On an edge node: the last board received.
    pub fn publish(&self, station_id: &str) -> Option<Published> {
        if self.origin == Origin::Received {
            return self.hub.current(station_id);
        }
        let d = &self.deployment;
        let station = d.station(station_id)?;
        // A board depends on the stores and on the second it is built in (its
        // instants are whole seconds): the same versions in the same second
        // make the same board, so it is built once and shared.
        let now = chrono::SubsecRound::trunc_subsecs(self.clock.now(), 0);
        let inputs = {
            use std::hash::{Hash, Hasher as _};
            let mut h = std::hash::DefaultHasher::new();
            (
                self.realtime.version(),
                self.weather.version(),
                self.notices.version(),
                self.emergencies.version(),
                self.facilities.version(),
                now.timestamp(),
            )
                .hash(&mut h);
            h.finish()
        };
        self.hub.publish_with(station_id, inputs, || {
            let realtime = self.realtime_views(now);
            Metrics::count(&self.metrics.boards_built);
            let advisories = station
                .area
                .as_ref()
                .map(|place| {
                    self.weather.advisories(place, now, &d.advice, &|source| {
                        d.weather_name(source).map(str::to_string)
                    })
                })
                .unwrap_or_default();
            let operator_notices = self.notices.all();
            let emergency = self.emergencies.at(station_id, now);
            let facilities = crate::facility::shown::at_station(d, &self.facilities, station, now);
            let equipment =
                crate::facility::equipment::notices_at(d, &self.facilities, station, now);
            board::build(&BoardInput {
                feeds: &d.feeds,
                station,
                now,
                limit: d.board.max_limit,
                settings: d.board,
                realtime: &realtime,
                feed_statuses: self.freshness().statuses(),
                advisories,
                operator_notices: &operator_notices,
                emergency: emergency.as_deref(),
                facilities,
                equipment,
                route: None,
            })
        })
    }

    /// The board of `station` now, made on demand by the boards' rules (no
    /// weather advice, facilities or takeover: those are a published
    /// board's), its first `limit` departures, of line `route` only if given.
    pub fn board_now(
        &self,
        station: &crate::station::Station,
        limit: usize,
        route: Option<(FeedIdx, &str)>,
    ) -> crate::board::Board {
        let d = &self.deployment;
        let now = chrono::SubsecRound::trunc_subsecs(self.clock.now(), 0);
        let realtime = self.realtime_views(now);
        let operator_notices = self.notices.all();
        crate::board::build(&crate::board::BoardInput {
            feeds: &d.feeds,
            station,
            now,
            limit,
            settings: d.board,
            realtime: &realtime,
            feed_statuses: self.freshness().statuses(),
            advisories: Vec::new(),
            operator_notices: &operator_notices,
            emergency: None,
            facilities: Vec::new(),
            equipment: Vec::new(),
            route,
        })
    }

    /// Each feed's fresh realtime at `now` (an empty view without realtime).
    pub fn realtime_views(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Table<FeedIdx, RealtimeView> {
        self.deployment
            .feeds
            .iter()
            .map(|f| self.realtime.get(&f.id).view(&f.config, now))
            .collect()
    }

    /// Works the followed trips out again once a second, off the async
    /// workers (thousands of runs take a while), until `cancel` fires.
    pub async fn run_trips(self, cancel: CancellationToken) {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                _ = tick.tick() => {}
            }
            let views = self.trip_views();
            if tokio::task::spawn_blocking(move || views.refresh())
                .await
                .is_err()
            {
                break;
            }
        }
    }

    /// Publishes every station (see [`Boards::publish`]).
    pub fn publish_all(&self) {
        for station in &self.deployment.stations {
            self.publish(station.id.as_str());
        }
    }

    /// Republishes the boards whenever realtime or weather data is accepted and
    /// once a second, until `cancel` fires.
    pub async fn run(self, cancel: CancellationToken) {
        let mut realtime = self.realtime.subscribe();
        let mut weather = self.weather.subscribe();
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                changed = realtime.changed() => if changed.is_err() { break },
                changed = weather.changed() => if changed.is_err() { break },
                _ = tick.tick() => {}
            }
            self.publish_all();
            self.pulse.beat();
        }
    }
}
