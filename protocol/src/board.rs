//! The departure board of one station, as REST returns it and the stream snapshots it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Text in several languages, keyed by BCP 47 language tag (`fr`, `en`, ...).
pub type Translated = BTreeMap<String, String>;

/// A station as listed by `GET /v1/stations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationInfo {
    pub id: String,
    pub name: String,
    /// IANA timezone, e.g. `Europe/Paris`. Every instant of this station's board is
    /// written with this zone's offset.
    pub timezone: String,
    /// The stops the station is made of, qualified by feed: `{feed}:{stop_id}`.
    pub stop_ids: Vec<String>,
}

/// The station header of a board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StationRef {
    pub id: String,
    pub name: String,
    pub timezone: String,
}

/// `GET /v1/stations/{id}/board`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Board {
    pub station: StationRef,
    /// RFC 3339, station timezone.
    pub generated_at: String,
    /// Version of this station's published board; strictly increasing.
    pub seq: u64,
    pub departures: Vec<Departure>,
    /// Arrivals, when the station shows them (its `arrivals = true`), in the
    /// order of their arrival; absent otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arrivals: Vec<Arrival>,
    pub notices: Vec<Notice>,
    pub advisories: Vec<Advisory>,
    /// The station's public Wi-Fi, when one is configured.
    pub wifi: Option<Wifi>,
    pub feeds: Vec<FeedStatus>,
    /// When `departures` is empty: the first departure after the horizon, so that a
    /// screen can say "no service until HH:MM" (RFC 3339, station timezone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_service: Option<String>,
    /// An emergency takeover of the station's screens, while one runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency: Option<crate::Emergency>,
    /// Carpool areas, car parks and bike share beside the station.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facilities: Vec<crate::Facility>,
}

/// Kind of vehicle, from the GTFS `route_type` (basic and extended types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Tram,
    Metro,
    Rail,
    Bus,
    Coach,
    Trolleybus,
    Ferry,
    CableTram,
    AerialLift,
    Funicular,
    Monorail,
    Taxi,
    Air,
    Other,
}

/// Where a departure stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepartureStatus {
    /// No realtime information: the timetable is all we know.
    Scheduled,
    OnTime,
    Delayed,
    Early,
    Cancelled,
    Skipped,
    Departed,
}

/// A line as shown on a board.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RouteRef {
    pub id: String,
    pub short_name: Option<String>,
    pub long_name: Option<String>,
    /// `#RRGGBB`; the GTFS default `#FFFFFF` when the feed gives none.
    pub color: String,
    /// `#RRGGBB`; the GTFS default `#000000` when the feed gives none.
    pub text_color: String,
}

/// One vehicle leaving the station.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Departure {
    /// `{feed}:{trip_id}:{service_date YYYYMMDD}:{stop_sequence}`, stable across updates.
    /// For a trip of `frequencies.txt` the trip id carries the instance's start time:
    /// `{trip_id}@HH:MM:SS`.
    pub id: String,
    pub mode: Mode,
    pub route: RouteRef,
    pub headsign: String,
    /// The train or trip number (`trip_short_name`, or a numeric `trip_headsign`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trip_number: Option<String>,
    /// `{feed}:{stop_id}` of the stop (bay, platform) the vehicle leaves from; the
    /// realtime one when the platform changed.
    pub stop_id: String,
    pub platform: Option<String>,
    /// The platform is not the planned one (GTFS-Realtime `assigned_stop_id`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub platform_changed: bool,
    /// RFC 3339, station timezone.
    pub scheduled: String,
    /// RFC 3339, station timezone; null when no realtime estimate exists.
    pub expected: Option<String>,
    /// Seconds, positive when late; null without realtime.
    pub delay_s: Option<i64>,
    pub status: DepartureStatus,
    pub realtime: bool,
    /// How sure the producer is of `expected`, in seconds (GTFS-Realtime uncertainty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertainty_s: Option<i64>,
    /// The vehicle stands at the stop now: passengers can board.
    #[serde(default, skip_serializing_if = "is_false")]
    pub boarding: bool,
    /// How full the vehicle is, when its VehiclePositions say
    /// (GTFS-Realtime `occupancy_status`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupancy: Option<Occupancy>,
    pub notice_ids: Vec<String>,
}

/// One vehicle arriving at the station: the calls where a run ends or passes
/// and passengers may alight (`drop_off_type` other than 1), not its first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Arrival {
    /// The call's id, as a departure's (`{feed}:{trip_id}:{YYYYMMDD}:{stop_sequence}`):
    /// a run that goes on has the same id in `departures`.
    pub id: String,
    pub mode: Mode,
    pub route: RouteRef,
    /// The name of the run's first stop: « en provenance de ».
    pub origin: String,
    /// Where the run goes on to (its destination; the station itself when it
    /// ends here).
    pub headsign: String,
    /// The run ends here.
    #[serde(default, skip_serializing_if = "is_false")]
    pub terminates: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trip_number: Option<String>,
    /// `{feed}:{stop_id}` of the stop it arrives at (the realtime one when the
    /// platform changed).
    pub stop_id: String,
    pub platform: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub platform_changed: bool,
    /// Arrival, RFC 3339, station timezone.
    pub scheduled: String,
    /// Expected arrival; null without a realtime estimate.
    pub expected: Option<String>,
    /// Seconds, positive when late; null without realtime.
    pub delay_s: Option<i64>,
    /// As a departure's; `departed` is never used.
    pub status: DepartureStatus,
    pub realtime: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertainty_s: Option<i64>,
    /// The vehicle stands at the stop now: it has arrived.
    #[serde(default, skip_serializing_if = "is_false")]
    pub at_stop: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupancy: Option<Occupancy>,
    pub notice_ids: Vec<String>,
}

/// How full a vehicle is: GTFS-Realtime `OccupancyStatus`, lower snake case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Occupancy {
    Empty,
    ManySeatsAvailable,
    FewSeatsAvailable,
    StandingRoomOnly,
    CrushedStandingRoomOnly,
    Full,
    NotAcceptingPassengers,
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeSource {
    Operator,
    #[serde(rename = "gtfs-rt")]
    GtfsRt,
    Siri,
}

/// How serious a notice is; ordered from the mildest (`Info < Warning < Severe`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Severe,
}

/// A period during which a notice applies; either end may be open.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivePeriod {
    pub start: Option<String>,
    pub end: Option<String>,
}

/// What a notice is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum InformedEntity {
    Station {
        station: String,
    },
    Stop {
        stop_id: String,
    },
    Route {
        route_id: String,
    },
    Trip {
        trip_id: String,
    },
    /// A whole network: a feed's alert about an agency (operators' notices name
    /// stations, stops, routes or trips).
    Agency {
        agency_id: String,
    },
}

/// A disruption message (from an operator, a GTFS-RT Alert or SIRI-SX).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub id: String,
    pub source: NoticeSource,
    pub severity: Severity,
    /// GTFS-RT Alert cause, lower snake case (`strike`, `maintenance`, ...).
    pub cause: String,
    /// GTFS-RT Alert effect, lower snake case (`no_service`, `detour`, ...).
    pub effect: String,
    pub header: Translated,
    pub description: Translated,
    /// Short text for the screens' ticker, per language (operator notices).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub screen_text: Translated,
    /// What screens say aloud, per language (operator notices that give it).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tts_text: Translated,
    pub active_periods: Vec<ActivePeriod>,
    pub informed_entities: Vec<InformedEntity>,
    pub updated_at: String,
    /// It is about step-free access: a lift or an escalator out of service
    /// (effect `accessibility_issue`, or a producer that says so in words
    /// only, as MBTA's « elevator unavailable » with `other_effect`).
    /// Screens mark it ♿ and say it aloud; apps mark it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub accessibility: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdvisoryEvent {
    Heatwave,
    Storm,
    Wind,
    SnowIce,
    /// River floods (Météo-France's "crues").
    Flood,
    /// Heavy rain and the floods it brings ("pluie-inondation").
    RainFlood,
    Thunderstorm,
    ColdWave,
    Avalanche,
    /// High waves and coastal flooding ("vagues-submersion").
    CoastalFlood,
    Other,
}

/// The colour of a weather warning; ordered from the mildest (`Yellow < Orange < Red`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdvisoryLevel {
    Yellow,
    Orange,
    Red,
}

/// Weather advice for passengers (heatwave, storm, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    pub id: String,
    pub event: AdvisoryEvent,
    pub level: AdvisoryLevel,
    pub headline: Translated,
    pub advice: BTreeMap<String, Vec<String>>,
    pub onset: Option<String>,
    pub expires: Option<String>,
    pub source: String,
}

/// The station's free public Wi-Fi, advertised on screens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wifi {
    pub ssid: String,
    /// What the screen encodes in its QR code (`WIFI:T:nopass;S:...;;`).
    pub qr_payload: String,
    pub portal_url: Option<String>,
}

/// Freshness of one upstream feed, as in `/healthz`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedStatus {
    pub id: String,
    /// RFC 3339; null when the feed never loaded.
    pub last_success: Option<String>,
    pub age_s: Option<i64>,
    pub stale: bool,
    /// Why a stale feed is stale, when its last poll failed (a refused message,
    /// an unreachable upstream...), or why a fresh trip-updates feed is
    /// degraded (too few of its updates attach to a running trip); absent
    /// otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For a trip-updates endpoint: what the updates of its last accepted
    /// message attach to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
}

/// What one GTFS-Realtime message's trip updates attach to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// Trip update entities in the message.
    pub received: u64,
    /// Of them, those that reach a trip: timetabled and running that day,
    /// added, or a copy.
    pub attached: u64,
    /// Entities dropped: a trip id the timetable does not have (not ADDED).
    pub unknown_trip: u64,
    /// Entities dropped: the trip does not run on the update's `start_date`.
    pub not_running: u64,
    /// Entities dropped: the same trip run again, or a copy that changes nothing.
    pub duplicate: u64,
    /// Stop time updates dropped: a stop or sequence the trip does not call at.
    pub unknown_stop: u64,
    /// Stop time updates whose `stop_sequence` named another stop than their
    /// `stop_id`, read by `stop_id`.
    pub stop_corrected: u64,
    /// Predicted times dropped: a delay beyond the configured bounds.
    pub implausible: u64,
    /// Trips whose own predictions decrease along the trip (kept).
    pub decreasing: u64,
}

/// `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// `ok` or `degraded`.
    pub status: String,
    pub feeds: Vec<FeedStatus>,
    /// `single` (one process does everything), `ingest` or `edge`
    /// (docs/scaling.md).
    #[serde(default = "single")]
    pub role: String,
    /// An ingest or edge node's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// An ingest or edge node's link to NATS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nats: Option<NatsHealth>,
}

fn single() -> String {
    "single".into()
}

/// What `/healthz` says of a node's link to NATS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NatsHealth {
    pub connected: bool,
    /// An edge's lag: messages of the board stream not yet received, as of
    /// the last one received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag_messages: Option<u64>,
    /// An edge: seconds since the last message received (none yet: absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message_age_s: Option<f64>,
    /// An ingest node: the node that holds the ingest lease (absent when
    /// none does, as far as this node last read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_holder: Option<String>,
    /// An ingest node: whether it holds the lease and publishes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publishing: Option<bool>,
    /// The last error talking to NATS, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_modes_use_the_contract_spelling() {
        let json = serde_json::to_string(&(
            DepartureStatus::OnTime,
            Mode::AerialLift,
            NoticeSource::GtfsRt,
            AdvisoryEvent::SnowIce,
        ))
        .unwrap();
        assert_eq!(json, r#"["on_time","aerial_lift","gtfs-rt","snow_ice"]"#);
    }

    #[test]
    fn informed_entities_with_extra_fields_are_refused() {
        assert!(
            serde_json::from_str::<InformedEntity>(r#"{"station":"caudry","route_id":"K40"}"#)
                .is_err()
        );
        assert!(serde_json::from_str::<ActivePeriod>(r#"{"start":null,"ends":null}"#).is_err());
    }

    #[test]
    fn informed_entities_are_untagged_objects() {
        let e: Vec<InformedEntity> =
            serde_json::from_str(r#"[{"station":"caudry"},{"route_id":"K40"}]"#).unwrap();
        assert_eq!(
            e,
            vec![
                InformedEntity::Station {
                    station: "caudry".into()
                },
                InformedEntity::Route {
                    route_id: "K40".into()
                }
            ]
        );
    }
}
