//! DATEX II parking: a `ParkingTablePublication` (the sites: name, place,
//! spaces) and a `ParkingStatusPublication` (each site's vacant and occupied
//! spaces, open or closed, when measured).
//!
//! Both versions in use are read, v2.3 (`http://datex2.eu/schema/2/2_0`,
//! often wrapped in a `GenericPublication`, as Germany's Mobilithek serves
//! it: `parkingRecord`, `parkingRecordStatus`) and v3
//! (`http://datex2.eu/schema/3/parking`: `parkingRecord` or, from 3.5, the
//! `hierarchyElementGeneral` places of a table; `parkingStatusInformation`
//! with `fac:reference`, `fac:openingStatus` and `prk:occupancy`). Elements
//! are looked up by local name wherever they are nested.

use super::{DocumentError, MAX_FACILITIES, Opening, Report, count, instant, position};
use crate::sources::xml::{self, Element};
use quai_protocol::FacilityKind;

/// What one DATEX II document held.
#[derive(Debug, Default)]
pub struct Parking {
    /// From `parkingRecord`s (a table).
    pub sites: Vec<Report>,
    /// From `parkingRecordStatus`es (a status publication).
    pub statuses: Vec<Report>,
}

/// Parses a DATEX II document holding a parking table, statuses, or both.
pub fn parse(bytes: &[u8]) -> Result<Parking, DocumentError> {
    let root = xml::parse_with(bytes, 2_000_000)?;
    let mut records = Vec::new();
    root.descendants("parkingRecord", &mut records);
    root.descendants("hierarchyElementGeneral", &mut records);
    let mut statuses = Vec::new();
    root.descendants("parkingRecordStatus", &mut statuses);
    root.descendants("parkingStatusInformation", &mut statuses);
    if records.is_empty() && statuses.is_empty() {
        return Err(DocumentError::shape(format!(
            "<{}> holds no parking record nor status: not a DATEX II parking publication",
            root.name
        )));
    }
    if records.len() + statuses.len() > MAX_FACILITIES {
        return Err(DocumentError::shape(format!(
            "more than {MAX_FACILITIES} parking records"
        )));
    }
    Ok(Parking {
        sites: records.into_iter().filter_map(site).collect(),
        statuses: statuses.into_iter().filter_map(status).collect(),
    })
}

/// The local part of a qualified name (`ns2:UrbanParkingSite`).
fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn attribute<'a>(e: &'a Element, name: &str) -> Option<&'a str> {
    e.attributes
        .iter()
        .find(|(k, _)| local(k) == name)
        .map(|(_, v)| v.as_str())
}

fn first<'a>(e: &'a Element, name: &str) -> Option<&'a Element> {
    let mut found = Vec::new();
    e.descendants(name, &mut found);
    found.into_iter().next()
}

fn first_text(e: &Element, name: &str) -> Option<String> {
    first(e, name)
        .map(|c| c.text.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// A multilingual text: the French value if any, else the first.
fn text_value(e: &Element) -> Option<String> {
    let mut values = Vec::new();
    e.descendants("value", &mut values);
    let pick = values
        .iter()
        .find(|v| attribute(v, "lang").is_some_and(|l| l.starts_with("fr")))
        .or(values.first())?;
    Some(pick.text.trim().to_string()).filter(|t| !t.is_empty())
}

fn site(e: &Element) -> Option<Report> {
    let id = attribute(e, "id")?.trim().to_string();
    if id.is_empty() {
        return None;
    }
    let name = e
        .child("parkingName")
        .or_else(|| e.child("name"))
        .and_then(text_value)
        .or_else(|| e.child("parkingDescription").and_then(text_value));
    let coordinate = |n: &str| first_text(e, n).and_then(|t| t.parse::<f64>().ok());
    let scenario = first_text(e, "parkingUsageScenario").unwrap_or_default();
    let kind = if scenario.to_ascii_lowercase().contains("carpool") {
        FacilityKind::Carpool
    } else if scenario == "parkAndRide" {
        FacilityKind::ParkAndRide
    } else {
        FacilityKind::CarPark
    };
    Some(Report {
        id,
        name,
        kind: Some(kind),
        position: position(coordinate("latitude"), coordinate("longitude")),
        capacity: e.text_of("parkingNumberOfSpaces").and_then(|t| count(&t)),
        ..Report::default()
    })
}

fn status(e: &Element) -> Option<Report> {
    let id = e
        .child("parkingRecordReference")
        .or_else(|| e.child("reference"))
        .and_then(|r| attribute(r, "id"))?
        .trim()
        .to_string();
    if id.is_empty() {
        return None;
    }
    let occupancy = e.child("parkingOccupancy").or_else(|| e.child("occupancy"));
    // v2.3 writes `parkingNumberOfVacantSpaces`, v3 `numberOfVacantSpaces`.
    let number = |n: &str| {
        occupancy
            .and_then(|o| {
                o.text_of(&format!("parkingN{}", &n[1..]))
                    .or_else(|| o.text_of(n))
            })
            .and_then(|t| count(&t))
    };
    let site_status = e
        .text_of("parkingSiteStatus")
        .or_else(|| e.text_of("parkingStatus"))
        .unwrap_or_default();
    let opening = match e
        .text_of("parkingSiteOpeningStatus")
        .or_else(|| e.text_of("openingStatus"))
        .as_deref()
    {
        Some("open" | "openWithServiceLimitation") => Opening::Open,
        Some("closed" | "closedOnHoliday" | "closedOnMaintenance" | "temporarilyClosed") => {
            Opening::Closed
        }
        _ if site_status == "closed" => Opening::Closed,
        _ => Opening::Unknown,
    };
    // A site whose own status is unknown has no count to trust.
    let known = !matches!(
        site_status.as_str(),
        "unknown" | "noParkingInformationAvailable" | "statusUnknown"
    );
    Some(Report {
        id,
        capacity: number("numberOfSpacesOverride"),
        free: number("numberOfVacantSpaces").filter(|_| known),
        occupied: number("numberOfOccupiedSpaces").filter(|_| known),
        opening,
        full: matches!(
            site_status.as_str(),
            "full" | "fullAtEntrance" | "overcrowded"
        ),
        at: e
            .text_of("parkingStatusOriginTime")
            .or_else(|| e.text_of("lastUpdated"))
            .and_then(|t| instant(&t)),
        ..Report::default()
    })
}
