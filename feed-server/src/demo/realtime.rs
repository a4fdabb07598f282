//! A GTFS-Realtime simulator for the embedded demo network, served by the server
//! itself (`/demo/gtfs-rt/...`) and polled like any real feed, so that the demo
//! board lives: delays that drift, one cancelled bus, one train moved to the other
//! platform, buses standing at their bay, and one alert.
//!
//! Everything is a function of the clock: the same instant gives the same feed.

use std::f64::consts::TAU;
use std::hash::{DefaultHasher, Hash, Hasher};

use chrono::{DateTime, Duration, Utc};
use gtfs_realtime::alert::{Cause, Effect, SeverityLevel};
use gtfs_realtime::translated_string::Translation;
use gtfs_realtime::trip_descriptor::ScheduleRelationship as TripRel;
use gtfs_realtime::trip_update::stop_time_update::StopTimeProperties;
use gtfs_realtime::trip_update::{StopTimeEvent, StopTimeUpdate};
use gtfs_realtime::vehicle_position::{OccupancyStatus, VehicleStopStatus};
use gtfs_realtime::{
    Alert, EntitySelector, FeedEntity, FeedHeader, FeedMessage, TimeRange, TranslatedString,
    TripDescriptor, TripUpdate, VehiclePosition,
};

use crate::config::GtfsSource;
use crate::deployment::Deployment;
use crate::feed::FeedIdx;
use crate::station::ScheduledDeparture;
use crate::timetable::gtfs_time::{format_gtfs_time, service_day_origin};

/// The line whose next bus is cancelled, and the one with roadworks.
const CANCELLED_ROUTE: &str = "CA2C:4";
/// The train line whose next train changes platform.
const PLATFORM_ROUTE: &str = "TER:K40";

/// Which demo message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoFeed {
    TripUpdates,
    VehiclePositions,
    Alerts,
}

/// The message of `which` at `now`, or None when no feed of the deployment is the
/// built-in demo.
pub fn message(d: &Deployment, now: DateTime<Utc>, which: DemoFeed) -> Option<FeedMessage> {
    let (fi, _) = d
        .feeds
        .enumerate()
        .find(|(_, f)| f.config.gtfs == GtfsSource::BuiltinDemo)?;
    let entity = match which {
        DemoFeed::TripUpdates => trip_updates(d, fi, now),
        DemoFeed::VehiclePositions => vehicles(d, fi, now),
        DemoFeed::Alerts => vec![alert(d, fi, now), lift(d, fi, now)],
    };
    Some(FeedMessage {
        header: FeedHeader {
            gtfs_realtime_version: "2.0".into(),
            timestamp: Some(now.timestamp().max(0) as u64),
            ..FeedHeader::default()
        },
        entity,
    })
}

/// Departures of the demo feed at every configured station around `now`.
pub(super) fn departures(
    d: &Deployment,
    fi: FeedIdx,
    now: DateTime<Utc>,
) -> Vec<ScheduledDeparture> {
    let mut all: Vec<ScheduledDeparture> = d
        .stations
        .iter()
        .flat_map(|s| {
            s.departures(
                &d.feeds,
                now - Duration::minutes(30),
                now + Duration::hours(3),
            )
        })
        .filter(|d| d.feed == fi)
        .collect();
    all.sort_by_key(|d| (d.time, d.trip, d.stop_time));
    all.dedup();
    all
}

/// A delay that depends on the trip (some are always late) and drifts over a
/// 20-minute cycle; whole half-minutes, never more than 30 s early.
pub(super) fn delay(d: &ScheduledDeparture, trip_id: &str, now: DateTime<Utc>) -> i32 {
    let mut h = DefaultHasher::new();
    (trip_id, d.service_day, d.instance).hash(&mut h);
    let h = h.finish();
    let base = [0, 0, 0, 0, 0, 60, 60, 180, 300, 480][(h % 10) as usize];
    let phase = (h >> 8) as f64 / u64::MAX as f64 * TAU;
    let drift = 90.0 * (TAU * now.timestamp() as f64 / 1200.0 + phase).sin();
    let total = ((f64::from(base) + drift) / 30.0).round() as i32 * 30;
    total.max(-30)
}

fn trip_updates(deployment: &Deployment, fi: FeedIdx, now: DateTime<Utc>) -> Vec<FeedEntity> {
    let feed = &*deployment.feeds[fi].timetable;
    let deps = departures(deployment, fi, now);
    let route_of = |d: &ScheduledDeparture| &feed.route_of(d.trip).id;
    let cancelled = deps
        .iter()
        .find(|d| route_of(d) == CANCELLED_ROUTE && d.time >= now + Duration::minutes(10));
    let moved = moved(feed, &deps, now);
    // Runs that only end at a station (an arrivals board lists them) are
    // late or on time too.
    let run = |d: &ScheduledDeparture| (d.trip, d.service_day, d.instance);
    let leaving: std::collections::HashSet<_> = deps.iter().map(run).collect();
    let mut ending: Vec<ScheduledDeparture> = deployment
        .stations
        .iter()
        .flat_map(|s| {
            s.arrivals(
                &deployment.feeds,
                now - Duration::minutes(30),
                now + Duration::hours(3),
            )
        })
        .filter(|a| a.feed == fi && !leaving.contains(&run(a)))
        .collect();
    ending.sort_by_key(|d| (d.time, d.trip, d.stop_time));
    ending.dedup_by_key(|d| run(d));
    deps.iter()
        .chain(&ending)
        .map(|d| {
            let trip = &feed.trips[d.trip];
            let st = &feed.stop_times[d.stop_time];
            let descriptor = TripDescriptor {
                trip_id: Some(trip.id.clone()),
                route_id: Some(route_of(d).clone()),
                start_date: Some(d.service_day.format("%Y%m%d").to_string()),
                start_time: d.instance.map(format_gtfs_time),
                schedule_relationship: Some(if Some(d) == cancelled {
                    TripRel::Canceled as i32
                } else {
                    TripRel::Scheduled as i32
                }),
                ..TripDescriptor::default()
            };
            let mut update = TripUpdate {
                trip: descriptor,
                timestamp: Some(now.timestamp().max(0) as u64),
                ..TripUpdate::default()
            };
            if Some(d) != cancelled {
                let delay = delay(d, &trip.id, now);
                let event = StopTimeEvent {
                    delay: Some(delay),
                    ..StopTimeEvent::default()
                };
                let assigned = (Some(d) == moved).then(|| {
                    let here = &feed.stops[st.stop].id;
                    let other = if here.ends_with("V1") {
                        "CAUDRY:V2"
                    } else {
                        "CAUDRY:V1"
                    };
                    StopTimeProperties {
                        assigned_stop_id: Some(other.to_string()),
                        ..StopTimeProperties::default()
                    }
                });
                update.stop_time_update.push(StopTimeUpdate {
                    stop_sequence: Some(st.sequence),
                    arrival: Some(event),
                    departure: Some(event),
                    stop_time_properties: assigned,
                    ..StopTimeUpdate::default()
                });
            }
            FeedEntity {
                id: format!(
                    "tu:{}:{}:{}",
                    trip.id,
                    d.service_day.format("%Y%m%d"),
                    d.instance.map(format_gtfs_time).unwrap_or_default()
                ),
                trip_update: Some(update),
                ..FeedEntity::default()
            }
        })
        .collect()
}

/// The train that GTFS-Realtime moves to the other platform: the next of
/// [`PLATFORM_ROUTE`] leaving in five minutes or more.
pub(super) fn moved<'a>(
    feed: &crate::timetable::FeedTimetable,
    deps: &'a [ScheduledDeparture],
    now: DateTime<Utc>,
) -> Option<&'a ScheduledDeparture> {
    deps.iter().find(|d| {
        feed.route_of(d.trip).id == PLATFORM_ROUTE && d.time >= now + Duration::minutes(5)
    })
}

fn vehicles(deployment: &Deployment, fi: FeedIdx, now: DateTime<Utc>) -> Vec<FeedEntity> {
    let feed = &*deployment.feeds[fi].timetable;
    departures(deployment, fi, now)
        .iter()
        .filter_map(|d| {
            let trip = &feed.trips[d.trip];
            let st = &feed.stop_times[d.stop_time];
            let expected = d.time + Duration::seconds(i64::from(delay(d, &trip.id, now)));
            // At the bay from two minutes before it leaves; on its way to it
            // for the four minutes before that, when it comes from a stop
            // before the hub (the kiosk and the trip API show where it is).
            let at_bay = expected - Duration::minutes(2) <= now && now < expected;
            let coming = feed
                .trip_stop_times(trip)
                .first()
                .is_some_and(|first| st.sequence > first.sequence)
                && expected - Duration::minutes(6) <= now
                && now < expected - Duration::minutes(2);
            let status = if at_bay {
                VehicleStopStatus::StoppedAt
            } else {
                VehicleStopStatus::InTransitTo
            };
            (at_bay || coming).then(|| FeedEntity {
                id: format!("vp:{}:{}", trip.id, d.service_day.format("%Y%m%d")),
                vehicle: Some(VehiclePosition {
                    trip: Some(TripDescriptor {
                        trip_id: Some(trip.id.clone()),
                        start_date: Some(d.service_day.format("%Y%m%d").to_string()),
                        start_time: d.instance.map(format_gtfs_time),
                        ..TripDescriptor::default()
                    }),
                    stop_id: Some(feed.stops[st.stop].id.clone()),
                    current_stop_sequence: Some(st.sequence),
                    current_status: Some(status as i32),
                    // Line 5 serves the lycée: standing room only at school
                    // times; the others have room (the screens say so).
                    occupancy_status: Some(if feed.route_of(d.trip).id.ends_with(":5") {
                        OccupancyStatus::StandingRoomOnly
                    } else {
                        OccupancyStatus::ManySeatsAvailable
                    } as i32),
                    timestamp: Some(now.timestamp().max(0) as u64),
                    ..VehiclePosition::default()
                }),
                ..FeedEntity::default()
            })
        })
        .collect()
}

fn text(fr: &str, en: &str) -> TranslatedString {
    TranslatedString {
        translation: vec![
            Translation {
                text: fr.into(),
                language: Some("fr".into()),
            },
            Translation {
                text: en.into(),
                language: Some("en".into()),
            },
        ],
    }
}

/// The lift to platform 2 out of service all day (GTFS-Realtime's
/// ACCESSIBILITY_ISSUE), with the way round it for who needs step-free access.
fn lift(deployment: &Deployment, fi: FeedIdx, now: DateTime<Utc>) -> FeedEntity {
    let tz = deployment.feeds[fi].timetable.timezone;
    let start = service_day_origin(tz, now.with_timezone(&tz).date_naive());
    FeedEntity {
        id: "ascenseur-quai-2".into(),
        alert: Some(Alert {
            active_period: vec![TimeRange {
                start: Some(start.timestamp().max(0) as u64),
                end: Some((start + Duration::days(1)).timestamp().max(0) as u64),
            }],
            informed_entity: vec![EntitySelector {
                stop_id: Some("CAUDRY:V2".into()),
                ..EntitySelector::default()
            }],
            cause: Some(Cause::TechnicalProblem as i32),
            effect: Some(Effect::AccessibilityIssue as i32),
            severity_level: Some(SeverityLevel::Warning as i32),
            header_text: Some(text(
                "Ascenseur du quai 2 hors service",
                "Platform 2 lift out of service",
            )),
            description_text: Some(text(
                "Pour rejoindre le quai 2 sans marches : rampe par le parvis nord (200 m, 4 min), ou accompagnement par l'accueil de la gare (6 h – 21 h).",
                "Step-free way to platform 2: the ramp from the north forecourt (200 m, 4 min), or ask the station desk to accompany you (6 am – 9 pm).",
            )),
            ..Alert::default()
        }),
        ..FeedEntity::default()
    }
}

fn alert(deployment: &Deployment, fi: FeedIdx, now: DateTime<Utc>) -> FeedEntity {
    let tz = deployment.feeds[fi].timetable.timezone;
    let today = now.with_timezone(&tz).date_naive();
    let start = service_day_origin(tz, today);
    FeedEntity {
        id: "travaux-solesmes".into(),
        alert: Some(Alert {
            active_period: vec![TimeRange {
                start: Some(start.timestamp().max(0) as u64),
                end: Some((start + Duration::days(1)).timestamp().max(0) as u64),
            }],
            informed_entity: vec![EntitySelector {
                route_id: Some(CANCELLED_ROUTE.into()),
                ..EntitySelector::default()
            }],
            cause: Some(Cause::Construction as i32),
            effect: Some(Effect::StopMoved as i32),
            severity_level: Some(SeverityLevel::Warning as i32),
            header_text: Some(text(
                "Ligne 4 : arrêt Solesmes – Centre déplacé",
                "Line 4: Solesmes – Centre stop moved",
            )),
            description_text: Some(text(
                "Travaux rue de la République : les bus de la ligne 4 desservent un arrêt provisoire place du Marché, à 150 m.",
                "Roadworks on rue de la République: line 4 buses call at a temporary stop on place du Marché, 150 m away.",
            )),
            ..Alert::default()
        }),
        ..FeedEntity::default()
    }
}
