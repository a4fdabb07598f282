//! Parking counts in JSON, in the shapes ParkAPI deployments serve:
//! - ParkAPI v3 (`{"items": [...]}`: `uid`, `capacity`,
//!   `realtime_free_capacity`, `realtime_opening_status`, `lat`/`lon`...);
//! - ParkAPI v1 (`{"lots": [...]}`: `id`, `total`, `free`, `state`, `coords`);
//! - the P+M (park-and-carpool) lots of Baden-Württemberg that ParkAPI
//!   converts (an array of `{id, name, status, category, capacity: {car,
//!   car_handicap, car_charging...}, free_capacity: {...}, time, location}`);
//! - Sensade lot statuses (`{parkingLotId, parkingLotName, totalSpaceCount,
//!   availableSpaceCount, occupiedSpaceCount}`, one object or an array), the
//!   per-space LoRaWAN sensors behind many P+M lots. Their counts do not
//!   always add up (72 available and 22 occupied of 100): the places in
//!   neither state are kept as unknown, and boards say "at least 72".
//!
//! The shape is recognised from the document; fields that are absent or not
//! numbers are not known.

use serde_json::Value;

use super::{DocumentError, MAX_FACILITIES, Opening, Report, count, instant, position};
use quai_protocol::FacilityKind;

/// Parses a ParkAPI, P+M or Sensade document.
pub fn parse(bytes: &[u8]) -> Result<Vec<Report>, DocumentError> {
    let doc: Value = serde_json::from_slice(bytes)?;
    let (items, shape): (Vec<&Value>, Shape) = match &doc {
        Value::Object(o) if o.get("items").is_some_and(Value::is_array) => {
            (array(&o["items"]), Shape::V3)
        }
        Value::Object(o) if o.get("lots").is_some_and(Value::is_array) => {
            (array(&o["lots"]), Shape::V1)
        }
        Value::Object(o) if o.contains_key("parkingLotId") => (vec![&doc], Shape::Sensade),
        Value::Array(a) if a.iter().any(|v| v.get("parkingLotId").is_some()) => {
            (a.iter().collect(), Shape::Sensade)
        }
        Value::Array(a) => (a.iter().collect(), Shape::ParkAndCarpool),
        _ => {
            return Err(DocumentError::shape(
                "neither ParkAPI (`items` or `lots`), a P+M array nor a Sensade lot status",
            ));
        }
    };
    if items.len() > MAX_FACILITIES {
        return Err(DocumentError::shape(format!(
            "more than {MAX_FACILITIES} lots"
        )));
    }
    let updated = doc
        .get("last_updated")
        .and_then(Value::as_str)
        .and_then(loose_instant);
    Ok(items
        .into_iter()
        .filter_map(|v| match shape {
            Shape::V3 => v3(v),
            Shape::V1 => v1(v, updated),
            Shape::Sensade => sensade(v),
            Shape::ParkAndCarpool => park_and_carpool(v),
        })
        .collect())
}

#[derive(Clone, Copy)]
enum Shape {
    V3,
    V1,
    Sensade,
    ParkAndCarpool,
}

fn array(v: &Value) -> Vec<&Value> {
    v.as_array().map(|a| a.iter().collect()).unwrap_or_default()
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number(v: &Value, key: &str) -> Option<u32> {
    match v.get(key)? {
        Value::Number(n) => count(&n.to_string()),
        Value::String(s) => count(s),
        _ => None,
    }
}

fn float(v: &Value, key: &str) -> Option<f64> {
    match v.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// RFC 3339, or the same without an offset (ParkAPI v1 writes UTC so).
fn loose_instant(t: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    instant(t).or_else(|| {
        chrono::NaiveDateTime::parse_from_str(t.trim(), "%Y-%m-%dT%H:%M:%S%.f")
            .ok()
            .map(|n| n.and_utc())
    })
}

fn opening(word: Option<String>) -> Opening {
    match word.map(|w| w.to_ascii_lowercase()).as_deref() {
        Some("open" | "active") => Opening::Open,
        Some("closed" | "inactive" | "nodata" | "no_data") => Opening::Closed,
        _ => Opening::Unknown,
    }
}

fn v3(v: &Value) -> Option<Report> {
    let id = text(v, "uid").or_else(|| text(v, "id"))?;
    let kind = match v.get("park_and_ride_type") {
        Some(Value::Array(a)) if a.iter().any(|t| t.as_str() == Some("CARPOOL")) => {
            FacilityKind::Carpool
        }
        Some(Value::Array(a)) if a.iter().any(|t| t.as_str() != Some("NO")) => {
            FacilityKind::ParkAndRide
        }
        _ => FacilityKind::CarPark,
    };
    Some(Report {
        id,
        name: text(v, "name"),
        kind: Some(kind),
        position: position(float(v, "lat"), float(v, "lon")),
        capacity: number(v, "capacity"),
        capacity_pmr: number(v, "capacity_disabled"),
        capacity_ev: number(v, "capacity_charging"),
        free: number(v, "realtime_free_capacity"),
        occupied: None,
        opening: opening(text(v, "realtime_opening_status")),
        full: false,
        at: text(v, "realtime_data_updated_at").and_then(|t| loose_instant(&t)),
        vehicle_types: Vec::new(),
    })
}

fn v1(v: &Value, updated: Option<chrono::DateTime<chrono::Utc>>) -> Option<Report> {
    let id = text(v, "id")?;
    let coords = v.get("coords");
    let kind = match text(v, "lot_type").map(|t| t.to_lowercase()) {
        Some(t) if t.contains("park+ride") || t.contains("p+r") => FacilityKind::ParkAndRide,
        Some(t) if t.contains("p+m") || t.contains("mitfahr") => FacilityKind::Carpool,
        _ => FacilityKind::CarPark,
    };
    Some(Report {
        id,
        name: text(v, "name"),
        kind: Some(kind),
        position: coords.and_then(|c| position(float(c, "lat"), float(c, "lng"))),
        capacity: number(v, "total"),
        free: number(v, "free"),
        opening: opening(text(v, "state")),
        at: updated,
        ..Report::default()
    })
}

fn park_and_carpool(v: &Value) -> Option<Report> {
    let id = text(v, "id")?;
    let capacity = v.get("capacity");
    let free = v.get("free_capacity");
    let car = |o: Option<&Value>, key: &str| o.and_then(|o| number(o, key));
    let location = v.get("location");
    let kind = match text(v, "category").as_deref() {
        Some("P&M") => FacilityKind::Carpool,
        Some("P&R") => FacilityKind::ParkAndRide,
        _ => FacilityKind::CarPark,
    };
    Some(Report {
        id,
        name: text(v, "long_name").or_else(|| text(v, "name")),
        kind: Some(kind),
        position: location.and_then(|l| position(float(l, "lat"), float(l, "lng"))),
        capacity: car(capacity, "car"),
        capacity_pmr: car(capacity, "car_handicap"),
        capacity_ev: car(capacity, "car_charging").filter(|n| *n > 0),
        free: car(free, "car"),
        occupied: None,
        opening: opening(text(v, "status")),
        full: false,
        at: text(v, "time").and_then(|t| loose_instant(&t)),
        vehicle_types: Vec::new(),
    })
}

fn sensade(v: &Value) -> Option<Report> {
    Some(Report {
        id: text(v, "parkingLotId")?,
        name: text(v, "parkingLotName"),
        kind: Some(FacilityKind::Carpool),
        capacity: number(v, "totalSpaceCount"),
        free: number(v, "availableSpaceCount"),
        occupied: number(v, "occupiedSpaceCount"),
        // The lots answer only while live; Sensade statuses carry no time.
        opening: Opening::Open,
        ..Report::default()
    })
}
