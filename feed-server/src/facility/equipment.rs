//! Lifts and escalators out of service, from SIRI Facility Monitoring, as
//! the station's notices.
//!
//! A lift is not a place to park: what a passenger in a wheelchair needs is
//! to be told, first and aloud, that it does not work. So a facility source's
//! equipment (`AccessFacility` lift, escalator…) that its publisher says is
//! `notAvailable` becomes a notice of effect `accessibility_issue` on the
//! boards that show the source's facilities, like a GTFS-Realtime
//! `ACCESSIBILITY_ISSUE` alert: screens put it first in the ticker, marked ♿,
//! with a QR code to it in full, and say it. It lasts while the publisher
//! says so and its document is fresh (`stale_after_s`): what a publisher said
//! long ago is not said now. Equipment in service shows nothing.

use chrono::{DateTime, Utc};
use quai_protocol::{InformedEntity, NoticeSource, Severity, Translated};

use super::Facilities;
use crate::board::Notice;
use crate::deployment::Deployment;
use crate::realtime::{Cause, Effect};
use crate::sources::facilities::{AccessEquipment, Opening, Report};
use crate::station::Station;

/// The notices of `station`'s equipment out of service at `now`.
pub fn notices_at(
    d: &Deployment,
    facilities: &Facilities,
    station: &Station,
    now: DateTime<Utc>,
) -> Vec<Notice> {
    let mut out: Vec<Notice> = Vec::new();
    for source in &d.facility_sources {
        let Some((fetched, confirmed)) = facilities.sourced.get(&source.id) else {
            continue;
        };
        for r in fetched.equipment_at_station(&station.id) {
            let (at, fresh) = super::sourced::measured(source, r, confirmed, now);
            let id = notice_id(source.id.as_str(), &r.id);
            // One notice per facility (a document may name it twice).
            if fresh && r.opening == Opening::Closed && !out.iter().any(|n| n.id == id) {
                out.push(notice(id, station, r, at));
            }
        }
    }
    out.truncate(MAX_PER_BOARD);
    out
}

/// Most equipment notices on one board: a whole network's lifts named for
/// one station by a wide `radius_m` would fill its ticker.
pub const MAX_PER_BOARD: usize = 12;

fn notice_id(source: &str, facility: &str) -> String {
    format!("siri-fm:{source}:{facility}")
}

/// What the board says of equipment `r` out of service since `at`.
fn notice(id: String, station: &Station, r: &Report, at: DateTime<Utc>) -> Notice {
    let (fr, en) = match r.equipment.unwrap_or(AccessEquipment::Other) {
        AccessEquipment::Lift => ("Ascenseur hors service", "Lift out of service"),
        AccessEquipment::Escalator => (
            "Escalier mécanique hors service",
            "Escalator out of service",
        ),
        AccessEquipment::Travelator => ("Tapis roulant hors service", "Travelator out of service"),
        AccessEquipment::Ramp => ("Rampe d'accès indisponible", "Access ramp unavailable"),
        AccessEquipment::Other => (
            "Équipement d'accessibilité hors service",
            "Accessibility equipment out of service",
        ),
    };
    let name = r.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let header: Translated = [
        ("fr", name.map_or(fr.to_string(), |n| format!("{fr} : {n}"))),
        ("en", name.map_or(en.to_string(), |n| format!("{en}: {n}"))),
    ]
    .into_iter()
    .map(|(lang, text)| (lang.to_string(), text))
    .collect();
    // The publisher's words on its state, in the language it says; then the
    // way round, which only staff can give here.
    let mut description: Translated = [
        (
            "fr",
            "Renseignez-vous auprès du personnel pour un autre accès.",
        ),
        ("en", "Ask staff for another way in."),
    ]
    .into_iter()
    .map(|(lang, text)| (lang.to_string(), text.to_string()))
    .collect();
    if let Some((lang, said)) = &r.condition
        && let Some(text) = description.get_mut(lang.as_str())
    {
        *text = format!("{said}. {text}");
    }
    Notice {
        id,
        source: NoticeSource::Siri,
        severity: Severity::Warning,
        cause: Cause::TechnicalProblem,
        effect: Effect::AccessibilityIssue,
        screen_text: header.clone(),
        header,
        description,
        tts_text: Translated::new(),
        active_periods: Vec::new(),
        informed_entities: vec![InformedEntity::Station {
            station: station.id.to_string(),
        }],
        updated_at: at,
    }
}
