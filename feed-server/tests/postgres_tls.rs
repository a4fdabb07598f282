//! TLS to PostgreSQL (issue 23, docs/configuration.md `[store] ca_file`):
//! a real PostgreSQL that takes TLS connections only, its certificate
//! signed by a certificate authority of the test's own. With `ca_file`
//! naming that authority a node connects and writes; without TLS it is
//! refused by the server; asked for TLS against the system's certificates
//! alone, it refuses the server's certificate.

use quai_tests::binary::Binary;
use quai_tests::http::info_notice;
use quai_tests::postgres::Postgres;

fn feed_server() -> Binary {
    Binary::new(env!("CARGO_BIN_EXE_feed-server"))
}

/// The demo's configuration with `[store]` lines `store`.
fn config(dir: &std::path::Path, name: &str, store: &str) -> String {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "{}\n[store]\n{store}\n",
            include_str!("../demo/caudry.toml")
        ),
    )
    .expect("config");
    path.to_str().expect("path").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_reaches_postgresql_over_tls_with_the_ca_it_is_given() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pg = Postgres::start_tls();
    let ca = pg.ca_file();
    let add = |config: &str| {
        feed_server().run(
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
        )
    };

    // Without TLS: the server says no.
    let plain = config(dir.path(), "plain.toml", &format!("url = \"{}\"", pg.url));
    let refused = add(&plain);
    assert!(!refused.ok, "{}", refused.stdout);
    assert!(
        refused.stderr.contains("no pg_hba.conf entry") || refused.stderr.contains("no encryption"),
        "{}",
        refused.stderr
    );
    // TLS against the system's certificates alone: the test's CA is not
    // among them.
    let system = config(
        dir.path(),
        "system.toml",
        &format!("url = \"{}?sslmode=require\"", pg.url),
    );
    let refused = add(&system);
    assert!(!refused.ok, "{}", refused.stdout);
    assert!(refused.stderr.contains("certificate"), "{}", refused.stderr);

    // With the CA: connected, over TLS (the server takes nothing else).
    let trusted = config(
        dir.path(),
        "trusted.toml",
        &format!("url = \"{}\"\nca_file = \"{}\"", pg.url, ca.display()),
    );
    let added = add(&trusted);
    assert!(added.ok, "{}", added.stderr);
    let token = added.stdout.trim().to_string();
    let data = dir.path().join("data").to_str().expect("path").to_string();
    let server = feed_server().start(&["--config", &trusted, "--data-dir", &data]);
    server
        .post_json("/v1/notices", &token, &info_notice("Par TLS"))
        .await
        .expect(201);
    // In PostgreSQL, written over TLS (the server takes nothing else).
    assert_eq!(pg.query("SELECT count(*) FROM notices"), "1");
}
