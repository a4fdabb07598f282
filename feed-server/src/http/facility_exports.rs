//! `GET /siri/facility-monitoring` and `GET /datex2/parking-status`: the
//! facilities Quai knows, with their free and occupied places now, for the
//! national access point and regional systems. SIRI Facility Monitoring 2.1
//! (a `FacilityMonitoringDelivery`, as the French SIRI profile asks for
//! parking availability) and a DATEX II v3 `ParkingStatusPublication` (the
//! EU's regulated parking format; v3.7 elements, the `d2:payload` root).
//!
//! Both carry an `ETag` (the facilities' version with its epoch, and the
//! minute: counts go stale with time) and honour `If-None-Match`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use quai_protocol::{FacilityKind, FacilityStatus};

use super::siri_sx::document::PARTICIPANT;
use super::siri_sx::render::{self, node, text};
use crate::clock::Clock;
use crate::deployment::Deployment;
use crate::facility::Facilities;
use crate::facility::shown::{self, Shown};
use crate::sources::xml::Element;

/// What the exports read.
#[derive(Debug, Clone)]
pub struct FacilityExport {
    pub deployment: Arc<Deployment>,
    pub facilities: Facilities,
    pub clock: Clock,
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// What to answer: the facilities at the minute with their ETag, or 304.
enum Current {
    Fresh(Vec<Shown>, DateTime<Utc>, String),
    NotModified(String),
}

/// The facilities at the minute, or a 304 when `headers` already have it.
fn current(export: &FacilityExport, headers: &HeaderMap, tag: &str) -> Current {
    let now = chrono::SubsecRound::trunc_subsecs(export.clock.now(), 0);
    let minute = now - chrono::Duration::seconds(now.timestamp().rem_euclid(60));
    let (epoch, version) = export.facilities.numbered();
    let etag = format!("\"{tag}-{epoch:x}.{version}-{}\"", minute.timestamp() / 60);
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        return Current::NotModified(etag);
    }
    Current::Fresh(
        shown::every(&export.deployment, &export.facilities, minute),
        minute,
        etag,
    )
}

fn not_modified(etag: String) -> Response {
    (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response()
}

fn xml_response(root: &Element, etag: String) -> Response {
    let etag = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"f\""));
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/xml; charset=utf-8"),
            ),
            (header::ETAG, etag),
        ],
        render::xml(root),
    )
        .into_response()
}

pub async fn facility_monitoring(
    State(export): State<FacilityExport>,
    headers: HeaderMap,
) -> Response {
    match current(&export, &headers, "fm") {
        Current::Fresh(all, at, etag) => xml_response(&siri_fm(&all, at), etag),
        Current::NotModified(etag) => not_modified(etag),
    }
}

pub async fn parking_status(State(export): State<FacilityExport>, headers: HeaderMap) -> Response {
    match current(&export, &headers, "d2") {
        // The publication needs at least one status: without a car park
        // there is nothing to publish.
        Current::Fresh(all, _, _) if all.iter().all(|s| s.line.kind == FacilityKind::BikeShare) => {
            (
                StatusCode::NOT_FOUND,
                "no car park, park-and-ride or carpool area is configured or polled\n",
            )
                .into_response()
        }
        Current::Fresh(all, at, etag) => xml_response(&datex2_status(&all, at), etag),
        Current::NotModified(etag) => not_modified(etag),
    }
}

/// A SIRI 2.1 `ServiceDelivery` with one `FacilityCondition` per facility:
/// its status, its free places (`availabilityCount`) and occupied ones
/// (`inUseCount`), in bays (vehicles for bike share).
pub fn siri_fm(all: &[Shown], at: DateTime<Utc>) -> Element {
    let conditions = all
        .iter()
        .map(|s| {
            let l = &s.line;
            let status = match l.status {
                FacilityStatus::Open | FacilityStatus::Full => "available",
                FacilityStatus::Closed => "notAvailable",
                FacilityStatus::Unknown => "unknown",
            };
            let unit = if l.kind == FacilityKind::BikeShare {
                "vehicles"
            } else {
                "bays"
            };
            let counting = |kind: &str, n: u32| {
                node(
                    "MonitoredCounting",
                    vec![
                        text("CountingType", kind),
                        text("CountedFeatureUnit", unit),
                        text("Count", n.to_string()),
                    ],
                )
            };
            let mut children = vec![
                text("FacilityRef", name_token(&l.id.to_string())),
                node("FacilityStatus", vec![text("Status", status)]),
            ];
            children.extend(l.free.map(|n| counting("availabilityCount", n)));
            children.extend(l.occupied.map(|n| counting("inUseCount", n)));
            node("FacilityCondition", children)
        })
        .collect::<Vec<_>>();
    let mut delivery = node(
        "FacilityMonitoringDelivery",
        [vec![text("ResponseTimestamp", stamp(at))], conditions].concat(),
    );
    delivery.attributes.push(("version".into(), "2.1".into()));
    let mut root = node(
        "Siri",
        vec![node(
            "ServiceDelivery",
            vec![
                text("ResponseTimestamp", stamp(at)),
                text("ProducerRef", PARTICIPANT),
                delivery,
            ],
        )],
    );
    root.attributes = vec![
        ("xmlns".into(), "http://www.siri.org.uk/siri".into()),
        ("version".into(), "2.1".into()),
    ];
    root
}

/// `id` as an XML name token, which SIRI's `FacilityRef` must be: letters,
/// digits, `.`, `-`, `_`, `:`; anything else (a space, a `/`) written `_`.
pub fn name_token(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ':') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A DATEX II v3 `ParkingStatusPublication` with one
/// `parkingStatusInformation` per facility that is not bike share.
pub fn datex2_status(all: &[Shown], at: DateTime<Utc>) -> Element {
    let mut children = vec![
        text("com:publicationTime", stamp(at)),
        node(
            "com:publicationCreator",
            vec![
                text("com:country", "FR"),
                text("com:nationalIdentifier", PARTICIPANT),
            ],
        ),
    ];
    for s in all
        .iter()
        .filter(|s| s.line.kind != FacilityKind::BikeShare)
    {
        let l = &s.line;
        let mut reference = node("fac:reference", Vec::new());
        reference.attributes = vec![
            ("targetClass".into(), "fac:FacilityObject".into()),
            ("id".into(), l.id.to_string()),
            ("version".into(), "1".into()),
        ];
        let opening = match l.status {
            FacilityStatus::Open | FacilityStatus::Full => "open",
            FacilityStatus::Closed => "closed",
            FacilityStatus::Unknown => "statusUnknown",
        };
        let mut info = vec![reference];
        info.extend(l.updated_at.map(|t| text("fac:lastUpdated", stamp(t))));
        info.push(text("fac:openingStatus", opening));
        let mut occupancy: Vec<Element> = l
            .capacity
            .map(|c| text("prk:numberOfSpacesOverride", c.to_string()))
            .into_iter()
            .collect();
        occupancy.extend(
            l.free
                .map(|n| text("prk:numberOfVacantSpaces", n.to_string())),
        );
        occupancy.extend(
            l.occupied
                .map(|n| text("prk:numberOfOccupiedSpaces", n.to_string())),
        );
        if l.free.is_some() {
            info.push(node("prk:occupancy", occupancy));
        }
        children.push(node("prk:parkingStatusInformation", info));
    }
    let mut root = node("d2:payload", children);
    root.attributes = vec![
        (
            "xmlns:d2".into(),
            "http://datex2.eu/schema/3/d2Payload".into(),
        ),
        (
            "xmlns:com".into(),
            "http://datex2.eu/schema/3/common".into(),
        ),
        (
            "xmlns:fac".into(),
            "http://datex2.eu/schema/3/facilities".into(),
        ),
        (
            "xmlns:prk".into(),
            "http://datex2.eu/schema/3/parking".into(),
        ),
        (
            "xmlns:xsi".into(),
            "http://www.w3.org/2001/XMLSchema-instance".into(),
        ),
        ("xsi:type".into(), "prk:ParkingStatusPublication".into()),
        ("lang".into(), "fr".into()),
        ("modelBaseVersion".into(), "3".into()),
    ];
    root
}

#[cfg(test)]
mod tests {
    #[test]
    fn facility_refs_are_name_tokens() {
        assert_eq!(super::name_token("bnlc:59139 C/001"), "bnlc:59139_C_001");
        assert_eq!(super::name_token("aachen:P1"), "aachen:P1");
        assert_eq!(
            super::name_token("velo:CAB:Station:4a58-é"),
            "velo:CAB:Station:4a58-é"
        );
    }
}
