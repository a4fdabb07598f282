//! The demo with its realtime simulator: the server polls its own
//! `/demo/gtfs-rt/*` endpoints over HTTP, and the board comes alive.

mod support;

use std::time::Duration;

use serde_json::Value;
use support::Server;

async fn live_board(server: &Server) -> Value {
    // The first polls happen right after start-up; wait for all three to land.
    for _ in 0..200 {
        let (_, health) = server.get_json("/healthz").await;
        let feeds = health["feeds"].as_array().cloned().unwrap_or_default();
        if feeds.len() == 4 && feeds.iter().all(|f| f["stale"] == false) {
            let (status, board) = server.get_json("/v1/stations/caudry/board?limit=30").await;
            assert_eq!(status, 200);
            return board;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the demo realtime feeds never became fresh");
}

#[tokio::test]
async fn the_demo_board_is_live() {
    let server = Server::start(&["--now", "2026-03-09T07:30:00+01:00"]);
    let board = live_board(&server).await;
    let deps = board["departures"].as_array().expect("departures");

    let live = deps.iter().filter(|d| d["realtime"] == true).count();
    assert!(live >= 20, "most departures have realtime: {board}");
    assert!(deps.iter().any(|d| d["status"] == "delayed"), "{board}");

    // One bus of line 4 is cancelled, and stays on the board.
    let cancelled: Vec<&Value> = deps.iter().filter(|d| d["status"] == "cancelled").collect();
    assert_eq!(cancelled.len(), 1, "{board}");
    assert_eq!(cancelled[0]["route"]["short_name"], "4");
    assert_eq!(cancelled[0]["expected"], Value::Null);

    // One K40 train leaves from the other platform.
    let moved: Vec<&Value> = deps
        .iter()
        .filter(|d| d["platform_changed"] == true)
        .collect();
    assert_eq!(moved.len(), 1, "{board}");
    assert_eq!(moved[0]["route"]["short_name"], "K40");

    // One alert, in French and English, on line 4's departures.
    let notices = board["notices"].as_array().expect("notices");
    assert_eq!(notices.len(), 1, "{board}");
    let notice = &notices[0];
    assert_eq!(notice["id"], "gtfs-rt:demo:travaux-solesmes");
    assert_eq!(notice["source"], "gtfs-rt");
    assert_eq!(notice["severity"], "warning");
    assert_eq!(notice["cause"], "construction");
    assert_eq!(notice["effect"], "stop_moved");
    assert!(
        notice["header"]["fr"]
            .as_str()
            .is_some_and(|t| t.contains("Solesmes"))
    );
    assert!(notice["header"]["en"].is_string());
    for d in deps {
        let on_line_4 = d["route"]["short_name"] == "4";
        let tagged = d["notice_ids"] == serde_json::json!(["gtfs-rt:demo:travaux-solesmes"]);
        assert_eq!(on_line_4, tagged, "{d}");
    }

    // Sorted by expected time.
    let at = |d: &Value| {
        d["expected"]
            .as_str()
            .or(d["scheduled"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    assert!(deps.windows(2).all(|w| at(&w[0]) <= at(&w[1])), "{board}");
}

#[tokio::test]
async fn the_simulated_delays_drift_over_time() {
    let a = Server::start(&["--now", "2026-03-09T07:30:00+01:00"]);
    let b = Server::start(&["--now", "2026-03-09T07:36:00+01:00"]);
    let (a, b) = (live_board(&a).await, live_board(&b).await);
    let delays = |board: &Value| -> Vec<(String, i64)> {
        board["departures"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| Some((d["id"].as_str()?.to_string(), d["delay_s"].as_i64()?)))
            .collect()
    };
    let later = delays(&b);
    let changed = delays(&a)
        .iter()
        .filter(|(id, delay)| later.iter().any(|(i, d)| i == id && d != delay))
        .count();
    assert!(changed > 0, "no delay moved in six minutes:\n{a}\n{b}");
}

#[tokio::test]
async fn the_demo_board_advises_on_the_heatwave_in_french_and_english() {
    let server = Server::start(&["--now", "2026-07-01T10:00:00+02:00"]);
    let mut advisories = Value::Null;
    for _ in 0..200 {
        let (_, board) = server.get_json("/v1/stations/caudry/board?limit=1").await;
        if board["advisories"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
        {
            advisories = board["advisories"].clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let a = &advisories[0];
    assert_eq!(a["event"], "heatwave", "{advisories}");
    assert_eq!(a["level"], "orange");
    assert_eq!(a["headline"]["fr"], "Vigilance orange – Canicule");
    assert_eq!(a["headline"]["en"], "Orange warning – Heatwave");
    let fr: Vec<&str> = a["advice"]["fr"]
        .as_array()
        .expect("French advice")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(fr.iter().any(|l| l.contains("Buvez de l'eau")), "{fr:?}");
    assert!(fr.iter().any(|l| l.contains("15")), "{fr:?}");
    assert!(a["advice"]["en"].as_array().is_some_and(|l| l.len() >= 2));
    assert_eq!(a["onset"], "2026-07-01T12:00:00+02:00");
    assert_eq!(a["expires"], "2026-07-02T21:00:00+02:00");
    assert_eq!(a["source"], "Météo (démo)");
}
