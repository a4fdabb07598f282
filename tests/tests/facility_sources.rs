//! Facility sources end to end: a ParkAPI document and a GBFS pair served by
//! a fake upstream, polled by a running server; the station's board shows
//! the park-and-ride within its radius (not the one 30 km away), follows a
//! change on the stream, keeps the last good state through a broken
//! document, says "unknown" when the publisher's count is stale; the SIRI-FM
//! export is valid against the SIRI XSD and the DATEX II export reads back.

use std::time::{Duration, Instant};

use quai_protocol::{Facility, FacilityKind, FacilityStatus, ServerMessage};
use quai_tests::server::{self, Running};
use quai_tests::stream::Client;
use quai_tests::upstream::{Reply, Upstream};
use serde_json::json;

const NOW: &str = "2026-03-09T07:30:00+01:00";

fn parkapi(free: u32, updated: &str) -> Vec<u8> {
    json!({"items": [
        {"uid": "caudry-pr", "name": "Parking relais de la gare", "park_and_ride_type": ["TRAIN"],
         "lat": 50.1249, "lon": 3.4101, "capacity": 120, "capacity_disabled": 4,
         "realtime_free_capacity": free, "realtime_opening_status": "OPEN",
         "realtime_data_updated_at": updated},
        {"uid": "cambrai", "name": "Parking de Cambrai", "lat": 50.1760, "lon": 3.2350,
         "capacity": 300, "realtime_free_capacity": 12, "realtime_opening_status": "OPEN",
         "realtime_data_updated_at": updated},
    ]})
    .to_string()
    .into_bytes()
}

fn gbfs_information() -> Vec<u8> {
    json!({"last_updated": 1_773_037_800, "ttl": 60, "version": "2.3", "data": {"stations": [
        {"station_id": "v1", "name": "Gare de Caudry", "lat": 50.1252, "lon": 3.4110, "capacity": 10}
    ]}})
    .to_string()
    .into_bytes()
}

fn gbfs_status(bikes: u32) -> Vec<u8> {
    json!({"last_updated": 1_773_037_800, "ttl": 60, "version": "2.3", "data": {"stations": [
        {"station_id": "v1", "num_bikes_available": bikes, "num_docks_available": 10 - bikes,
         "is_installed": true, "is_renting": true, "is_returning": true,
         "last_reported": 1_773_037_740,
         "vehicle_types_available": [{"vehicle_type_id": "velo", "count": bikes}]}
    ]}})
    .to_string()
    .into_bytes()
}

async fn start(upstream: &Upstream) -> Running {
    let config = format!(
        "[[feeds]]\nid = \"demo\"\ngtfs = \"builtin:caudry-demo\"\n\
         [[stations]]\nid = \"caudry\"\nname = \"Caudry\"\nstops = {{ demo = [\"CAUDRY\"] }}\n\
         area = {{ lat = 50.1256, lon = 3.4106 }}\n\
         [[facility_sources]]\nid = \"pr\"\nformat = \"parkapi\"\nurl = \"{u}/parkapi.json\"\n\
         radius_m = 500\npoll_s = 0.2\nstale_after_s = 1800\n\
         [[facility_sources]]\nid = \"velo\"\nformat = \"gbfs\"\nurl = \"{u}/station_information.json\"\n\
         status_url = \"{u}/station_status.json\"\nstations = [\"caudry\"]\npoll_s = 0.2\n",
        u = upstream.url
    );
    server::start(&config, server::fixed(NOW)).await
}

async fn line(s: &Running, id: &str) -> Option<Facility> {
    s.board("caudry", "")
        .await
        .facilities
        .into_iter()
        .find(|f| f.id == id)
}

async fn wait_line(s: &Running, id: &str, what: impl Fn(&Facility) -> bool) -> Facility {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(f) = line(s, id).await
            && what(&f)
        {
            return f;
        }
        assert!(
            Instant::now() < deadline,
            "{id} never as expected: {:?}",
            line(s, id).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn polled_facilities_reach_the_board_stream_api_and_exports() {
    let upstream = Upstream::start(Reply::Status(404, None)).await;
    upstream.set_path(
        "/parkapi.json",
        Reply::Body(parkapi(37, "2026-03-09T06:28:00Z")),
    );
    upstream.set_path("/station_information.json", Reply::Body(gbfs_information()));
    upstream.set_path("/station_status.json", Reply::Body(gbfs_status(4)));
    let s = start(&upstream).await;

    let pr = wait_line(&s, "pr:caudry-pr", |f| f.free.is_some()).await;
    assert_eq!(
        (
            pr.name.as_str(),
            pr.kind,
            pr.free,
            pr.capacity,
            pr.capacity_pmr,
            pr.status
        ),
        (
            "Parking relais de la gare",
            FacilityKind::ParkAndRide,
            Some(37),
            Some(120),
            Some(4),
            FacilityStatus::Open
        )
    );
    assert_eq!(pr.updated_at.as_deref(), Some("2026-03-09T07:28:00+01:00"));
    // Cambrai is 12 km away: not on Caudry's board, but known to the API.
    assert!(line(&s, "pr:cambrai").await.is_none());
    let all: Vec<Facility> = s.get("/v1/facilities", 200).await;
    assert!(all.iter().any(|f| f.id == "pr:cambrai"));
    let detail: serde_json::Value = s.get("/v1/facilities/pr:cambrai", 200).await;
    assert_eq!(detail["stations"], json!([]));
    assert_eq!(detail["source"], json!("pr"));
    assert_eq!(detail["location"], json!({"lat": 50.176, "lon": 3.235}));

    let bikes = wait_line(&s, "velo:v1", |f| f.free.is_some()).await;
    assert_eq!(
        (
            bikes.kind,
            bikes.free,
            bikes.capacity,
            bikes.unknown,
            bikes.status
        ),
        (
            FacilityKind::BikeShare,
            Some(4),
            Some(10),
            0,
            FacilityStatus::Open
        )
    );
    assert_eq!(bikes.vehicle_types[0].count, 4);

    // The last place taken upstream: on the stream as "full".
    let mut client = Client::connect(&s.base).await;
    client.subscribe("caudry", None).await;
    let _snapshot = client.next_message().await;
    let changed = Instant::now();
    upstream.set_path(
        "/parkapi.json",
        Reply::Body(parkapi(0, "2026-03-09T06:29:30Z")),
    );
    let full = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let ServerMessage::Delta(d) = client.next_message().await
                && let Some(fs) = d.facilities
                && let Some(f) = fs.iter().find(|f| f.id == "pr:caudry-pr")
                && f.free == Some(0)
            {
                return f.clone();
            }
        }
    })
    .await
    .expect("the change on the stream within 10 s");
    assert_eq!(full.status, FacilityStatus::Full);
    // One poll (0.2 s) and one board (at most a second).
    assert!(
        changed.elapsed() < Duration::from_secs(3),
        "{:?}",
        changed.elapsed()
    );

    // A broken document: the last good state stays.
    upstream.set_path("/parkapi.json", Reply::Body(b"{\"items\": [".to_vec()));
    upstream.polls(3).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let pr = line(&s, "pr:caudry-pr").await.expect("still there");
    assert_eq!((pr.free, pr.status), (Some(0), FacilityStatus::Full));

    // A count older than stale_after_s (30 min): unknown, not its 50 places.
    upstream.set_path(
        "/parkapi.json",
        Reply::Body(parkapi(50, "2026-03-09T05:50:00Z")),
    );
    let pr = wait_line(&s, "pr:caudry-pr", |f| f.status == FacilityStatus::Unknown).await;
    assert_eq!((pr.free, pr.updated_at), (None, None));

    // SIRI Facility Monitoring: valid against the SIRI XSD, both kinds.
    let fm = s.get_text("/siri/facility-monitoring").await;
    quai_tests::xsd::validate_siri(&fm).unwrap_or_else(|e| panic!("{e}\n{fm}"));
    assert!(fm.contains("<FacilityRef>velo:v1</FacilityRef>"));
    assert!(fm.contains("<CountedFeatureUnit>vehicles</CountedFeatureUnit>"));
    assert!(fm.contains("<FacilityRef>pr:cambrai</FacilityRef>"));
    // Unchanged within the minute: 304 on its ETag.
    let http = quai_tests::http::client(Duration::from_secs(5));
    let url = format!("{}/siri/facility-monitoring", s.base);
    let first = http.get(&url).send().await.expect("get");
    let etag = first.headers()["etag"].to_str().expect("etag").to_string();
    let again = http
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("get");
    assert_eq!(again.status(), 304);
    // DATEX II v3: the car parks (not the bikes), read back.
    let d2 = s.get_text("/datex2/parking-status").await;
    let back = feed_server::sources::facilities::datex2::parse(d2.as_bytes()).expect("read back");
    let ids: Vec<&str> = back.statuses.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["pr:caudry-pr", "pr:cambrai"]);
    // Both counts are stale now: published as unknown, without a count.
    assert!(back.statuses.iter().all(|r| r.free.is_none()), "{d2}");
    assert!(d2.contains("<fac:openingStatus>statusUnknown</fac:openingStatus>"));
}

#[test]
fn facility_source_mistakes_are_refused_with_the_reason() {
    let head = "[[feeds]]\nid = \"demo\"\ngtfs = \"builtin:caudry-demo\"\n\
                [[stations]]\nid = \"caudry\"\nname = \"Caudry\"\nstops = { demo = [\"CAUDRY\"] }\n";
    let refused = |source: &str| {
        feed_server::config::Config::parse(
            &format!("{head}[[facility_sources]]\nid = \"x\"\n{source}"),
            "quai.toml",
            std::path::Path::new("."),
        )
        .expect_err(source)
        .to_string()
    };
    let e = refused("format = \"xml\"\nurl = \"http://a/\"\nstations = [\"caudry\"]\n");
    assert!(e.contains("format") && e.contains("datex2"), "{e}");
    let e = refused("format = \"gbfs\"\nurl = \"http://a/\"\nstations = [\"caudry\"]\n");
    assert!(e.contains("station_status"), "{e}");
    let e = refused("format = \"parkapi\"\nurl = \"http://a/\"\n");
    assert!(e.contains("which boards"), "{e}");
    let e = refused("format = \"parkapi\"\nurl = \"http://a/\"\nradius_m = 300\n");
    assert!(e.contains("area"), "{e}");
    let e = refused(
        "format = \"siri-fm\"\nurl = \"http://a/\"\nstatus_url = \"http://b/\"\nstations = [\"caudry\"]\n",
    );
    assert!(e.contains("status_url"), "{e}");
    let e = refused("format = \"parkapi\"\npath = \"lots.json\"\nstations = [\"caudry\"]\n");
    assert!(e.contains("BNLC"), "{e}");
}
