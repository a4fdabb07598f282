//! The operators' notices as a SIRI 2.1 SituationExchange delivery: one
//! `PtSituationElement` per notice passengers can see now (published, in its
//! publication period), with its windows, cause, severity, texts in every
//! language and the places, lines and trips it names. Element order follows
//! the SIRI XSD (checked by a test with `xmllint`).

use chrono::{DateTime, SecondsFormat, Utc};
use quai_protocol::{InformedEntity, Severity};

use super::render::{node, text};
use crate::notice::{KeptNotice, Period};
use crate::realtime::Cause;
use crate::sources::xml::Element;

/// Who publishes: the `ProducerRef` and `ParticipantRef` of every situation.
pub const PARTICIPANT: &str = "QUAI";

/// The delivery of `notices` at `now`.
pub fn delivery(notices: &[std::sync::Arc<KeptNotice>], now: DateTime<Utc>) -> Element {
    let situations: Vec<Element> = notices
        .iter()
        .filter(|n| n.shown_at(now))
        .map(|n| situation(n, now))
        .collect();
    let mut root = node(
        "Siri",
        vec![node(
            "ServiceDelivery",
            vec![
                text("ResponseTimestamp", stamp(now)),
                text("ProducerRef", PARTICIPANT),
                node(
                    "SituationExchangeDelivery",
                    vec![
                        text("ResponseTimestamp", stamp(now)),
                        node("Situations", situations),
                    ],
                ),
            ],
        )],
    );
    root.attributes = vec![
        ("xmlns".into(), "http://www.siri.org.uk/siri".into()),
        ("version".into(), "2.1".into()),
    ];
    if let Some(sx) = root.children[0].children.get_mut(2) {
        sx.attributes.push(("version".into(), "2.1".into()));
    }
    root
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn situation(n: &KeptNotice, now: DateTime<Utc>) -> Element {
    let s = &n.stored;
    let input = &s.input;
    let created = crate::notice::kept::instant(Some(&s.created_at)).unwrap_or(now);
    let mut e = vec![
        text("CreationTime", stamp(created)),
        text("ParticipantRef", PARTICIPANT),
        text("SituationNumber", s.id.clone()),
        text("Version", s.version.max(1).to_string()),
        node("Source", vec![text("SourceType", "directReport")]),
    ];
    if let Some(updated) = n.updated_at {
        e.push(text("VersionedAtTime", stamp(updated)));
    }
    e.push(text("Progress", "open"));
    // When it happens: its active periods, else all the time it is published.
    let validity: Vec<Period> = if n.active_periods.is_empty() {
        vec![n.publication]
    } else {
        n.active_periods.clone()
    };
    for p in validity {
        e.push(window("ValidityPeriod", p, created));
    }
    e.push(window("PublicationWindow", n.publication, created));
    e.push(text("AlertCause", alert_cause(n.cause)));
    e.push(text(
        "Severity",
        match input.severity {
            Severity::Info => "slight",
            Severity::Warning => "normal",
            Severity::Severe => "severe",
        },
    ));
    e.push(text("Language", "fr"));
    for (name, texts) in [
        ("Summary", &input.header),
        ("Description", &input.description),
    ] {
        // French first: consumers that read one language read the first.
        let mut texts: Vec<(&String, &String)> = texts.iter().collect();
        texts.sort_by_key(|(lang, _)| *lang != "fr");
        for (lang, t) in texts {
            let mut el = text(name, t.clone());
            el.attributes.push(("xml:lang".into(), lang.clone()));
            e.push(el);
        }
    }
    if let Some(affects) = affects(&input.informed_entities) {
        e.push(affects);
    }
    node("PtSituationElement", e)
}

/// A window; an open start is the notice's creation (SIRI needs one).
fn window(name: &str, p: Period, created: DateTime<Utc>) -> Element {
    let mut children = vec![text("StartTime", stamp(p.start.unwrap_or(created)))];
    if let Some(end) = p.end {
        children.push(text("EndTime", stamp(end)));
    }
    node(name, children)
}

/// What the notice names: lines, stop points (the GTFS stop id, without
/// Quai's feed prefix), stations as stop places, trips as journeys.
fn affects(entities: &[InformedEntity]) -> Option<Element> {
    let (mut lines, mut stops, mut places, mut journeys) = (vec![], vec![], vec![], vec![]);
    for entity in entities {
        match entity {
            InformedEntity::Route { route_id } => lines.push(node(
                "AffectedLine",
                vec![text("LineRef", route_id.clone())],
            )),
            InformedEntity::Stop { stop_id } => {
                let id = stop_id.split_once(':').map_or(stop_id.as_str(), |(_, s)| s);
                stops.push(node(
                    "AffectedStopPoint",
                    vec![text("StopPointRef", id.to_string())],
                ));
            }
            InformedEntity::Station { station } => places.push(node(
                "AffectedStopPlace",
                vec![text("StopPlaceRef", station.clone())],
            )),
            InformedEntity::Trip { trip_id } => journeys.push(node(
                "AffectedVehicleJourney",
                vec![text("DatedVehicleJourneyRef", trip_id.clone())],
            )),
            InformedEntity::Agency { .. } => {}
        }
    }
    let mut out = Vec::new();
    if !lines.is_empty() {
        out.push(node("Networks", vec![node("AffectedNetwork", lines)]));
    }
    if !stops.is_empty() {
        out.push(node("StopPoints", stops));
    }
    if !places.is_empty() {
        out.push(node("StopPlaces", places));
    }
    if !journeys.is_empty() {
        out.push(node("VehicleJourneys", journeys));
    }
    (!out.is_empty()).then(|| node("Affects", out))
}

/// A notice's cause as SIRI's `AlertCause`.
fn alert_cause(cause: Cause) -> &'static str {
    match cause {
        Cause::UnknownCause => "unknown",
        Cause::OtherCause => "miscellaneous",
        Cause::TechnicalProblem => "technicalProblem",
        Cause::Strike => "industrialAction",
        Cause::Demonstration => "demonstration",
        Cause::Accident => "accident",
        Cause::Holiday => "holiday",
        Cause::Weather => "poorWeather",
        Cause::Maintenance => "maintenanceWork",
        Cause::Construction => "constructionWork",
        Cause::PoliceActivity => "policeActivity",
        Cause::MedicalEmergency => "emergencyMedicalServices",
    }
}
