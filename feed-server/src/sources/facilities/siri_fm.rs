//! SIRI Facility Monitoring (`FacilityMonitoringDelivery`): each
//! `FacilityCondition` says whether a facility is available and counts what
//! is in it.
//!
//! Counts in `bays` (or `vehicles` for bike share): `availabilityCount` is
//! the free places and `inUseCount` the occupied ones. Without an
//! `availabilityCount`, `presentCount` is read as free places, as the
//! producers of parking availability do (South
//! Tyrol's open data hub, whose document is in the conformance suite, and
//! OpenTripPlanner that reads it). A facility `notAvailable` is closed, and
//! its count (the capacity, in that document) is not a number of free places.
//!
//! A facility whose features name an `AccessFacility` (a lift, an escalator:
//! the CEN example's « Les Halles Lift 4 ») is equipment, not a place: its
//! report says which, and what its status says in words.

use super::{
    AccessEquipment, DocumentError, MAX_FACILITIES, Opening, Report, clean_id, count, instant,
};
use crate::sources::xml::{self, Element};

/// Parses a SIRI document (or a bare delivery) with facility conditions.
pub fn parse(bytes: &[u8]) -> Result<Vec<Report>, DocumentError> {
    let root = xml::parse_with(bytes, 1_000_000)?;
    let mut deliveries = Vec::new();
    root.descendants("FacilityMonitoringDelivery", &mut deliveries);
    if deliveries.is_empty() {
        return Err(DocumentError::shape(format!(
            "<{}> holds no FacilityMonitoringDelivery",
            root.name
        )));
    }
    let mut conditions = Vec::new();
    for d in &deliveries {
        conditions.extend(d.children_named("FacilityCondition"));
    }
    if conditions.len() > MAX_FACILITIES {
        return Err(DocumentError::shape(format!(
            "more than {MAX_FACILITIES} facility conditions"
        )));
    }
    let delivered = deliveries
        .iter()
        .find_map(|d| d.text_of("ResponseTimestamp"))
        .and_then(|t| instant(&t));
    Ok(conditions
        .into_iter()
        .filter_map(|c| condition(c, delivered))
        .collect())
}

fn condition(c: &Element, delivered: Option<chrono::DateTime<chrono::Utc>>) -> Option<Report> {
    let facility = c.child("Facility");
    let id = c
        .text_of("FacilityRef")
        .or_else(|| facility.and_then(|f| f.text_of("FacilityCode")))
        .and_then(|t| clean_id(&t))?;
    let name = facility.and_then(|f| f.text_of("Description").or_else(|| f.text_of("Name")));
    let status_element = c.child("FacilityStatus");
    let status = status_element
        .and_then(|s| s.text_of("Status"))
        .unwrap_or_default();
    let status = status.trim();
    // Equipment is fixed equipment whose features name an access facility;
    // a car park whose features list its lift stays a car park.
    let mut features = Vec::new();
    let mut parking = Vec::new();
    if let Some(f) = facility {
        f.descendants("AccessFacility", &mut features);
        f.descendants("ParkingFacility", &mut parking);
    }
    let class = facility.and_then(|f| f.text_of("FacilityClass"));
    let fixed = class.as_deref().is_none_or(|c| c == "fixedEquipment");
    let equipment = features
        .iter()
        .find_map(|e| AccessEquipment::from_ifopt(&e.text))
        .filter(|_| fixed && parking.is_empty());
    // Said in a language only when the publisher says which.
    let condition = status_element
        .and_then(|s| s.child("Description"))
        .and_then(|d| {
            let lang = d.attribute("lang")?.to_ascii_lowercase();
            let text = d.text.trim().to_string();
            (!text.is_empty()).then_some((lang, text))
        });
    let opening = match status {
        "available" | "partiallyAvailable" | "added" => Opening::Open,
        "notAvailable" | "removed" => Opening::Closed,
        _ => Opening::Unknown,
    };
    let mut available = None;
    let mut present = None;
    let mut occupied = None;
    for m in c.children_named("MonitoredCounting") {
        let unit = m.text_of("CountedFeatureUnit").unwrap_or_default();
        if !matches!(unit.as_str(), "bays" | "vehicles" | "otherSpaces" | "") {
            continue;
        }
        let Some(n) = m.text_of("Count").and_then(|t| count(&t)) else {
            continue;
        };
        match m.text_of("CountingType").as_deref() {
            Some("availabilityCount") => available = Some(n),
            Some("presentCount") => present = Some(n),
            Some("inUseCount") => occupied = Some(n),
            _ => {}
        }
    }
    // `availabilityCount` is SIRI's word for free places; `presentCount` is
    // read so only without it.
    let free = available.or(present);
    let closed = opening == Opening::Closed;
    // The delivery's time: a condition carries none of its own.
    let at = delivered;
    Some(Report {
        id,
        name,
        free: free.filter(|_| !closed),
        occupied: occupied.filter(|_| !closed),
        opening,
        at,
        equipment,
        condition,
        ..Report::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_count_wins_over_present_count() {
        let doc = br#"<Siri xmlns="http://www.siri.org.uk/siri"><ServiceDelivery>
            <FacilityMonitoringDelivery><ResponseTimestamp>2026-03-09T06:30:00Z</ResponseTimestamp>
            <FacilityCondition><FacilityRef>P1</FacilityRef>
              <FacilityStatus><Status>available</Status></FacilityStatus>
              <MonitoredCounting><CountingType>presentCount</CountingType><CountedFeatureUnit>bays</CountedFeatureUnit><Count>288</Count></MonitoredCounting>
              <MonitoredCounting><CountingType>availabilityCount</CountingType><CountedFeatureUnit>bays</CountedFeatureUnit><Count>12</Count></MonitoredCounting>
              <MonitoredCounting><CountingType>inUseCount</CountingType><CountedFeatureUnit>bays</CountedFeatureUnit><Count>288</Count></MonitoredCounting>
            </FacilityCondition></FacilityMonitoringDelivery></ServiceDelivery></Siri>"#;
        let all = parse(doc).expect("fm");
        assert_eq!((all[0].free, all[0].occupied), (Some(12), Some(288)));
    }
}
