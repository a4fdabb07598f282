//! GBFS bike share (versions 2.x and 3.0): `station_information` (name,
//! place, capacity) and `station_status` (vehicles to rent, docks free,
//! renting or not). 2.x writes names as strings and times as POSIX seconds;
//! 3.0 writes names as localized texts and times in RFC 3339. A station's
//! free count is its vehicles to rent: what a passenger looks for.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{DocumentError, MAX_FACILITIES, Opening, Report, clean_id, instant, position};
use quai_protocol::FacilityKind;

/// Which of the two documents it was.
#[derive(Debug)]
pub enum Gbfs {
    Information(Vec<Report>),
    Status(Vec<Report>),
}

/// Parses `station_information.json` or `station_status.json`.
pub fn parse(bytes: &[u8]) -> Result<Gbfs, DocumentError> {
    let doc: Value = serde_json::from_slice(bytes)?;
    let stations = doc
        .get("data")
        .and_then(|d| d.get("stations"))
        .and_then(Value::as_array)
        .ok_or_else(|| DocumentError::shape("no data.stations: not a GBFS station feed"))?;
    if stations.len() > MAX_FACILITIES {
        return Err(DocumentError::shape(format!(
            "more than {MAX_FACILITIES} stations"
        )));
    }
    let updated = doc.get("last_updated").and_then(time);
    let is_status = stations.iter().any(|s| {
        s.get("num_bikes_available").is_some() || s.get("num_vehicles_available").is_some()
    });
    if is_status {
        Ok(Gbfs::Status(
            stations.iter().filter_map(|s| status(s, updated)).collect(),
        ))
    } else {
        Ok(Gbfs::Information(
            stations.iter().filter_map(information).collect(),
        ))
    }
}

/// POSIX seconds (2.x) or RFC 3339 (3.0).
fn time(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0)),
        Value::String(s) => instant(s),
        _ => None,
    }
}

fn id(v: &Value) -> Option<String> {
    v.get("station_id")
        .and_then(Value::as_str)
        .and_then(clean_id)
}

fn whole(v: &Value, key: &str) -> Option<u32> {
    v.get(key)
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
}

/// A plain name (2.x), or the French, else the first, of localized names (3.0).
fn name(v: &Value) -> Option<String> {
    match v.get("name")? {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Array(texts) => {
            let text = |t: &Value| t.get("text").and_then(Value::as_str).map(str::to_string);
            texts
                .iter()
                .find(|t| {
                    t.get("language")
                        .and_then(Value::as_str)
                        .is_some_and(|l| l.starts_with("fr"))
                })
                .and_then(text)
                .or_else(|| texts.first().and_then(text))
        }
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

fn information(v: &Value) -> Option<Report> {
    let float = |k: &str| v.get(k).and_then(Value::as_f64);
    Some(Report {
        id: id(v)?,
        name: name(v),
        kind: Some(FacilityKind::BikeShare),
        position: position(float("lat"), float("lon")),
        capacity: whole(v, "capacity"),
        ..Report::default()
    })
}

fn status(v: &Value, updated: Option<DateTime<Utc>>) -> Option<Report> {
    let id = id(v)?;
    let vehicles = whole(v, "num_vehicles_available").or_else(|| whole(v, "num_bikes_available"));
    let docks = whole(v, "num_docks_available");
    let flag = |k: &str| v.get(k).and_then(Value::as_bool);
    let opening = match (flag("is_installed"), flag("is_renting")) {
        (Some(false), _) | (_, Some(false)) => Opening::Closed,
        (_, Some(true)) => Opening::Open,
        _ => Opening::Unknown,
    };
    let vehicle_types = v
        .get("vehicle_types_available")
        .and_then(Value::as_array)
        .map(|types| {
            types
                .iter()
                .filter_map(|t| {
                    Some((
                        t.get("vehicle_type_id")?.as_str()?.to_string(),
                        whole(t, "count")?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Report {
        id,
        kind: Some(FacilityKind::BikeShare),
        // Without a capacity in the information, vehicles and free docks
        // together are the places of the station.
        capacity: vehicles.zip(docks).map(|(a, b)| a.saturating_add(b)),
        free: vehicles,
        opening,
        at: v.get("last_reported").and_then(time).or(updated),
        vehicle_types,
        ..Report::default()
    })
}
