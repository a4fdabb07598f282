//! The board as the server works with it: instants typed (`DateTime<Utc>`),
//! departures identified by a [`DepartureId`], stops by a [`StopKey`], causes
//! and effects as enums. It becomes the wire's [`quai_protocol::Board`] once,
//! when the hub publishes it ([`super::wire`]); the GTFS-RT export reads it as
//! it is.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use quai_protocol::{
    DepartureStatus, InformedEntity, Mode, NoticeSource, RouteRef, Severity, Translated, Wifi,
};

use super::departure_id::DepartureId;
use crate::advisory::Advisory;
use crate::feed::StopKey;
use crate::freshness::FeedStatus;
use crate::id::StationId;
use crate::notice::Period;
use crate::realtime::{Cause, Effect};

/// One station's board at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Board {
    pub station: StationId,
    pub station_name: String,
    /// Every instant is written in this zone on the wire.
    pub timezone: Tz,
    pub generated_at: DateTime<Utc>,
    pub departures: Vec<Departure>,
    /// Arrivals, when the station shows them (`arrivals = true`), in the
    /// order of their arrival.
    pub arrivals: Vec<Arrival>,
    /// Most severe first.
    pub notices: Vec<Notice>,
    /// Most severe first.
    pub advisories: Vec<Advisory>,
    pub wifi: Option<Wifi>,
    pub feeds: Vec<FeedStatus>,
    /// When `departures` is empty: the first departure after the horizon.
    pub next_service: Option<DateTime<Utc>>,
    /// The emergency takeover of the station's screens, while one runs.
    pub emergency: Option<Emergency>,
    /// Carpool areas, car parks and bike share beside the station.
    pub facilities: Vec<crate::facility::FacilityLine>,
}

/// An emergency takeover as a board carries it (see [`crate::emergency`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Emergency {
    pub id: String,
    pub screen_text: Translated,
    /// Per language, every language of `screen_text` included.
    pub tts_text: Translated,
    pub started_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub repeat_s: u32,
}

impl Board {
    /// Whether the two boards show passengers the same thing (the instant they
    /// were made and the feeds' ages aside).
    pub fn same_content(&self, other: &Board) -> bool {
        self.departures == other.departures
            && self.arrivals == other.arrivals
            && self.notices == other.notices
            && self.advisories == other.advisories
            && self.wifi == other.wifi
            && self.next_service == other.next_service
            && self.emergency == other.emergency
            && self.facilities == other.facilities
            && self
                .feeds
                .iter()
                .map(|f| (&f.id, f.stale))
                .eq(other.feeds.iter().map(|f| (&f.id, f.stale)))
    }
}

/// One vehicle leaving the station.
#[derive(Debug, Clone, PartialEq)]
pub struct Departure {
    pub id: DepartureId,
    pub mode: Mode,
    pub route: RouteRef,
    pub headsign: String,
    /// The train or trip number.
    pub trip_number: Option<String>,
    /// The stop (bay, platform) the vehicle leaves from; the realtime one when the
    /// platform changed.
    pub stop: StopKey,
    pub platform: Option<String>,
    pub platform_changed: bool,
    pub scheduled: DateTime<Utc>,
    pub expected: Option<DateTime<Utc>>,
    /// Seconds, positive when late; None without realtime.
    pub delay_s: Option<i64>,
    pub status: DepartureStatus,
    pub realtime: bool,
    pub uncertainty_s: Option<i64>,
    pub boarding: bool,
    /// How full the vehicle is (VehiclePositions), when said.
    pub occupancy: Option<quai_protocol::Occupancy>,
    pub notice_ids: Vec<String>,
}

/// One vehicle arriving at the station: its call, whose times (`scheduled`,
/// `expected`, `delay_s`) are the arrival's and whose `headsign` is where the
/// vehicle goes on to, and where it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrival {
    pub call: Departure,
    /// The name of the run's first stop.
    pub origin: String,
    /// The run ends at the station.
    pub terminates: bool,
}

impl Departure {
    /// The instant it sorts by: expected, else scheduled.
    pub fn at(&self) -> DateTime<Utc> {
        self.expected.unwrap_or(self.scheduled)
    }
}

/// A disruption message shown at the station.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub id: String,
    pub source: NoticeSource,
    pub severity: Severity,
    pub cause: Cause,
    pub effect: Effect,
    pub header: Translated,
    pub description: Translated,
    pub screen_text: Translated,
    /// What screens say aloud (operator notices that give it).
    pub tts_text: Translated,
    pub active_periods: Vec<Period>,
    pub informed_entities: Vec<InformedEntity>,
    pub updated_at: DateTime<Utc>,
}
