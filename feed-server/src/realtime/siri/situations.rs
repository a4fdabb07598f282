//! SIRI situations as alerts, their references resolved to the timetable's
//! routes, stops and trips, so that boards place them like GTFS-Realtime
//! alerts. A situation the producer closed is dropped; one about a whole
//! network (or operator) is shown at every station of the feed.

use super::refs::References;
use crate::realtime::alerts::{Alert, Alerts, Selector};
use crate::sources::siri::{Affected, Situation};
use crate::timetable::FeedTimetable;

pub fn alerts(situations: &[Situation], timetable: &FeedTimetable, refs: &References) -> Alerts {
    let seconds = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.timestamp().max(0) as u64);
    let alerts = situations
        .iter()
        .filter(|s| !s.closed)
        .map(|s| {
            let mut selectors = Vec::new();
            let mut network_wide = s.affects.is_empty();
            for a in &s.affects {
                match a {
                    Affected::Network(_) | Affected::Operator(_) => network_wide = true,
                    Affected::Line { line, .. } => selectors.push(Selector {
                        route_id: Some(route_id(timetable, refs, line)),
                        ..Selector::default()
                    }),
                    Affected::StopPoint(stop) | Affected::StopPlace(stop) => {
                        selectors.push(Selector {
                            stop_id: Some(stop_id(timetable, refs, stop)),
                            ..Selector::default()
                        })
                    }
                    Affected::Journey { journey, line } => selectors.push(Selector {
                        trip_id: refs
                            .trip(timetable, journey)
                            .map(|t| timetable.trips[t].id.clone())
                            .or_else(|| Some(journey.clone())),
                        route_id: line
                            .as_deref()
                            .map(|l| route_id(timetable, refs, l))
                            .filter(|_| refs.trip(timetable, journey).is_none()),
                        ..Selector::default()
                    }),
                }
            }
            Alert {
                entity_id: s.id.clone(),
                severity: s.severity,
                cause: s.cause,
                effect: s.effect,
                header: s.summary.clone(),
                description: s.description.clone(),
                periods: s
                    .validity
                    .iter()
                    .map(|(a, b)| (seconds(*a), seconds(*b)))
                    .collect(),
                selectors,
                updated: seconds(s.updated).unwrap_or_default(),
                publication: s.publication.map(|(a, b)| (seconds(a), seconds(b))),
                network_wide,
            }
        })
        .collect();
    Alerts { alerts }
}

/// The route id a `LineRef` names; the reference itself when none does (the
/// situation is then about a line this station does not serve).
fn route_id(timetable: &FeedTimetable, refs: &References, line: &str) -> String {
    refs.route(timetable, line)
        .map(|r| timetable.routes[r].id.clone())
        .unwrap_or_else(|| line.to_string())
}

/// The stop id a `StopPointRef` names; the reference itself when none does.
fn stop_id(timetable: &FeedTimetable, refs: &References, stop: &str) -> String {
    refs.stops(timetable, stop)
        .first()
        .map(|s| timetable.stops[*s].id.clone())
        .unwrap_or_else(|| stop.to_string())
}
