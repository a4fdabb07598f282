//! Switching an installation to PostgreSQL (issue 23, docs/scaling.md):
//! a single server writes into its data dir's SQLite (an operator's notice
//! changed once, a takeover, a phone's push subscription); stopped, its
//! data dir is imported into a real, empty PostgreSQL (`feed-server
//! import`); a server on PostgreSQL (and a new data dir) then takes the
//! same token, shows the same notice and takeover, gives the same push key
//! and subscription, and its audit log has the same chain. A second import
//! is refused, copying nothing.

use quai_protocol::{Board, PushKey, PushSubscription};
use quai_tests::binary::{Binary, Server};
use quai_tests::http::{Request, info_notice};
use quai_tests::postgres::Postgres;

const NOW: &str = "2026-12-01T07:40:00+01:00";

fn feed_server() -> Binary {
    Binary::new(env!("CARGO_BIN_EXE_feed-server"))
}

/// The demo's configuration (pushes allowed to 127.0.0.1), with
/// `[store] url` when given.
fn config(dir: &std::path::Path, name: &str, url: Option<&str>) -> String {
    let path = dir.join(name);
    let demo = include_str!("../demo/caudry.toml")
        .replace("[push]\n", "[push]\nendpoints = [\"127.0.0.1\"]\n");
    let store = url.map_or(String::new(), |u| format!("\n[store]\nurl = \"{u}\"\n"));
    std::fs::write(&path, format!("{demo}{store}")).expect("config");
    path.to_str().expect("path").to_string()
}

fn serve(config: &str, data: &str) -> Server {
    feed_server().start(&[
        "--config",
        config,
        "--data-dir",
        data,
        "--now",
        NOW,
        "--clock",
        "fixed",
    ])
}

/// Runs `feed-server ARGS` in `dir`; its stdout, or its stderr on failure.
fn run(dir: &std::path::Path, args: &[&str]) -> Result<String, String> {
    let out = feed_server().run(args, dir);
    if out.ok {
        Ok(out.stdout)
    } else {
        Err(out.stderr)
    }
}

/// A browser's push subscription keys, made by tests/python/push_check.py.
fn browser_keys() -> serde_json::Value {
    let python = std::env::var("QUAI_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/python/push_check.py");
    let out = std::process::Command::new(&python)
        .args([script, "keys"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e} (scripts/deps.sh installs it)"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("keys")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_dir_imported_into_postgres_keeps_tokens_notices_takeovers_push_and_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let local = config(dir.path(), "local.toml", None);
    let data = dir.path().join("data").to_str().expect("path").to_string();
    let token = run(
        dir.path(),
        &[
            "operator",
            "add",
            "regulation",
            "--scope",
            "*",
            "--emergency",
            "--config",
            &local,
            "--data-dir",
            &data,
        ],
    )
    .expect("operator add")
    .trim()
    .to_string();

    // A station's life in SQLite.
    let server = serve(&local, &data);
    let notice = server
        .post_json("/v1/notices", &token, &info_notice("Ascenseur en panne"))
        .await
        .expect(201)
        .notice();
    let path = format!("/v1/notices/{}", notice.id);
    server
        .send(Request {
            method: "PATCH",
            path: &path,
            token: Some(&token),
            if_match: Some(1),
            body: Some(
                serde_json::json!({"header": {"fr": "Ascenseur réparé à 10 h"}}).to_string(),
            ),
        })
        .await
        .expect(200);
    let takeover = server
        .post_json(
            "/v1/emergencies",
            &token,
            &serde_json::json!({
                "stations": ["caudry"],
                "screen_text": {"fr": "Évacuation de la gare : suivez les agents."},
                "ends_at": "2026-12-01T09:40:00+01:00",
                "repeat_s": 60,
            }),
        )
        .await
        .expect(201)
        .value();
    let key: PushKey = server.get("/v1/push/key", 200).await;
    let browser = browser_keys();
    let subscription = server
        .send(Request {
            method: "POST",
            path: "/v1/push/subscriptions",
            body: Some(
                serde_json::json!({
                    "subscription": {
                        "endpoint": "http://127.0.0.1:9/push/phone-1",
                        "expirationTime": null,
                        "keys": {"p256dh": browser["p256dh"], "auth": browser["auth"]},
                    },
                    "follows": [{"route_id": "demo:CA2C:4"}, {"stop_id": "demo:CAUDRY"}],
                    "lang": "fr",
                })
                .to_string(),
            ),
            ..Request::default()
        })
        .await
        .expect(201)
        .json::<PushSubscription>();
    drop(server);
    let chained = run(
        dir.path(),
        &["audit", "--verify", "--config", &local, "--data-dir", &data],
    )
    .expect("audit --verify");

    // Imported into an empty PostgreSQL.
    let pg = Postgres::start();
    let shared = config(dir.path(), "shared.toml", Some(&pg.url));
    let copied = run(
        dir.path(),
        &["import", "--data-dir", &data, "--config", &shared],
    )
    .expect("import");
    assert!(
        copied.contains("1 operators, 1 notices, 4 audit entries, 1 takeovers, 1 push key, 1 push subscriptions (2 follows"),
        "{copied}"
    );
    // Twice: refused, nothing copied.
    let again = run(
        dir.path(),
        &["import", "--data-dir", &data, "--config", &shared],
    )
    .expect_err("a second import");
    assert!(again.contains("PostgreSQL already holds"), "{again}");
    assert_eq!(pg.query("SELECT count(*) FROM notices"), "1");
    // Without [store] url: nothing to import into.
    let nowhere = run(
        dir.path(),
        &["import", "--data-dir", &data, "--config", &local],
    )
    .expect_err("no [store] url");
    assert!(nowhere.contains("[store] url"), "{nowhere}");

    // A server on PostgreSQL, with a data dir of its own: all of it there.
    let fresh = dir.path().join("fresh").to_str().expect("path").to_string();
    let server = serve(&shared, &fresh);
    let notices = server.notices(&token).await;
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(
        (notices[0].id.as_str(), notices[0].version),
        (notice.id.as_str(), 2)
    );
    let board: Board = server.get("/v1/stations/caudry/board?limit=30", 200).await;
    assert_eq!(
        board.emergency.map(|e| e.id).as_deref(),
        takeover["id"].as_str(),
        "the takeover on the board"
    );
    let same: PushKey = server.get("/v1/push/key", 200).await;
    assert_eq!(same.public_key, key.public_key, "phones keep their key");
    let read: PushSubscription = server
        .get(&format!("/v1/push/subscriptions/{}", subscription.id), 200)
        .await;
    assert_eq!(read.follows, subscription.follows, "in the order given");
    assert_eq!(
        run(dir.path(), &["audit", "--verify", "--config", &shared]).expect("audit --verify"),
        chained,
        "the same chain"
    );
    // The operator may still end takeovers (its permission came along).
    let id = takeover["id"].as_str().expect("an id");
    server
        .send(Request {
            method: "DELETE",
            path: &format!("/v1/emergencies/{id}"),
            token: Some(&token),
            ..Request::default()
        })
        .await
        .expect(200);
    // A data dir that holds no store: said, nothing copied.
    let missing = dir.path().join("typo").to_str().expect("path").to_string();
    let nothing = run(
        dir.path(),
        &["import", "--data-dir", &missing, "--config", &shared],
    )
    .expect_err("no store there");
    assert!(nothing.contains("holds no store"), "{nothing}");
}
