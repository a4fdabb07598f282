//! Facilities described and counted by documents that operators publish:
//! DATEX II parking tables and statuses ([`datex2`], v2.3 and v3), ParkAPI
//! and Sensade JSON ([`parkapi`]), SIRI Facility Monitoring ([`siri_fm`]),
//! GBFS bike-share stations ([`gbfs`]) and the national carpool-area base
//! (BNLC, [`bnlc`]). Each parser turns its document into [`Report`]s; the
//! [`poller`] fetches them on the realtime feeds' discipline and hands them
//! to the facilities' state.

pub mod bnlc;
pub mod datex2;
pub mod gbfs;
pub mod parkapi;
pub mod poller;
pub mod siri_fm;

use chrono::{DateTime, Utc};
use quai_protocol::FacilityKind;

/// What a document says of one facility: its definition (name, kind,
/// place, capacity), its live state (free, occupied, open), or both. A
/// missing field is not known from this document.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Report {
    /// The publisher's id of the facility.
    pub id: String,
    pub name: Option<String>,
    pub kind: Option<FacilityKind>,
    /// WGS 84 latitude and longitude.
    pub position: Option<(f64, f64)>,
    pub capacity: Option<u32>,
    pub capacity_pmr: Option<u32>,
    pub capacity_ev: Option<u32>,
    /// Places free now (bike share: vehicles to rent).
    pub free: Option<u32>,
    pub occupied: Option<u32>,
    pub opening: Opening,
    /// The publisher says there is no free place (its own threshold).
    pub full: bool,
    /// When the state was measured; None: when the document was fetched.
    pub at: Option<DateTime<Utc>>,
    /// Bike share: vehicles to rent per vehicle type id.
    pub vehicle_types: Vec<(String, u32)>,
    /// A lift, an escalator (SIRI Facility Monitoring's `AccessFacility`):
    /// not a place to park but a way through the station; boards show it
    /// as a notice while it is out of service (`crate::facility::equipment`).
    pub equipment: Option<AccessEquipment>,
    /// What the publisher says of its state, in its language
    /// (`FacilityStatus/Description` with its `xml:lang`).
    pub condition: Option<(String, String)>,
}

/// Equipment for step-free access, as IFOPT's `AccessFacility` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AccessEquipment {
    /// `lift`, `wheelchairLift`, `stairLift`.
    Lift,
    Escalator,
    /// A moving walkway.
    Travelator,
    /// `ramp`, `automaticRamp`.
    Ramp,
    /// Another access feature (`slidingStep`, `validator`…).
    Other,
}

impl AccessEquipment {
    /// IFOPT's `AccessFacilityEnumeration` value (trimmed: the CEN example
    /// writes `<AccessFacility> lift</AccessFacility>`); None for `unknown`.
    pub fn from_ifopt(value: &str) -> Option<AccessEquipment> {
        Some(match value.trim() {
            "" | "unknown" => return None,
            "lift" | "wheelchairLift" | "stairLift" => AccessEquipment::Lift,
            "escalator" => AccessEquipment::Escalator,
            "travelator" => AccessEquipment::Travelator,
            "ramp" | "automaticRamp" => AccessEquipment::Ramp,
            _ => AccessEquipment::Other,
        })
    }
}

/// Whether the publisher says the facility is open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Opening {
    Open,
    Closed,
    #[default]
    Unknown,
}

/// Why a document gave nothing.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error(transparent)]
    Xml(#[from] crate::sources::xml::XmlError),
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("not CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("{0}")]
    Shape(String),
}

impl DocumentError {
    fn shape(what: impl Into<String>) -> DocumentError {
        DocumentError::Shape(what.into())
    }
}

/// Most facilities taken from one document.
pub const MAX_FACILITIES: usize = 20_000;

/// The definitions with each status laid over the definition of the same id.
/// A status whose id no definition has is kept as it is (some publishers
/// send one document); the second value counts them.
pub fn merge(definitions: Vec<Report>, statuses: Vec<Report>) -> (Vec<Report>, usize) {
    // A definition written twice is kept once (the first).
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut out: Vec<Report> = Vec::with_capacity(definitions.len());
    for d in definitions {
        if !index.contains_key(&d.id) {
            index.insert(d.id.clone(), out.len());
            out.push(d);
        }
    }
    let mut unattached = 0;
    for s in statuses {
        match index.get(&s.id) {
            Some(&i) => out[i].overlay(s),
            None => {
                unattached += 1;
                index.insert(s.id.clone(), out.len());
                out.push(s);
            }
        }
    }
    (out, unattached)
}

impl Report {
    /// Takes what `s` knows over what this report knows.
    fn overlay(&mut self, s: Report) {
        self.name = s.name.or(self.name.take());
        self.kind = s.kind.or(self.kind);
        self.position = s.position.or(self.position);
        self.capacity = s.capacity.filter(|c| *c > 0).or(self.capacity);
        self.capacity_pmr = s.capacity_pmr.or(self.capacity_pmr);
        self.capacity_ev = s.capacity_ev.or(self.capacity_ev);
        self.free = s.free;
        self.occupied = s.occupied;
        self.opening = s.opening;
        self.full = s.full;
        self.at = s.at;
        self.vehicle_types = s.vehicle_types;
    }
}

/// A publisher's id as Quai keeps it: trimmed, 1 to 200 characters, no
/// control character (it goes into XML exports and URLs).
fn clean_id(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty() && t.chars().count() <= 200 && !t.chars().any(char::is_control))
        .then(|| t.to_string())
}

/// A count as publishers write it: a whole number, sometimes as a decimal
/// (`"12.0"`); negative or absurd counts are not counts.
fn count(text: &str) -> Option<u32> {
    let t = text.trim();
    t.parse::<u32>().ok().or_else(|| {
        t.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f <= 1e7)
            .map(|f| f as u32)
    })
}

/// A latitude and longitude, if both are numbers on the globe.
fn position(lat: Option<f64>, lon: Option<f64>) -> Option<(f64, f64)> {
    let (lat, lon) = (lat?, lon?);
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) && (lat, lon) != (0.0, 0.0))
        .then_some((lat, lon))
}

/// An RFC 3339 instant.
fn instant(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_lie_over_definitions_and_strays_are_counted() {
        let def = |id: &str, cap| Report {
            id: id.into(),
            name: Some(format!("P {id}")),
            capacity: Some(cap),
            ..Report::default()
        };
        let status = |id: &str, free| Report {
            id: id.into(),
            free: Some(free),
            capacity: Some(0),
            opening: Opening::Open,
            ..Report::default()
        };
        let (all, unattached) = merge(
            vec![def("a", 10), def("b", 20)],
            vec![status("b", 3), status("z", 1)],
        );
        assert_eq!(unattached, 1);
        assert_eq!(all.len(), 3);
        assert_eq!(
            (all[1].capacity, all[1].free, all[1].name.as_deref()),
            (Some(20), Some(3), Some("P b")),
            "a zero capacity in a status does not erase the table's"
        );
        assert_eq!(all[0].free, None);
        assert_eq!(count("12.0"), Some(12));
        assert_eq!(count("-1"), None);
        assert_eq!(position(Some(0.0), Some(0.0)), None);
    }
}
