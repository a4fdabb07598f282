//! The realtime merge end to end, on the demo timetable, with hand-made GTFS-Realtime
//! messages served by a fake upstream: every rule of the merge shows on the board as
//! a passenger would read it. Fixed clock: Monday 9 March 2026, 07:30 in Caudry.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use gtfs_realtime::alert::{Cause, Effect};
use quai_protocol::{ActivePeriod, DepartureStatus, InformedEntity, Severity};
use quai_tests::board::{BoardExt as _, in_time_order};
use quai_tests::gtfs_rt::{self, AlertEntity, alert, stop, trip_update, vehicle};
use quai_tests::server;
use quai_tests::upstream::{Reply, Upstream};

const NOW: &str = "2026-03-09T07:30:00+01:00";
const DAY: &str = "20260309";

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(NOW)
        .expect("now")
        .with_timezone(&Utc)
}

/// 07:xx:yy today as POSIX seconds.
fn at(hms: &str) -> i64 {
    DateTime::parse_from_rfc3339(&format!("2026-03-09T{hms}+01:00"))
        .expect("time")
        .timestamp()
}

fn trip_updates(ts: i64) -> Vec<u8> {
    gtfs_rt::encode(
        ts,
        [
            // Left 15 min late: still to come, from the look-back window.
            trip_update("CA2C:2:WD:0:0715", DAY)
                .entity("late")
                .scheduled()
                .stop(stop(1).delay(1200)),
            // Left 30 s ago: shown as departed for a minute.
            trip_update("CA2C:1:WD:0:0720", DAY)
                .entity("gone")
                .scheduled()
                .stop(stop(1).delay(570)),
            // Left 4 min ago: off the board.
            trip_update("TER:843854:WD", DAY)
                .entity("long-gone")
                .scheduled()
                .stop(stop(3).delay(600)),
            trip_update("CA2C:5:WD:1:0720", DAY)
                .entity("skip")
                .scheduled()
                .stop(stop(3).skipped()),
            trip_update("TER:843800:WD", DAY)
                .entity("moved")
                .scheduled()
                .stop(stop(6).delay(120).assigned("CAUDRY:V2")),
            trip_update("TER:843840:WD", DAY)
                .entity("cancel")
                .cancelled(),
            trip_update("CA2C:1:WD:0:0750", DAY)
                .entity("early")
                .scheduled()
                .stop(stop(1).departs(at("07:47:00"))),
            trip_update("CA2C:3:WD:0:0810", DAY)
                .entity("nodata")
                .scheduled()
                .stop(stop(1).no_data()),
            trip_update("NOT-A-TRIP", DAY)
                .entity("unknown")
                .scheduled()
                .stop(stop(1).delay(60)),
            trip_update("RENFORT-1", DAY)
                .entity("added")
                .added("CA2C:1")
                .headsign("Cambrai (renfort)")
                .stop(stop(1).at("CAUDRY:A").departs(at("07:52:00")))
                .stop(stop(2).at("CAMBRAI_GARE_ROUTIERE").arrives(at("08:20:00"))),
            trip_update("TER:843800:WD", DAY)
                .entity("dup")
                .duplicated()
                .copy_id("TER:843800:DUP")
                .copy(DAY, "06:53:00"),
        ],
    )
}

fn vehicles(ts: i64) -> Vec<u8> {
    gtfs_rt::encode(
        ts,
        [vehicle("bus-5", "CA2C:5:WD:0:0730").stopped_at("CAUDRY:E", 4)],
    )
}

/// A strike reducing service, headed in French and in the feed's own language.
fn strike(id: &str) -> AlertEntity {
    alert(id, Cause::Strike, Effect::ReducedService)
        .header(Some("fr"), &format!("Avis {id}"))
        .header(None, &format!("Notice {id}"))
}

fn alerts(ts: i64) -> Vec<u8> {
    gtfs_rt::encode(
        ts,
        [
            strike("bay-e").on_stop("CAUDRY:E"),
            strike("cambrai").on_stop("CAMBRAI_GARE_ROUTIERE"),
            strike("k40")
                .on_trip("TER:843800:WD")
                .active(at("07:00:00"), at("09:00:00")),
            strike("tomorrow")
                .on_stop("CAUDRY:E")
                .active(at("23:00:00"), at("23:59:00")),
        ],
    )
}

/// A frequency run, two copies of one trip and an added trip sent twice.
fn repeats(ts: i64) -> Vec<u8> {
    let navette = |id: &str| trip_update("CA2C:N:WD:LOOP", DAY).entity(id).scheduled();
    let copy = |id: &str, start: &str| {
        trip_update("TER:843800:WD", DAY)
            .entity(id)
            .duplicated()
            .copy(DAY, start)
    };
    let renfort = |id: &str| {
        trip_update("RENFORT-2", DAY)
            .entity(id)
            .added("CA2C:1")
            .stop(stop(1).at("CAUDRY:A").departs(at("07:56:00")))
            .stop(stop(2).at("CAMBRAI_GARE_ROUTIERE").arrives(at("08:24:00")))
    };
    gtfs_rt::encode(
        ts,
        [
            // No start_time: which run of the shuttle? None of them.
            navette("nav-any").stop(stop(1).delay(300)),
            navette("nav-0800")
                .start_time("08:00:00")
                .stop(stop(1).delay(120)),
            // 843800 run again twice, with no new trip id.
            copy("copy-a", "06:53:00"),
            copy("copy-b", "07:23:00"),
            // The same added trip in two entities.
            renfort("renfort-a"),
            renfort("renfort-b"),
        ],
    )
}

fn config(tu: &str, vp: &str, al: &str) -> String {
    server::demo_config(
        "[board]\nmax_limit = 60",
        &format!(
            "trip_updates_url = \"{tu}\"\nvehicle_positions_url = \"{vp}\"\n\
             alerts_url = \"{al}\"\npoll_s = 0.2"
        ),
    )
}

async fn live_server(ts: i64) -> server::Running {
    let tu = Upstream::start(Reply::Body(trip_updates(ts))).await;
    let vp = Upstream::start(Reply::Body(vehicles(ts))).await;
    let al = Upstream::start(Reply::Body(alerts(ts))).await;
    let server = server::start(&config(&tu.url, &vp.url, &al.url), server::fixed(NOW)).await;
    for id in ["demo:trip-updates", "demo:vehicle-positions", "demo:alerts"] {
        if ts > now().timestamp() - 90 {
            server.wait_fresh(id).await;
        }
    }
    // The upstreams' tasks keep serving after their handles are dropped.
    server
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_merge_rule_shows_on_the_board() {
    let server = live_server(now().timestamp() - 20).await;
    let board = server.board("caudry", "?limit=60").await;

    let late = board.expect_departure("demo:CA2C:2:WD:0:0715:20260309:1");
    assert_eq!(late.status, DepartureStatus::Delayed);
    assert_eq!(late.delay_s, Some(1200));
    assert_eq!(late.scheduled, "2026-03-09T07:15:00+01:00");
    assert_eq!(late.expected.as_deref(), Some("2026-03-09T07:35:00+01:00"));

    let gone = board.expect_departure("demo:CA2C:1:WD:0:0720:20260309:1");
    assert_eq!(gone.status, DepartureStatus::Departed);
    assert_eq!(gone.expected.as_deref(), Some("2026-03-09T07:29:30+01:00"));
    assert!(
        board.departure("demo:TER:843854:WD:20260309:3").is_none(),
        "{:?}",
        board.ids()
    );

    let skipped = board.expect_departure("demo:CA2C:5:WD:1:0720:20260309:3");
    assert_eq!(skipped.status, DepartureStatus::Skipped);
    assert!(skipped.realtime);

    let moved = board.expect_departure("demo:TER:843800:WD:20260309:6");
    assert_eq!(moved.platform.as_deref(), Some("2"));
    assert!(moved.platform_changed);
    assert_eq!(moved.stop_id, "demo:CAUDRY:V2");
    assert_eq!(moved.status, DepartureStatus::Delayed);
    assert_eq!(moved.expected.as_deref(), Some("2026-03-09T07:47:00+01:00"));
    assert_eq!(moved.notice_ids, ["gtfs-rt:demo:k40"]);

    let cancelled = board.expect_departure("demo:TER:843840:WD:20260309:7");
    assert_eq!(cancelled.status, DepartureStatus::Cancelled);
    assert_eq!(cancelled.expected, None);

    let early = board.expect_departure("demo:CA2C:1:WD:0:0750:20260309:1");
    assert_eq!(early.status, DepartureStatus::Early);
    assert_eq!(early.delay_s, Some(-180));

    let no_data = board.expect_departure("demo:CA2C:3:WD:0:0810:20260309:1");
    assert_eq!(no_data.status, DepartureStatus::Scheduled);
    assert!(!no_data.realtime);

    let boarding = board.expect_departure("demo:CA2C:5:WD:0:0730:20260309:4");
    assert!(boarding.boarding);
    assert_eq!(boarding.notice_ids, ["gtfs-rt:demo:bay-e"]);

    let added = board.expect_departure("demo:RENFORT-1:20260309:1");
    assert_eq!(added.headsign, "Cambrai (renfort)");
    assert_eq!(added.route.short_name.as_deref(), Some("1"));
    assert_eq!(added.platform.as_deref(), Some("A"));
    assert_eq!(added.expected.as_deref(), Some("2026-03-09T07:52:00+01:00"));
    assert!(added.realtime);

    // 843800 run again 30 minutes later under another id: Caudry at 08:15.
    let dup = board.expect_departure("demo:TER:843800:DUP:20260309:6");
    assert_eq!(dup.scheduled, "2026-03-09T08:15:00+01:00");
    assert_eq!(dup.headsign, "Saint-Quentin");

    // Notices: only those that touch the station and are active now.
    assert_eq!(
        board.notice_ids(),
        vec!["gtfs-rt:demo:bay-e", "gtfs-rt:demo:k40"]
    );
    let bay_e = &board.notices[0];
    assert_eq!(
        bay_e.informed_entities,
        [InformedEntity::Stop {
            stop_id: "demo:CAUDRY:E".into()
        }]
    );
    // A translation without a language takes the feed's agency_lang.
    assert_eq!(
        bay_e.header,
        BTreeMap::from([("fr".to_string(), "Avis bay-e".to_string())])
    );
    assert_eq!(bay_e.cause, "strike");
    assert_eq!(bay_e.effect, "reduced_service");
    assert_eq!(bay_e.severity, Severity::Warning);
    assert_eq!(
        board.notices[1].active_periods,
        [ActivePeriod {
            start: Some("2026-03-09T07:00:00+01:00".into()),
            end: Some("2026-03-09T09:00:00+01:00".into())
        }]
    );

    // Sorted by expected (else scheduled) time.
    assert!(in_time_order(&board), "{:?}", board.departures);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_fresh_realtime_the_board_is_the_timetable() {
    // The same messages, but dated 20 minutes ago: stale at once.
    let stale = live_server(now().timestamp() - 1200).await;
    let timetable = server::start(
        &server::demo_config("[board]\nmax_limit = 60", ""),
        server::fixed(NOW),
    )
    .await;
    stale.wait_health("demo:trip-updates", true).await;
    let a = stale.board("caudry", "?limit=60").await;
    let b = timetable.board("caudry", "?limit=60").await;
    assert_eq!(a.departures, b.departures);
    assert_eq!(a.notices, []);
    assert_eq!(stale.health().await.status, "degraded");
}

/// A frequency run, two copies of one trip and a trip sent twice: each departure
/// once, with the right realtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frequency_runs_copies_and_repeats_keep_one_row_each() {
    let server = server::with_trip_updates(repeats(now().timestamp() - 20), NOW).await;
    let board = server.board("caudry", "?limit=60").await;

    let run_0740 = board.expect_departure("demo:CA2C:N:WD:LOOP@07:40:00:20260309:1");
    assert!(!run_0740.realtime, "{run_0740:?}");
    assert_eq!(run_0740.status, DepartureStatus::Scheduled);
    let run_0800 = board.expect_departure("demo:CA2C:N:WD:LOOP@08:00:00:20260309:1");
    assert_eq!(run_0800.delay_s, Some(120), "{run_0800:?}");
    assert_eq!(
        run_0800.expected.as_deref(),
        Some("2026-03-09T08:02:00+01:00")
    );

    let a = board.expect_departure("demo:TER:843800:WD~20260309@06:53:00:20260309:6");
    assert_eq!(a.scheduled, "2026-03-09T08:15:00+01:00");
    let b = board.expect_departure("demo:TER:843800:WD~20260309@07:23:00:20260309:6");
    assert_eq!(b.scheduled, "2026-03-09T08:45:00+01:00");

    let ids = board.ids();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "an id twice: {ids:?}");
    assert!(ids.contains(&"demo:RENFORT-2:20260309:1"), "{ids:?}");
}

/// Propagation as the GTFS-Realtime reference says it (issue 16), each rule on a
/// trip of its own:
/// - the delay carried forward is the update's own `delay` when it gives one,
///   not its `time` against the schedule (producers send both, 30–90 s apart);
/// - a stop's own `time` wins: it is never raised to a value carried from an
///   earlier, wrong update;
/// - a trip-level `delay` holds until the first stop time update;
/// - stop time updates sent out of order are read in `stop_sequence` order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn propagation_follows_the_reference() {
    let ts = now().timestamp() - 20;
    let message = gtfs_rt::encode(
        ts,
        [
            // Cambrai (seq 5, 07:32): leaves at 07:34, "30 s late" says the
            // producer; Caudry (seq 6, 07:45) is 30 s late, not 2 min.
            trip_update("TER:843800:WD", DAY)
                .scheduled()
                .stop(stop(5).departs(at("07:34:00")).delay(30)),
            // Lycée (seq 3, 07:42) 15 min late, but the bus predicts 07:47:00 at
            // Caudry E (seq 4, 07:46) itself.
            trip_update("CA2C:5:WD:0:0730", DAY)
                .scheduled()
                .stop(stop(3).delay(900))
                .stop(stop(4).departs(at("07:47:00"))),
            // Caudry (seq 1, 08:10) before the first stop update: the trip's 4 min.
            trip_update("CA2C:3:WD:0:0810", DAY)
                .scheduled()
                .delay(240)
                .stop(stop(3).delay(60)),
            // Out of order: seq 3 first, then Caudry (seq 1, 07:50) 2 min late.
            trip_update("CA2C:1:WD:0:0750", DAY)
                .scheduled()
                .stop(stop(3).delay(600))
                .stop(stop(1).delay(120)),
        ],
    );
    let server = server::with_trip_updates(message, NOW).await;
    let board = server.board("caudry", "?limit=60").await;
    let expect = |id: &str, expected: &str, delay: i64| {
        let d = board.expect_departure(id);
        assert_eq!(
            (d.expected.as_deref(), d.delay_s),
            (Some(expected), Some(delay)),
            "{id}: {d:?}"
        );
    };
    expect(
        "demo:TER:843800:WD:20260309:6",
        "2026-03-09T07:45:30+01:00",
        30,
    );
    expect(
        "demo:CA2C:5:WD:0:0730:20260309:4",
        "2026-03-09T07:47:00+01:00",
        60,
    );
    expect(
        "demo:CA2C:3:WD:0:0810:20260309:1",
        "2026-03-09T08:14:00+01:00",
        240,
    );
    expect(
        "demo:CA2C:1:WD:0:0750:20260309:1",
        "2026-03-09T07:52:00+01:00",
        120,
    );
}

/// What real producers send beyond the reference (issue 16): a DUPLICATED copy
/// with only the TripDescriptor's `start_date`/`start_time` (no
/// `trip_properties`), one at the original's own start time (which changes
/// nothing), an ADDED trip with its route and its delay, and an alert about a
/// whole agency, which stays network-wide.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_added_trips_and_network_alerts_as_producers_send_them() {
    let ts = now().timestamp() - 20;
    let updates = gtfs_rt::encode(
        ts,
        [
            // The 06:23 Lille – Saint-Quentin run again two hours later.
            trip_update("TER:843800:WD", DAY)
                .entity("copy")
                .duplicated()
                .start_time("08:23:00"),
            // And "again" at its own time: nothing new.
            trip_update("TER:843800:WD", DAY)
                .entity("same")
                .duplicated()
                .start_time("06:23:00"),
            trip_update("RENFORT-K40", DAY)
                .added("TER:K40")
                .stop(stop(1).at("CAUDRY:V1").departs(at("07:58:00")).delay(120))
                .stop(stop(2).at("TER:BUSIGNY").arrives(at("08:06:00"))),
        ],
    );
    let alerts = gtfs_rt::encode(
        ts,
        [alert("ter-strike", Cause::Strike, Effect::ReducedService)
            .header(Some("fr"), "Grève TER")
            .on_agency("TER")],
    );
    let tu = Upstream::start(Reply::Body(updates)).await;
    let al = Upstream::start(Reply::Body(alerts)).await;
    let server = server::start(
        &server::demo_config(
            "[board]\nmax_limit = 60",
            &format!(
                "trip_updates_url = \"{}\"\nalerts_url = \"{}\"\npoll_s = 0.2",
                tu.url, al.url
            ),
        ),
        server::fixed(NOW),
    )
    .await;
    server.wait_fresh("demo:trip-updates").await;
    server.wait_fresh("demo:alerts").await;
    let board = server.board("caudry", "?limit=60").await;

    let copy = board.expect_departure("demo:TER:843800:WD~20260309@08:23:00:20260309:6");
    assert_eq!(copy.scheduled, "2026-03-09T09:45:00+01:00");
    let original = board.expect_departure("demo:TER:843800:WD:20260309:6");
    assert_eq!(original.scheduled, "2026-03-09T07:45:00+01:00");
    assert!(!original.realtime, "the original changed: {original:?}");
    assert!(
        !board.ids().iter().any(|id| id.contains("@06:23:00")),
        "{:?}",
        board.ids()
    );

    let added = board.expect_departure("demo:RENFORT-K40:20260309:1");
    assert_eq!(added.mode, quai_protocol::Mode::Rail);
    assert_eq!(added.route.short_name.as_deref(), Some("K40"));
    assert_eq!(added.route.color, "#1D4E89");
    assert_eq!(added.scheduled, "2026-03-09T07:56:00+01:00");
    assert_eq!(added.expected.as_deref(), Some("2026-03-09T07:58:00+01:00"));
    assert_eq!(
        (added.delay_s, added.status),
        (Some(120), DepartureStatus::Delayed)
    );

    let strike = board.notice("gtfs-rt:demo:ter-strike").expect("the strike");
    assert_eq!(
        strike.informed_entities,
        vec![InformedEntity::Agency {
            agency_id: "TER".into()
        }]
    );
    assert!(
        added
            .notice_ids
            .iter()
            .any(|n| n == "gtfs-rt:demo:ter-strike")
    );
    assert!(
        copy.notice_ids
            .iter()
            .any(|n| n == "gtfs-rt:demo:ter-strike")
    );

    let health = server.health().await;
    let a = health
        .feeds
        .iter()
        .find(|f| f.id == "demo:trip-updates")
        .and_then(|f| f.attachment.clone())
        .expect("attachment");
    assert_eq!((a.received, a.attached, a.duplicate), (3, 2, 1));
}
