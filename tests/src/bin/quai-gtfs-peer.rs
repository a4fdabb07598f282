//! The `gtfs-structures` side of the cold-load benchmark (`scripts/bench-load.py`):
//! `Gtfs::from_path` on one archive, as an application built on that crate would
//! load it (the full object model, shapes included), timed from inside the process
//! so that process start-up is left out, as it is for gtfs-kit.
//!
//! Prints one JSON line: `{"seconds": …, "stop_times": …}`. Peak RSS is read by the
//! script from the kernel (`getrusage` of the child).

use std::time::Instant;

use anyhow::Context as _;

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .context("usage: quai-gtfs-peer FEED.zip")?;
    let started = Instant::now();
    let gtfs = gtfs_structures::Gtfs::from_path(&path)
        .with_context(|| format!("gtfs-structures cannot read {path}"))?;
    let seconds = started.elapsed().as_secs_f64();
    let stop_times: usize = gtfs.trips.values().map(|t| t.stop_times.len()).sum();
    println!("{{\"seconds\": {seconds:.4}, \"stop_times\": {stop_times}}}");
    Ok(())
}
