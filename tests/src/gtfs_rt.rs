//! GTFS-Realtime messages for tests, built by parts instead of by struct literal:
//!
//! ```text
//! gtfs_rt::encode(ts, [trip_update("TER:843800:WD", "20260309").stop(stop(6).delay(300))])
//! ```
//!
//! Every field left unset stays unset (`None`), as in a message built by hand.

use gtfs_realtime::alert::{Cause, Effect};
use gtfs_realtime::translated_string::Translation;
use gtfs_realtime::trip_descriptor::ScheduleRelationship as TripRel;
use gtfs_realtime::trip_update::stop_time_update::{
    ScheduleRelationship as StopRel, StopTimeProperties,
};
use gtfs_realtime::trip_update::{StopTimeEvent, StopTimeUpdate, TripProperties};
use gtfs_realtime::vehicle_position::VehicleStopStatus;
use gtfs_realtime::{
    Alert, EntitySelector, FeedEntity, FeedHeader, FeedMessage, TimeRange, TranslatedString,
    TripDescriptor, TripUpdate, VehiclePosition,
};
use prost::Message as _;

/// A GTFS-RT 2.0 message dated `ts` (POSIX seconds) with `entities`.
pub fn message(ts: i64, entities: impl IntoIterator<Item = impl Into<FeedEntity>>) -> FeedMessage {
    FeedMessage {
        header: FeedHeader {
            gtfs_realtime_version: "2.0".into(),
            timestamp: Some(ts.max(0) as u64),
            ..FeedHeader::default()
        },
        entity: entities.into_iter().map(Into::into).collect(),
    }
}

/// [`message`], encoded as an upstream serves it.
pub fn encode(ts: i64, entities: impl IntoIterator<Item = impl Into<FeedEntity>>) -> Vec<u8> {
    message(ts, entities).encode_to_vec()
}

/// An entity with its id and nothing else yet.
fn entity(id: String) -> FeedEntity {
    FeedEntity {
        id,
        ..FeedEntity::default()
    }
}

/// A trip: `trip_id` alone, as vehicles and alerts name it.
fn trip_id(id: &str) -> TripDescriptor {
    TripDescriptor {
        trip_id: Some(id.into()),
        ..TripDescriptor::default()
    }
}

/// A TripUpdate entity under construction.
#[derive(Debug, Clone)]
pub struct TripUpdateEntity {
    id: String,
    update: TripUpdate,
}

/// A TripUpdate of trip `trip_id` on service day `start_date` (YYYYMMDD), in an
/// entity of the same id (see [`TripUpdateEntity::entity`]).
pub fn trip_update(trip_id: &str, start_date: &str) -> TripUpdateEntity {
    TripUpdateEntity {
        id: trip_id.into(),
        update: TripUpdate {
            trip: TripDescriptor {
                trip_id: Some(trip_id.into()),
                start_date: Some(start_date.into()),
                ..TripDescriptor::default()
            },
            ..TripUpdate::default()
        },
    }
}

impl TripUpdateEntity {
    /// The entity's id.
    pub fn entity(mut self, id: &str) -> Self {
        self.id = id.into();
        self
    }

    /// The trip's schedule relationship.
    pub fn relationship(mut self, rel: TripRel) -> Self {
        self.update.trip.schedule_relationship = Some(rel as i32);
        self
    }

    /// A trip of the timetable (SCHEDULED, said explicitly).
    pub fn scheduled(self) -> Self {
        self.relationship(TripRel::Scheduled)
    }

    pub fn cancelled(self) -> Self {
        self.relationship(TripRel::Canceled)
    }

    /// A trip the timetable does not have (NEW), on route `route_id`.
    pub fn added(mut self, route_id: &str) -> Self {
        self.update.trip.route_id = Some(route_id.into());
        self.relationship(TripRel::New)
    }

    /// A copy of a timetable trip (DUPLICATED); see [`Self::copy`].
    pub fn duplicated(self) -> Self {
        self.relationship(TripRel::Duplicated)
    }

    /// The trip's `start_time` (HH:MM:SS): which run of a frequency-based trip.
    pub fn start_time(mut self, start_time: &str) -> Self {
        self.update.trip.start_time = Some(start_time.into());
        self
    }

    /// The run of a duplicated trip: its day and start time (trip_properties).
    pub fn copy(mut self, start_date: &str, start_time: &str) -> Self {
        let p = self.properties();
        p.start_date = Some(start_date.into());
        p.start_time = Some(start_time.into());
        self
    }

    /// The new id of a duplicated trip (trip_properties).
    pub fn copy_id(mut self, trip_id: &str) -> Self {
        self.properties().trip_id = Some(trip_id.into());
        self
    }

    /// The headsign of an added trip (trip_properties).
    pub fn headsign(mut self, headsign: &str) -> Self {
        self.properties().trip_headsign = Some(headsign.into());
        self
    }

    /// A trip-level `delay` (seconds), for the calls before the first stop
    /// time update that has one.
    pub fn delay(mut self, seconds: i32) -> Self {
        self.update.delay = Some(seconds);
        self
    }

    /// One more StopTimeUpdate.
    pub fn stop(mut self, stop: StopUpdate) -> Self {
        self.update.stop_time_update.push(stop.0);
        self
    }

    fn properties(&mut self) -> &mut TripProperties {
        self.update
            .trip_properties
            .get_or_insert_with(TripProperties::default)
    }
}

impl From<TripUpdateEntity> for FeedEntity {
    fn from(t: TripUpdateEntity) -> FeedEntity {
        FeedEntity {
            trip_update: Some(t.update),
            ..entity(t.id)
        }
    }
}

/// A StopTimeUpdate under construction.
#[derive(Debug, Clone)]
pub struct StopUpdate(StopTimeUpdate);

/// An update of the call at `stop_sequence`.
pub fn stop(stop_sequence: u32) -> StopUpdate {
    StopUpdate(StopTimeUpdate {
        stop_sequence: Some(stop_sequence),
        ..StopTimeUpdate::default()
    })
}

impl StopUpdate {
    /// Leaves `seconds` late (negative: early); with [`StopUpdate::departs`],
    /// an event that gives both, as many producers send.
    pub fn delay(mut self, seconds: i32) -> Self {
        self.0
            .departure
            .get_or_insert_with(StopTimeEvent::default)
            .delay = Some(seconds);
        self
    }

    /// Leaves at `posix` seconds.
    pub fn departs(mut self, posix: i64) -> Self {
        self.0
            .departure
            .get_or_insert_with(StopTimeEvent::default)
            .time = Some(posix);
        self
    }

    /// Arrives at `posix` seconds.
    pub fn arrives(mut self, posix: i64) -> Self {
        self.0.arrival = Some(StopTimeEvent {
            time: Some(posix),
            ..StopTimeEvent::default()
        });
        self
    }

    /// The stop called at (`stop_id`).
    pub fn at(mut self, stop_id: &str) -> Self {
        self.0.stop_id = Some(stop_id.into());
        self
    }

    /// Another stop than planned (`assigned_stop_id`): a platform change.
    pub fn assigned(mut self, stop_id: &str) -> Self {
        self.0.stop_time_properties = Some(StopTimeProperties {
            assigned_stop_id: Some(stop_id.into()),
            ..StopTimeProperties::default()
        });
        self
    }

    pub fn skipped(mut self) -> Self {
        self.0.schedule_relationship = Some(StopRel::Skipped as i32);
        self
    }

    pub fn no_data(mut self) -> Self {
        self.0.schedule_relationship = Some(StopRel::NoData as i32);
        self
    }
}

/// A VehiclePosition entity under construction.
#[derive(Debug, Clone)]
pub struct VehicleEntity {
    id: String,
    vehicle: VehiclePosition,
}

/// Entity `id`: a vehicle running trip `trip_id`.
pub fn vehicle(id: &str, trip_id_: &str) -> VehicleEntity {
    VehicleEntity {
        id: id.into(),
        vehicle: VehiclePosition {
            trip: Some(trip_id(trip_id_)),
            ..VehiclePosition::default()
        },
    }
}

impl VehicleEntity {
    /// Standing at `stop_id`, call `stop_sequence` (STOPPED_AT).
    pub fn stopped_at(mut self, stop_id: &str, stop_sequence: u32) -> Self {
        self.vehicle.stop_id = Some(stop_id.into());
        self.vehicle.current_stop_sequence = Some(stop_sequence);
        self.vehicle.current_status = Some(VehicleStopStatus::StoppedAt as i32);
        self
    }
}

impl VehicleEntity {
    /// On its way to `stop_id`, call `stop_sequence` (IN_TRANSIT_TO).
    pub fn heading_to(mut self, stop_id: &str, stop_sequence: u32) -> Self {
        self.vehicle.stop_id = Some(stop_id.into());
        self.vehicle.current_stop_sequence = Some(stop_sequence);
        self.vehicle.current_status = Some(VehicleStopStatus::InTransitTo as i32);
        self
    }

    /// At `lat`, `lon`, measured at `timestamp` (POSIX seconds).
    pub fn at(mut self, lat: f32, lon: f32, timestamp: u64) -> Self {
        self.vehicle.position = Some(gtfs_realtime::Position {
            latitude: lat,
            longitude: lon,
            ..Default::default()
        });
        self.vehicle.timestamp = Some(timestamp);
        self
    }
}

impl From<VehicleEntity> for FeedEntity {
    fn from(v: VehicleEntity) -> FeedEntity {
        FeedEntity {
            vehicle: Some(v.vehicle),
            ..entity(v.id)
        }
    }
}

/// An Alert entity under construction.
#[derive(Debug, Clone)]
pub struct AlertEntity {
    id: String,
    alert: Alert,
}

/// Entity `id`: an alert with `cause` and `effect`.
pub fn alert(id: &str, cause: Cause, effect: Effect) -> AlertEntity {
    AlertEntity {
        id: id.into(),
        alert: Alert {
            cause: Some(cause as i32),
            effect: Some(effect as i32),
            ..Alert::default()
        },
    }
}

impl AlertEntity {
    /// One more translation of the header (`language` None: the feed's own).
    pub fn header(mut self, language: Option<&str>, text: &str) -> Self {
        add_translation(&mut self.alert.header_text, language, text);
        self
    }

    /// One more translation of the description (`language` None: the feed's own).
    pub fn description(mut self, language: Option<&str>, text: &str) -> Self {
        add_translation(&mut self.alert.description_text, language, text);
        self
    }

    /// About stop `stop_id`.
    pub fn on_stop(mut self, stop_id: &str) -> Self {
        self.alert.informed_entity.push(EntitySelector {
            stop_id: Some(stop_id.into()),
            ..EntitySelector::default()
        });
        self
    }

    /// About a whole agency (network-wide).
    pub fn on_agency(mut self, agency_id: &str) -> Self {
        self.alert.informed_entity.push(EntitySelector {
            agency_id: Some(agency_id.into()),
            ..EntitySelector::default()
        });
        self
    }

    /// About trip `trip_id`.
    pub fn on_trip(mut self, trip_id_: &str) -> Self {
        self.alert.informed_entity.push(EntitySelector {
            trip: Some(trip_id(trip_id_)),
            ..EntitySelector::default()
        });
        self
    }

    /// Active from `start` to `end` (POSIX seconds).
    pub fn active(mut self, start: i64, end: i64) -> Self {
        self.alert.active_period.push(TimeRange {
            start: Some(start as u64),
            end: Some(end as u64),
        });
        self
    }
}

impl From<AlertEntity> for FeedEntity {
    fn from(a: AlertEntity) -> FeedEntity {
        FeedEntity {
            alert: Some(a.alert),
            ..entity(a.id)
        }
    }
}

/// One more translation in `string` (made when there is none yet).
fn add_translation(string: &mut Option<TranslatedString>, language: Option<&str>, text: &str) {
    string
        .get_or_insert_with(TranslatedString::default)
        .translation
        .push(Translation {
            text: text.into(),
            language: language.map(str::to_string),
        });
}
