//! A full disk: the server's files may not grow (RLIMIT_FSIZE), as when the data
//! dir's disk is full. Notice writes fail with a clear 503 and change nothing;
//! reads (notices, boards) keep working; after a restart with room again, every
//! acknowledged notice is there and no refused one is.

mod support;

use std::time::Duration;

use support::{Server, demo_store};

async fn post(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    i: usize,
) -> (u16, serde_json::Value) {
    let body = serde_json::json!({
        "severity": "info",
        "cause": "maintenance",
        "effect": "other_effect",
        "header": {"fr": format!("Avis {i}")},
        // Long, so that the store grows fast.
        "description": {"fr": "x".repeat(3_900)},
        "informed_entities": [{"station": "caudry"}],
    });
    let response = client
        .post(format!("{base}/v1/notices"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("POST");
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

/// The ids of the notices `GET /v1/notices` lists.
async fn listed(client: &reqwest::Client, base: &str, token: &str) -> Vec<String> {
    let response = client
        .get(format!("{base}/v1/notices"))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status().as_u16(), 200);
    ids(&response.json().await.expect("JSON"))
}

fn ids(list: &serde_json::Value) -> Vec<String> {
    let items = list["notices"]
        .as_array()
        .or(list.as_array())
        .cloned()
        .unwrap_or_default();
    let mut ids: Vec<String> = items
        .iter()
        .filter_map(|n| n["id"].as_str().map(str::to_string))
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_cleanly_and_keeps_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let support::Store {
        data: data_s,
        config,
        token,
    } = demo_store(dir.path());
    let data = std::path::PathBuf::from(&data_s);
    // Room for the files as they are, and about 64 KiB more each.
    let largest = std::fs::read_dir(&data)
        .expect("data dir")
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .max()
        .unwrap_or(0);
    let limit_kib = largest / 1024 + 64;
    let client = feed_server::sources::http::client(Duration::from_secs(10)).expect("client");

    let server = Server::start_limited(
        &["--config", &config, "--data-dir", &data_s],
        Some(limit_kib),
    );
    let mut acknowledged = Vec::new();
    let mut refusal = None;
    for i in 0..200 {
        let (status, body) = post(&client, &server.base, &token, i).await;
        match status {
            201 => acknowledged.push(body["id"].as_str().expect("id").to_string()),
            _ => {
                refusal = Some((status, body));
                break;
            }
        }
    }
    let (status, body) = refusal.expect("the disk fills up within 200 notices of 4 KB");
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "store_unavailable", "{body}");
    assert!(
        !acknowledged.is_empty(),
        "some notices fit before the disk was full"
    );
    // A second try is refused the same way.
    assert_eq!(post(&client, &server.base, &token, 999).await.0, 503);

    // Reads keep working: the notices acknowledged, and the board.
    acknowledged.sort();
    assert_eq!(listed(&client, &server.base, &token).await, acknowledged);
    let (status, board) = server.get_json("/v1/stations/caudry/board").await;
    assert_eq!(status, 200, "{board}");
    drop(server);

    // Room again: every acknowledged notice is there, nothing else.
    let server = Server::start(&["--config", &config, "--data-dir", &data_s]);
    assert_eq!(listed(&client, &server.base, &token).await, acknowledged);
    // And writing works again.
    assert_eq!(post(&client, &server.base, &token, 1000).await.0, 201);
}

/// Makes the files of a folder (and the folder) immutable, so that no write
/// reaches them, not even through descriptors already open, and not even as root;
/// undone when dropped.
struct Immutable(std::path::PathBuf);

impl Immutable {
    fn set(dir: &std::path::Path) -> Immutable {
        let out = std::process::Command::new("chattr")
            .arg("-R")
            .arg("+i")
            .arg(dir)
            .output()
            .expect("chattr (e2fsprogs)");
        assert!(
            out.status.success(),
            "chattr +i: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Immutable(dir.to_path_buf())
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr")
            .arg("-R")
            .arg("-i")
            .arg(&self.0)
            .output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_dir_turned_read_only_refuses_writes_cleanly_and_keeps_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let support::Store {
        data: data_s,
        config,
        token,
    } = demo_store(dir.path());
    let data = std::path::PathBuf::from(&data_s);
    let client = feed_server::sources::http::client(Duration::from_secs(10)).expect("client");

    let server = Server::start(&["--config", &config, "--data-dir", &data_s]);
    let mut acknowledged = Vec::new();
    for i in 0..3 {
        let (status, body) = post(&client, &server.base, &token, i).await;
        assert_eq!(status, 201, "{body}");
        acknowledged.push(body["id"].as_str().expect("id").to_string());
    }
    // The data dir stops taking writes under the running server, as a file
    // system the kernel remounted read-only after I/O errors.
    let frozen = Immutable::set(&data);
    for i in 100..102 {
        let (status, body) = post(&client, &server.base, &token, i).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"]["code"], "store_unavailable", "{body}");
    }
    acknowledged.sort();
    assert_eq!(listed(&client, &server.base, &token).await, acknowledged);
    let (status, board) = server.get_json("/v1/stations/caudry/board").await;
    assert_eq!(status, 200, "{board}");
    drop(server);
    drop(frozen);

    // Writable again: the acknowledged notices, nothing else.
    let server = Server::start(&["--config", &config, "--data-dir", &data_s]);
    assert_eq!(listed(&client, &server.base, &token).await, acknowledged);
    assert_eq!(post(&client, &server.base, &token, 1000).await.0, 201);
}
