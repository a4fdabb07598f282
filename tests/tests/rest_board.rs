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
