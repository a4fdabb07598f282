//! An acknowledged notice survives a crash: the server is killed with SIGKILL at a
//! random moment during a burst of POSTs, restarted on the same data dir, and every
//! notice that got a 201 must be there.
//!
//! CI runs 24 rounds; `QUAI_DURABILITY_ROUNDS=1000 cargo test --release -p
//! feed-server --test durability` runs the long version (docs/operators.md).

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::{Server, demo_store};

async fn post(client: &reqwest::Client, base: &str, token: &str, i: usize) -> Option<String> {
    let body = serde_json::json!({
        "severity": "info",
        "cause": "maintenance",
        "effect": "other_effect",
        "header": {"fr": format!("Avis {i}")},
        "informed_entities": [{"station": "caudry"}],
    });
    let response = client
        .post(format!("{base}/v1/notices"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .ok()?;
    if response.status().as_u16() != 201 {
        return None;
    }
    let n: serde_json::Value = response.json().await.ok()?;
    n["id"].as_str().map(str::to_string)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_notices_survive_sigkill() {
    let rounds: usize = std::env::var("QUAI_DURABILITY_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24);
    let dir = tempfile::tempdir().expect("tempdir");
    let support::Store {
        data,
        config,
        token,
    } = demo_store(dir.path());
    let client = feed_server::sources::http::client(Duration::from_secs(30)).expect("client");

    let mut acknowledged: Vec<String> = Vec::new();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for round in 0..rounds {
        let mut server = Server::start(&["--config", &config, "--data-dir", &data]);
        let base = server.base.clone();
        let acked = Arc::new(Mutex::new(Vec::new()));
        let writer = {
            let (client, token, acked) = (client.clone(), token.clone(), acked.clone());
            tokio::spawn(async move {
                for i in 0.. {
                    if let Some(id) = post(&client, &base, &token, i).await
                        && let Ok(mut a) = acked.lock()
                    {
                        a.push(id);
                    }
                }
            })
        };
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        tokio::time::sleep(Duration::from_millis(20 + seed % 300)).await;
        server.kill();
        writer.abort();
        let _ = writer.await;
        acknowledged.extend(acked.lock().expect("acked").iter().cloned());

        // Back up on the same data dir: everything acknowledged is there.
        let server = Server::start(&["--config", &config, "--data-dir", &data]);
        let list: Vec<serde_json::Value> = client
            .get(server.url("/v1/notices"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("GET /v1/notices")
            .json()
            .await
            .expect("JSON");
        let stored: std::collections::HashSet<&str> =
            list.iter().filter_map(|n| n["id"].as_str()).collect();
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
