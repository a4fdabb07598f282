//! GTFS-Realtime VehiclePositions: which vehicle is standing at which stop.

use std::collections::HashMap;

use chrono::NaiveDate;
use gtfs_realtime::{FeedEntity, FeedMessage};

use super::trip_updates::parse_date;

/// `VehicleStopStatus.STOPPED_AT`.
const STOPPED_AT: i32 = 1;

/// Where a trip's vehicle is, as far as boards and trip views care.
#[derive(Debug, Clone, PartialEq)]
pub struct VehicleState {
    pub start_date: Option<NaiveDate>,
    /// The run's `start_time` (seconds of the service day), which tells the
    /// instances of a frequency-based trip apart.
    pub start_time: Option<u32>,
    pub stop_id: Option<String>,
    pub stop_sequence: Option<u32>,
    /// The vehicle is standing at `stop_id` (doors open): passengers can board.
    pub stopped: bool,
    /// WGS 84 latitude and longitude, when given.
    pub position: Option<(f64, f64)>,
    /// When the vehicle measured it (POSIX seconds).
    pub timestamp: Option<u64>,
    /// How full it is (`occupancy_status`), when said.
    pub occupancy: Option<quai_protocol::Occupancy>,
}

/// `OccupancyStatus` as the wire says it; no data (7) and not boardable (8)
/// say nothing of how full it is.
pub fn occupancy(status: Option<i32>) -> Option<quai_protocol::Occupancy> {
    use quai_protocol::Occupancy as O;
    match status? {
        0 => Some(O::Empty),
        1 => Some(O::ManySeatsAvailable),
        2 => Some(O::FewSeatsAvailable),
        3 => Some(O::StandingRoomOnly),
        4 => Some(O::CrushedStandingRoomOnly),
        5 => Some(O::Full),
        6 => Some(O::NotAcceptingPassengers),
        _ => None,
    }
}

#[derive(Debug, Default, Clone)]
pub struct Vehicles {
    by_trip: HashMap<String, Vec<VehicleState>>,
    pub entity_count: usize,
    /// The vehicle entities of known trips as received, passed through by the
    /// GTFS-RT export.
    pub entities: Vec<FeedEntity>,
}

impl Vehicles {
    /// Every vehicle of `message`.
    pub fn from_message(message: &FeedMessage) -> Vehicles {
        Vehicles::from_entities(message.entity.iter().cloned(), |_| true)
    }

    /// The vehicles of trips `known_trip` knows (what boards and the export
    /// use), from entities decoded one at a time.
    pub fn from_entities(
        entities: impl IntoIterator<Item = FeedEntity>,
        known_trip: impl Fn(&str) -> bool,
    ) -> Vehicles {
        let mut out = Vehicles::default();
        for entity in entities {
            let Some(v) = entity.vehicle.as_ref().filter(|_| !entity.is_deleted()) else {
                continue;
            };
            out.entity_count += 1;
            let Some(trip) = &v.trip else { continue };
            let Some(trip_id) = trip.trip_id.clone().filter(|t| known_trip(t)) else {
                continue;
            };
            out.by_trip.entry(trip_id).or_default().push(VehicleState {
                start_date: trip.start_date.as_deref().and_then(parse_date),
                start_time: trip
                    .start_time
                    .as_deref()
                    .and_then(crate::timetable::gtfs_time::parse_time),
                stop_id: v.stop_id.clone().filter(|s| !s.is_empty()),
                stop_sequence: v.current_stop_sequence,
                // An absent status is unknown, not the protobuf default.
                stopped: v.current_status == Some(STOPPED_AT),
                position: v
                    .position
                    .as_ref()
                    // f32 on the wire: kept as written, not with the
                    // float's binary tail.
                    .map(|p| (as_written(p.latitude), as_written(p.longitude)))
                    .filter(|(lat, lon)| {
                        lat.is_finite()
                            && lon.is_finite()
                            && (-90.0..=90.0).contains(lat)
                            && (-180.0..=180.0).contains(lon)
                            && (*lat, *lon) != (0.0, 0.0)
                    }),
                timestamp: v.timestamp,
                occupancy: occupancy(v.occupancy_status),
            });
            out.entities.push(entity);
        }
        out
    }

    /// The vehicle of the run of `trip_id` on `service_day` (the instance
    /// starting at `start_time`, for a frequency-based trip), if one
    /// reported. `undated` says whether a report without a date may be of
    /// this run (a run near now).
    pub fn of_trip(
        &self,
        trip_id: &str,
        service_day: NaiveDate,
        start_time: Option<u32>,
        undated: bool,
    ) -> Option<&VehicleState> {
        self.by_trip.get(trip_id)?.iter().find(|v| {
            v.start_date.map_or(undated, |d| d == service_day)
                && (start_time.is_none() || v.start_time.is_none_or(|s| Some(s) == start_time))
        })
    }

    /// Whether the vehicle of `trip_id` on `service_day` stands at the stop with
    /// `stop_id` / `stop_sequence`.
    pub fn stopped_at(
        &self,
        trip_id: &str,
        service_day: NaiveDate,
        stop_id: &str,
        stop_sequence: u32,
    ) -> bool {
        self.by_trip.get(trip_id).is_some_and(|states| {
            states.iter().any(|v| {
                v.stopped
                    && v.start_date.is_none_or(|d| d == service_day)
                    && (v.stop_sequence == Some(stop_sequence)
                        || (v.stop_sequence.is_none() && v.stop_id.as_deref() == Some(stop_id)))
            })
        })
    }
}

/// A WGS 84 degree from an f32 as the producer wrote it: the shortest
/// decimal that reads back as that f32 (50.1372, not 50.13719940185547).
fn as_written(degrees: f32) -> f64 {
    degrees
        .to_string()
        .parse()
        .unwrap_or_else(|_| f64::from(degrees))
}
