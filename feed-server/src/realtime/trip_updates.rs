//! GTFS-Realtime TripUpdates, indexed by trip for the merge.

use std::collections::HashMap;

use chrono::NaiveDate;
use gtfs_realtime::trip_descriptor::ScheduleRelationship as TripRel;
use gtfs_realtime::trip_update::stop_time_update::ScheduleRelationship as StopRel;
use gtfs_realtime::{FeedEntity, FeedMessage, TripDescriptor};

use super::attachment::{self, Attachment, DelayBounds};
use crate::timetable::FeedTimetable;
pub use crate::timetable::gtfs_time::{parse_date, parse_time};

/// Stop time updates kept from one message, all trips together (a large real
/// feed sends about 100,000).
pub const MAX_STOP_UPDATES: usize = 300_000;

/// What happens to a trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TripRelationship {
    /// Runs as in the timetable, with the given updates.
    Scheduled,
    /// Not in the timetable: its stop times come with the update.
    Added,
    Canceled,
    /// Replaces the timetabled trip's stop times entirely (deprecated in the spec).
    Replacement,
    /// A copy of a timetabled trip on another day or time.
    Duplicated,
}

/// What happens at one stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopRelationship {
    Scheduled,
    Skipped,
    /// No realtime information here: predictions stop until the next update.
    NoData,
}

/// A predicted arrival or departure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Event {
    /// Absolute time, POSIX seconds.
    pub time: Option<i64>,
    /// Seconds late (negative: early).
    pub delay: Option<i64>,
    pub uncertainty: Option<i64>,
}

/// What SIRI says of a call beyond its times (GTFS-Realtime has no field for
/// them): the platform, whether the vehicle is at the stop, and the
/// destination shown from there.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallExtras {
    /// The platform name the vehicle uses (`DeparturePlatformName`).
    pub platform: Option<String>,
    pub vehicle_at_stop: bool,
    /// `DestinationDisplay` at this call.
    pub headsign: Option<String>,
    /// The producer's own word on the departure (`DepartureStatus` on time,
    /// early, delayed; its `ArrivalStatus` when it says nothing of the
    /// departure), which wins over the board's reading of the delay.
    pub status: Option<quai_protocol::DepartureStatus>,
    /// Its word on the arrival (`ArrivalStatus`), for arrival boards.
    pub arrival_status: Option<quai_protocol::DepartureStatus>,
}

impl CallExtras {
    pub fn is_empty(&self) -> bool {
        self.platform.is_none()
            && !self.vehicle_at_stop
            && self.headsign.is_none()
            && self.status.is_none()
            && self.arrival_status.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopUpdate {
    pub sequence: Option<u32>,
    pub stop_id: Option<String>,
    pub arrival: Option<Event>,
    pub departure: Option<Event>,
    pub relationship: StopRelationship,
    /// `stop_time_properties.assigned_stop_id`: the vehicle calls at another stop
    /// (platform) than planned.
    pub assigned_stop_id: Option<String>,
    pub extras: CallExtras,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TripUpdate {
    pub entity_id: String,
    pub trip_id: String,
    pub route_id: Option<String>,
    pub start_date: Option<NaiveDate>,
    /// Seconds of the service day (`start_time`), for frequency-based trips.
    pub start_time: Option<u32>,
    pub relationship: TripRelationship,
    /// Trip-level delay, used for stops no update speaks of.
    pub delay: Option<i64>,
    /// Sorted by stop_sequence when given.
    pub stop_updates: Vec<StopUpdate>,
    /// From `trip_properties`: the new trip's id (DUPLICATED), its day and start time,
    /// and its headsign (ADDED).
    pub new_trip_id: Option<String>,
    pub new_start_date: Option<NaiveDate>,
    pub new_start_time: Option<u32>,
    pub headsign: Option<String>,
}

impl TripUpdate {
    /// The service day and start time (seconds) of a DUPLICATED copy: those of
    /// `trip_properties`, as the reference requires; producers that send a copy
    /// without `trip_properties` put them in the TripDescriptor's `start_date`
    /// and `start_time`, which are read then. A copy given a new trip id but
    /// no day runs on the original's day.
    pub fn copy_start(&self) -> (Option<NaiveDate>, Option<u32>) {
        let properties = self.new_trip_id.is_some()
            || self.new_start_date.is_some()
            || self.new_start_time.is_some();
        if properties {
            (self.new_start_date.or(self.start_date), self.new_start_time)
        } else {
            (self.start_date, self.start_time)
        }
    }
}

/// All trip updates of one message.
#[derive(Debug, Default, Clone)]
pub struct TripUpdates {
    by_trip: HashMap<String, Vec<TripUpdate>>,
    /// Updates of trips that are not in the timetable (ADDED / NEW) and DUPLICATED
    /// copies: they make departures of their own.
    pub extra: Vec<TripUpdate>,
    pub entity_count: usize,
    /// What the message's updates attach to ([`TripUpdates::attach`]).
    pub attachment: Attachment,
}

impl TripUpdates {
    /// Indexes the TripUpdates of `message`. `known_trip` tells whether a trip id is
    /// in the timetable: updates of unknown trips are kept only when they are ADDED.
    pub fn from_message(message: &FeedMessage, known_trip: impl Fn(&str) -> bool) -> TripUpdates {
        TripUpdates::from_entities(message.entity.iter().cloned(), known_trip)
    }

    /// The same, from entities decoded one at a time. At most
    /// [`MAX_STOP_UPDATES`] stop time updates are kept in all: past them, the
    /// trips' other updates are left out (a real message has far fewer).
    pub fn from_entities(
        entities: impl IntoIterator<Item = FeedEntity>,
        known_trip: impl Fn(&str) -> bool,
    ) -> TripUpdates {
        let mut out = TripUpdates::default();
        let mut stop_updates = 0usize;
        for entity in entities {
            if entity.is_deleted() {
                continue;
            }
            let Some(tu) = &entity.trip_update else {
                continue;
            };
            out.entity_count += 1;
            out.attachment.received += 1;
            let Some(mut update) = convert(&entity.id, tu) else {
                out.attachment.unknown_trip += 1;
                continue;
            };
            let room = MAX_STOP_UPDATES.saturating_sub(stop_updates);
            update.stop_updates.truncate(room);
            stop_updates += update.stop_updates.len();
            match update.relationship {
                TripRelationship::Added | TripRelationship::Duplicated => out.extra.push(update),
                _ if !known_trip(&update.trip_id) => {
                    // An update of a trip we do not know, not marked ADDED: nothing to
                    // attach it to.
                    out.attachment.unknown_trip += 1;
                }
                _ => out
                    .by_trip
                    .entry(update.trip_id.clone())
                    .or_default()
                    .push(update),
            }
        }
        out
    }

    /// Updates built by another reader (SIRI): those of timetabled trips
    /// indexed by trip, the others (ADDED) kept apart; `attachment` holds what
    /// that reader counted so far.
    pub fn from_updates(updates: Vec<TripUpdate>, attachment: Attachment) -> TripUpdates {
        let mut out = TripUpdates {
            entity_count: attachment.received,
            attachment,
            ..TripUpdates::default()
        };
        for update in updates {
            match update.relationship {
                TripRelationship::Added | TripRelationship::Duplicated => out.extra.push(update),
                _ => out
                    .by_trip
                    .entry(update.trip_id.clone())
                    .or_default()
                    .push(update),
            }
        }
        out
    }

    /// Checks the updates of timetabled trips against `timetable`
    /// ([`attachment::attach`]): what does not attach is dropped, and counted
    /// in [`TripUpdates::attachment`] with what does. `feed` names the feed in
    /// the log.
    pub fn attach(
        mut self,
        feed: &str,
        timetable: &FeedTimetable,
        bounds: DelayBounds,
    ) -> TripUpdates {
        let mut counts = std::mem::take(&mut self.attachment);
        let by_trip = std::mem::take(&mut self.by_trip);
        for (trip, updates) in by_trip {
            let kept = attachment::attach(feed, updates, timetable, bounds, &mut counts);
            if !kept.is_empty() {
                self.by_trip.insert(trip, kept);
            }
        }
        let extra = std::mem::take(&mut self.extra);
        for update in extra {
            if update.relationship == TripRelationship::Duplicated {
                let Some(trip) = timetable.trip_index(&update.trip_id) else {
                    counts.unknown_trip += 1;
                    continue;
                };
                let first = timetable
                    .trip_stop_times(&timetable.trips[trip])
                    .first()
                    .map(|st| st.departure);
                let (day, start) = update.copy_start();
                // A copy at the original's own start time changes nothing.
                if day.is_none() || start.is_none_or(|s| Some(s) == first) {
                    counts.duplicate += 1;
                    continue;
                }
            }
            counts.attached += 1;
            self.extra.push(update);
        }
        self.attachment = counts;
        self
    }

    /// The update of `trip_id` on `service_day` (and, for frequency trips, the instance
    /// starting at `start_time`). An update without `start_date` applies to any day:
    /// boards span hours, so a trip id cannot come twice on one board. An instance of
    /// a frequency trip takes only an update naming its start time: GTFS-Realtime
    /// requires `start_time` for those trips, and without it nobody can tell which
    /// of the runs is late (applied to all, one late bus would delay every run).
    pub fn find(
        &self,
        trip_id: &str,
        service_day: NaiveDate,
        start_time: Option<u32>,
    ) -> Option<&TripUpdate> {
        self.by_trip.get(trip_id)?.iter().find(|u| {
            u.start_date.is_none_or(|d| d == service_day)
                && start_time.is_none_or(|s| u.start_time == Some(s))
        })
    }

    /// Whether some update is about `trip_id` (any day).
    pub fn has_trip(&self, trip_id: &str) -> bool {
        self.by_trip.contains_key(trip_id)
    }

    pub fn len(&self) -> usize {
        self.by_trip.values().map(Vec::len).sum::<usize>() + self.extra.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn convert(entity_id: &str, tu: &gtfs_realtime::TripUpdate) -> Option<TripUpdate> {
    let trip: &TripDescriptor = &tu.trip;
    let trip_id = trip.trip_id.clone()?;
    // ADDED is deprecated in favour of NEW, but producers still send it.
    #[allow(deprecated)]
    let relationship = match trip.schedule_relationship() {
        TripRel::Scheduled | TripRel::Unscheduled => TripRelationship::Scheduled,
        TripRel::Added | TripRel::New => TripRelationship::Added,
        TripRel::Canceled | TripRel::Deleted => TripRelationship::Canceled,
        TripRel::Replacement => TripRelationship::Replacement,
        TripRel::Duplicated => TripRelationship::Duplicated,
    };
    let mut stop_updates: Vec<StopUpdate> = tu
        .stop_time_update
        .iter()
        .map(|s| StopUpdate {
            sequence: s.stop_sequence,
            stop_id: s.stop_id.clone().filter(|id| !id.is_empty()),
            arrival: s.arrival.as_ref().map(event),
            departure: s.departure.as_ref().map(event),
            relationship: match s.schedule_relationship() {
                StopRel::Skipped => StopRelationship::Skipped,
                StopRel::NoData => StopRelationship::NoData,
                StopRel::Scheduled | StopRel::Unscheduled => StopRelationship::Scheduled,
            },
            assigned_stop_id: s
                .stop_time_properties
                .as_ref()
                .and_then(|p| p.assigned_stop_id.clone())
                .filter(|id| !id.is_empty()),
            extras: CallExtras::default(),
        })
        .collect();
    if stop_updates.iter().all(|s| s.sequence.is_some()) {
        stop_updates.sort_by_key(|s| s.sequence);
    }
    let props = tu.trip_properties.as_ref();
    Some(TripUpdate {
        entity_id: entity_id.to_string(),
        trip_id,
        route_id: trip.route_id.clone().filter(|r| !r.is_empty()),
        start_date: trip.start_date.as_deref().and_then(parse_date),
        start_time: trip.start_time.as_deref().and_then(parse_time),
        relationship,
        delay: tu.delay.map(i64::from),
        stop_updates,
        new_trip_id: props
            .and_then(|p| p.trip_id.clone())
            .filter(|t| !t.is_empty()),
        new_start_date: props
            .and_then(|p| p.start_date.as_deref())
            .and_then(parse_date),
        new_start_time: props
            .and_then(|p| p.start_time.as_deref())
            .and_then(parse_time),
        headsign: props
            .and_then(|p| p.trip_headsign.clone())
            .filter(|h| !h.trim().is_empty()),
    })
}

/// Times outside 2000-2100 and delays over two days are producer errors: dropped,
/// so that no arithmetic on them can overflow.
fn event(e: &gtfs_realtime::trip_update::StopTimeEvent) -> Event {
    const YEAR_2000: i64 = 946_684_800;
    const YEAR_2100: i64 = 4_102_444_800;
    Event {
        time: e.time.filter(|t| (YEAR_2000..YEAR_2100).contains(t)),
        delay: e.delay.map(i64::from).filter(|d| d.abs() <= 2 * 86_400),
        uncertainty: e.uncertainty.map(i64::from),
    }
}
