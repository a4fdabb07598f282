//! The upstream pollers: one task per realtime endpoint of every feed, and one
//! per weather source and facility source, each given only what it writes to and reads.

use std::net::SocketAddr;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::resolve;
use crate::publish::Boards;
use crate::sources::{gtfs_rt, siri, weather};

/// Starts every poller of the deployment behind `boards`; `bound` resolves the
/// demo's `self:` URLs.
pub(super) fn spawn(boards: &Boards, bound: SocketAddr, cancel: &CancellationToken) -> JoinSet<()> {
    let mut set = JoinSet::new();
    let deployment = &boards.deployment;
    for feed in deployment.feeds.iter() {
        let Some(rt) = &feed.config.realtime else {
            continue;
        };
        for (kind, endpoint) in rt.endpoints() {
            let url = resolve(endpoint, bound);
            tracing::info!(feed = %feed.id, kind = kind.name(), %url, "polling realtime");
            let target = gtfs_rt::Target {
                feed: feed.id.clone(),
                kind,
                limits: crate::realtime::ingest::Limits {
                    max_entities: rt.max_entities,
                    delay_bounds: rt.delay_bounds,
                },
                timetable: feed.timetable.clone(),
                store: boards.realtime.clone(),
                clock: boards.clock,
                metrics: boards.metrics.clone(),
            };
            set.spawn(gtfs_rt::run(target, rt.clone(), url, cancel.child_token()));
        }
    }
    for feed in deployment.feeds.iter() {
        let Some(siri) = &feed.config.siri else {
            continue;
        };
        for (service, endpoint) in siri.endpoints() {
            let url = resolve(endpoint, bound);
            tracing::info!(feed = %feed.id, kind = service.name(), %url, "polling SIRI");
            let target = siri::poller::Target {
                feed: feed.id.clone(),
                service,
                timetable: feed.timetable.clone(),
                store: boards.realtime.clone(),
                clock: boards.clock,
                metrics: boards.metrics.clone(),
            };
            set.spawn(siri::poller::run(
                target,
                siri.clone(),
                url,
                cancel.child_token(),
            ));
        }
    }
    for integration in &deployment.sensor_integrations {
        let Some(token) = &integration.simulate_with_token else {
            continue;
        };
        let devices: Vec<String> = deployment
            .facilities
            .iter()
            .filter_map(|f| f.sensors.as_ref())
            .filter(|s| s.integration == integration.id)
            .flat_map(|s| s.spaces.keys().cloned())
            .collect();
        let timezone = deployment
            .stations
            .first()
            .map_or(chrono_tz::Europe::Paris, |s| s.timezone);
        let url = resolve(
            &crate::config::EndpointUrl::SelfPath(format!("/v1/sensors/{}", integration.id)),
            bound,
        );
        tracing::warn!(
            integration = %integration.id,
            devices = devices.len(),
            %url,
            "simulating sensors (simulate_with_token): the demo's fake parking counts; never in a real deployment"
        );
        set.spawn(crate::demo::sensors::run(
            crate::demo::sensors::Simulator {
                url,
                token: token.clone(),
                devices,
                timezone,
                clock: boards.clock,
                every: std::time::Duration::from_secs(5),
            },
            cancel.child_token(),
        ));
    }
    let places = crate::facility::sourced::station_places(deployment);
    for source in &deployment.facility_sources {
        let url = match &source.location {
            crate::config::facility_source::Location::Url(u) => Some(resolve(u, bound)),
            crate::config::facility_source::Location::File(_) => None,
        };
        let status_url = source.status_url.as_ref().map(|u| resolve(u, bound));
        tracing::info!(source = %source.id, format = source.format.name(), url = url.as_deref().unwrap_or("(file)"), "polling facilities");
        set.spawn(crate::sources::facilities::poller::run(
            source.clone(),
            url,
            status_url,
            places.clone(),
            boards.facilities.clone(),
            boards.clock,
            cancel.child_token(),
        ));
    }
    for source in &deployment.weather {
        let url = resolve(&source.url, bound);
        tracing::info!(source = %source.id, %url, "polling weather alerts");
        set.spawn(weather::run(
            source.clone(),
            url,
            boards.weather.clone(),
            cancel.child_token(),
        ));
    }
    set
}
