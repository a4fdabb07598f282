//! The demo with its realtime simulator: the server polls its own
//! `/demo/gtfs-rt/*` endpoints over HTTP, and the board comes alive.

use std::time::Duration;

use quai_protocol::{
    Advisory, AdvisoryEvent, AdvisoryLevel, Board, DepartureStatus, NoticeSource, Severity,
};
use quai_tests::binary::{Binary, Server};
use quai_tests::board::in_time_order;

fn feed_server() -> Binary {
    Binary::new(env!("CARGO_BIN_EXE_feed-server"))
}

async fn live_board(server: &Server) -> Board {
    // The first polls happen right after start-up; wait for all six feeds
    // (trip updates, vehicle positions, alerts, weather, SIRI ET and SX).
    for _ in 0..200 {
        let feeds = server.health().await.feeds;
        if feeds.len() == 6 && feeds.iter().all(|f| !f.stale) {
            return server.board("caudry", "?limit=30").await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the demo realtime feeds never became fresh");
}

#[tokio::test]
async fn the_demo_board_is_live() {
    let server = feed_server().start(&["--now", "2026-03-09T07:30:00+01:00"]);
    let board = live_board(&server).await;
    let deps = &board.departures;
    let line = |d: &quai_protocol::Departure| d.route.short_name.clone().unwrap_or_default();

    let live = deps.iter().filter(|d| d.realtime).count();
    assert!(live >= 20, "most departures have realtime: {board:?}");
    assert!(
        deps.iter().any(|d| d.status == DepartureStatus::Delayed),
        "{board:?}"
    );

    // One bus of line 4 is cancelled, and stays on the board.
    let cancelled: Vec<_> = deps
        .iter()
        .filter(|d| d.status == DepartureStatus::Cancelled)
        .collect();
    assert_eq!(cancelled.len(), 1, "{board:?}");
    assert_eq!(line(cancelled[0]), "4");
    assert_eq!(cancelled[0].expected, None);

    // Two trains leave from the other platform: a K40 by GTFS-Realtime
    // (assigned_stop_id), a P40 by SIRI (DeparturePlatformName).
    let mut moved: Vec<_> = deps
        .iter()
        .filter(|d| d.platform_changed)
        .map(line)
        .collect();
    moved.sort();
    assert_eq!(moved, ["K40", "P40"], "{board:?}");

    // Three notices: the GTFS-RT alert, in French and English, on line 4's
    // departures, the platform 2 lift out of service (ACCESSIBILITY_ISSUE),
    // and the SIRI situation on the K40.
    assert_eq!(board.notices.len(), 3, "{board:?}");
    let lift = board
        .notices
        .iter()
        .find(|n| n.id == "gtfs-rt:demo:ascenseur-quai-2")
        .expect("the lift out of service");
    assert!(lift.accessibility, "{lift:?}");
    assert_eq!(lift.effect, "accessibility_issue");
    assert!(
        board
            .notices
            .iter()
            .filter(|n| n.id != lift.id)
            .all(|n| !n.accessibility)
    );
    assert!(
        board
            .notices
            .iter()
            .any(|n| n.id == "siri:demo:travaux-cambrai")
    );
    let notice = board
        .notices
        .iter()
        .find(|n| n.id == "gtfs-rt:demo:travaux-solesmes")
        .expect("the GTFS-RT alert");
    assert_eq!(notice.id, "gtfs-rt:demo:travaux-solesmes");
    assert_eq!(notice.source, NoticeSource::GtfsRt);
    assert_eq!(notice.severity, Severity::Warning);
    assert_eq!(notice.cause, "construction");
    assert_eq!(notice.effect, "stop_moved");
    assert!(
        notice
            .header
            .get("fr")
            .is_some_and(|t| t.contains("Solesmes"))
    );
    assert!(notice.header.contains_key("en"));
    for d in deps {
        let on_line_4 = line(d) == "4";
        let tagged = d
            .notice_ids
            .contains(&"gtfs-rt:demo:travaux-solesmes".to_string());
        assert_eq!(on_line_4, tagged, "{d:?}");
    }

    // Sorted by expected time.
    assert!(in_time_order(&board), "{board:?}");
}

#[tokio::test]
async fn the_simulated_delays_drift_over_time() {
    let a = feed_server().start(&["--now", "2026-03-09T07:30:00+01:00"]);
    let b = feed_server().start(&["--now", "2026-03-09T07:36:00+01:00"]);
    let (a, b) = (live_board(&a).await, live_board(&b).await);
    let delays = |board: &Board| -> Vec<(String, i64)> {
        board
            .departures
            .iter()
            .filter_map(|d| Some((d.id.clone(), d.delay_s?)))
            .collect()
    };
    let later = delays(&b);
    let changed = delays(&a)
        .iter()
        .filter(|(id, delay)| later.iter().any(|(i, d)| i == id && d != delay))
        .count();
    assert!(changed > 0, "no delay moved in six minutes:\n{a:?}\n{b:?}");
}

#[tokio::test]
async fn the_demo_board_advises_on_the_heatwave_in_french_and_english() {
    let server = feed_server().start(&["--now", "2026-07-01T10:00:00+02:00"]);
    let mut advisories: Vec<Advisory> = Vec::new();
    for _ in 0..200 {
        let board = server.board("caudry", "?limit=1").await;
        if !board.advisories.is_empty() {
            advisories = board.advisories;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let a = advisories.first().expect("an advisory");
    assert_eq!(a.event, AdvisoryEvent::Heatwave, "{advisories:?}");
    assert_eq!(a.level, AdvisoryLevel::Orange);
    assert_eq!(a.headline["fr"], "Vigilance orange – Canicule");
    assert_eq!(a.headline["en"], "Orange warning – Heatwave");
    let fr = a.advice.get("fr").expect("French advice");
    assert!(fr.iter().any(|l| l.contains("Buvez de l'eau")), "{fr:?}");
    assert!(fr.iter().any(|l| l.contains("15")), "{fr:?}");
    assert!(a.advice.get("en").is_some_and(|l| l.len() >= 2));
    assert_eq!(a.onset.as_deref(), Some("2026-07-01T12:00:00+02:00"));
    assert_eq!(a.expires.as_deref(), Some("2026-07-02T21:00:00+02:00"));
    assert_eq!(a.source, "Météo (démo)");
}

/// The demo's carpool area: its simulated sensors post through the real
/// endpoint at start, and the area is nearly empty at night and nearly full
/// on a weekday morning.
#[tokio::test]
async fn the_demo_carpool_area_fills_with_the_day() {
    let free_at = |now: &'static str| async move {
        let server = feed_server().start(&["--now", now]);
        for _ in 0..200 {
            let board = server.board("caudry", "").await;
            if let Some(f) = board
                .facilities
                .iter()
                .find(|f| f.id == "covoiturage-caudry")
                && f.unknown == 0
            {
                assert_eq!(f.capacity, Some(40));
                return f.free.expect("known");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the demo's sensors never reported");
    };
    let night = free_at("2026-03-09T03:00:00+01:00").await;
    let morning = free_at("2026-03-09T10:00:00+01:00").await;
    assert!(night >= 30, "{night} free at night");
    assert!(morning <= 10, "{morning} free on a weekday morning");
}
