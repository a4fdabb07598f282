//! The command line of the peer's broadcast server
//! (`ws-broadcast-node/server.mjs` in `../shared/peers`), which every side of
//! the fan-out benchmark takes, so that one runner
//! (`scripts/bench-fanout-peer.py`) drives them all the same way.

/// What to send, and when (flattened into each side's own arguments).
#[derive(Debug, clap::Args)]
pub struct Broadcast {
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Approximate size of each message's JSON.
    #[arg(long, default_value_t = 2048)]
    pub bytes: usize,
    /// Messages to send.
    #[arg(long, default_value_t = 100)]
    pub count: u32,
    /// Between two messages (0: back to back).
    #[arg(long, default_value_t = 100)]
    pub interval_ms: u64,
    /// Subscribers to wait for before sending.
    #[arg(long, default_value_t = 1000)]
    pub wait_clients: usize,
    /// Wait after the last subscriber, before the first message.
    #[arg(long, default_value_t = 2000)]
    pub start_delay_ms: u64,
    /// Hard stop.
    #[arg(long, default_value_t = 300)]
    pub max_run_s: u64,
}
