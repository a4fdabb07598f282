//! GTFS-Realtime on real captures: Caltrain trip updates merged into the Caltrain
//! timetable, and the other captures decoded and ingested as they come.
//!
//! Caltrain expectations were worked out by hand (Python, gtfs-realtime-bindings)
//! from ct-trip-updates.pb (header 1699405534 = Tue 2023-11-07 17:05:34 PST, 19 trip
//! updates, all with start_date 20231107 and absolute times) against ct.zip.

use feed_server::realtime::{Alerts, TripUpdates, Vehicles};
use prost::Message as _;
use quai_protocol::{Board, DepartureStatus};
use quai_tests::board::{BoardExt as _, hms};
use quai_tests::server::{self, Running};
use quai_tests::upstream::{Reply, Upstream};

use crate::support::fixture;

const HEADER_TIME: &str = "2023-11-07T17:05:34-08:00";

async fn caltrain(now: &str) -> (Running, Upstream) {
    let read = |p: &str| std::fs::read(fixture(p)).expect("fixture");
    let tu = Upstream::start(Reply::Body(read("gtfs-rt/caltrain/ct-trip-updates.pb"))).await;
    let vp = Upstream::start(Reply::Body(read(
        "gtfs-rt/caltrain/ct-vehicle-positions.pb",
    )))
    .await;
    let al = Upstream::start(Reply::Body(read("gtfs-rt/caltrain/ct-service-alerts.pb"))).await;
    let text = format!(
        r#"
[board]
max_limit = 50
[[feeds]]
id = "ct"
gtfs = {gtfs:?}
[feeds.realtime]
trip_updates_url = "{tu}"
vehicle_positions_url = "{vp}"
alerts_url = "{al}"
poll_s = 0.2

[[stations]]
id = "sf"
name = "San Francisco"
stops = {{ ct = ["san_francisco"] }}
[[stations]]
id = "22nd"
name = "22nd Street"
stops = {{ ct = ["22nd_street"] }}
[[stations]]
id = "sj"
name = "San Jose Diridon"
stops = {{ ct = ["sj_diridon"] }}
"#,
        gtfs = fixture("gtfs/caltrain-2023/ct.zip"),
        tu = tu.url,
        vp = vp.url,
        al = al.url,
    );
    let server = server::start(&text, server::fixed(now)).await;
    (server, tu)
}

/// (scheduled, expected, delay, status) of trip number `trip`, times as local
/// HH:MM:SS.
type Row = (String, Option<String>, Option<i64>, DepartureStatus);

fn row(board: &Board, trip: &str) -> Row {
    let d = board
        .departures
        .iter()
        .find(|d| d.trip_number.as_deref() == Some(trip))
        .unwrap_or_else(|| panic!("trip {trip} not on {:?}", board.ids()));
    (
        hms(&d.scheduled),
        d.expected.as_deref().map(hms),
        d.delay_s,
        d.status,
    )
}

/// A row as written below, with "HH:MM:SS" times.
fn want(
    scheduled: &str,
    expected: Option<&str>,
    delay: Option<i64>,
    status: DepartureStatus,
) -> Row {
    (
        scheduled.into(),
        expected.map(str::to_string),
        delay,
        status,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caltrain_trip_updates_at_their_header_time() {
    let (server, _up) = caltrain(HEADER_TIME).await;
    for id in ["ct:trip-updates", "ct:vehicle-positions", "ct:alerts"] {
        server.wait_fresh(id).await;
    }
    // San Francisco: the first departures of each trip have updates at their first
    // stop, on time; later trips have no update.
    let sf = server.board("sf", "?limit=50").await;
    assert_eq!(
        row(&sf, "412"),
        want(
            "17:10:00",
            Some("17:10:00"),
            Some(0),
            DepartureStatus::OnTime
        )
    );
    assert_eq!(
        row(&sf, "312"),
        want(
            "17:27:00",
            Some("17:27:00"),
            Some(0),
            DepartureStatus::OnTime
        )
    );
    assert_eq!(
        row(&sf, "128"),
        want(
            "17:37:00",
            Some("17:37:00"),
            Some(0),
            DepartureStatus::OnTime
        )
    );
    assert_eq!(
        row(&sf, "314"),
        want("18:27:00", None, None, DepartureStatus::Scheduled)
    );
    // 710 was due at 17:04 and left at 17:05:19, 15 s before now: departed.
    assert_eq!(
        row(&sf, "710"),
        want(
            "17:04:00",
            Some("17:05:19"),
            Some(79),
            DepartureStatus::Departed
        )
    );

    // 22nd Street: own updates (+50, +136 ...) and one propagated (129: +25 from its
    // update at seq 18 to its call here at seq 20). Departure times are used, not
    // arrivals (128 arrives 17:41:57 and leaves 17:42:00).
    let st22 = server.board("22nd", "?limit=50").await;
    assert_eq!(
        row(&st22, "412"),
        want(
            "17:15:00",
            Some("17:15:50"),
            Some(50),
            DepartureStatus::OnTime
        )
    );
    assert_eq!(
        row(&st22, "125"),
        want(
            "17:24:00",
            Some("17:26:16"),
            Some(136),
            DepartureStatus::Delayed
        )
    );
    assert_eq!(
        row(&st22, "128"),
        want(
            "17:42:00",
            Some("17:42:00"),
            Some(0),
            DepartureStatus::OnTime
        )
    );
    assert_eq!(
        row(&st22, "411"),
        want(
            "17:52:00",
            Some("17:53:04"),
            Some(64),
            DepartureStatus::Delayed
        )
    );
    assert_eq!(
        row(&st22, "309"),
        want("17:35:00", None, None, DepartureStatus::Scheduled)
    );
    assert_eq!(
        row(&st22, "129"),
        want(
            "19:25:00",
            Some("19:25:25"),
            Some(25),
            DepartureStatus::OnTime
        )
    );

    // San Jose Diridon: 128's arrival-only update at seq 20 (148 s early) carries to
    // its later stops; 410 is 67 s late.
    let sj = server.board("sj", "?limit=50").await;
    assert_eq!(
        row(&sj, "128"),
        want(
            "19:17:00",
            Some("19:14:32"),
            Some(-148),
            DepartureStatus::Early
        )
    );
    assert_eq!(
        row(&sj, "410"),
        want(
            "17:26:00",
            Some("17:27:07"),
            Some(67),
            DepartureStatus::Delayed
        )
    );
    assert_eq!(
        row(&sj, "126"),
        want(
            "18:19:00",
            Some("18:19:00"),
            Some(0),
            DepartureStatus::OnTime
        )
    );

    // The vehicle positions carry no stop status: nobody is boarding. The alerts feed
    // is empty: no notices.
    for board in [&sf, &st22, &sj] {
        assert!(
            board.departures.iter().all(|d| !d.boarding),
            "{:?}",
            board.departures
        );
        assert_eq!(board.notices, []);
    }
    // Uncertainty is passed on (trip 413 carries 300 s).
    let d413 = sj.departure("ct:413:20231107:1").expect("413 at San Jose");
    assert_eq!(d413.uncertainty_s, Some(300));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caltrain_updates_go_stale_after_90_seconds() {
    // Three minutes after the header time the same message is too old.
    let (server, _up) = caltrain("2023-11-07T17:08:34-08:00").await;
    let health = server.wait_health("ct:trip-updates", true).await;
    assert_eq!(health.status, "degraded");
    let sj = server.board("sj", "?limit=50").await;
    assert!(
        sj.departures.iter().all(|d| !d.realtime),
        "{:?}",
        sj.departures
    );
}

fn decode(rel: &str) -> gtfs_realtime::FeedMessage {
    let bytes = std::fs::read(fixture(rel)).expect("fixture");
    gtfs_realtime::FeedMessage::decode(bytes.as_slice()).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn nyct_captures_with_extensions_decode() {
    // MTA's feeds carry NYCT extension fields; they must not disturb decoding.
    // Counts from SOURCES.md: a_division 460 entities (285 trip updates, 174 vehicles,
    // 1 alert).
    let m = decode("gtfs-rt/nyct-subway/a_division.nyct.gtfsrt");
    assert_eq!(m.entity.len(), 460);
    let tus = TripUpdates::from_message(&m, |_| false);
    assert_eq!(tus.entity_count, 285);
    let vehicles = Vehicles::from_message(&m);
    assert_eq!(vehicles.entity_count, 174);
    let alerts = Alerts::from_message(&m, "en");
    assert_eq!(alerts.alerts.len(), 1);
    assert_eq!(m.header.timestamp, Some(1_637_960_185));
    for rel in [
        "gtfs-rt/nyct-subway/b_division.nyct.gtfsrt",
        "gtfs-rt/nyct-subway/2_delay.nyct.gtfsrt",
        "gtfs-rt/nyct-subway/2_train_with_0_shape.nyct.gtfsrt",
    ] {
        assert!(!decode(rel).entity.is_empty(), "{rel}");
    }
}

#[test]
fn empty_and_invalid_feeds() {
    for rel in [
        "gtfs-rt/edge-cases/hart-trip-updates-empty.pb",
        "gtfs-rt/edge-cases/hart-vehicle-positions-empty.pb",
        "gtfs-rt/caltrain/ct-service-alerts.pb",
    ] {
        let m = decode(rel);
        assert!(m.entity.is_empty(), "{rel}");
        assert!(m.header.timestamp.is_some(), "{rel}");
    }
    let bytes = std::fs::read(fixture("gtfs-rt/edge-cases/invalid.pb")).expect("fixture");
    assert!(gtfs_realtime::FeedMessage::decode(bytes.as_slice()).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_body_is_rejected_and_the_last_good_state_stays() {
    let (server, up) = caltrain(HEADER_TIME).await;
    server.wait_fresh("ct:trip-updates").await;
    let before = server.board("sj", "?limit=50").await;
    up.set(Reply::Body(
        std::fs::read(fixture("gtfs-rt/edge-cases/invalid.pb")).expect("fixture"),
    ));
    up.polls(2).await;
    let after = server.board("sj", "?limit=50").await;
    assert_eq!(before.departures, after.departures);
}

#[test]
fn mbta_alerts_keep_translations_and_informed_entities() {
    // 51 alerts (SOURCES.md); informed entities name 67 routes, 72 stops, 19 trips.
    let m = decode("gtfs-rt/mbta-2017/alerts.pb");
    let alerts = Alerts::from_message(&m, "und");
    assert_eq!(alerts.alerts.len(), 51);
    let distinct = |f: &dyn Fn(&feed_server::realtime::alerts::Selector) -> Option<String>| {
        alerts
            .alerts
            .iter()
            .flat_map(|a| a.selectors.iter().filter_map(f))
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    assert_eq!(distinct(&|s| s.route_id.clone()), 67);
    assert_eq!(distinct(&|s| s.stop_id.clone()), 72);
    assert_eq!(distinct(&|s| s.trip_id.clone()), 19);
    assert!(alerts.alerts.iter().all(|a| !a.header.is_empty()));
    assert!(alerts.alerts.iter().any(|a| !a.periods.is_empty()));
    // Three lifts out of service, said with OTHER_EFFECT and « elevator
    // unavailable » (GTFS-Realtime had no ACCESSIBILITY_ISSUE in 2017): boards
    // mark them as about step-free access, and nothing else.
    let lifts: Vec<String> = alerts
        .alerts
        .iter()
        .filter(|a| feed_server::board::wire::step_free_access(a.effect, &a.header, &a.description))
        .map(|a| a.header.values().next().cloned().unwrap_or_default())
        .collect();
    assert_eq!(lifts.len(), 3, "{lifts:?}");
    assert!(
        lifts
            .iter()
            .all(|h| h.to_lowercase().contains("elevator unavailable")),
        "{lifts:?}"
    );
    assert!(
        alerts
            .alerts
            .iter()
            .all(|a| a.effect != feed_server::realtime::Effect::AccessibilityIssue)
    );
}

#[test]
fn french_alerts_from_brest() {
    let m = decode("gtfs-rt/bibus-brest-fr/bibus-brest-gtfs-rt-alerts.pb");
    let alerts = Alerts::from_message(&m, "fr");
    assert_eq!(alerts.alerts.len(), 12);
    let texts: Vec<String> = alerts
        .alerts
        .iter()
        .flat_map(|a| a.header.values().chain(a.description.values()).cloned())
        .collect();
    assert!(texts.iter().any(|t| t.contains("Kermaria")), "{texts:?}");
}

/// USF Bull Runner's vehicles (2017) say how full they are: the reading of
/// `occupancy_status` that boards use gives each entity's value.
#[test]
fn bull_runner_vehicles_say_how_full_they_are() {
    let bytes = std::fs::read(fixture(
        "gtfs-rt/usf-bullrunner/bullrunner-vehicle-positions.pb",
    ))
    .expect("fixture");
    let message = gtfs_realtime::FeedMessage::decode(&bytes[..]).expect("a FeedMessage");
    let read: Vec<Option<quai_protocol::Occupancy>> = message
        .entity
        .iter()
        .filter_map(|e| e.vehicle.as_ref())
        .map(|v| feed_server::realtime::vehicles::occupancy(v.occupancy_status))
        .collect();
    assert_eq!(read.len(), 10);
    use quai_protocol::Occupancy::{Empty, ManySeatsAvailable};
    assert!(
        read.iter()
            .all(|o| matches!(o, Some(Empty | ManySeatsAvailable))),
        "{read:?}"
    );
    assert_eq!(
        read[..4],
        [
            Some(Empty),
            Some(Empty),
            Some(ManySeatsAvailable),
            Some(ManySeatsAvailable)
        ]
    );
}
