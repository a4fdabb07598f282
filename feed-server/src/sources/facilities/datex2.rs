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

use super::{DocumentError, MAX_FACILITIES, Opening, Report, clean_id, count, instant, position};
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
    // v3.5+: only the places (a campus holds places, a place its spaces:
    // counting those too would count twice).
    let mut elements = Vec::new();
    root.descendants("hierarchyElementGeneral", &mut elements);
    records.extend(
        elements
            .into_iter()
            .filter(|e| e.text_of("type").as_deref() == Some("place")),
    );
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
    let id = clean_id(attribute(e, "id")?)?;
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
    let id = clean_id(
        e.child("parkingRecordReference")
            .or_else(|| e.child("reference"))
            .and_then(|r| attribute(r, "id"))?,
    )?;
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
    // v2.3 `parkingSiteStatus`; v3 `status` (a PlaceStatus may give several).
    let site_statuses: Vec<String> = e
        .text_of("parkingSiteStatus")
        .into_iter()
        .chain(
            e.children_named("status")
                .map(|s| s.text.trim().to_string()),
        )
        .collect();
    let says = |words: &[&str]| site_statuses.iter().any(|s| words.contains(&s.as_str()));
    let site_closed = says(&["closed"]);
    let opening = match e
        .text_of("parkingSiteOpeningStatus")
        .or_else(|| e.text_of("openingStatus"))
        .as_deref()
    {
        Some("open" | "openWithServiceLimitation") => Opening::Open,
        Some("closed" | "closedOnHoliday" | "closedOnMaintenance" | "temporarilyClosed") => {
            Opening::Closed
        }
        _ if site_closed => Opening::Closed,
        _ => Opening::Unknown,
    };
    // A site whose own status is unknown has no count to trust.
    let known = !says(&["unknown", "noParkingInformationAvailable", "statusUnknown"]);
    Some(Report {
        id,
        capacity: number("numberOfSpacesOverride"),
        free: number("numberOfVacantSpaces").filter(|_| known),
        occupied: number("numberOfOccupiedSpaces").filter(|_| known),
        opening,
        full: says(&[
            "full",
            "fullAtEntrance",
            "overcrowded",
            "overcrowding",
            "overcrowdingLevel1",
            "overcrowdingLevel2",
        ]),
        at: e
            .text_of("parkingStatusOriginTime")
            .or_else(|| e.text_of("lastUpdated"))
            .and_then(|t| instant(&t)),
        ..Report::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_places_and_place_statuses() {
        let table = br#"<d2:payload xmlns:d2="http://datex2.eu/schema/3/d2Payload" xmlns:prk="http://datex2.eu/schema/3/parking"
            xmlns:fac="http://datex2.eu/schema/3/facilities" xmlns:com="http://datex2.eu/schema/3/common"
            xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="prk:ParkingTablePublication">
          <prk:parkingTable id="T" version="1">
            <prk:hierarchyElementGeneral xsi:type="prk:Place" id="P1" version="1">
              <fac:name><com:values><com:value lang="fr">Parking de la gare</com:value></com:values></fac:name>
              <prk:layer>0</prk:layer><prk:type>place</prk:type></prk:hierarchyElementGeneral>
            <prk:hierarchyElementGeneral xsi:type="prk:Space" id="P1-7" version="1">
              <prk:layer>1</prk:layer><prk:type>space</prk:type></prk:hierarchyElementGeneral>
          </prk:parkingTable></d2:payload>"#;
        let t = parse(table).expect("table");
        assert_eq!(t.sites.len(), 1, "a space is no facility");
        assert_eq!(t.sites[0].name.as_deref(), Some("Parking de la gare"));
        let status = br#"<d2:payload xmlns:d2="http://datex2.eu/schema/3/d2Payload" xmlns:prk="http://datex2.eu/schema/3/parking"
            xmlns:fac="http://datex2.eu/schema/3/facilities" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
            xsi:type="prk:ParkingStatusPublication">
          <prk:parkingStatusInformation xsi:type="prk:PlaceStatus">
            <fac:reference targetClass="fac:FacilityObject" id="P1" version="1"/>
            <fac:lastUpdated>2026-03-09T06:29:00Z</fac:lastUpdated>
            <fac:openingStatus>open</fac:openingStatus>
            <prk:occupancy><prk:numberOfVacantSpaces>0</prk:numberOfVacantSpaces></prk:occupancy>
            <prk:status>fullAtEntrance</prk:status>
          </prk:parkingStatusInformation>
          <prk:parkingStatusInformation xsi:type="prk:PlaceStatus">
            <fac:reference targetClass="fac:FacilityObject" id="P2" version="1"/>
            <prk:occupancy><prk:numberOfVacantSpaces>9</prk:numberOfVacantSpaces></prk:occupancy>
            <prk:status>unknown</prk:status>
          </prk:parkingStatusInformation></d2:payload>"#;
        let s = parse(status).expect("status");
        assert!(s.statuses[0].full);
        assert_eq!(s.statuses[0].opening, Opening::Open);
        assert_eq!(s.statuses[1].free, None, "an unknown status gives no count");
    }
}
