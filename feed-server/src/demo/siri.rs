//! A SIRI Lite simulator for the demo's trains, served by the server itself
//! (`/demo/siri/estimated-timetable`, `/demo/siri/situation-exchange`) and
//! polled like SNCF's: every TER train calling at the stations, with its
//! platform at Caudry (which only SIRI carries for real TER), the same delays
//! as the GTFS-Realtime simulator, one train on another platform than the
//! timetable says, and one situation about line K40.
//!
//! References are SNCF-shaped, not GTFS ids (`StopArea:OCE…`, the train
//! number in `VehicleJourneyName`): the demo configuration matches them with
//! `[feeds.siri.match]`, as a real deployment would.

use chrono::{DateTime, Duration, SecondsFormat, Utc};

use super::realtime::{delay, departures, moved};
use crate::config::GtfsSource;
use crate::deployment::Deployment;
use crate::http::siri_sx::render::{node, text};
use crate::sources::xml::Element;
use crate::timetable::FeedTimetable;
use crate::timetable::gtfs_time::instant;

/// The line whose next train SIRI sends to the other platform.
const PLATFORM_CHANGE_ROUTE: &str = "TER:P40";

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn delivery(now: DateTime<Utc>, name: &str, body: Element) -> Element {
    let mut root = node(
        "Siri",
        vec![node(
            "ServiceDelivery",
            vec![
                text("ResponseTimestamp", stamp(now)),
                text("ProducerRef", "QUAI-DEMO"),
                node(name, vec![text("ResponseTimestamp", stamp(now)), body]),
            ],
        )],
    );
    root.attributes = vec![
        ("xmlns".into(), "http://www.siri.org.uk/siri".into()),
        ("version".into(), "2.1".into()),
    ];
    root
}

/// The other platform of Caudry's two.
fn other(platform: &str) -> &'static str {
    if platform == "1" { "2" } else { "1" }
}

/// The EstimatedTimetable at `now`, or None without the built-in demo network.
pub fn estimated_timetable(d: &Deployment, now: DateTime<Utc>) -> Option<Element> {
    let (fi, f) = d
        .feeds
        .enumerate()
        .find(|(_, f)| f.config.gtfs == GtfsSource::BuiltinDemo)?;
    let feed: &FeedTimetable = &f.timetable;
    let deps = departures(d, fi, now);
    let moved_by_gtfs_rt = moved(feed, &deps, now);
    let changed = deps.iter().find(|dep| {
        feed.route_of(dep.trip).id == PLATFORM_CHANGE_ROUTE
            && dep.time >= now + Duration::minutes(5)
    });
    let mut journeys = Vec::new();
    for dep in deps
        .iter()
        .filter(|dep| feed.route_of(dep.trip).id.starts_with("TER:"))
    {
        let trip = &feed.trips[dep.trip];
        let Some(number) = trip.short_name.clone() else {
            continue;
        };
        let late = i64::from(delay(dep, &trip.id, now));
        let here = &feed.stop_times[dep.stop_time];
        let mut calls = Vec::new();
        for st in feed.trip_stop_times(trip) {
            let stop = &feed.stops[st.stop];
            // Stop areas, as SNCF names them: the station, not the platform.
            let area = stop
                .parent
                .map_or(stop.id.as_str(), |p| feed.stops[p].id.as_str());
            let aimed = instant(feed.timezone, dep.service_day, st.departure);
            let expected = aimed + Duration::seconds(late);
            let mut call = vec![
                text("StopPointRef", format!("StopArea:OCE{area}")),
                text("AimedDepartureTime", stamp(aimed)),
                text("ExpectedDepartureTime", stamp(expected)),
                text(
                    "DepartureStatus",
                    if late > 60 { "delayed" } else { "onTime" },
                ),
            ];
            if st.sequence == here.sequence
                && let Some(planned) = stop.platform_code.as_deref()
            {
                let platform = if Some(dep) == changed || Some(dep) == moved_by_gtfs_rt {
                    other(planned)
                } else {
                    planned
                };
                call.push(text("DeparturePlatformName", platform));
            }
            calls.push(node("EstimatedCall", call));
        }
        journeys.push(node(
            "EstimatedVehicleJourney",
            vec![
                text("LineRef", feed.route_of(dep.trip).id.clone()),
                text(
                    "DatedVehicleJourneyRef",
                    format!("SNCF:VehicleJourney:OCESN{number}:{}", dep.service_day),
                ),
                text("VehicleJourneyName", number),
                node("EstimatedCalls", calls),
            ],
        ));
    }
    Some(delivery(
        now,
        "EstimatedTimetableDelivery",
        node("EstimatedJourneyVersionFrame", journeys),
    ))
}

/// The SituationExchange at `now`: works at Cambrai, all day.
pub fn situation_exchange(d: &Deployment, now: DateTime<Utc>) -> Option<Element> {
    let f = d
        .feeds
        .iter()
        .find(|f| f.config.gtfs == GtfsSource::BuiltinDemo)?;
    let tz = f.timetable.timezone;
    let day = now.with_timezone(&tz).date_naive();
    let start = instant(tz, day, 0);
    let end = start + Duration::days(1);
    let mut summary = text(
        "Summary",
        "Ligne K40 : travaux en gare de Cambrai, trains retardés de 5 minutes",
    );
    summary.attributes.push(("xml:lang".into(), "fr".into()));
    let mut description = text(
        "Description",
        "Des travaux de voie en gare de Cambrai ralentissent les TER K40. \
         Prévoyez 5 minutes de plus.",
    );
    description
        .attributes
        .push(("xml:lang".into(), "fr".into()));
    let situation = node(
        "PtSituationElement",
        vec![
            text("CreationTime", stamp(start)),
            text("ParticipantRef", "QUAI-DEMO"),
            text("SituationNumber", "travaux-cambrai"),
            text("Version", "1"),
            node("Source", vec![text("SourceType", "directReport")]),
            text("Progress", "open"),
            node(
                "ValidityPeriod",
                vec![text("StartTime", stamp(start)), text("EndTime", stamp(end))],
            ),
            text("AlertCause", "constructionWork"),
            text("Severity", "normal"),
            summary,
            description,
            node(
                "Affects",
                vec![node(
                    "Networks",
                    vec![node(
                        "AffectedNetwork",
                        vec![node("AffectedLine", vec![text("LineRef", "TER:K40")])],
                    )],
                )],
            ),
        ],
    );
    Some(delivery(
        now,
        "SituationExchangeDelivery",
        node("Situations", vec![situation]),
    ))
}
