//! An acknowledged notice survives a crash: the server is killed with SIGKILL at a
//! random moment during a burst of POSTs, restarted on the same data dir, and every
//! notice that got a 201 must be there.
//!
//! CI runs 24 rounds; `QUAI_DURABILITY_ROUNDS=1000 cargo test --release -p
//! feed-server --test durability` runs the long version (docs/operators.md).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use quai_tests::binary::{Binary, Store};
use quai_tests::changes::Rng;
use quai_tests::http::info_notice;

fn feed_server() -> Binary {
    Binary::new(env!("CARGO_BIN_EXE_feed-server"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_notices_survive_sigkill() {
    let rounds: usize = std::env::var("QUAI_DURABILITY_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    let dir = tempfile::tempdir().expect("tempdir");
    let Store {
        data,
        config,
        token,
    } = feed_server().demo_store(dir.path());

    let mut acknowledged: Vec<String> = Vec::new();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for round in 0..rounds {
        let mut server = feed_server().start(&["--config", &config, "--data-dir", &data]);
        let api = (*server).clone();
        let acked = Arc::new(Mutex::new(Vec::new()));
        let writer = {
            let (token, acked) = (token.clone(), acked.clone());
            tokio::spawn(async move {
                for i in 0.. {
                    let body = info_notice(&format!("Avis {i}"));
                    if let Some(id) = api.try_post_notice(&token, &body).await
                        && let Ok(mut a) = acked.lock()
                    {
                        a.push(id);
                    }
                }
            })
        };
        tokio::time::sleep(Duration::from_millis(20 + rng.next_u64() % 300)).await;
        server.kill();
        writer.abort();
        let _ = writer.await;
        acknowledged.extend(acked.lock().expect("acked").iter().cloned());

        // Back up on the same data dir: everything acknowledged is there.
        let server = feed_server().start(&["--config", &config, "--data-dir", &data]);
        let list = server.notices(&token).await;
        let stored: std::collections::HashSet<&str> = list.iter().map(|n| n.id.as_str()).collect();
        let lost: Vec<&String> = acknowledged
            .iter()
            .filter(|id| !stored.contains(id.as_str()))
            .collect();
        assert!(
            lost.is_empty(),
            "round {round}: acknowledged but lost: {lost:?}"
        );
    }
    assert!(
        acknowledged.len() >= rounds,
        "only {} notices acknowledged in {rounds} rounds",
        acknowledged.len()
    );
    println!(
        "{rounds} rounds, {} acknowledged notices, none lost",
        acknowledged.len()
    );
}
