//! The realtime merge end to end, on the demo timetable, with hand-made GTFS-Realtime
//! messages served by a fake upstream: every rule of the merge shows on the board as
//! a passenger would read it. Fixed clock: Monday 9 March 2026, 07:30 in Caudry.

use chrono::{DateTime, Utc};
use gtfs_realtime::alert::{Cause, Effect};
use gtfs_realtime::translated_string::Translation;
use gtfs_realtime::trip_descriptor::ScheduleRelationship as TripRel;
use gtfs_realtime::trip_update::stop_time_update::{
    ScheduleRelationship as StopRel, StopTimeProperties,
};
use gtfs_realtime::trip_update::{StopTimeEvent, StopTimeUpdate, TripProperties};
use gtfs_realtime::vehicle_position::VehicleStopStatus;
use gtfs_realtime::{
    Alert, EntitySelector, FeedEntity, FeedHeader, FeedMessage, TimeRange, TranslatedString,
    TripDescriptor, TripUpdate, VehiclePosition,
};
use prost::Message as _;
use quai_tests::server::{self, departure};
use quai_tests::upstream::{Reply, Upstream};
use serde_json::{Value, json};

const NOW: &str = "2026-03-09T07:30:00+01:00";

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

fn message(ts: i64, entity: Vec<FeedEntity>) -> Vec<u8> {
    FeedMessage {
        header: FeedHeader {
            gtfs_realtime_version: "2.0".into(),
            timestamp: Some(ts as u64),
            ..FeedHeader::default()
        },
        entity,
    }
    .encode_to_vec()
}

fn trip(id: &str, rel: TripRel) -> TripDescriptor {
    TripDescriptor {
        trip_id: Some(id.into()),
        start_date: Some("20260309".into()),
        schedule_relationship: Some(rel as i32),
        ..TripDescriptor::default()
    }
}

fn delay(seconds: i32) -> Option<StopTimeEvent> {
    Some(StopTimeEvent {
        delay: Some(seconds),
        ..StopTimeEvent::default()
    })
}

fn time(posix: i64) -> Option<StopTimeEvent> {
    Some(StopTimeEvent {
        time: Some(posix),
        ..StopTimeEvent::default()
    })
}

fn stu(seq: u32, departure: Option<StopTimeEvent>) -> StopTimeUpdate {
    StopTimeUpdate {
        stop_sequence: Some(seq),
        departure,
        ..StopTimeUpdate::default()
    }
}

fn tu(id: &str, trip: TripDescriptor, updates: Vec<StopTimeUpdate>) -> FeedEntity {
    FeedEntity {
        id: id.into(),
        trip_update: Some(TripUpdate {
            trip,
            stop_time_update: updates,
            ..TripUpdate::default()
        }),
        ..FeedEntity::default()
    }
}

fn trip_updates(ts: i64) -> Vec<u8> {
    let mut moved = stu(6, delay(120));
    moved.stop_time_properties = Some(StopTimeProperties {
        assigned_stop_id: Some("CAUDRY:V2".into()),
        ..StopTimeProperties::default()
    });
    let mut skipped = stu(3, None);
    skipped.schedule_relationship = Some(StopRel::Skipped as i32);
    let mut no_data = stu(1, None);
    no_data.schedule_relationship = Some(StopRel::NoData as i32);
    let mut added = trip("RENFORT-1", TripRel::New);
    added.route_id = Some("CA2C:1".into());
    let added_updates = vec![
        StopTimeUpdate {
            stop_sequence: Some(1),
            stop_id: Some("CAUDRY:A".into()),
            departure: time(at("07:52:00")),
            ..StopTimeUpdate::default()
        },
        StopTimeUpdate {
            stop_sequence: Some(2),
            stop_id: Some("CAMBRAI_GARE_ROUTIERE".into()),
            arrival: time(at("08:20:00")),
            ..StopTimeUpdate::default()
        },
    ];
    let mut added_entity = tu("added", added, added_updates);
    if let Some(t) = added_entity.trip_update.as_mut() {
        t.trip_properties = Some(TripProperties {
            trip_headsign: Some("Cambrai (renfort)".into()),
            ..TripProperties::default()
        });
    }
    let mut duplicated = tu("dup", trip("TER:843800:WD", TripRel::Duplicated), vec![]);
    if let Some(t) = duplicated.trip_update.as_mut() {
        t.trip_properties = Some(TripProperties {
            trip_id: Some("TER:843800:DUP".into()),
            start_date: Some("20260309".into()),
            start_time: Some("06:53:00".into()),
            ..TripProperties::default()
        });
    }
    message(
        ts,
        vec![
            // Left 15 min late: still to come, from the look-back window.
            tu(
                "late",
                trip("CA2C:2:WD:0:0715", TripRel::Scheduled),
                vec![stu(1, delay(1200))],
            ),
            // Left 30 s ago: shown as departed for a minute.
            tu(
                "gone",
                trip("CA2C:1:WD:0:0720", TripRel::Scheduled),
                vec![stu(1, delay(570))],
            ),
            // Left 4 min ago: off the board.
            tu(
                "long-gone",
                trip("TER:843854:WD", TripRel::Scheduled),
                vec![stu(3, delay(600))],
            ),
            tu(
                "skip",
                trip("CA2C:5:WD:1:0720", TripRel::Scheduled),
                vec![skipped],
            ),
            tu(
                "moved",
                trip("TER:843800:WD", TripRel::Scheduled),
                vec![moved],
            ),
            tu("cancel", trip("TER:843840:WD", TripRel::Canceled), vec![]),
            tu(
                "early",
                trip("CA2C:1:WD:0:0750", TripRel::Scheduled),
                vec![stu(1, time(at("07:47:00")))],
            ),
            tu(
                "nodata",
                trip("CA2C:3:WD:0:0810", TripRel::Scheduled),
                vec![no_data],
            ),
            tu(
                "unknown",
                trip("NOT-A-TRIP", TripRel::Scheduled),
                vec![stu(1, delay(60))],
            ),
            added_entity,
            duplicated,
        ],
    )
}

fn vehicles(ts: i64) -> Vec<u8> {
    message(
        ts,
        vec![FeedEntity {
            id: "bus-5".into(),
            vehicle: Some(VehiclePosition {
                trip: Some(TripDescriptor {
                    trip_id: Some("CA2C:5:WD:0:0730".into()),
                    ..TripDescriptor::default()
                }),
                stop_id: Some("CAUDRY:E".into()),
                current_stop_sequence: Some(4),
                current_status: Some(VehicleStopStatus::StoppedAt as i32),
                ..VehiclePosition::default()
            }),
            ..FeedEntity::default()
        }],
    )
}

fn alert(id: &str, selector: EntitySelector, period: Option<(i64, i64)>) -> FeedEntity {
    FeedEntity {
        id: id.into(),
        alert: Some(Alert {
            active_period: period
                .map(|(s, e)| TimeRange {
                    start: Some(s as u64),
                    end: Some(e as u64),
                })
                .into_iter()
                .collect(),
            informed_entity: vec![selector],
            cause: Some(Cause::Strike as i32),
            effect: Some(Effect::ReducedService as i32),
            header_text: Some(TranslatedString {
                translation: vec![
                    Translation {
                        text: format!("Avis {id}"),
                        language: Some("fr".into()),
                    },
                    Translation {
                        text: format!("Notice {id}"),
                        language: None,
                    },
                ],
            }),
            ..Alert::default()
        }),
        ..FeedEntity::default()
    }
}

fn alerts(ts: i64) -> Vec<u8> {
    let stop = |s: &str| EntitySelector {
        stop_id: Some(s.into()),
        ..EntitySelector::default()
    };
    let trip_sel = EntitySelector {
        trip: Some(TripDescriptor {
            trip_id: Some("TER:843800:WD".into()),
            ..TripDescriptor::default()
        }),
        ..EntitySelector::default()
    };
    message(
        ts,
        vec![
            alert("bay-e", stop("CAUDRY:E"), None),
            alert("cambrai", stop("CAMBRAI_GARE_ROUTIERE"), None),
            alert("k40", trip_sel, Some((at("07:00:00"), at("09:00:00")))),
            alert(
                "tomorrow",
                stop("CAUDRY:E"),
                Some((at("23:00:00"), at("23:59:00"))),
            ),
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

fn get<'a>(board: &'a Value, id: &str) -> &'a Value {
    departure(board, id).unwrap_or_else(|| panic!("{id} is not on the board: {board}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_merge_rule_shows_on_the_board() {
    let server = live_server(now().timestamp() - 20).await;
    let board = server.board("caudry", "?limit=60").await;

    let late = get(&board, "demo:CA2C:2:WD:0:0715:20260309:1");
    assert_eq!(late["status"], "delayed");
    assert_eq!(late["delay_s"], 1200);
    assert_eq!(late["scheduled"], "2026-03-09T07:15:00+01:00");
    assert_eq!(late["expected"], "2026-03-09T07:35:00+01:00");

    let gone = get(&board, "demo:CA2C:1:WD:0:0720:20260309:1");
    assert_eq!(gone["status"], "departed");
    assert_eq!(gone["expected"], "2026-03-09T07:29:30+01:00");
    assert!(
        departure(&board, "demo:TER:843854:WD:20260309:3").is_none(),
        "{board}"
    );

    let skipped = get(&board, "demo:CA2C:5:WD:1:0720:20260309:3");
    assert_eq!(skipped["status"], "skipped");
    assert_eq!(skipped["realtime"], true);

    let moved = get(&board, "demo:TER:843800:WD:20260309:6");
    assert_eq!(moved["platform"], "2");
    assert_eq!(moved["platform_changed"], true);
    assert_eq!(moved["stop_id"], "demo:CAUDRY:V2");
    assert_eq!(moved["status"], "delayed");
    assert_eq!(moved["expected"], "2026-03-09T07:47:00+01:00");
    assert_eq!(moved["notice_ids"], json!(["gtfs-rt:demo:k40"]));

    let cancelled = get(&board, "demo:TER:843840:WD:20260309:7");
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["expected"], Value::Null);

    let early = get(&board, "demo:CA2C:1:WD:0:0750:20260309:1");
    assert_eq!(early["status"], "early");
    assert_eq!(early["delay_s"], -180);

    let no_data = get(&board, "demo:CA2C:3:WD:0:0810:20260309:1");
    assert_eq!(no_data["status"], "scheduled");
    assert_eq!(no_data["realtime"], false);

    let boarding = get(&board, "demo:CA2C:5:WD:0:0730:20260309:4");
    assert_eq!(boarding["boarding"], true);
    assert_eq!(boarding["notice_ids"], json!(["gtfs-rt:demo:bay-e"]));

    let added = get(&board, "demo:RENFORT-1:20260309:1");
    assert_eq!(added["headsign"], "Cambrai (renfort)");
    assert_eq!(added["route"]["short_name"], "1");
    assert_eq!(added["platform"], "A");
    assert_eq!(added["expected"], "2026-03-09T07:52:00+01:00");
    assert_eq!(added["realtime"], true);

    // 843800 run again 30 minutes later under another id: Caudry at 08:15.
    let dup = get(&board, "demo:TER:843800:DUP:20260309:6");
    assert_eq!(dup["scheduled"], "2026-03-09T08:15:00+01:00");
    assert_eq!(dup["headsign"], "Saint-Quentin");

    // Notices: only those that touch the station and are active now.
    let ids: Vec<&str> = board["notices"]
        .as_array()
        .expect("notices")
        .iter()
        .filter_map(|n| n["id"].as_str())
        .collect();
    assert_eq!(ids, vec!["gtfs-rt:demo:bay-e", "gtfs-rt:demo:k40"]);
    let bay_e = &board["notices"][0];
    assert_eq!(
        bay_e["informed_entities"],
        json!([{"stop_id": "demo:CAUDRY:E"}])
    );
    // A translation without a language takes the feed's agency_lang.
    assert_eq!(bay_e["header"], json!({"fr": "Avis bay-e"}));
    assert_eq!(bay_e["cause"], "strike");
    assert_eq!(bay_e["effect"], "reduced_service");
    assert_eq!(bay_e["severity"], "warning");
    assert_eq!(
        board["notices"][1]["active_periods"],
        json!([{"start": "2026-03-09T07:00:00+01:00", "end": "2026-03-09T09:00:00+01:00"}])
    );

    // Sorted by expected (else scheduled) time.
    let key = |d: &Value| {
        d["expected"]
            .as_str()
            .or(d["scheduled"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    let deps = board["departures"].as_array().expect("departures");
    assert!(deps.windows(2).all(|w| key(&w[0]) <= key(&w[1])), "{board}");
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
    assert_eq!(a["departures"], b["departures"]);
    assert_eq!(a["notices"], json!([]));
    let health = stale.get("/healthz", 200).await;
    assert_eq!(health["status"], "degraded");
}

/// A frequency run, two copies of one trip and a trip sent twice: each departure
/// once, with the right realtime.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frequency_runs_copies_and_repeats_keep_one_row_each() {
    let ts = now().timestamp() - 20;
    let navette = |start: Option<&str>| {
        let mut t = trip("CA2C:N:WD:LOOP", TripRel::Scheduled);
        t.start_time = start.map(str::to_string);
        t
    };
    let copy = |id: &str, start: &str| {
        let mut e = tu(id, trip("TER:843800:WD", TripRel::Duplicated), vec![]);
        if let Some(t) = e.trip_update.as_mut() {
            t.trip_properties = Some(TripProperties {
                start_date: Some("20260309".into()),
                start_time: Some(start.into()),
                ..TripProperties::default()
            });
        }
        e
    };
    let renfort = |id: &str| {
        let mut t = trip("RENFORT-2", TripRel::New);
        t.route_id = Some("CA2C:1".into());
        tu(
            id,
            t,
            vec![
                StopTimeUpdate {
                    stop_sequence: Some(1),
                    stop_id: Some("CAUDRY:A".into()),
                    departure: time(at("07:56:00")),
                    ..StopTimeUpdate::default()
                },
                StopTimeUpdate {
                    stop_sequence: Some(2),
                    stop_id: Some("CAMBRAI_GARE_ROUTIERE".into()),
                    arrival: time(at("08:24:00")),
                    ..StopTimeUpdate::default()
                },
            ],
        )
    };
    let body = message(
        ts,
        vec![
            // No start_time: which run of the shuttle? None of them.
            tu("nav-any", navette(None), vec![stu(1, delay(300))]),
            tu(
                "nav-0800",
                navette(Some("08:00:00")),
                vec![stu(1, delay(120))],
            ),
            // 843800 run again twice, with no new trip id.
            copy("copy-a", "06:53:00"),
            copy("copy-b", "07:23:00"),
            // The same added trip in two entities.
            renfort("renfort-a"),
            renfort("renfort-b"),
        ],
    );
    let upstream = Upstream::start(Reply::Body(body)).await;
    let server = server::start(
        &server::demo_config(
            "[board]\nmax_limit = 60",
            &format!("trip_updates_url = \"{}\"\npoll_s = 0.2", upstream.url),
        ),
        server::fixed(NOW),
    )
    .await;
    server.wait_fresh("demo:trip-updates").await;
    let board = server.board("caudry", "?limit=60").await;

    let run_0740 = get(&board, "demo:CA2C:N:WD:LOOP@07:40:00:20260309:1");
    assert_eq!(run_0740["realtime"], false, "{run_0740}");
    assert_eq!(run_0740["status"], "scheduled");
    let run_0800 = get(&board, "demo:CA2C:N:WD:LOOP@08:00:00:20260309:1");
    assert_eq!(run_0800["delay_s"], 120, "{run_0800}");
    assert_eq!(run_0800["expected"], "2026-03-09T08:02:00+01:00");

    let a = get(&board, "demo:TER:843800:WD~20260309@06:53:00:20260309:6");
    assert_eq!(a["scheduled"], "2026-03-09T08:15:00+01:00");
    let b = get(&board, "demo:TER:843800:WD~20260309@07:23:00:20260309:6");
    assert_eq!(b["scheduled"], "2026-03-09T08:45:00+01:00");

    let ids = server::departure_ids(&board);
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "an id twice: {ids:?}");
    assert!(ids.contains(&"demo:RENFORT-2:20260309:1"), "{ids:?}");
}
