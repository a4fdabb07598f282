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
use std::hash::{Hash, Hasher as _};
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use gtfs_realtime::alert::SeverityLevel;
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
use quai_protocol::{DepartureStatus, InformedEntity, Severity, Translated};
use serde::Deserialize;

use crate::board::{Departure, Notice};
use crate::clock::Clock;
use crate::deployment::Deployment;
use crate::hub::Hub;
use crate::realtime::RealtimeStore;
use crate::timetable::gtfs_time::format_gtfs_time;

/// What the export reads: the published boards (as the server made them), the
/// deployment (to know its trips and stations), the realtime store (vehicle
/// positions pass through) and the export's validators.
#[derive(Debug, Clone)]
pub struct Export {
    pub hub: Arc<Hub>,
    pub deployment: Arc<Deployment>,
    pub realtime: RealtimeStore,
    pub clock: Clock,
    pub cache: Arc<ExportCache>,
}

/// Each export as last rendered, with what it was rendered from: a request
/// that finds the same inputs gets the same bytes, so the export costs one
/// encoding per change of its inputs (an accepted message, a board change),
/// not one per request, whatever the upstream's size.
#[derive(Debug, Default)]
pub struct ExportCache {
    entries: Mutex<BTreeMap<&'static str, Arc<Rendered>>>,
}

/// One export, encoded.
#[derive(Debug)]
struct Rendered {
    /// A hash of the inputs it was made from.
    key: u64,
    etag: String,
    /// When its content last changed.
    modified: DateTime<Utc>,
    message: FeedMessage,
    /// Shared by every answer (cloning it copies no bytes).
    protobuf: axum::body::Bytes,
}

impl ExportCache {
    /// Export `name` for inputs `key`: the cached one, or `build`'s, encoded.
    fn render(
        &self,
        name: &'static str,
        key: u64,
        now: DateTime<Utc>,
        build: impl FnOnce() -> Vec<FeedEntity>,
    ) -> Arc<Rendered> {
        let previous = self
            .entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned();
        if let Some(r) = previous.as_ref().filter(|r| r.key == key) {
            return r.clone();
        }
        let entity = build();
        let content = FeedMessage {
            header: FeedHeader::default(),
            entity: entity.clone(),
        }
        .encode_to_vec();
        let etag = format!("\"{:016x}\"", fnv(&content));
        let modified = previous
            .filter(|r| r.etag == etag)
            .map_or(now, |r| r.modified);
        let message = FeedMessage {
            header: FeedHeader {
                gtfs_realtime_version: "2.0".into(),
                incrementality: Some(Incrementality::FullDataset as i32),
                timestamp: Some(now.timestamp().max(0) as u64),
                ..FeedHeader::default()
            },
            entity,
        };
        let rendered = Arc::new(Rendered {
            key,
            etag,
            modified,
            protobuf: message.encode_to_vec().into(),
            message,
        });
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name, rendered.clone());
        rendered
    }
}

/// FNV-1a: a content hash for validators (not a defence against anyone).
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// A hash of what an export is made from.
fn inputs(parts: impl Hash) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

#[derive(Debug, Deserialize)]
pub struct Format {
    format: Option<String>,
}

impl Export {
    /// The seq of every station's published board: what the trip updates and
    /// alerts are made from.
    fn board_seqs(&self) -> u64 {
        inputs(
            self.deployment
                .stations
                .iter()
                .map(|s| self.hub.current(s.id.as_str()).map(|p| p.wire.seq))
                .collect::<Vec<_>>(),
        )
    }
}

pub async fn trip_updates(
    State(export): State<Export>,
    Query(format): Query<Format>,
    headers: HeaderMap,
) -> Response {
    let now = export.clock.now();
    let rendered = export
        .cache
        .render("trip-updates", export.board_seqs(), now, || {
            trip_update_entities(&export)
        });
    reply(&rendered, &format, &headers)
}

pub async fn alerts(
    State(export): State<Export>,
    Query(format): Query<Format>,
    headers: HeaderMap,
) -> Response {
    let now = export.clock.now();
    let rendered = export.cache.render("alerts", export.board_seqs(), now, || {
        alert_entities(&export)
    });
    reply(&rendered, &format, &headers)
}

pub async fn vehicle_positions(
    State(export): State<Export>,
    Query(format): Query<Format>,
    headers: HeaderMap,
) -> Response {
    let now = export.clock.now();
    let views: Vec<_> = export
        .deployment
        .feeds
        .iter()
        .map(|feed| {
            let state = export.realtime.get(&feed.id);
            let fresh = state
                .view(feed.config.realtime.as_ref(), now)
                .vehicles
                .is_some();
            (feed, state.vehicles.filter(|_| fresh))
        })
        .collect();
    let key = inputs(
        views
            .iter()
            .map(|(f, v)| (f.id.as_str(), v.as_ref().map(|a| a.header_timestamp)))
            .collect::<Vec<_>>(),
    );
    let rendered = export.cache.render("vehicle-positions", key, now, || {
        let mut entities = Vec::new();
        for (feed, vehicles) in &views {
            if let Some(vehicles) = vehicles {
                entities.extend(vehicles.data.entities.iter().map(|e| FeedEntity {
                    id: format!("{}:{}", feed.id, e.id),
                    ..e.clone()
                }));
            }
        }
        entities
    });
    reply(&rendered, &format, &headers)
}

/// The message (protobuf, or JSON with `?format=json`) with validators,
/// answering 304 when the client already has this content.
fn reply(rendered: &Rendered, format: &Format, headers: &HeaderMap) -> Response {
    let (etag, modified) = (rendered.etag.clone(), rendered.modified);
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
    } else if json {
        (
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::to_string_pretty(&rendered.message).unwrap_or_default(),
        )
            .into_response()
    } else {
        (
            [(header::CONTENT_TYPE, "application/x-protobuf")],
            rendered.protobuf.clone(),
        )
            .into_response()
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

/// One TripUpdate per trip run, with the calls the boards know of.
fn trip_update_entities(export: &Export) -> Vec<FeedEntity> {
    // (feed, trip, service day, start time): one run.
    type Key = (String, String, String, Option<String>);
    let mut trips: BTreeMap<Key, (Departure, BTreeMap<u32, StopTimeUpdate>)> = BTreeMap::new();
    for station in &export.deployment.stations {
        // The boards as published (the publisher keeps them current every second).
        let Some(published) = export.hub.current(station.id.as_str()) else {
            continue;
        };
        for d in published.model.departures.iter().filter(|d| d.realtime) {
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

/// One Alert per notice on any board.
fn alert_entities(export: &Export) -> Vec<FeedEntity> {
    let mut notices: BTreeMap<String, Notice> = BTreeMap::new();
    for station in &export.deployment.stations {
        let Some(published) = export.hub.current(station.id.as_str()) else {
            continue;
        };
        for n in &published.model.notices {
            notices.entry(n.id.clone()).or_insert_with(|| n.clone());
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
