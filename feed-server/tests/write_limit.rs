//! The write limit across nodes (issue 23, docs/scaling.md): with the
//! notices in a real PostgreSQL, `[notices] writes_per_minute` counts an
//! operator's writes through every node together, from the audit log, so
//! that two edges do not give an operator twice the budget.

use quai_tests::binary::{Binary, Server};
use quai_tests::http::{Request, info_notice};
use quai_tests::nats::Nats;
use quai_tests::postgres::Postgres;

fn feed_server() -> Binary {
    Binary::new(env!("CARGO_BIN_EXE_feed-server"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_edges_share_one_operators_write_budget() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pg = Postgres::start();
    let nats = Nats::start();
    let config = dir.path().join("shared.toml");
    std::fs::write(
        &config,
        format!(
            "{}\n[notices]\nwrites_per_minute = 2\n\n[store]\nurl = \"{}\"\n",
            include_str!("../demo/caudry.toml"),
            pg.url
        ),
    )
    .expect("config");
    let config = config.to_str().expect("path");
    let added = feed_server().run(
        &[
            "operator",
            "add",
            "ops",
            "--scope",
            "station:caudry",
            "--config",
            config,
        ],
        dir.path(),
    );
    assert!(added.ok, "{}", added.stderr);
    let token = added.stdout.trim().to_string();
    let edge = |name: &str| -> Server {
        quai_tests::scale::node(feed_server(), "edge", name, &nats.url, config, None)
    };
    let (edge_a, edge_b) = (edge("edge-a"), edge("edge-b"));

    // Two writes through edge A: the budget of the minute.
    let first = edge_a
        .post_json("/v1/notices", &token, &info_notice("Avis 1"))
        .await
        .expect(201)
        .notice();
    edge_a
        .post_json("/v1/notices", &token, &info_notice("Avis 2"))
        .await
        .expect(201);
    // A third through edge B, and a change through B: both refused, with
    // when to try again.
    let refused = edge_b
        .post_json("/v1/notices", &token, &info_notice("Avis 3"))
        .await
        .expect(429);
    assert_eq!(refused.error().code, "rate_limited", "{refused}");
    let wait: u64 = refused
        .headers
        .get("retry-after")
        .and_then(|s| s.to_str().ok()?.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&wait), "{wait}");
    let path = format!("/v1/notices/{}", first.id);
    edge_b
        .send(Request {
            method: "PATCH",
            path: &path,
            token: Some(&token),
            if_match: Some(1),
            body: Some(serde_json::json!({"header": {"fr": "Avis 1 modifié"}}).to_string()),
        })
        .await
        .expect(429);
    assert_eq!(pg.query("SELECT count(*) FROM notices"), "2");
}
