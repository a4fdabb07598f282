//! What a followed line, stop or trip is now ([`Subject`]), worked out with
//! the boards' own rules (a line's and a trip's notices as their views show
//! them, a stop's as its board shows them).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use quai_protocol::{self as wire, DepartureStatus, Follow};

use crate::board::{CallInputs, DepartureId};
use crate::notice::KeptNotice;
use crate::stop_station::StopStations;

/// What a trip follower is told of.
#[derive(Debug, Clone, PartialEq)]
pub struct TripNow {
    /// Realtime speaks of the trip now: without it (a feed gone stale), its
    /// cancellation and delay are unknown, not undone, and nothing is told.
    pub realtime: bool,
    pub cancelled: bool,
    pub platform: Option<String>,
    /// None when realtime gives no time for the call.
    pub delay_s: Option<i64>,
    /// The followed call is behind the vehicle: nothing more to tell.
    pub over: bool,
}

/// A followed thing now.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    /// The followed id (a push's tag is made of it).
    pub key: String,
    /// Its name in a push's title, per language ("Ligne 4", "Bus 4 · 07:42 → Cambrai").
    pub name: BTreeMap<&'static str, String>,
    /// The app's page for it.
    pub url: String,
    /// Its notices by id.
    pub notices: BTreeMap<String, wire::Notice>,
    pub trip: Option<TripNow>,
}

/// Why a follow cannot be worked out now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unknown {
    /// Maybe later (a realtime gap, a timetable being reloaded).
    Now,
    /// Never again: a trip of a day gone by.
    Ever,
}

fn by_id(notices: Vec<wire::Notice>) -> BTreeMap<String, wire::Notice> {
    notices.into_iter().map(|n| (n.id.clone(), n)).collect()
}

fn both(fr: String, en: String) -> BTreeMap<&'static str, String> {
    BTreeMap::from([("fr", fr), ("en", en)])
}

fn hhmm(t: &Option<String>) -> &str {
    t.as_deref().and_then(|t| t.get(11..16)).unwrap_or("")
}

/// Works out `follow` now.
pub fn subject(
    calls: &CallInputs<'_>,
    notices: &[Arc<KeptNotice>],
    stops: &StopStations,
    follow: &Follow,
    now: DateTime<Utc>,
) -> Result<Subject, Unknown> {
    let app = |query: &str, id: &str| format!("/app?{query}={}", quai_protocol::encode_id(id));
    match follow {
        Follow::Route { route_id } => {
            let (_, feed, ri) =
                crate::line::find(calls.feeds, route_id).map_err(|_| Unknown::Now)?;
            let route = &feed.routes[ri];
            let short = route
                .short_name
                .clone()
                .or_else(|| route.long_name.clone())
                .unwrap_or_else(|| route.id.clone());
            Ok(Subject {
                key: route_id.clone(),
                name: both(format!("Ligne {short}"), format!("Line {short}")),
                url: app("line", route_id),
                notices: by_id(
                    crate::line::notices(calls, notices, route_id, now)
                        .map_err(|_| Unknown::Now)?,
                ),
                trip: None,
            })
        }
        Follow::Stop { stop_id } => {
            let station = stops.get(calls.feeds, stop_id).map_err(|_| Unknown::Now)?;
            let found = crate::board::notices_of(calls, &station, notices, now);
            Ok(Subject {
                key: stop_id.clone(),
                name: both(
                    format!("Arrêt {}", station.name),
                    format!("Stop {}", station.name),
                ),
                url: app("stop", stop_id),
                notices: by_id(found.iter().map(|n| n.to_wire(station.timezone)).collect()),
                trip: None,
            })
        }
        Follow::Trip { departure_id } => {
            let id: DepartureId = departure_id.parse().map_err(|_| Unknown::Ever)?;
            let trip = match crate::trip::view(calls, notices, &id, now) {
                Ok(trip) => trip,
                // Two days after its service day, a trip is gone for good.
                Err(_) if id.service_day + chrono::Days::new(2) < now.date_naive() => {
                    return Err(Unknown::Ever);
                }
                Err(_) => return Err(Unknown::Now),
            };
            let call = trip
                .calls
                .iter()
                .find(|c| c.departure_id == *departure_id)
                .or_else(|| {
                    trip.calls
                        .iter()
                        .find(|c| c.stop_sequence == id.stop_sequence)
                })
                .ok_or(Unknown::Ever)?;
            let planned = call
                .scheduled_departure
                .clone()
                .or_else(|| call.scheduled_arrival.clone());
            let expected = call
                .expected_departure
                .clone()
                .or_else(|| call.expected_arrival.clone())
                .or_else(|| planned.clone());
            // The call is over once the vehicle left it, or an hour after
            // its expected time without word of it.
            let late_by_an_hour = expected
                .as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| t.with_timezone(&Utc) + chrono::Duration::hours(1) < now);
            let line = trip
                .route
                .short_name
                .clone()
                .or_else(|| trip.route.long_name.clone())
                .unwrap_or_default();
            let (fr_mode, en_mode) = match trip.mode {
                wire::Mode::Rail => ("Train", "Train"),
                wire::Mode::Bus | wire::Mode::Coach | wire::Mode::Trolleybus => ("Bus", "Bus"),
                wire::Mode::Tram => ("Tram", "Tram"),
                _ => ("Ligne", "Line"),
            };
            let number = trip
                .trip_number
                .as_deref()
                .map(|n| format!(" {n}"))
                .unwrap_or_default();
            let at = hhmm(&planned);
            Ok(Subject {
                key: departure_id.clone(),
                name: both(
                    format!("{fr_mode} {line}{number} · {at} → {}", trip.headsign),
                    format!("{en_mode} {line}{number} · {at} → {}", trip.headsign),
                ),
                url: app("trip", departure_id),
                trip: Some(TripNow {
                    realtime: trip.realtime,
                    cancelled: trip.cancelled
                        || matches!(
                            call.status,
                            DepartureStatus::Cancelled | DepartureStatus::Skipped
                        ),
                    platform: call.platform.clone(),
                    delay_s: call.delay_s,
                    over: call.status == DepartureStatus::Departed || late_by_an_hour,
                }),
                notices: by_id(trip.notices),
            })
        }
    }
}
