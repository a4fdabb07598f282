//! The embedded Caudry demo, served by the real binary: what a screen or an app sees.

use quai_protocol::{Board, DepartureStatus, Health, Mode, StationInfo};
use quai_tests::binary::{Binary, Server};
use quai_tests::board::{hm, instant};

fn feed_server() -> Binary {
    Binary::new(env!("CARGO_BIN_EXE_feed-server"))
}

/// The demo network without its realtime simulator: these tests are about the
/// timetable (tests/demo_live.rs covers the simulated realtime).
struct Timetable {
    _dir: tempfile::TempDir,
    config: String,
}

impl Timetable {
    fn new() -> Timetable {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("demo.toml");
        let demo = include_str!("../demo/caudry.toml");
        // Drop the [feeds.realtime] table and the weather source, keep the rest.
        let start = demo.find("[feeds.realtime]").expect("demo realtime table");
        let end = demo[start..].find("[[stations]]").expect("stations") + start;
        let weather = demo.find("[[weather]]").expect("demo weather source");
        std::fs::write(&path, format!("{}{}", &demo[..start], &demo[end..weather])).expect("write");
        Timetable {
            config: path.to_string_lossy().into_owned(),
            _dir: dir,
        }
    }

    fn start(&self, args: &[&str]) -> Server {
        let mut all = vec!["--config", self.config.as_str()];
        all.extend_from_slice(args);
        feed_server().start(&all)
    }
}

/// Monday 9 March 2026, 07:30 in Caudry.
const MONDAY_MORNING: &str = "2026-03-09T07:30:00+01:00";

/// (scheduled HH:MM, route short name, headsign, platform) of each departure.
fn departures(board: &Board) -> Vec<(String, String, String, Option<String>)> {
    board
        .departures
        .iter()
        .map(|d| {
            (
                hm(&d.scheduled),
                d.route.short_name.clone().unwrap_or_default(),
                d.headsign.clone(),
                d.platform.clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn demo_board_on_a_weekday_morning_follows_the_contract() {
    let server = Timetable::new().start(&["--now", MONDAY_MORNING]);
    let answer = server.answer("/v1/stations/caudry/board").await.expect(200);

    // Every field of the board contract (docs/protocol.md) is there: checked on the JSON itself,
    // where a typed board would fill in what is missing.
    let raw = answer.value();
    for key in [
        "station",
        "generated_at",
        "seq",
        "departures",
        "notices",
        "advisories",
        "wifi",
        "feeds",
    ] {
        assert!(raw.get(key).is_some(), "board has no `{key}`: {raw}");
    }
    let raw_deps = raw["departures"].as_array().expect("departures");
    for d in raw_deps {
        for key in [
            "id",
            "mode",
            "route",
            "headsign",
            "stop_id",
            "platform",
            "scheduled",
            "expected",
            "delay_s",
            "status",
            "realtime",
            "notice_ids",
        ] {
            assert!(d.get(key).is_some(), "departure has no `{key}`: {d}");
        }
        for key in ["id", "short_name", "long_name", "color", "text_color"] {
            assert!(d["route"].get(key).is_some(), "route has no `{key}`: {d}");
        }
    }

    let board: Board = answer.json();
    assert_eq!(board.station.id, "caudry");
    assert_eq!(board.station.timezone, "Europe/Paris");
    assert_eq!(board.generated_at, "2026-03-09T07:30:00+01:00");
    assert_eq!(board.notices, []);
    assert_eq!(board.advisories, []);
    let wifi = board.wifi.as_ref().expect("Wi-Fi");
    assert_eq!(wifi.ssid, "Caudry-Pole-WiFi-Gratuit");
    assert_eq!(
        wifi.qr_payload,
        "WIFI:T:nopass;S:Caudry-Pole-WiFi-Gratuit;;"
    );
    assert_eq!(board.feeds[0].id, "demo");
    assert!(!board.feeds[0].stale);

    let deps = &board.departures;
    assert_eq!(deps.len(), 12, "default limit is 12");
    for d in deps {
        assert_eq!(d.status, DepartureStatus::Scheduled);
        assert!(!d.realtime);
        assert_eq!(d.expected, None);
        assert_eq!(d.delay_s, None);
    }

    // The first departures, read by hand from demo/gtfs (weekday service): line 5
    // passes through bay E, the town shuttle leaves F every 20 min, the K40 and P40
    // trains at 07:45 (train numbers in trip_headsign fall back to the terminus).
    // Arrivals (line 6 at 07:35, line 2 at 07:46, line 3 at 07:47: last stop,
    // pickup_type 1) are not departures.
    let got = departures(&board);
    let s = |t: &str, l: &str, h: &str, p: &str| {
        (
            t.to_string(),
            l.to_string(),
            h.to_string(),
            Some(p.to_string()),
        )
    };
    assert_eq!(
        got[..6],
        [
            s("07:34", "5", "Walincourt-Selvigny", "E"),
            s("07:40", "N", "Centre-ville", "F"),
            s("07:45", "K40", "Saint-Quentin", "1"),
            s("07:45", "P40", "Douai", "2"),
            s("07:46", "5", "Viesly", "E"),
            s("07:50", "1", "Cambrai", "A"),
        ]
    );
    let k40 = &deps[2];
    assert_eq!(k40.mode, Mode::Rail);
    assert_eq!(k40.trip_number.as_deref(), Some("843800"));
    assert_eq!(k40.id, "demo:TER:843800:WD:20260309:6");
    assert_eq!(k40.stop_id, "demo:CAUDRY:V1");
    assert_eq!(k40.route.color, "#1D4E89");
    // A frequency-based trip carries its instance in its id.
    assert_eq!(deps[1].id, "demo:CA2C:N:WD:LOOP@07:40:00:20260309:1");

    // Sorted by time.
    let times: Vec<_> = deps.iter().map(|d| instant(&d.scheduled)).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);

    // limit.
    let small = server.board("caudry", "?limit=3").await;
    assert_eq!(departures(&small), got[..3].to_vec());
}

#[tokio::test]
async fn the_night_gap_says_when_service_resumes() {
    let server = Timetable::new().start(&["--now", "2026-03-09T23:30:00+01:00"]);
    let board = server.board("caudry", "").await;
    assert_eq!(board.departures, []);
    // First weekday departure: the 05:16 K40 to Lille (843850).
    assert_eq!(
        board.next_service.as_deref(),
        Some("2026-03-10T05:16:00+01:00")
    );
}

#[tokio::test]
async fn sundays_and_public_holidays_run_the_sunday_service() {
    // Sunday 15 March 2026 and Thursday 14 May 2026 (Ascension) look the same.
    for now in ["2026-03-15T07:00:00+01:00", "2026-05-14T07:00:00+02:00"] {
        let server = Timetable::new().start(&["--now", now]);
        let board = server.board("caudry", "?limit=1").await;
        let d = board.departures.first().expect("a departure");
        assert_eq!(hm(&d.scheduled), "07:41", "{now}");
        assert_eq!(d.route.short_name.as_deref(), Some("K40"), "{now}");
        assert_eq!(d.headsign, "Lille-Flandres", "{now}");
    }
}

#[tokio::test]
async fn the_demo_has_service_years_ahead() {
    let server = Timetable::new().start(&["--now", "2034-06-07T12:00:00+02:00"]);
    let board = server.board("caudry", "").await;
    assert_eq!(board.departures.len(), 12);
}

#[tokio::test]
async fn stations_health_metrics_and_errors() {
    let server = Timetable::new().start(&["--now", MONDAY_MORNING]);

    let stations: Vec<StationInfo> = server.get("/v1/stations", 200).await;
    assert_eq!(stations[0].id, "caudry");
    let stops = &stations[0].stop_ids;
    assert!(
        stops.iter().any(|s| s == "demo:CAUDRY:A") && stops.iter().any(|s| s == "demo:CAUDRY:V2")
    );

    let health: Health = server.get("/healthz", 200).await;
    assert_eq!(health.status, "ok");
    assert_eq!(health.feeds[0].id, "demo");

    let err = server
        .answer("/v1/stations/lille/board")
        .await
        .expect(404)
        .error();
    assert_eq!(err.code, "station_not_found");
    assert!(err.message.contains("lille"));

    let err = server
        .answer("/v1/stations/caudry/board?limit=abc")
        .await
        .expect(400)
        .error();
    assert_eq!(err.code, "invalid_query");
    assert!(err.fields.contains_key("limit"));

    let err = server.answer("/nowhere").await.expect(404).error();
    assert_eq!(err.code, "not_found");

    let metrics = server.get_text("/metrics").await;
    assert!(metrics.contains("quai_http_requests_total "), "{metrics}");
    assert!(
        metrics.contains("quai_feed_stop_times{feed=\"demo\"}"),
        "{metrics}"
    );
}

#[tokio::test]
async fn seq_stays_while_the_board_is_the_same_and_grows_when_it_changes() {
    let demo = Timetable::new();
    let fixed = demo.start(&["--now", MONDAY_MORNING]);
    let a = fixed.board("caudry", "").await;
    let b = fixed.board("caudry", "").await;
    assert_eq!(a.seq, b.seq);

    // A running clock started 15 s before a departure (time enough for a slow
    // start): once it leaves, the board changes and seq moves on.
    let running = demo.start(&["--now", "2026-03-09T07:33:45+01:00", "--clock", "running"]);
    let before = running.board("caudry", "").await;
    let first = |board: &Board| board.departures.first().map(|d| d.scheduled.clone());
    assert_eq!(first(&before).as_deref(), Some("2026-03-09T07:34:00+01:00"));
    let mut after = before.clone();
    for _ in 0..300 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        after = running.board("caudry", "").await;
        if first(&after).as_deref() != Some("2026-03-09T07:34:00+01:00") {
            break;
        }
    }
    assert_ne!(
        first(&after).as_deref(),
        Some("2026-03-09T07:34:00+01:00"),
        "the 07:34 departure was still listed 45 s after it left"
    );
    assert!(after.seq > before.seq, "{before:?}\n{after:?}");
}
