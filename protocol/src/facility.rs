//! Facilities beside the stations: carpool areas, park-and-ride, car parks and
//! bike-share stations, with how many places are free now.

use serde::{Deserialize, Serialize};

/// What a facility is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FacilityKind {
    Carpool,
    ParkAndRide,
    CarPark,
    BikeShare,
}

/// Whether passengers can use it now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FacilityStatus {
    Open,
    /// No free place.
    Full,
    Closed,
    /// Not enough fresh information to say (sensors silent, a source stale).
    Unknown,
}

/// A facility as boards and `GET /v1/facilities` show it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Facility {
    pub id: String,
    pub name: String,
    pub kind: FacilityKind,
    /// Places in all (bike share: docks); null when its source does not say.
    pub capacity: Option<u32>,
    /// Of which for people with reduced mobility.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_pmr: Option<u32>,
    /// Of which with an electric-vehicle charger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_ev: Option<u32>,
    /// Free places known now (bike share: vehicles to rent); null when
    /// nothing fresh is known.
    pub free: Option<u32>,
    /// Occupied places known now.
    pub occupied: Option<u32>,
    /// Places whose state is not known (a sensor silent for too long).
    pub unknown: u32,
    pub status: FacilityStatus,
    /// The last fresh report (RFC 3339, station timezone on boards).
    pub updated_at: Option<String>,
    /// Bike share: vehicles to rent per vehicle type (GBFS ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vehicle_types: Vec<VehicleTypeCount>,
}

/// Vehicles of one type at a bike-share station.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VehicleTypeCount {
    pub vehicle_type_id: String,
    pub count: u32,
}

/// WGS 84 coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
}

/// One space of a sensor-equipped facility (`GET /v1/facilities/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Space {
    pub label: String,
    /// null: unknown (never reported, or silent past the facility's limit).
    pub occupied: Option<bool>,
    pub updated_at: Option<String>,
}

/// `GET /v1/facilities/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FacilityDetail {
    #[serde(flatten)]
    pub facility: Facility,
    /// The stations whose boards show it.
    pub stations: Vec<String>,
    /// Per-space states, for sensor-equipped facilities (else empty).
    pub spaces: Vec<Space>,
    /// Where it is, when its source says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The facility source (`[[facility_sources]]` id) it comes from; absent
    /// for a facility of the configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}
