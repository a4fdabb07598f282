//! The entities of the trip-updates and alerts exports, read from the boards as
//! published (the internal model, not their JSON).

use std::collections::BTreeMap;

use gtfs_realtime::alert::SeverityLevel;
use gtfs_realtime::translated_string::Translation;
use gtfs_realtime::trip_descriptor::ScheduleRelationship as TripRel;
use gtfs_realtime::trip_update::stop_time_update::{
    ScheduleRelationship as StopRel, StopTimeProperties,
};
use gtfs_realtime::trip_update::{StopTimeEvent, StopTimeUpdate};
use gtfs_realtime::{
    Alert, EntitySelector, FeedEntity, TimeRange, TranslatedString, TripDescriptor, TripUpdate,
};
use quai_protocol::{DepartureStatus, InformedEntity, NoticeSource, Severity, Translated};

use super::Export;
use crate::board::model::Emergency;
use crate::board::{Departure, Notice};
use crate::notice::Period;
use crate::realtime::{Cause, Effect};
use crate::timetable::gtfs_time::format_gtfs_time;

/// One TripUpdate per trip run, with the calls the boards know of.
pub(super) fn trip_update_entities(export: &Export) -> Vec<FeedEntity> {
    // (feed, trip, service day, start time): one run.
    type Key = (String, String, String, Option<String>);
    let mut trips: BTreeMap<Key, (Departure, BTreeMap<u32, StopTimeUpdate>)> = BTreeMap::new();
    for station in &export.deployment.stations {
        // The boards as published (the publisher keeps them current every second).
        let Some(model) = export
            .hub
            .current(station.id.as_str())
            .and_then(|p| p.model)
        else {
            continue;
        };
        for d in model.departures.iter().filter(|d| d.realtime) {
            let id = &d.id;
            let key = (
                id.feed.to_string(),
                id.trip.clone(),
                id.service_day.format("%Y%m%d").to_string(),
                id.start_time.map(format_gtfs_time),
            );
            let entry = trips
                .entry(key)
                .or_insert_with(|| (d.clone(), BTreeMap::new()));
            let event = d.expected.map(|t| StopTimeEvent {
                time: Some(t.timestamp()),
                delay: d.delay_s.and_then(|s| i32::try_from(s).ok()),
                uncertainty: d.uncertainty_s.and_then(|s| i32::try_from(s).ok()),
                ..StopTimeEvent::default()
            });
            entry.1.insert(
                id.stop_sequence,
                StopTimeUpdate {
                    stop_sequence: Some(id.stop_sequence),
                    stop_id: Some(d.stop.stop_id.clone()),
                    departure: event,
                    schedule_relationship: Some(if d.status == DepartureStatus::Skipped {
                        StopRel::Skipped as i32
                    } else {
                        StopRel::Scheduled as i32
                    }),
                    stop_time_properties: d.platform_changed.then(|| StopTimeProperties {
                        assigned_stop_id: Some(d.stop.stop_id.clone()),
                        ..StopTimeProperties::default()
                    }),
                    ..StopTimeUpdate::default()
                },
            );
        }
    }
    trips
        .into_iter()
        .map(|((feed, trip, date, start_time), (first, calls))| {
            let known = export
                .deployment
                .feeds
                .find(&feed)
                .is_some_and(|(_, f)| f.timetable.trip_index(&trip).is_some());
            let relationship = if first.status == DepartureStatus::Cancelled {
                TripRel::Canceled
            } else if known {
                TripRel::Scheduled
            } else {
                TripRel::New
            };
            let cancelled = relationship == TripRel::Canceled;
            FeedEntity {
                id: format!(
                    "{feed}:{trip}:{date}{}",
                    start_time
                        .as_deref()
                        .map(|s| format!("@{s}"))
                        .unwrap_or_default()
                ),
                trip_update: Some(TripUpdate {
                    trip: TripDescriptor {
                        trip_id: Some(trip),
                        route_id: Some(first.route.id.clone()),
                        start_date: Some(date),
                        start_time,
                        schedule_relationship: Some(relationship as i32),
                        ..TripDescriptor::default()
                    },
                    stop_time_update: if cancelled {
                        Vec::new()
                    } else {
                        calls.into_values().collect()
                    },
                    ..TripUpdate::default()
                }),
                ..FeedEntity::default()
            }
        })
        .collect()
}

/// A stop id of the static feed: `{feed}:{stop_id}` without its feed.
fn strip_feed(qualified: &str) -> &str {
    qualified.split_once(':').map_or(qualified, |(_, id)| id)
}

fn translated(t: &Translated) -> Option<TranslatedString> {
    (!t.is_empty()).then(|| TranslatedString {
        translation: t
            .iter()
            .map(|(lang, text)| Translation {
                text: text.clone(),
                language: Some(lang.clone()),
            })
            .collect(),
    })
}

/// One Alert per notice on any board, and one per emergency takeover (id
/// `emergency:{id}`, severe, about every station whose screens it holds).
pub(super) fn alert_entities(export: &Export) -> Vec<FeedEntity> {
    let mut notices: BTreeMap<String, Notice> = BTreeMap::new();
    for station in &export.deployment.stations {
        let Some(model) = export
            .hub
            .current(station.id.as_str())
            .and_then(|p| p.model)
        else {
            continue;
        };
        for n in &model.notices {
            notices.entry(n.id.clone()).or_insert_with(|| n.clone());
        }
        if let Some(e) = &model.emergency {
            notices
                .entry(format!("emergency:{}", e.id))
                .or_insert_with(|| emergency_notice(e))
                .informed_entities
                .push(InformedEntity::Station {
                    station: station.id.to_string(),
                });
        }
    }
    // A notice about a whole station informs the stops its configuration names.
    let station_stops = |id: &str| -> Vec<String> {
        export
            .deployment
            .station(id)
            .map(|s| s.configured_stops.clone())
            .unwrap_or_default()
    };
    notices
        .into_values()
        .map(|n| {
            let mut informed = Vec::new();
            for e in &n.informed_entities {
                match e {
                    InformedEntity::Station { station } => {
                        informed.extend(station_stops(station).into_iter().map(|s| {
                            EntitySelector {
                                stop_id: Some(s),
                                ..EntitySelector::default()
                            }
                        }))
                    }
                    InformedEntity::Stop { stop_id } => informed.push(EntitySelector {
                        stop_id: Some(strip_feed(stop_id).to_string()),
                        ..EntitySelector::default()
                    }),
                    InformedEntity::Route { route_id } => informed.push(EntitySelector {
                        route_id: Some(route_id.clone()),
                        ..EntitySelector::default()
                    }),
                    InformedEntity::Agency { agency_id } => informed.push(EntitySelector {
                        agency_id: Some(agency_id.clone()),
                        ..EntitySelector::default()
                    }),
                    InformedEntity::Trip { trip_id } => informed.push(EntitySelector {
                        trip: Some(TripDescriptor {
                            trip_id: Some(trip_id.clone()),
                            ..TripDescriptor::default()
                        }),
                        ..EntitySelector::default()
                    }),
                }
            }
            FeedEntity {
                id: n.id.clone(),
                alert: Some(Alert {
                    active_period: n
                        .active_periods
                        .iter()
                        .map(|p| TimeRange {
                            start: p.start.map(|t| t.timestamp().max(0) as u64),
                            end: p.end.map(|t| t.timestamp().max(0) as u64),
                        })
                        .collect(),
                    informed_entity: informed,
                    cause: Some(n.cause.to_gtfs_rt() as i32),
                    effect: Some(n.effect.to_gtfs_rt() as i32),
                    header_text: translated(&n.header),
                    description_text: translated(&n.description),
                    tts_header_text: translated(&n.tts_text),
                    severity_level: Some(match n.severity {
                        Severity::Info => SeverityLevel::Info,
                        Severity::Warning => SeverityLevel::Warning,
                        Severity::Severe => SeverityLevel::Severe,
                    } as i32),
                    ..Alert::default()
                }),
                ..FeedEntity::default()
            }
        })
        .collect()
}

/// A takeover as the alerts export writes it: a severe notice, for as long
/// as it runs (its stations are added as the boards carrying it are read).
fn emergency_notice(e: &Emergency) -> Notice {
    Notice {
        id: format!("emergency:{}", e.id),
        source: NoticeSource::Operator,
        severity: Severity::Severe,
        cause: Cause::OtherCause,
        effect: Effect::OtherEffect,
        header: e.screen_text.clone(),
        description: Translated::new(),
        screen_text: e.screen_text.clone(),
        tts_text: e.tts_text.clone(),
        active_periods: vec![Period {
            start: Some(e.started_at),
            end: Some(e.ends_at),
        }],
        informed_entities: Vec::new(),
        updated_at: e.started_at,
    }
}
