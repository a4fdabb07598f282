//! The REST board as a cache sees it (issue 17): built once per change of its
//! inputs, not once per request, and validated with `ETag`/`If-None-Match`.
//! Fixed clock: Monday 9 March 2026, 07:30 in Caudry.

use quai_tests::http::{Request, info_notice, metric};
use quai_tests::server;

const NOW: &str = "2026-03-09T07:30:00+01:00";

fn get<'a>(path: &'a str) -> Request<'a> {
    Request {
        method: "GET",
        path,
        ..Request::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_board_is_built_once_per_change_and_revalidated_with_its_etag() {
    let server = server::start(&server::demo_config("", ""), server::fixed(NOW)).await;
    let path = "/v1/stations/caudry/board";
    let first = server.send(get(path)).await.expect(200);
    let etag = first
        .headers
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("an ETag")
        .to_string();
    let built = || async {
        let m = server.try_metrics().await.expect("metrics");
        metric(&m, "quai_boards_built_total").expect("boards built")
    };
    let before = built().await;
    // Fifty more requests, nothing changed (the clock is fixed): no build.
    for _ in 0..50 {
        server.send(get(path)).await.expect(200);
    }
    assert_eq!(built().await, before);

    // Sent back, the ETag gets a 304 without a body.
    let url = server.url(path);
    let client = quai_tests::http::client(std::time::Duration::from_secs(10));
    let revalidated = client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("answer");
    assert_eq!(revalidated.status().as_u16(), 304);
    // Another limit is another representation.
    let five = server
        .send(get("/v1/stations/caudry/board?limit=5"))
        .await
        .expect(200);
    assert_ne!(
        five.headers.get("etag").and_then(|v| v.to_str().ok()),
        Some(etag.as_str())
    );

    // A notice changes the board: a new build, a new ETag, a 200.
    let token = server.operator("gare", &["station:caudry"]);
    server
        .post_json("/v1/notices", &token, &info_notice("Ascenseur en panne"))
        .await
        .expect(201);
    let changed = client
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("answer");
    assert_eq!(changed.status().as_u16(), 200);
    assert!(built().await > before);
}

/// A one-bay or one-platform sign asks for its bay's departures only
/// (`?platforms=` or `?stops=`), with an ETag of its own.
#[tokio::test]
async fn a_board_for_one_bay_or_platform() {
    let demo = include_str!("../../feed-server/demo/caudry.toml");
    let s = server::start(demo, server::fixed("2026-07-01T07:30:00+02:00")).await;
    s.wait_fresh("demo:trip-updates").await;
    let all = s.board("caudry", "?limit=30").await;
    let bay_a: Vec<&str> = all
        .departures
        .iter()
        .filter(|d| d.platform.as_deref() == Some("A"))
        .map(|d| d.id.as_str())
        .collect();
    assert!(!bay_a.is_empty() && bay_a.len() < all.departures.len());
    let by_platform = s.board("caudry", "?limit=30&platforms=A").await;
    let ids: Vec<&str> = by_platform
        .departures
        .iter()
        .map(|d| d.id.as_str())
        .collect();
    assert_eq!(ids, bay_a);
    let by_stop = s.board("caudry", "?limit=30&stops=demo:CAUDRY:A").await;
    assert_eq!(by_stop.departures, by_platform.departures);
    // Two platforms, and the limit after the filter.
    let two = s.board("caudry", "?limit=3&platforms=A,%20E").await;
    assert_eq!(two.departures.len(), 3);
    assert!(
        two.departures
            .iter()
            .all(|d| matches!(d.platform.as_deref(), Some("A" | "E")))
    );
    // Its own version.
    let tag = |query: &str| {
        let s = &s;
        let query = query.to_string();
        async move {
            s.answer(&format!("/v1/stations/caudry/board{query}"))
                .await
                .headers
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .expect("an ETag")
        }
    };
    assert_ne!(tag("?platforms=A").await, tag("").await);
    assert_ne!(tag("?platforms=A").await, tag("?platforms=B").await);
    let many = vec!["X"; 33].join(",");
    s.answer(&format!("/v1/stations/caudry/board?platforms={many}"))
        .await
        .expect(400);
}

/// How full a bus is comes from its VehiclePositions' `occupancy_status`:
/// the demo's line 5 bus on its way to the hub is standing room only; a
/// departure without a vehicle report says nothing.
#[tokio::test]
async fn a_departure_says_how_full_its_vehicle_is() {
    let demo = include_str!("../../feed-server/demo/caudry.toml");
    let s = server::start(demo, server::fixed("2026-07-01T07:30:00+02:00")).await;
    s.wait_fresh("demo:vehicle-positions").await;
    let board = s.board("caudry", "?limit=30").await;
    let line_5 = board
        .departures
        .iter()
        .find(|d| d.id == "demo:CA2C:5:WD:1:0720:20260701:3")
        .expect("the 07:34 line 5 bus");
    assert_eq!(
        line_5.occupancy,
        Some(quai_protocol::Occupancy::StandingRoomOnly)
    );
    let later = board
        .departures
        .iter()
        .find(|d| d.scheduled.starts_with("2026-07-01T09"))
        .expect("a departure at 9");
    assert_eq!(later.occupancy, None, "no vehicle report yet");
}

/// `?seq=N`: a board published earlier, rebuilt from the archive (its
/// deltas and whole boards, kept in the store), equal to what REST served
/// at that seq (feed ages aside); the current one as ever; one never
/// published, or not a number, refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_earlier_board_comes_from_the_archive() {
    let server = server::start(&server::demo_config("", ""), server::fixed(NOW)).await;
    let token = server.operator("gare", &["station:caudry"]);
    let mut seen = vec![server.board("caudry", "?limit=30").await];
    for header in ["Ascenseur en panne", "Quai C fermé"] {
        server
            .post_json("/v1/notices", &token, &info_notice(header))
            .await
            .expect(201);
        let before = seen.last().map(|b| b.seq);
        for _ in 0..100 {
            let b = server.board("caudry", "?limit=30").await;
            if Some(b.seq) != before {
                seen.push(b);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    assert_eq!(seen.len(), 3, "two notices, two more boards");
    let without_ages = |mut b: quai_protocol::Board| {
        for f in &mut b.feeds {
            f.age_s = None;
            f.last_success = None;
        }
        b
    };
    for board in &seen {
        let path = format!("/v1/stations/caudry/board?limit=30&seq={}", board.seq);
        // The archive is written within a second.
        let mut answer = server.answer(&path).await;
        for _ in 0..100 {
            if answer.status == 200 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            answer = server.answer(&path).await;
        }
        let archived: quai_protocol::Board = answer.expect(200).json();
        assert_eq!(without_ages(archived), without_ages(board.clone()));
    }
    // The first board's notices: none of the two; `limit` applies.
    let first: quai_protocol::Board = server
        .get(
            &format!("/v1/stations/caudry/board?limit=5&seq={}", seen[0].seq),
            200,
        )
        .await;
    assert_eq!(first.departures.len(), 5);
    assert!(seen[2].notices.len() >= first.notices.len() + 2);
    let never = format!("/v1/stations/caudry/board?seq={}", seen[2].seq + 1000);
    let refused = server.answer(&never).await.expect(404);
    assert!(refused.body.contains("board_not_kept"), "{}", refused.body);
    server
        .answer("/v1/stations/caudry/board?seq=latest")
        .await
        .expect(400);
}
