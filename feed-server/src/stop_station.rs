//! A board for any stop of a feed, not only the configured stations
//! (`GET /v1/stops/{id}/board`): what the passenger app shows for a stop a
//! search found. The stop (with its platforms, when it is a parent station)
//! is made a station of its own on first ask, and kept: at most
//! [`KEPT`] such stations, the oldest forgotten first (each holds the index
//! of its departures, built from the feed's stop times).

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use crate::config::StationConfig;
use crate::feed::Feeds;
use crate::id::StationId;
use crate::station::{Station, StationError};

/// Stations made of one stop kept at once (the least recently asked go).
pub const KEPT: usize = 256;

/// The station id of a stop's stand-in station (put back to the stop's id on
/// the board): an id no configuration would give a station.
const STAND_IN: &str = "x-quai-stop-board";

/// Why there is no board for a stop id.
#[derive(Debug, thiserror::Error)]
pub enum StopError {
    #[error("`{0}` is not a stop id (feed:stop_id)")]
    NotAStopId(String),
    #[error("no feed has the id `{0}`")]
    UnknownFeed(String),
    #[error("feed `{feed}` has no stop `{stop}`")]
    UnknownStop { feed: String, stop: String },
    #[error("{0}")]
    Station(#[from] StationError),
}

/// The stations made of one stop so far.
#[derive(Debug, Default)]
pub struct StopStations {
    kept: Mutex<VecDeque<(String, Arc<Station>)>>,
}

impl StopStations {
    /// The station made of stop `id` (`{feed}:{stop_id}`).
    pub fn get(&self, feeds: &Feeds, id: &str) -> Result<Arc<Station>, StopError> {
        {
            let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(i) = kept.iter().position(|(k, _)| k == id) {
                // Asked again: the last to be forgotten.
                if let Some(hit) = kept.remove(i) {
                    let station = hit.1.clone();
                    kept.push_back(hit);
                    return Ok(station);
                }
            }
        }
        let (feed_id, stop_id) = id
            .split_once(':')
            .filter(|(f, s)| !f.is_empty() && !s.is_empty())
            .ok_or_else(|| StopError::NotAStopId(id.to_string()))?;
        let (_, feed) = feeds
            .find(feed_id)
            .ok_or_else(|| StopError::UnknownFeed(feed_id.to_string()))?;
        let stop = feed
            .timetable
            .stop_index(stop_id)
            .ok_or_else(|| StopError::UnknownStop {
                feed: feed_id.to_string(),
                stop: stop_id.to_string(),
            })?;
        let name = feed.timetable.stop_name(stop).to_string();
        // A station id is only a-z, 0-9, '-' and '_': the board's station
        // id is put back to the stop's by the caller.
        let station_id: StationId = STAND_IN
            .parse()
            .map_err(|_| StopError::NotAStopId(id.into()))?;
        let config = StationConfig {
            id: station_id,
            name,
            timezone: None,
            stops: BTreeMap::from([(feed.id.clone(), vec![stop_id.to_string()])]),
            wifi: None,
            area: None,
            arrivals: false,
        };
        let station = Arc::new(Station::build(&config, feeds)?);
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        // Built twice at once: kept once.
        if !kept.iter().any(|(k, _)| k == id) {
            if kept.len() >= KEPT {
                kept.pop_front();
            }
            kept.push_back((id.to_string(), station.clone()));
        }
        Ok(station)
    }
}
