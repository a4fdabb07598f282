//! `GET /gtfs-rt/trip-updates`, `/gtfs-rt/vehicle-positions`, `/gtfs-rt/alerts`:
//! the merged live data re-published as GTFS-Realtime FeedMessages (FULL_DATASET),
//! for the apps passengers already use.
//!
//! Trip updates carry what the boards show after the merge (expected times,
//! propagated delays, cancellations, skipped stops, platform changes, added trips),
//! for every departure of every configured station that has realtime. Alerts carry
//! the notices on the boards. Vehicle positions are passed through from upstream.
//! Trip, route and stop ids are the static GTFS ones (without Quai's feed prefix).
//!
//! Responses have an `ETag` and a `Last-Modified` that change only when the
//! content does, so a consumer polling every few seconds mostly gets 304s;
//! `?format=json` gives the same message as JSON for people.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use gtfs_realtime::alert::{Cause, Effect, SeverityLevel};
use gtfs_realtime::feed_header::Incrementality;
use gtfs_realtime::translated_string::Translation;
use gtfs_realtime::trip_descriptor::ScheduleRelationship as TripRel;
use gtfs_realtime::trip_update::stop_time_update::{
    ScheduleRelationship as StopRel, StopTimeProperties,
};
use gtfs_realtime::trip_update::{StopTimeEvent, StopTimeUpdate};
use gtfs_realtime::{
    Alert, EntitySelector, FeedEntity, FeedHeader, FeedMessage, TimeRange, TranslatedString,
    TripDescriptor, TripUpdate,
};
use prost::Message as _;
use quai_protocol::{Departure, DepartureStatus, InformedEntity, Notice, Severity, Translated};
use serde::Deserialize;

use crate::server::AppState;

/// Validators of one export, moved on only when its content changes.
#[derive(Debug, Default)]
pub struct ExportCache {
    entries: Mutex<BTreeMap<&'static str, (String, DateTime<Utc>)>>,
}

impl ExportCache {
    /// The ETag and Last-Modified for `content` of export `name`.
    fn validators(
        &self,
        name: &'static str,
        content: &[u8],
        now: DateTime<Utc>,
    ) -> (String, DateTime<Utc>) {
        let sum = content.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
        });
        let etag = format!("\"{sum:016x}\"");
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let entry = entries.entry(name).or_insert_with(|| (etag.clone(), now));
        if entry.0 != etag {
            *entry = (etag.clone(), now);
        }
        entry.clone()
    }
}

#[derive(Debug, Deserialize)]
pub struct Format {
    format: Option<String>,
}

pub async fn trip_updates(
    State(state): State<Arc<AppState>>,
    Query(format): Query<Format>,
    headers: HeaderMap,
) -> Response {
    let entities = trip_update_entities(&state);
    reply(&state, "trip-updates", entities, &format, &headers)
}

pub async fn alerts(
    State(state): State<Arc<AppState>>,
    Query(format): Query<Format>,
    headers: HeaderMap,
) -> Response {
    let entities = alert_entities(&state);
    reply(&state, "alerts", entities, &format, &headers)
}

pub async fn vehicle_positions(
    State(state): State<Arc<AppState>>,
    Query(format): Query<Format>,
    headers: HeaderMap,
) -> Response {
    let now = state.clock.now();
    let mut entities = Vec::new();
    for feed in &state.deployment.config.feeds {
        let view = crate::realtime::view(feed, &state.realtime.get(&feed.id), now);
        if let Some(vehicles) = view.vehicles {
            entities.extend(vehicles.entities.iter().map(|e| FeedEntity {
                id: format!("{}:{}", feed.id, e.id),
                ..e.clone()
            }));
        }
    }
    reply(&state, "vehicle-positions", entities, &format, &headers)
}

/// Encodes the message (protobuf, or JSON with `?format=json`) with validators,
/// answering 304 when the client already has this content.
fn reply(
    state: &AppState,
    name: &'static str,
    entity: Vec<FeedEntity>,
    format: &Format,
    headers: &HeaderMap,
) -> Response {
    let now = state.clock.now();
    let content = FeedMessage {
        header: FeedHeader::default(),
        entity: entity.clone(),
    }
    .encode_to_vec();
    let (etag, modified) = state.exports.validators(name, &content, now);
    let json = format.format.as_deref() == Some("json");
    let etag = if json {
        format!("\"j{}", &etag[1..])
    } else {
        etag
    };
    let last_modified = modified.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let not_modified = match headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        Some(inm) => inm.split(',').any(|t| t.trim() == etag || t.trim() == "*"),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
            .is_some_and(|since| modified.timestamp() <= since.timestamp()),
    };
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let message = FeedMessage {
            header: FeedHeader {
                gtfs_realtime_version: "2.0".into(),
                incrementality: Some(Incrementality::FullDataset as i32),
                timestamp: Some(now.timestamp().max(0) as u64),
                ..FeedHeader::default()
            },
            entity,
        };
        if json {
            (
                [(header::CONTENT_TYPE, "application/json")],
                serde_json::to_string_pretty(&message).unwrap_or_default(),
            )
                .into_response()
        } else {
            (
                [(header::CONTENT_TYPE, "application/x-protobuf")],
                message.encode_to_vec(),
            )
                .into_response()
        }
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&last_modified) {
        h.insert(header::LAST_MODIFIED, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `{feed}:{trip}[@HH:MM:SS]:{YYYYMMDD}:{stop_sequence}` split back into its parts.
struct DepartureId<'a> {
    feed: &'a str,
    trip: &'a str,
    start_time: Option<&'a str>,
    date: &'a str,
    sequence: u32,
}

fn split_id(id: &str) -> Option<DepartureId<'_>> {
    let (rest, sequence) = id.rsplit_once(':')?;
    let (rest, date) = rest.rsplit_once(':')?;
    let (feed, trip) = rest.split_once(':')?;
    let (trip, start_time) = match trip.rsplit_once('@') {
        Some((t, s)) if s.len() == 8 && s.as_bytes()[2] == b':' => (t, Some(s)),
        _ => (trip, None),
    };
    Some(DepartureId {
        feed,
        trip,
        start_time,
        date,
        sequence: sequence.parse().ok()?,
    })
}

fn epoch(rfc3339: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.timestamp())
}

fn strip_feed(qualified: &str) -> &str {
    qualified.split_once(':').map_or(qualified, |(_, id)| id)
}

/// One TripUpdate per trip run, with the calls the boards know of.
fn trip_update_entities(state: &AppState) -> Vec<FeedEntity> {
    type Key = (String, String, String, Option<String>);
    let mut trips: BTreeMap<Key, (Departure, BTreeMap<u32, StopTimeUpdate>)> = BTreeMap::new();
    for station in &state.deployment.stations {
        // The boards as published (the publisher keeps them current every second).
        let Some(board) = state.hub.current(&station.id) else {
            continue;
        };
        for d in board.departures.iter().filter(|d| d.realtime) {
            let Some(id) = split_id(&d.id) else { continue };
            let key = (
                id.feed.to_string(),
                id.trip.to_string(),
                id.date.to_string(),
                id.start_time.map(str::to_string),
            );
            let entry = trips
                .entry(key)
                .or_insert_with(|| (d.clone(), BTreeMap::new()));
            let event = d
                .expected
                .as_deref()
                .and_then(epoch)
                .map(|t| StopTimeEvent {
                    time: Some(t),
                    delay: d.delay_s.and_then(|s| i32::try_from(s).ok()),
                    uncertainty: d.uncertainty_s.and_then(|s| i32::try_from(s).ok()),
                    ..StopTimeEvent::default()
                });
            entry.1.insert(
                id.sequence,
                StopTimeUpdate {
                    stop_sequence: Some(id.sequence),
                    stop_id: Some(strip_feed(&d.stop_id).to_string()),
                    departure: event,
                    schedule_relationship: Some(if d.status == DepartureStatus::Skipped {
                        StopRel::Skipped as i32
                    } else {
                        StopRel::Scheduled as i32
                    }),
                    stop_time_properties: d.platform_changed.then(|| StopTimeProperties {
                        assigned_stop_id: Some(strip_feed(&d.stop_id).to_string()),
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
            let known = state
                .deployment
                .timetable
                .feed(&feed)
                .is_some_and(|(_, f)| f.trip_index(&trip).is_some());
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

/// One Alert per notice on any board.
fn alert_entities(state: &AppState) -> Vec<FeedEntity> {
    let mut notices: BTreeMap<String, Notice> = BTreeMap::new();
    for station in &state.deployment.stations {
        let Some(board) = state.hub.current(&station.id) else {
            continue;
        };
        for n in &board.notices {
            notices.entry(n.id.clone()).or_insert_with(|| n.clone());
        }
    }
    // A notice about a whole station informs that station's stops.
    let station_stops = |id: &str| -> Vec<String> {
        state
            .deployment
            .config
            .stations
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.stops.values().flatten().cloned().collect())
            .unwrap_or_default()
    };
    notices
        .into_values()
        .map(|n| {
            let upper = |s: &str| s.to_ascii_uppercase();
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
                            start: p.start.as_deref().and_then(epoch).map(|t| t.max(0) as u64),
                            end: p.end.as_deref().and_then(epoch).map(|t| t.max(0) as u64),
                        })
                        .collect(),
                    informed_entity: informed,
                    cause: Cause::from_str_name(&upper(&n.cause)).map(|c| c as i32),
                    effect: Effect::from_str_name(&upper(&n.effect)).map(|e| e as i32),
                    header_text: translated(&n.header),
                    description_text: translated(&n.description),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn departure_ids_split_back_into_trip_day_and_call() {
        let id = split_id("demo:CA2C:N:WD:LOOP@07:40:00:20260309:1").unwrap();
        assert_eq!(
            (id.feed, id.trip, id.start_time, id.date, id.sequence),
            ("demo", "CA2C:N:WD:LOOP", Some("07:40:00"), "20260309", 1)
        );
        let id = split_id("ter:OCESN843800F3798765:2025-01-22T00:42:25Z:20250203:5").unwrap();
        assert_eq!(id.trip, "OCESN843800F3798765:2025-01-22T00:42:25Z");
        assert_eq!(id.start_time, None);
        // A DUPLICATED copy without a new trip id: its run is named by day and start.
        let id = split_id("demo:TER:843800:WD~20260309@06:53:00:20260309:6").unwrap();
        assert_eq!(
            (id.feed, id.trip, id.start_time, id.date, id.sequence),
            (
                "demo",
                "TER:843800:WD~20260309",
                Some("06:53:00"),
                "20260309",
                6
            )
        );
    }
}
