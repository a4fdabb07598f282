//! The demo deployment every target that needs a timetable works against.

use std::sync::Arc;

use feed_server::clock::Clock;
use feed_server::config::Config;
use feed_server::deployment::Deployment;
use feed_server::feed::Quiet;
use feed_server::publish::Boards;

/// The demo timetable's station, the fixed instant the fuzzers run at.
pub const NOW: &str = "2026-07-01T07:30:00+02:00";

pub const CONFIG: &str = "[[feeds]]\nid = \"demo\"\ngtfs = \"builtin:caudry-demo\"\n\
    [[stations]]\nid = \"caudry\"\nname = \"Caudry\"\nstops = { demo = [\"CAUDRY\"] }\n";

pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(NOW)
        .expect("NOW is RFC 3339")
        .with_timezone(&chrono::Utc)
}

pub fn deployment() -> Deployment {
    deployment_of(CONFIG)
}

/// The deployment of another configuration text.
pub fn deployment_of(text: &str) -> Deployment {
    let config =
        Config::parse(text, "fuzz.toml", std::path::Path::new("/")).expect("fuzz configuration");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime
        .block_on(Deployment::load(config, now, &Quiet))
        .expect("the demo loads")
}

/// A board publisher over the demo, at [`NOW`].
#[allow(dead_code)]
pub fn boards() -> Boards {
    Boards::new(Arc::new(deployment()), Clock::Fixed(now()))
}
