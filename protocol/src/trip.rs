//! A line and a trip, as the kiosk and the passenger app show them:
//! `GET /v1/routes/{id}` and `GET /v1/trips/{id}`.

use serde::{Deserialize, Serialize};

use crate::{DepartureStatus, Mode, Notice, RouteRef};

/// `GET /v1/routes/{id}`: a line, its stops in order per direction, the
/// notices on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteDetail {
    /// `{feed}:{route_id}`, as asked.
    pub id: String,
    pub mode: Mode,
    pub route: RouteRef,
    /// The stops of each direction, in order (the longest stopping pattern
    /// of that direction).
    pub directions: Vec<RouteDirection>,
    /// Disruptions on the line, its trips or its stops, most severe first.
    pub notices: Vec<Notice>,
}

/// One direction of a line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteDirection {
    /// GTFS `direction_id` (0 or 1); null when the feed gives none.
    pub direction_id: Option<u8>,
    /// Where it goes (the most common destination of its trips).
    pub headsign: String,
    pub stops: Vec<RouteStop>,
}

/// A stop a line serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteStop {
    /// `{feed}:{stop_id}`.
    pub stop_id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
}

/// `GET /v1/stations/{id}/routes`: the lines that leave from a station, by
/// the timetable (not only those on its board now).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StationRoutes {
    pub station: crate::StationRef,
    pub routes: Vec<StationRoute>,
}

/// One line leaving from a station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StationRoute {
    /// `{feed}:{route_id}`, for `GET /v1/routes/{id}`.
    pub id: String,
    pub mode: Mode,
    pub route: RouteRef,
}

/// `GET /v1/search?q=…`: places whose names match, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    pub query: String,
    pub results: Vec<Place>,
}

/// A place one can look for: a station of the configuration, a stop or a
/// line of a feed, with where its live departures are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Place {
    Station {
        id: String,
        name: String,
        /// `/v1/stations/{id}/board`.
        board: String,
    },
    Stop {
        /// `{feed}:{stop_id}`.
        id: String,
        name: String,
        /// The configured station it belongs to, if any.
        station: Option<String>,
        /// The station's board, else `/v1/stops/{id}/board`.
        board: String,
    },
    Line {
        /// `{feed}:{route_id}`, for `GET /v1/routes/{id}`.
        id: String,
        name: String,
        mode: Mode,
        route: RouteRef,
    },
}

/// `GET /v1/routes/{id}/departures?station=…`: the line's next departures
/// from a station, as its board has them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteDepartures {
    /// The line id, as asked.
    pub route: String,
    pub station: crate::StationRef,
    /// The station board's `seq` and time these come from.
    pub seq: u64,
    pub generated_at: String,
    pub departures: Vec<crate::Departure>,
}

/// `GET /v1/trips/{id}`: one run of a trip, every call with its times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trip {
    /// The departure id asked for (`{feed}:{trip}:{YYYYMMDD}:{sequence}`).
    pub id: String,
    pub mode: Mode,
    pub route: RouteRef,
    pub headsign: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trip_number: Option<String>,
    /// The service day, `YYYY-MM-DD`.
    pub service_day: String,
    /// The whole trip is cancelled.
    pub cancelled: bool,
    /// Some realtime information speaks of this trip.
    pub realtime: bool,
    pub calls: Vec<TripCall>,
    /// Where the vehicle is, when the feed says.
    pub vehicle: Option<VehicleProgress>,
    /// Disruptions on the trip, its line or its stops, most severe first.
    pub notices: Vec<Notice>,
    /// RFC 3339, the timezone of the trip's feed.
    pub generated_at: String,
}

/// One call of a trip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TripCall {
    /// This call as a departure (the id boards give it).
    pub departure_id: String,
    pub stop_sequence: u32,
    /// `{feed}:{stop_id}`; the realtime one when the platform changed.
    pub stop_id: String,
    pub stop_name: String,
    pub platform: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub platform_changed: bool,
    /// RFC 3339; null at the first call.
    pub scheduled_arrival: Option<String>,
    /// RFC 3339; null at the last call.
    pub scheduled_departure: Option<String>,
    /// RFC 3339 when realtime gives one.
    pub expected_arrival: Option<String>,
    pub expected_departure: Option<String>,
    pub delay_s: Option<i64>,
    pub status: DepartureStatus,
}

/// Where a trip's vehicle is along its calls (GTFS-Realtime
/// VehiclePositions): standing at a call, or on its way to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VehicleProgress {
    /// The call it stands at or is on its way to; null when the vehicle
    /// gives only its position.
    pub stop_sequence: Option<u32>,
    /// Standing at that call (doors open), else between the call before and
    /// that one.
    pub stopped: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    /// When the vehicle reported it (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// What changed in a followed trip: applying it to the trip at `prev_seq`
/// gives the trip at `seq`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TripDelta {
    pub trip: String,
    pub seq: u64,
    pub prev_seq: u64,
    /// The calls that changed, whole (a run's calls are fixed: each replaces
    /// the call of the same `stop_sequence`).
    pub calls: Vec<TripCall>,
    /// The trip's `cancelled`, `realtime` and `vehicle` after this change.
    pub cancelled: bool,
    pub realtime: bool,
    pub vehicle: Option<VehicleProgress>,
    /// The trip's notices, whole, when they changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notices: Option<Vec<Notice>>,
    pub generated_at: String,
    pub server_time: String,
}

impl TripDelta {
    /// The delta from `old` to `new` (one run); `seq`s and times are the
    /// caller's.
    pub fn between(
        old: &Trip,
        new: &Trip,
        seq: u64,
        prev_seq: u64,
        server_time: String,
    ) -> TripDelta {
        TripDelta {
            trip: new
                .calls
                .first()
                .map_or_else(|| new.id.clone(), |c| c.departure_id.clone()),
            seq,
            prev_seq,
            calls: new
                .calls
                .iter()
                .filter(|c| !old.calls.contains(c))
                .cloned()
                .collect(),
            cancelled: new.cancelled,
            realtime: new.realtime,
            vehicle: new.vehicle.clone(),
            notices: (old.notices != new.notices).then(|| new.notices.clone()),
            generated_at: new.generated_at.clone(),
            server_time,
        }
    }

    /// Applies it to `trip` (the state at `prev_seq`); a delta of another
    /// run changes nothing.
    pub fn apply(&self, trip: &mut Trip) {
        if trip.id != self.trip {
            return;
        }
        for call in &self.calls {
            match trip
                .calls
                .iter_mut()
                .find(|c| c.stop_sequence == call.stop_sequence)
            {
                Some(c) => *c = call.clone(),
                None => trip.calls.push(call.clone()),
            }
        }
        trip.calls.sort_by_key(|c| c.stop_sequence);
        trip.cancelled = self.cancelled;
        trip.realtime = self.realtime;
        trip.vehicle = self.vehicle.clone();
        if let Some(notices) = &self.notices {
            trip.notices = notices.clone();
        }
        trip.generated_at = self.generated_at.clone();
    }
}
