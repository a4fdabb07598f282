//! Parking counts in JSON, in the shapes ParkAPI deployments serve:
//! - ParkAPI v3 (`{"items": [...]}`: `uid`, `capacity`,
//!   `realtime_free_capacity`, `realtime_opening_status`, `lat`/`lon`...);
//! - ParkAPI v1 (`{"lots": [...]}`: `id`, `total`, `free`, `state`, `coords`);
//! - the P+M (park-and-carpool) lots of Baden-Württemberg that ParkAPI
//!   converts (an array of `{id, name, status, category, capacity: {car,
//!   car_handicap, car_charging...}, free_capacity: {...}, time, location}`);
//! - Sensade's lot list (`[{organizationName, parkingLots: [{id, name,
//!   latitude, longitude}]}]`), a lot's detail (`[{id, name, latitude,
//!   longitude, parkingSpaces: [...]}]`: its places counted) and lot
//!   statuses (`{parkingLotId, parkingLotName, totalSpaceCount,
//!   availableSpaceCount, occupiedSpaceCount}`, one object or an array), the
//!   per-space LoRaWAN sensors behind many P+M lots. Their counts do not
//!   always add up (72 available and 22 occupied of 100): the places in
//!   neither state are kept as unknown, and boards say "at least 72".
//!
//! The shape is recognised from the document; fields that are absent or not
//! numbers are not known.

use serde_json::Value;

use super::{DocumentError, MAX_FACILITIES, Opening, Report, clean_id, count, instant, position};
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
        // Sensade's lot list: organisations and their lots.
        Value::Array(a)
            if !a.is_empty()
                && a.iter()
                    .all(|v| v.get("parkingLots").is_some_and(Value::is_array)) =>
        {
            (
                a.iter().flat_map(|o| array(&o["parkingLots"])).collect(),
                Shape::SensadeLot,
            )
        }
        // A Sensade lot's detail.
        Value::Array(a)
            if !a.is_empty()
                && a.iter()
                    .all(|v| v.get("parkingSpaces").is_some_and(Value::is_array)) =>
        {
            (a.iter().collect(), Shape::SensadeLot)
        }
        // P+M lots: objects with their capacities per vehicle.
        Value::Array(a)
            if a.iter().all(|v| {
                v.get("id").is_some() && v.get("capacity").is_some_and(Value::is_object)
            }) =>
        {
            (a.iter().collect(), Shape::ParkAndCarpool)
        }
        _ => {
            return Err(DocumentError::shape(
                "neither ParkAPI (`items` or `lots`), a P+M array (`id`, `capacity` per vehicle) nor a Sensade lot status",
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
            Shape::SensadeLot => sensade_lot(v),
            Shape::ParkAndCarpool => park_and_carpool(v),
        })
        .collect())
}

#[derive(Clone, Copy)]
enum Shape {
    V3,
    V1,
    Sensade,
    SensadeLot,
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

fn id(v: &Value, key: &str) -> Option<String> {
    text(v, key).and_then(|t| clean_id(&t))
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
        Some("closed" | "inactive") => Opening::Closed,
        _ => Opening::Unknown,
    }
}

fn v3(v: &Value) -> Option<Report> {
    let id = id(v, "uid").or_else(|| id(v, "id"))?;
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
        ..Report::default()
    })
}

fn v1(v: &Value, updated: Option<chrono::DateTime<chrono::Utc>>) -> Option<Report> {
    let id = id(v, "id")?;
    // `nodata`: the lot's counts are not known now (not closed).
    let state = text(v, "state");
    let no_data = state
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("nodata") || s.eq_ignore_ascii_case("no_data"));
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
        free: number(v, "free").filter(|_| !no_data),
        opening: opening(state),
        at: updated,
        ..Report::default()
    })
}

fn park_and_carpool(v: &Value) -> Option<Report> {
    let id = id(v, "id")?;
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
        ..Report::default()
    })
}

fn sensade_lot(v: &Value) -> Option<Report> {
    Some(Report {
        id: id(v, "id")?,
        name: text(v, "name"),
        kind: Some(FacilityKind::Carpool),
        position: position(float(v, "latitude"), float(v, "longitude")),
        capacity: v
            .get("parkingSpaces")
            .and_then(Value::as_array)
            .and_then(|s| u32::try_from(s.len()).ok()),
        ..Report::default()
    })
}

fn sensade(v: &Value) -> Option<Report> {
    Some(Report {
        id: id(v, "parkingLotId")?,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parkapi_v1_v3_and_what_is_not_parkapi() {
        let v1 = br#"{"last_updated":"2026-03-09T06:28:00","lots":[
            {"id":"a","name":"A","total":100,"free":12,"state":"open","coords":{"lat":50.1,"lng":3.4}},
            {"id":"b","name":"B","total":50,"free":3,"state":"nodata"}]}"#;
        let lots = parse(v1).expect("v1");
        assert_eq!((lots[0].free, lots[0].opening), (Some(12), Opening::Open));
        assert_eq!(
            lots[0].at.map(|t| t.to_rfc3339()),
            Some("2026-03-09T06:28:00+00:00".into())
        );
        // `nodata`: not closed, and its count not taken.
        assert_eq!((lots[1].free, lots[1].opening), (None, Opening::Unknown));
        let v3 = br#"{"items":[{"uid":"p","name":"P+R","park_and_ride_type":["CARPOOL"],
            "capacity":40,"realtime_free_capacity":5,"realtime_opening_status":"CLOSED"}]}"#;
        let items = parse(v3).expect("v3");
        assert_eq!(items[0].kind, Some(FacilityKind::Carpool));
        assert_eq!(
            (items[0].free, items[0].opening),
            (Some(5), Opening::Closed)
        );
        // An array of something else is refused, not read as no lot.
        assert!(parse(br#"[{"name":"x"}]"#).is_err());
        assert!(parse(br#"[{"id":"x","capacity":12}]"#).is_err());
        // An id with a control character is no id.
        let bad = parse(br#"{"items":[{"uid":"a\u0001b","capacity":1}]}"#).expect("parsed");
        assert!(bad.is_empty());
    }
}
