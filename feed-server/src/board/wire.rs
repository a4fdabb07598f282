//! The edge between the board the server works with ([`super::model`]) and the
//! one clients read ([`quai_protocol::Board`]): instants become RFC 3339 text
//! with the station's offset, ids and enums their text. Done once per published
//! board, by the hub.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use quai_protocol as wire;

use super::model::{Arrival, Board, Departure, Notice};
use crate::advisory::Advisory;
use crate::freshness::FeedStatus;
use crate::notice::Period;
use crate::timetable::gtfs_time::rfc3339;

impl Board {
    /// The board as clients read it, numbered `seq`.
    pub fn to_wire(&self, seq: u64) -> wire::Board {
        let tz = self.timezone;
        wire::Board {
            station: wire::StationRef {
                id: self.station.to_string(),
                name: self.station_name.clone(),
                timezone: tz.name().to_string(),
            },
            generated_at: rfc3339(tz, self.generated_at),
            seq,
            departures: self.departures.iter().map(|d| d.to_wire(tz)).collect(),
            arrivals: self.arrivals.iter().map(|a| a.to_wire(tz)).collect(),
            notices: self.notices.iter().map(|n| n.to_wire(tz)).collect(),
            advisories: self.advisories.iter().map(|a| advisory(a, tz)).collect(),
            wifi: self.wifi.clone(),
            feeds: self
                .feeds
                .iter()
                .map(|f| board_feed_status(f, tz))
                .collect(),
            next_service: self.next_service.map(|t| rfc3339(tz, t)),
            emergency: self.emergency.as_ref().map(|e| wire::Emergency {
                id: e.id.clone(),
                screen_text: e.screen_text.clone(),
                tts_text: e.tts_text.clone(),
                started_at: rfc3339(tz, e.started_at),
                ends_at: rfc3339(tz, e.ends_at),
                repeat_s: e.repeat_s,
            }),
            facilities: self.facilities.iter().map(|f| facility(f, tz)).collect(),
        }
    }
}

impl Departure {
    pub fn to_wire(&self, tz: Tz) -> wire::Departure {
        wire::Departure {
            id: self.id.to_string(),
            mode: self.mode,
            route: self.route.clone(),
            headsign: self.headsign.clone(),
            trip_number: self.trip_number.clone(),
            stop_id: self.stop.to_string(),
            platform: self.platform.clone(),
            platform_changed: self.platform_changed,
            scheduled: rfc3339(tz, self.scheduled),
            expected: self.expected.map(|t| rfc3339(tz, t)),
            delay_s: self.delay_s,
            status: self.status,
            realtime: self.realtime,
            uncertainty_s: self.uncertainty_s,
            boarding: self.boarding,
            occupancy: self.occupancy,
            notice_ids: self.notice_ids.clone(),
        }
    }
}

impl Arrival {
    pub fn to_wire(&self, tz: Tz) -> wire::Arrival {
        let d = self.call.to_wire(tz);
        wire::Arrival {
            id: d.id,
            mode: d.mode,
            route: d.route,
            origin: self.origin.clone(),
            headsign: d.headsign,
            terminates: self.terminates,
            trip_number: d.trip_number,
            stop_id: d.stop_id,
            platform: d.platform,
            platform_changed: d.platform_changed,
            scheduled: d.scheduled,
            expected: d.expected,
            delay_s: d.delay_s,
            status: d.status,
            realtime: d.realtime,
            uncertainty_s: d.uncertainty_s,
            at_stop: d.boarding,
            occupancy: d.occupancy,
            notice_ids: d.notice_ids,
        }
    }
}

impl Notice {
    pub fn to_wire(&self, tz: Tz) -> wire::Notice {
        wire::Notice {
            id: self.id.clone(),
            source: self.source,
            severity: self.severity,
            cause: self.cause.to_string(),
            effect: self.effect.to_string(),
            header: self.header.clone(),
            description: self.description.clone(),
            screen_text: self.screen_text.clone(),
            tts_text: self.tts_text.clone(),
            active_periods: self.active_periods.iter().map(|p| period(p, tz)).collect(),
            informed_entities: self.informed_entities.clone(),
            updated_at: rfc3339(tz, self.updated_at),
            accessibility: step_free_access(self.effect, &self.header, &self.description),
        }
    }
}

/// Words that say a notice is about a lift or an escalator, whole: producers
/// that predate GTFS-Realtime's `ACCESSIBILITY_ISSUE` (or SIRI's equipment
/// reasons) say it in words (MBTA 2017: `OTHER_EFFECT`, « elevator
/// unavailable »).
const EQUIPMENT: &[&str] = &[
    "elevator",
    "elevators",
    "escalator",
    "escalators",
    "ascenseur",
    "ascenseurs",
    "aufzug",
    "aufzüge",
    "fahrstuhl",
    "fahrstühle",
    "rolltreppe",
    "rolltreppen",
];

/// "Lift" is also a verb and a ski lift: only with a word of an outage.
const OUTAGE: &[&str] = &[
    "unavailable",
    "closed",
    "broken",
    "out",
    "failure",
    "faulty",
    "repair",
    "repairs",
];

/// Whether a notice is about step-free access (see `wire::Notice::accessibility`).
pub fn step_free_access(
    effect: crate::realtime::Effect,
    header: &quai_protocol::Translated,
    description: &quai_protocol::Translated,
) -> bool {
    use unicode_normalization::UnicodeNormalization as _;
    if effect == crate::realtime::Effect::AccessibilityIssue {
        return true;
    }
    // The header says what the notice is about (a description may mention a
    // lift as the way round something else).
    let _ = description;
    header.values().any(|text| {
        let text = text.nfc().collect::<String>().to_lowercase();
        let words: Vec<&str> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        let has = |set: &[&str]| words.iter().any(|w| set.contains(w));
        let escalier_mecanique = words.windows(2).any(|w| {
            matches!(w[0], "escalier" | "escaliers") && matches!(w[1], "mécanique" | "mécaniques")
        });
        has(EQUIPMENT) || escalier_mecanique || (has(&["lift", "lifts"]) && has(OUTAGE))
    })
}

/// A facility's line, its instant in `tz`.
pub fn facility(f: &crate::facility::FacilityLine, tz: Tz) -> wire::Facility {
    wire::Facility {
        id: f.id.to_string(),
        name: f.name.clone(),
        kind: f.kind,
        capacity: f.capacity,
        capacity_pmr: f.capacity_pmr,
        capacity_ev: f.capacity_ev,
        free: f.free,
        occupied: f.occupied,
        unknown: f.unknown,
        status: f.status,
        updated_at: f.updated_at.map(|t| rfc3339(tz, t)),
        vehicle_types: f
            .vehicle_types
            .iter()
            .map(|(id, count)| wire::VehicleTypeCount {
                vehicle_type_id: id.clone(),
                count: *count,
            })
            .collect(),
    }
}

fn period(p: &Period, tz: Tz) -> wire::ActivePeriod {
    let at = |t: Option<DateTime<Utc>>| t.map(|t| rfc3339(tz, t));
    wire::ActivePeriod {
        start: at(p.start),
        end: at(p.end),
    }
}

fn advisory(a: &Advisory, tz: Tz) -> wire::Advisory {
    wire::Advisory {
        id: a.id.clone(),
        event: a.event,
        level: a.level,
        headline: a.headline.clone(),
        advice: a.advice.clone(),
        onset: a.onset.map(|t| rfc3339(tz, t)),
        expires: a.expires.map(|t| rfc3339(tz, t)),
        source: a.source.clone(),
    }
}

/// A feed's freshness as `/healthz` and boards write it, instants in `tz`.
pub fn feed_status(f: &FeedStatus, tz: Tz) -> wire::FeedStatus {
    wire::FeedStatus {
        id: f.id.clone(),
        last_success: f.last_success.map(|t| rfc3339(tz, t)),
        age_s: f.age_s,
        stale: f.stale,
        reason: f.reason.clone(),
        attachment: f.attachment.as_ref().map(attachment),
    }
}

/// A feed's freshness as boards carry it: whether it is stale, and why; what
/// its updates attach to is `/healthz`'s (it changes with every message, and
/// the stream sends `feeds` only when a feed's staleness changes).
fn board_feed_status(f: &FeedStatus, tz: Tz) -> wire::FeedStatus {
    let mut status = feed_status(f, tz);
    status.attachment = None;
    if !f.stale {
        status.reason = None;
    }
    status
}

fn attachment(a: &crate::realtime::Attachment) -> wire::Attachment {
    let n = |v: usize| v as u64;
    wire::Attachment {
        received: n(a.received),
        attached: n(a.attached),
        unknown_trip: n(a.unknown_trip),
        not_running: n(a.not_running),
        duplicate: n(a.duplicate),
        unknown_stop: n(a.unknown_stop),
        stop_corrected: n(a.stop_corrected),
        implausible: n(a.implausible),
        decreasing: n(a.decreasing),
    }
}

#[cfg(test)]
mod step_free_tests {
    use super::step_free_access;
    use crate::realtime::Effect;

    fn says(text: &str) -> quai_protocol::Translated {
        [("fr".to_string(), text.to_string())].into()
    }

    #[test]
    fn a_lift_or_an_escalator_out_of_service_is_about_step_free_access() {
        let none = quai_protocol::Translated::new();
        assert!(step_free_access(
            Effect::AccessibilityIssue,
            &says("Quai 2"),
            &none
        ));
        assert!(step_free_access(
            Effect::OtherEffect,
            &says("Elevator unavailable"),
            &none
        ));
        assert!(step_free_access(
            Effect::OtherEffect,
            &says("Ascenseur du quai 2 hors service"),
            &none
        ));
        assert!(step_free_access(
            Effect::OtherEffect,
            &says("Escaliers mécaniques arrêtés"),
            &none
        ));
        assert!(step_free_access(
            Effect::OtherEffect,
            &says("Lifts closed at Park St"),
            &none
        ));
        assert!(!step_free_access(
            Effect::StopMoved,
            &says("Quai C fermé"),
            &none
        ));
        assert!(!step_free_access(
            Effect::Detour,
            &says("Liftgate buses only"),
            &none
        ));
        // A description that mentions a lift as the way round is not enough.
        assert!(!step_free_access(
            Effect::StopMoved,
            &says("Quai C fermé"),
            &says("Prenez l'ascenseur jusqu'au quai D.")
        ));
    }
}
