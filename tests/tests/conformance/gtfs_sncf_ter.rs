//! SNCF TER January 2025 (calendar_dates only, numeric trip_headsign) at Caudry,
//! `StopArea:OCE87345561`, whose only platform is `StopPoint:OCETrain TER-87345561`.
//!
//! Checked by hand from the zip's CSV: services active on Mon 2025-02-03 that call at
//! Caudry are 000003 000155 000183 000624 001787 002048 002049 002052 002060; the
//! departures between 07:30 and 10:30 are the 6 asserted below (the next is 10:45).

use quai_protocol::Mode;
use quai_tests::board::instant;

use crate::support::{fixture, row, serve, summary};

const TER: &str = "gtfs/sncf-ter-2025-01/export-ter-gtfs-last.zip";
const CAUDRY: &str = "StopArea:OCE87345561";

#[tokio::test]
async fn caudry_on_a_weekday_morning() {
    let server = serve(
        "ter",
        &fixture(TER),
        "caudry",
        &[CAUDRY],
        "2025-02-03T07:30:00+01:00",
    )
    .await;
    let board = server.board("caudry", "").await;
    let got = summary(&board);
    // The two 07:45 trains (K40 south, P40 north) tie; their order is not part of the
    // contract, so compare them as a set.
    let mut first_two = got[..2].to_vec();
    first_two.sort();
    assert_eq!(
        first_two,
        vec![
            row("07:45", "K40", "Saint-Quentin"),
            row("07:45", "P40", "Douai")
        ]
    );
    assert_eq!(
        got[2..],
        [
            row("08:16", "K40", "Lille Flandres"),
            row("08:44", "K40", "Saint-Quentin"),
            row("09:45", "K40", "Saint-Quentin"),
            row("10:16", "K40", "Lille Flandres"),
        ]
    );
    let k40 = board
        .departures
        .iter()
        .find(|d| {
            d.route.short_name.as_deref() == Some("K40")
                && d.scheduled == "2025-02-03T07:45:00+01:00"
        })
        .expect("the 07:45 K40");
    // trip_headsign "843800" is a train number, not a destination.
    assert_eq!(k40.trip_number.as_deref(), Some("843800"));
    assert_eq!(k40.mode, Mode::Rail);
    assert_eq!(k40.platform, None);
    assert_eq!(k40.stop_id, "ter:StopPoint:OCETrain TER-87345561");
    assert_eq!(
        k40.id,
        "ter:OCESN843800F3798765:2025-01-22T00:42:25Z:20250203:5"
    );
}

#[tokio::test]
async fn caudry_on_a_saturday_and_in_the_evening() {
    let server = serve(
        "ter",
        &fixture(TER),
        "caudry",
        &[CAUDRY],
        "2025-02-08T07:30:00+01:00",
    )
    .await;
    assert_eq!(
        summary(&server.board("caudry", "").await),
        vec![
            row("07:41", "K40", "Lille Flandres"),
            row("09:19", "K40", "Saint-Quentin"),
            row("09:41", "K40", "Lille Flandres"),
        ]
    );

    let server = serve(
        "ter",
        &fixture(TER),
        "caudry",
        &[CAUDRY],
        "2025-02-03T21:00:00+01:00",
    )
    .await;
    assert_eq!(
        summary(&server.board("caudry", "").await),
        vec![row("21:45", "K40", "Saint-Quentin")]
    );

    // After the last train: nothing for 3 h, and the first train of Tuesday (843850 at
    // 05:16, service 002060) is announced.
    let server = serve(
        "ter",
        &fixture(TER),
        "caudry",
        &[CAUDRY],
        "2025-02-03T21:50:00+01:00",
    )
    .await;
    let board = server.board("caudry", "").await;
    assert_eq!(board.departures, []);
    assert_eq!(
        board.next_service.as_deref(),
        Some("2025-02-04T05:16:00+01:00")
    );
}

#[tokio::test]
async fn the_spring_forward_day_follows_noon_minus_12h() {
    // Sunday 30 March 2025, clocks go 02:00 -> 03:00. At Caudry every time is after
    // 03:00 and reads as local time: the first train after 05:00 is 843822 at 07:41.
    let server = serve(
        "ter",
        &fixture(TER),
        "caudry",
        &[CAUDRY],
        "2025-03-30T05:00:00+02:00",
    )
    .await;
    let board = server.board("caudry", "").await;
    let first = board.departures.first().expect("a departure");
    assert_eq!(first.scheduled, "2025-03-30T07:41:00+02:00");
    assert_eq!(first.headsign, "Lille Flandres");

    // At Coppet, trip OCESN23192F3515380 leaves at GTFS 00:04:00 on service day 30
    // March. Its day starts at noon - 12 h = 22:00Z on the 29th, so it leaves at
    // 22:04Z = 23:04 on the 29th (winter time), not at 00:04.
    let server = serve(
        "ter",
        &fixture(TER),
        "coppet",
        &["StopArea:OCE85010231"],
        "2025-03-29T23:00:00+01:00",
    )
    .await;
    let board = server.board("coppet", "").await;
    let dep = board
        .departures
        .iter()
        .find(|d| d.id.starts_with("ter:OCESN23192F3515380:"))
        .unwrap_or_else(|| panic!("OCESN23192F3515380 not on the board: {board:?}"));
    assert_eq!(dep.scheduled, "2025-03-29T23:04:00+01:00");
    assert!(dep.id.contains(":20250330:"), "{dep:?}");
}

#[tokio::test]
async fn a_station_across_two_feeds_with_configured_platform_labels() {
    // The Caudry hub as a real deployment would run it: the bus network (here the
    // embedded demo) and SNCF TER in one board, TER platforms labelled by config
    // since the SNCF feed has no platform_code.
    let text = format!(
        "[[feeds]]\nid = \"bus\"\ngtfs = \"builtin:caudry-demo\"\n\n\
         [[feeds]]\nid = \"ter\"\ngtfs = {:?}\n\
         platforms = {{ \"StopPoint:OCETrain TER-87345561\" = \"Voie 1\" }}\n\n\
         [[stations]]\nid = \"caudry\"\nname = \"Caudry\"\n\
         stops = {{ bus = [\"CAUDRY:A\"], ter = [\"{CAUDRY}\"] }}\n",
        fixture(TER)
    );
    let server = crate::support::serve_config(&text, "2025-02-03T07:30:00+01:00").await;
    let board = server.board("caudry", "?limit=20").await;
    let deps = &board.departures;
    let ter: Vec<_> = deps.iter().filter(|d| d.id.starts_with("ter:")).collect();
    let bus: Vec<_> = deps.iter().filter(|d| d.id.starts_with("bus:")).collect();
    assert!(!ter.is_empty() && !bus.is_empty(), "{board:?}");
    assert!(
        ter.iter().all(|d| d.platform.as_deref() == Some("Voie 1")),
        "{board:?}"
    );
    // Only bay A of the demo was configured: line 1 to Cambrai.
    assert!(bus.iter().all(|d| d.stop_id == "bus:CAUDRY:A"), "{board:?}");
    assert_eq!(board.feeds.len(), 2);
    let times: Vec<_> = deps.iter().map(|d| instant(&d.scheduled)).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
}

/// Finding places in the whole TER feed (9,196 stops): a town by the start
/// of its words, without accents, its platforms folded into its stop area;
/// and the board of a stop no station of the configuration names.
#[tokio::test]
async fn search_the_whole_ter_feed_and_any_stops_board() {
    let server = serve(
        "ter",
        &fixture(TER),
        "caudry",
        &[CAUDRY],
        "2025-02-03T07:30:00+01:00",
    )
    .await;
    let found: quai_protocol::SearchResults = server.get("/v1/search?q=saint%20quentin", 200).await;
    let names: Vec<String> = found
        .results
        .iter()
        .map(|p| match p {
            quai_protocol::Place::Station { name, .. }
            | quai_protocol::Place::Stop { name, .. }
            | quai_protocol::Place::Line { name, .. } => name.clone(),
        })
        .collect();
    // The whole name first, once (its three platforms share it); then the
    // others that begin with it.
    assert_eq!(names[0], "Saint-Quentin", "{names:?}");
    assert_eq!(names.iter().filter(|n| *n == "Saint-Quentin").count(), 1);
    assert!(
        names.contains(&"Saint-Quentin-Fallavier".to_string()),
        "{names:?}"
    );
    let quentin = match &found.results[0] {
        quai_protocol::Place::Stop { id, board, .. } => {
            assert_eq!(id, "ter:StopArea:OCE87296004");
            board.clone()
        }
        other => panic!("{other:?}"),
    };
    // Cambrai's stop area is not configured: its own board, K40 trains from
    // its train platform.
    let cambrai: quai_protocol::SearchResults =
        server.get("/v1/search?q=CAMBRAI&limit=1", 200).await;
    let board = match &cambrai.results[..] {
        [quai_protocol::Place::Stop { board, .. }] => board.clone(),
        other => panic!("{other:?}"),
    };
    let cambrai_board: quai_protocol::Board = server.get(&format!("{board}?limit=5"), 200).await;
    assert!(!cambrai_board.departures.is_empty());
    assert!(
        cambrai_board
            .departures
            .iter()
            .any(|d| d.route.short_name.as_deref() == Some("K40")),
        "{:?}",
        cambrai_board.departures
    );
    let st_quentin: quai_protocol::Board = server.get(&quentin, 200).await;
    assert_eq!(st_quentin.station.name, "Saint-Quentin");
}
