//! Finding a place by name (`GET /v1/search`) and the board of any stop
//! (`GET /v1/stops/{id}/board`), on the demo network.

use quai_protocol::{Board, Place, SearchResults};
use quai_tests::server::{self, Running};

const NOW: &str = "2026-07-01T07:30:00+02:00";

async fn demo() -> Running {
    let demo = include_str!("../../feed-server/demo/caudry.toml");
    let s = server::start(demo, server::fixed(NOW)).await;
    s.wait_fresh("demo:trip-updates").await;
    s
}

use quai_tests::schema::conforms;

fn ids(r: &SearchResults) -> Vec<&str> {
    r.results
        .iter()
        .map(|p| match p {
            Place::Station { id, .. } | Place::Stop { id, .. } | Place::Line { id, .. } => {
                id.as_str()
            }
        })
        .collect()
}

#[tokio::test]
async fn places_are_found_by_the_start_of_their_words_without_accents() {
    let s = demo().await;
    let r: SearchResults = s.get("/v1/search?q=caud", 200).await;
    conforms("SearchResults", &s.get_text("/v1/search?q=caud").await);
    // The station first; its own stop is not listed again.
    assert_eq!(ids(&r)[0], "caudry", "{r:?}");
    assert!(!ids(&r).contains(&"demo:CAUDRY"), "{r:?}");
    assert!(ids(&r).contains(&"demo:CAUDRY_HDV"));
    assert_eq!(r.results.len(), 10, "10 by default");
    // Accents, case and order of words do not matter.
    let r: SearchResults = s.get("/v1/search?q=CAMBRESIS%20cat", 200).await;
    let found = ids(&r);
    assert!(found.contains(&"demo:LECATEAU_HDV"), "{found:?}");
    assert!(
        found.contains(&"demo:CA2C:2"),
        "line 2 to Le Cateau: {found:?}"
    );
    // A line by its short name, with its colours and mode.
    let r: SearchResults = s.get("/v1/search?q=k40&limit=1", 200).await;
    match &r.results[..] {
        [
            Place::Line {
                id, mode, route, ..
            },
        ] => {
            assert_eq!(id, "demo:TER:K40");
            assert_eq!(*mode, quai_protocol::Mode::Rail);
            assert_eq!(route.short_name.as_deref(), Some("K40"));
        }
        other => panic!("{other:?}"),
    }
    // A stop's board link: its station's, else its own.
    let r: SearchResults = s.get("/v1/search?q=hotel%20de%20ville%20caudry", 200).await;
    match &r.results[0] {
        Place::Stop {
            id, board, station, ..
        } => {
            assert_eq!(id, "demo:CAUDRY_HDV");
            assert_eq!(station, &None);
            assert_eq!(board, "/v1/stops/demo:CAUDRY_HDV/board");
        }
        other => panic!("{other:?}"),
    }
    let none: SearchResults = s.get("/v1/search?q=zzzz", 200).await;
    assert!(none.results.is_empty());
    for bad in [
        "/v1/search",
        "/v1/search?q=%20",
        "/v1/search?q=a&limit=0",
        "/v1/search?q=a&limit=51",
    ] {
        s.answer(bad).await.expect(400);
    }
}

#[tokio::test]
async fn any_stop_has_a_board_by_the_boards_rules() {
    let s = demo().await;
    // The hub's own stop gives the hub's departures.
    let station: Board = s.get("/v1/stations/caudry/board?limit=20", 200).await;
    let stop: Board = s.get("/v1/stops/demo:CAUDRY/board?limit=20", 200).await;
    conforms("Board", &s.get_text("/v1/stops/demo:CAUDRY/board").await);
    assert_eq!(stop.station.id, "demo:CAUDRY");
    let a: Vec<&str> = station.departures.iter().map(|d| d.id.as_str()).collect();
    let b: Vec<&str> = stop.departures.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(a, b);
    // A stop no station names: line 1 and 2 call at the town hall.
    let hdv: Board = s.get("/v1/stops/demo:CAUDRY_HDV/board", 200).await;
    assert_eq!(hdv.station.name, "Caudry – Hôtel de Ville");
    assert!(!hdv.departures.is_empty());
    assert!(
        hdv.departures
            .iter()
            .all(|d| d.stop_id == "demo:CAUDRY_HDV"),
        "{:?}",
        hdv.departures
    );
    // Asked again: the same (the stop's station is kept).
    let again: Board = s.get("/v1/stops/demo:CAUDRY_HDV/board", 200).await;
    assert_eq!(again.departures, hdv.departures);
    s.answer("/v1/stops/demo:NOPE/board").await.expect(404);
    s.answer("/v1/stops/nofeed:X/board").await.expect(404);
    s.answer("/v1/stops/nocolon/board").await.expect(400);
    s.answer("/v1/stops/demo:CAUDRY/board?limit=0")
        .await
        .expect(400);
}
