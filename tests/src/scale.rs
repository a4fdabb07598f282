//! The processes of a scaled-out deployment (docs/scaling.md): a real
//! `feed-server` per node, each in its role, on the demo at a fixed
//! morning instant with a running clock.

use std::time::Duration;

use quai_protocol::Board;

use crate::binary::{Binary, Server};

/// The instant every node starts at (a weekday morning: departures and
/// realtime on the demo's boards).
pub const NOW: &str = "2026-12-01T07:40:00+01:00";

/// Starts `binary` as a node of `role` named `name` on NATS at `url`, with
/// the configuration `config` (and the data dir `data`, where it keeps one).
pub fn node(
    binary: Binary,
    role: &str,
    name: &str,
    url: &str,
    config: &str,
    data: Option<&str>,
) -> Server {
    let mut args = vec![
        "--config",
        config,
        "--now",
        NOW,
        "--clock",
        "running",
        "--role",
        role,
        "--nats",
        url,
        "--node-name",
        name,
    ];
    if let Some(data) = data {
        args.extend(["--data-dir", data]);
    }
    binary.logging("info").start(&args)
}

/// Caudry's REST board once the node has one (an edge answers 503 until
/// its first board arrives); panics after 30 s.
pub async fn first_board(server: &Server) -> Board {
    for _ in 0..300 {
        if let Ok(board) = server
            .try_get::<Board>("/v1/stations/caudry/board?limit=30")
            .await
        {
            return board;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no board within 30 s; log:\n{}", server.logs());
}
