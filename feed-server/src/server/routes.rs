//! Every route of the server, and the sub-state each group of handlers gets from
//! [`AppState`] (axum's `FromRef`): handlers see only what they read.

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::middleware;
use axum::routing::get;

use super::AppState;
use crate::deployment::Deployment;
use crate::freshness::Freshness;
use crate::http::demo::Demo;
use crate::http::facility_exports::{self, FacilityExport};
use crate::http::gtfs_rt::Export;
use crate::http::metrics::MetricsView;
use crate::http::notices::NoticeDesk;
use crate::http::siri_sx::SituationExport;
use crate::http::stream::StreamState;
use crate::http::{self, api, console, demo, gtfs_rt, notices, portal, siri_sx, stream};
use crate::publish::Boards;

pub(super) fn router(state: AppState) -> Router {
    let metrics = state.boards.metrics.clone();
    let edge = state.boards.origin == crate::publish::Origin::Received;
    let router = Router::new()
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(http::metrics::metrics))
        .route("/v1/stations", get(api::stations))
        .route("/v1/openapi.json", get(api::openapi))
        .route("/v1/schemas/quai.schema.json", get(api::schemas))
        .route("/v1/stations/{id}/board", get(api::board))
        .route("/v1/stream", get(stream::upgrade))
        .route("/v1/notices", get(notices::list).post(notices::create))
        .route(
            "/v1/notices/{id}",
            get(notices::get_one)
                .patch(notices::patch)
                .delete(notices::end),
        )
        .route(
            "/v1/emergencies",
            get(notices::emergency::list).post(notices::emergency::start),
        )
        .route(
            "/v1/emergencies/{id}",
            axum::routing::delete(notices::emergency::end),
        )
        .route("/v1/screens", get(notices::screens::list))
        .route(
            "/v1/screens/{id}/reports",
            axum::routing::post(notices::screens::report),
        )
        .route("/v1/screens/{id}/history", get(notices::screens::history))
        .route(
            "/v1/screens/{id}/screenshot",
            get(notices::screens::get_screenshot)
                .post(notices::screens::ask_screenshot)
                .put(notices::screens::put_screenshot),
        )
        .route(
            "/v1/stations/{id}/announce",
            axum::routing::post(notices::emergency::announce),
        )
        .route(
            "/v1/sensors/{integration}",
            axum::routing::post(http::sensors::uplink_event),
        )
        .route("/v1/stations/{id}/routes", get(http::lines::station_routes))
        .route("/v1/search", get(http::places::search))
        .route("/v1/stops/{id}/board", get(http::places::stop_board))
        .route("/v1/routes/{id}", get(http::lines::route))
        .route(
            "/v1/routes/{id}/departures",
            get(http::lines::route_departures),
        )
        .route("/v1/trips/{id}", get(http::lines::trip))
        .route("/v1/push/key", get(http::push::key))
        .route(
            "/v1/push/subscriptions",
            axum::routing::post(http::push::subscribe),
        )
        .route(
            "/v1/push/subscriptions/{id}",
            get(http::push::one).delete(http::push::delete),
        )
        .route("/v1/facilities", get(http::sensors::list))
        .route("/v1/facilities/{id}", get(http::sensors::one))
        .route("/app", get(http::app::page))
        .route("/app/app.js", get(http::app::script))
        .route("/app/app.css", get(http::app::style))
        .route("/app/sw.js", get(http::app::worker))
        .route("/app/manifest.webmanifest", get(http::app::manifest))
        .route("/app/icon-192.png", get(http::app::icon_192))
        .route("/app/icon-512.png", get(http::app::icon_512))
        .route("/captive-portal/api", get(portal::api))
        .route("/portal", get(portal::page))
        .route("/portal/notices/{id}", get(http::portal_notice::page))
        .route("/portal.js", get(portal::script))
        .route("/portal.css", get(portal::style))
        .route("/console", get(console::page))
        .route("/console.js", get(console::script))
        .route("/console.css", get(console::style))
        .merge(
            Router::new()
                .route("/gtfs-rt/trip-updates", get(gtfs_rt::trip_updates))
                .route(
                    "/gtfs-rt/vehicle-positions",
                    get(gtfs_rt::vehicle_positions),
                )
                .route("/gtfs-rt/alerts", get(gtfs_rt::alerts))
                .route("/siri/situation-exchange", get(siri_sx::situation_exchange))
                .route(
                    "/siri/facility-monitoring",
                    get(facility_exports::facility_monitoring),
                )
                .route(
                    "/datex2/parking-status",
                    get(facility_exports::parking_status),
                )
                .layer(tower_http::compression::CompressionLayer::new()),
        )
        .route("/demo/gtfs-rt/trip-updates", get(demo::trip_updates))
        .route(
            "/demo/gtfs-rt/vehicle-positions",
            get(demo::vehicle_positions),
        )
        .route("/demo/gtfs-rt/alerts", get(demo::alerts))
        .route(
            "/demo/siri/estimated-timetable",
            get(demo::siri_estimated_timetable),
        )
        .route(
            "/demo/siri/situation-exchange",
            get(demo::siri_situation_exchange),
        )
        .route("/demo/cap/heatwave", get(demo::heatwave))
        .fallback(api::not_found);
    // On matched routes only: an unknown path is still a 404.
    let router = if edge {
        // With PostgreSQL, an edge takes notices and push subscriptions too.
        let serves = http::edge::Shared {
            notices: state.shared.is_some(),
            push: state.push.is_some(),
            link: match &state.node {
                crate::node::Node::Edge { link, .. } => Some(link.clone()),
                _ => None,
            },
            realtime: state.boards.realtime.clone(),
        };
        router.route_layer(middleware::from_fn_with_state(serves, http::edge::refuse))
    } else {
        router
    };
    router
        .layer(middleware::from_fn_with_state(metrics, http::observe))
        .with_state(state)
}

impl FromRef<AppState> for Boards {
    fn from_ref(s: &AppState) -> Boards {
        s.boards.clone()
    }
}

impl FromRef<AppState> for api::BoardDesk {
    fn from_ref(s: &AppState) -> api::BoardDesk {
        api::BoardDesk {
            boards: s.boards.clone(),
            store: s.store.clone(),
        }
    }
}

impl FromRef<AppState> for api::HealthDesk {
    fn from_ref(s: &AppState) -> api::HealthDesk {
        api::HealthDesk {
            freshness: s.boards.freshness(),
            node: s.node.clone(),
            hub: s.boards.hub.clone(),
        }
    }
}

impl FromRef<AppState> for Freshness {
    fn from_ref(s: &AppState) -> Freshness {
        s.boards.freshness()
    }
}

impl FromRef<AppState> for Arc<Deployment> {
    fn from_ref(s: &AppState) -> Arc<Deployment> {
        s.boards.deployment.clone()
    }
}

impl FromRef<AppState> for MetricsView {
    fn from_ref(s: &AppState) -> MetricsView {
        MetricsView {
            metrics: s.boards.metrics.clone(),
            hub: s.boards.hub.clone(),
            deployment: s.boards.deployment.clone(),
            realtime: s.boards.realtime.clone(),
            clock: s.boards.clock,
            push: s.push.as_ref().map(|p| p.counters.clone()),
            fleet: s.fleet.clone(),
        }
    }
}

impl FromRef<AppState> for StreamState {
    fn from_ref(s: &AppState) -> StreamState {
        StreamState {
            hub: s.boards.hub.clone(),
            trips: Some(Arc::new(s.boards.trip_views())),
            settings: s.boards.deployment.stream,
            metrics: s.boards.metrics.clone(),
            shutdown: s.shutdown.clone(),
        }
    }
}

impl FromRef<AppState> for NoticeDesk {
    fn from_ref(s: &AppState) -> NoticeDesk {
        NoticeDesk {
            store: s.store.clone(),
            shared: s.shared.clone(),
            builds: s.boards.origin == crate::publish::Origin::Built,
            boards: s.boards.clone(),
            limiter: s.limiter.clone(),
            auth_failures: s.auth_failures.clone(),
            fleet: s.fleet.clone(),
        }
    }
}

impl FromRef<AppState> for Export {
    fn from_ref(s: &AppState) -> Export {
        Export {
            hub: s.boards.hub.clone(),
            deployment: s.boards.deployment.clone(),
            realtime: s.boards.realtime.clone(),
            clock: s.boards.clock,
            cache: s.exports.clone(),
            received: s.boards.origin == crate::publish::Origin::Received,
        }
    }
}

impl FromRef<AppState> for SituationExport {
    fn from_ref(s: &AppState) -> SituationExport {
        SituationExport {
            notices: s.boards.notices.clone(),
            clock: s.boards.clock,
            received: s.boards.origin == crate::publish::Origin::Received,
        }
    }
}

impl FromRef<AppState> for http::sensors::SensorDesk {
    fn from_ref(s: &AppState) -> http::sensors::SensorDesk {
        http::sensors::SensorDesk {
            boards: s.boards.clone(),
            store: s.store.clone(),
        }
    }
}

impl FromRef<AppState> for FacilityExport {
    fn from_ref(s: &AppState) -> FacilityExport {
        FacilityExport {
            deployment: s.boards.deployment.clone(),
            facilities: s.boards.facilities.clone(),
            clock: s.boards.clock,
        }
    }
}

impl FromRef<AppState> for http::push::PushDesk {
    fn from_ref(s: &AppState) -> http::push::PushDesk {
        http::push::PushDesk {
            push: s.push.clone(),
            boards: s.boards.clone(),
            writes: s.push_writes.clone(),
        }
    }
}

impl FromRef<AppState> for Demo {
    fn from_ref(s: &AppState) -> Demo {
        Demo {
            deployment: s.boards.deployment.clone(),
            clock: s.boards.clock,
        }
    }
}
