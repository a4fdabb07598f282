//! The embedded Caudry demo, served by the real binary: what a screen or an app sees.

mod support;

use serde_json::Value;
use support::Server;

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
        Server::start(&all)
    }
}

/// Monday 9 March 2026, 07:30 in Caudry.
const MONDAY_MORNING: &str = "2026-03-09T07:30:00+01:00";

fn departures(board: &Value) -> Vec<(String, String, String, Option<String>)> {
    board["departures"]
        .as_array()
        .expect("departures array")
        .iter()
        .map(|d| {
            (
                d["scheduled"].as_str().unwrap_or_default()[11..16].to_string(),
                d["route"]["short_name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                d["headsign"].as_str().unwrap_or_default().to_string(),
                d["platform"].as_str().map(str::to_string),
            )
        })
        .collect()
}

#[tokio::test]
async fn demo_board_on_a_weekday_morning_follows_the_contract() {
    let server = Timetable::new().start(&["--now", MONDAY_MORNING]);
    let (status, board) = server.get_json("/v1/stations/caudry/board").await;
    assert_eq!(status, 200, "{board}");

    // Every field of the DESIGN contract is there.
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
        assert!(board.get(key).is_some(), "board has no `{key}`: {board}");
    }
    assert_eq!(board["station"]["id"], "caudry");
    assert_eq!(board["station"]["timezone"], "Europe/Paris");
    assert_eq!(board["generated_at"], "2026-03-09T07:30:00+01:00");
    assert_eq!(board["notices"], Value::Array(vec![]));
    assert_eq!(board["advisories"], Value::Array(vec![]));
    assert_eq!(board["wifi"]["ssid"], "Caudry-Pole-WiFi-Gratuit");
    assert_eq!(
        board["wifi"]["qr_payload"],
        "WIFI:T:nopass;S:Caudry-Pole-WiFi-Gratuit;;"
    );
    assert_eq!(board["feeds"][0]["id"], "demo");
    assert_eq!(board["feeds"][0]["stale"], false);

    let deps = board["departures"].as_array().expect("departures");
    assert_eq!(deps.len(), 12, "default limit is 12");
    for d in deps {
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
        assert_eq!(d["status"], "scheduled");
        assert_eq!(d["realtime"], false);
        assert_eq!(d["expected"], Value::Null);
        assert_eq!(d["delay_s"], Value::Null);
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
    assert_eq!(k40["mode"], "rail");
    assert_eq!(k40["trip_number"], "843800");
    assert_eq!(k40["id"], "demo:TER:843800:WD:20260309:6");
    assert_eq!(k40["stop_id"], "demo:CAUDRY:V1");
    assert_eq!(k40["route"]["color"], "#1D4E89");
    // A frequency-based trip carries its instance in its id.
    assert_eq!(deps[1]["id"], "demo:CA2C:N:WD:LOOP@07:40:00:20260309:1");

    // Sorted by time.
    let times: Vec<&str> = deps
        .iter()
        .map(|d| d["scheduled"].as_str().unwrap_or(""))
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);

    // limit.
    let (_, small) = server.get_json("/v1/stations/caudry/board?limit=3").await;
    assert_eq!(departures(&small), got[..3].to_vec());
}

#[tokio::test]
async fn the_night_gap_says_when_service_resumes() {
    let server = Timetable::new().start(&["--now", "2026-03-09T23:30:00+01:00"]);
    let (status, board) = server.get_json("/v1/stations/caudry/board").await;
    assert_eq!(status, 200);
    assert_eq!(board["departures"], Value::Array(vec![]));
    // First weekday departure: the 05:16 K40 to Lille (843850).
    assert_eq!(board["next_service"], "2026-03-10T05:16:00+01:00");
}

#[tokio::test]
async fn sundays_and_public_holidays_run_the_sunday_service() {
    // Sunday 15 March 2026 and Thursday 14 May 2026 (Ascension) look the same.
    for now in ["2026-03-15T07:00:00+01:00", "2026-05-14T07:00:00+02:00"] {
        let server = Timetable::new().start(&["--now", now]);
        let (_, board) = server.get_json("/v1/stations/caudry/board?limit=1").await;
        let d = &board["departures"][0];
        assert_eq!(
            d["scheduled"].as_str().map(|s| &s[11..16]),
            Some("07:41"),
            "{now}"
        );
        assert_eq!(d["route"]["short_name"], "K40", "{now}");
        assert_eq!(d["headsign"], "Lille-Flandres", "{now}");
    }
}

#[tokio::test]
async fn the_demo_has_service_years_ahead() {
    let server = Timetable::new().start(&["--now", "2034-06-07T12:00:00+02:00"]);
    let (_, board) = server.get_json("/v1/stations/caudry/board").await;
    assert_eq!(board["departures"].as_array().map(Vec::len), Some(12));
}

#[tokio::test]
async fn stations_health_metrics_and_errors() {
    let server = Timetable::new().start(&["--now", MONDAY_MORNING]);

    let (status, stations) = server.get_json("/v1/stations").await;
    assert_eq!(status, 200);
    assert_eq!(stations[0]["id"], "caudry");
    let stops: Vec<&str> = stations[0]["stop_ids"]
        .as_array()
        .expect("stop_ids")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(stops.contains(&"demo:CAUDRY:A") && stops.contains(&"demo:CAUDRY:V2"));

    let (status, health) = server.get_json("/healthz").await;
    assert_eq!(status, 200);
    assert_eq!(health["status"], "ok");
    assert_eq!(health["feeds"][0]["id"], "demo");

    let (status, err) = server.get_json("/v1/stations/lille/board").await;
    assert_eq!(status, 404);
    assert_eq!(err["error"]["code"], "station_not_found");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("lille")
    );

    let (status, err) = server.get_json("/v1/stations/caudry/board?limit=abc").await;
    assert_eq!(status, 400);
    assert_eq!(err["error"]["code"], "invalid_query");
    assert!(err["error"]["fields"]["limit"].is_string());

    let (status, err) = server.get_json("/nowhere").await;
    assert_eq!(status, 404);
    assert_eq!(err["error"]["code"], "not_found");

    let metrics = server.get("/metrics").await.text().await.expect("text");
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
    let (_, a) = fixed.get_json("/v1/stations/caudry/board").await;
    let (_, b) = fixed.get_json("/v1/stations/caudry/board").await;
    assert_eq!(a["seq"], b["seq"]);

    // A running clock started 15 s before a departure (time enough for a slow
    // start): once it leaves, the board changes and seq moves on.
    let running = demo.start(&["--now", "2026-03-09T07:33:45+01:00", "--clock", "running"]);
    let (_, before) = running.get_json("/v1/stations/caudry/board").await;
    assert_eq!(
        before["departures"][0]["scheduled"],
        "2026-03-09T07:34:00+01:00"
    );
    let mut after = before.clone();
    for _ in 0..300 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        after = running.get_json("/v1/stations/caudry/board").await.1;
        if after["departures"][0]["scheduled"] != "2026-03-09T07:34:00+01:00" {
            break;
        }
    }
    assert_ne!(
        after["departures"][0]["scheduled"], "2026-03-09T07:34:00+01:00",
        "the 07:34 departure was still listed 45 s after it left"
    );
    assert!(
        after["seq"].as_u64() > before["seq"].as_u64(),
        "{before}\n{after}"
    );
}
