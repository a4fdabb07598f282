//! A full disk: the server's files may not grow (RLIMIT_FSIZE), as when the data
//! dir's disk is full. Notice writes fail with a clear 503 and change nothing;
//! reads (notices, boards) keep working; after a restart with room again, every
//! acknowledged notice is there and no refused one is.

use quai_tests::binary::{Binary, Server, Store};
use quai_tests::http::{Answer, info_notice};

fn feed_server() -> Binary {
    Binary::new(env!("CARGO_BIN_EXE_feed-server"))
}

async fn post(server: &Server, token: &str, i: usize) -> Answer {
    let mut body = info_notice(&format!("Avis {i}"));
    // Long, so that the store grows fast.
    body["description"] = serde_json::json!({"fr": "x".repeat(3_900)});
    server.post_json("/v1/notices", token, &body).await
}

/// The demo with a notice store, in a folder removed with the TempDir.
fn demo_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = feed_server().demo_store(dir.path());
    (dir, store)
}

/// The ids of the notices `GET /v1/notices` lists, sorted.
async fn listed(server: &Server, token: &str) -> Vec<String> {
    let mut ids: Vec<String> = server
        .notices(token)
        .await
        .into_iter()
        .map(|n| n.id)
        .collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_cleanly_and_keeps_reads() {
    let (_dir, store) = demo_store();
    let data = std::path::PathBuf::from(&store.data);
    // Room for the files as they are, and about 64 KiB more each.
    let largest = std::fs::read_dir(&data)
        .expect("data dir")
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .max()
        .unwrap_or(0);
    let limit_kib = largest / 1024 + 64;

    let server = feed_server().start_limited(
        &["--config", &store.config, "--data-dir", &store.data],
        Some(limit_kib),
    );
    let mut acknowledged = Vec::new();
    let mut refusal = None;
    for i in 0..200 {
        let answer = post(&server, &store.token, i).await;
        match answer.status {
            201 => acknowledged.push(answer.notice().id),
            _ => {
                refusal = Some(answer);
                break;
            }
        }
    }
    let refusal = refusal.expect("the disk fills up within 200 notices of 4 KB");
    let refusal = refusal.expect(503);
    assert_eq!(refusal.error().code, "store_unavailable", "{refusal}");
    assert!(
        !acknowledged.is_empty(),
        "some notices fit before the disk was full"
    );
    // A second try is refused the same way.
    assert_eq!(post(&server, &store.token, 999).await.status, 503);

    // Reads keep working: the notices acknowledged, and the board.
    acknowledged.sort();
    assert_eq!(listed(&server, &store.token).await, acknowledged);
    server.board("caudry", "").await; // (200, or it panics)
    drop(server);

    // Room again: every acknowledged notice is there, nothing else.
    let server = feed_server().start(&["--config", &store.config, "--data-dir", &store.data]);
    assert_eq!(listed(&server, &store.token).await, acknowledged);
    // And writing works again.
    assert_eq!(post(&server, &store.token, 1000).await.status, 201);
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
    let (_dir, store) = demo_store();
    let data = std::path::PathBuf::from(&store.data);

    let server = feed_server().start(&["--config", &store.config, "--data-dir", &store.data]);
    let mut acknowledged = Vec::new();
    for i in 0..3 {
        acknowledged.push(post(&server, &store.token, i).await.expect(201).notice().id);
    }
    // The data dir stops taking writes under the running server, as a file
    // system the kernel remounted read-only after I/O errors.
    let frozen = Immutable::set(&data);
    for i in 100..102 {
        let refusal = post(&server, &store.token, i).await.expect(503);
        assert_eq!(refusal.error().code, "store_unavailable", "{refusal}");
    }
    acknowledged.sort();
    assert_eq!(listed(&server, &store.token).await, acknowledged);
    server.board("caudry", "").await; // (200, or it panics)
    drop(server);
    drop(frozen);

    // Writable again: the acknowledged notices, nothing else.
    let server = feed_server().start(&["--config", &store.config, "--data-dir", &store.data]);
    assert_eq!(listed(&server, &store.token).await, acknowledged);
    assert_eq!(post(&server, &store.token, 1000).await.status, 201);
}
