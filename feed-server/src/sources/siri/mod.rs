//! SIRI (CEN EN 15531, the French profile "profil SIRI France" and SIRI Lite):
//! the deliveries realtime producers in France and the EU publish next to, or
//! instead of, GTFS-Realtime.
//!
//! A body (XML, SOAP-wrapped XML or SIRI Lite JSON: [`document`]) is read into
//! a [`Delivery`]: vehicle journeys with their calls (EstimatedTimetable,
//! StopMonitoring: [`journey`]) and situations (SituationExchange,
//! GeneralMessage: [`situation`]), every reference as the producer wrote it.
//! Matching them to the timetable is `realtime::siri`'s job; polling them is
//! [`poller`]'s.

pub mod document;
pub mod journey;
pub mod poller;
pub mod reason;
pub mod request;
pub mod situation;
pub mod text;

use chrono::{DateTime, Utc};

pub use document::DocumentError;
use document::Read;
pub use journey::{Call, CallStatus, Journey};
pub use situation::{Affected, Situation};

pub use crate::config::SiriService as Service;
use crate::sources::xml::Element;

/// What a body does not say and the feed does: the language of texts without
/// one, and the zone of times without an offset (SIRI 1.x producers write
/// local times).
#[derive(Debug, Clone, Copy)]
pub struct Defaults<'a> {
    pub lang: &'a str,
    pub timezone: chrono_tz::Tz,
}

/// Why a body is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SiriError {
    #[error(transparent)]
    Document(#[from] DocumentError),
    #[error("no {0} in the document")]
    NoDelivery(&'static str),
    #[error("the producer reports an error: {0}")]
    Producer(String),
}

/// What one body delivers.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Delivery {
    /// `ResponseTimestamp` of the ServiceDelivery (else of the first delivery).
    pub timestamp: Option<DateTime<Utc>>,
    pub journeys: Vec<Journey>,
    pub situations: Vec<Situation>,
    /// Journey elements that could not be read (no call, no visit).
    pub unreadable: usize,
}

impl Delivery {
    /// Adds what another body of the same request round says (one
    /// StopMonitoring request per stop): the latest timestamp, every
    /// journey and situation.
    pub fn absorb(&mut self, part: Delivery) {
        self.timestamp = self.timestamp.max(part.timestamp);
        self.journeys.extend(part.journeys);
        self.situations.extend(part.situations);
        self.unreadable += part.unreadable;
    }
}

/// Reads a body expected to hold `service` deliveries, with the feed's
/// [`Defaults`]. A body holding none (another
/// service's, a SOAP fault, an error body) is refused; a delivery whose
/// `Status` is false with an `ErrorCondition` is refused with the producer's
/// words.
pub fn parse(body: &[u8], service: Service, defaults: Defaults<'_>) -> Result<Delivery, SiriError> {
    let root = document::read(body)?;
    let mut deliveries = Vec::new();
    root.descendants(service.delivery(), &mut deliveries);
    if deliveries.is_empty() {
        let mut faults = Vec::new();
        root.descendants("Fault", &mut faults);
        if let Some(fault) = faults.first() {
            let why = fault
                .text("faultstring")
                .or_else(|| fault.text("Reason"))
                .unwrap_or_else(|| "SOAP fault".into());
            return Err(SiriError::Producer(why));
        }
        return Err(SiriError::NoDelivery(service.delivery()));
    }
    // Every delivery failed: refused (with the producer's words when it gives
    // them), so that the last good state stays instead of an empty one.
    if deliveries.iter().all(|d| !ok(d)) {
        let error = deliveries
            .iter()
            .find_map(|d| error_text(d))
            .unwrap_or_else(|| "Status false, no ErrorCondition".into());
        return Err(SiriError::Producer(error));
    }
    let mut service_delivery = Vec::new();
    root.descendants("ServiceDelivery", &mut service_delivery);
    let mut out = Delivery {
        timestamp: service_delivery
            .first()
            .and_then(|s| journey::time(s, "ResponseTimestamp", defaults.timezone))
            .or_else(|| {
                let mut info = Vec::new();
                root.descendants("ServiceDeliveryInfo", &mut info);
                info.first()
                    .and_then(|s| journey::time(s, "ResponseTimestamp", defaults.timezone))
            })
            .or_else(|| {
                deliveries
                    .iter()
                    .find_map(|dl| journey::time(dl, "ResponseTimestamp", defaults.timezone))
            }),
        ..Delivery::default()
    };
    for d in deliveries.into_iter().filter(|d| ok(d)) {
        match service {
            Service::EstimatedTimetable => {
                for j in d.all(&["EstimatedJourneyVersionFrame", "EstimatedVehicleJourney"]) {
                    out.journeys.push(journey::estimated(j, defaults.timezone));
                }
            }
            Service::StopMonitoring => {
                for visit in d.all(&["MonitoredStopVisit"]) {
                    match journey::monitored(visit, defaults.timezone) {
                        Some(j) => out.journeys.push(j),
                        None => out.unreadable += 1,
                    }
                }
            }
            Service::SituationExchange => {
                for s in d
                    .all(&["Situations", "PtSituationElement"])
                    .into_iter()
                    .chain(d.all(&["Situations", "RoadSituationElement"]))
                {
                    if out.situations.len() >= situation::MAX_SITUATIONS {
                        break;
                    }
                    match situation::exchange(s, defaults) {
                        Some(s) => out.situations.push(s),
                        None => out.unreadable += 1,
                    }
                }
            }
            Service::GeneralMessage => {
                for m in d
                    .all(&["InfoMessage"])
                    .into_iter()
                    .chain(d.all(&["GeneralMessage"]))
                {
                    if out.situations.len() >= situation::MAX_SITUATIONS {
                        break;
                    }
                    match situation::general(m, defaults) {
                        Some(s) => out.situations.push(s),
                        None => out.unreadable += 1,
                    }
                }
            }
        }
    }
    Ok(out)
}

/// A delivery's `Status` (true when absent).
fn ok(delivery: &Element) -> bool {
    delivery
        .text("Status")
        .is_none_or(|s| !s.eq_ignore_ascii_case("false"))
}

fn error_text(delivery: &Element) -> Option<String> {
    let condition = delivery.child("ErrorCondition")?;
    let mut texts = Vec::new();
    condition.descendants("ErrorText", &mut texts);
    let text = texts
        .first()
        .map(|t| t.text.trim().to_string())
        .filter(|t| !t.is_empty())
        .or_else(|| condition.text("Description"))
        .or_else(|| condition.children.first().map(|c| c.name.clone()))
        .unwrap_or_else(|| "ErrorCondition".into());
    Some(text.chars().take(300).collect())
}
