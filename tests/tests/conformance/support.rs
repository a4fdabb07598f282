//! An in-process feed server on 127.0.0.1 over fixture data.

use std::path::PathBuf;

use quai_protocol::Board;
use quai_tests::board::hm;

/// The fixtures folder from `QUAI_FIXTURES`; a relative path is taken from the
/// working directory, else from the workspace root.
pub fn fixtures() -> PathBuf {
    let Some(dir) = std::env::var_os("QUAI_FIXTURES") else {
        panic!(
            "QUAI_FIXTURES is not set: the conformance suite needs the real third-party data \
             (e.g. QUAI_FIXTURES=../shared/fixtures); refusing to pass without it"
        );
    };
    let dir = PathBuf::from(dir);
    let candidates = [
        dir.clone(),
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(&dir),
    ];
    for c in candidates {
        if c.join("SOURCES.md").is_file() {
            return c;
        }
    }
    panic!(
        "QUAI_FIXTURES={} does not hold SOURCES.md (neither from the working directory nor \
         from the workspace root)",
        dir.display()
    );
}

/// Path of a fixture file, checked to exist.
pub fn fixture(rel: &str) -> String {
    let p = fixtures().join(rel);
    assert!(p.exists(), "fixture {} is missing", p.display());
    p.to_string_lossy().into_owned()
}

pub use quai_tests::server::Running;

/// One feed `id` from `gtfs` with one station `station` made of `stops`, at `now`.
pub async fn serve(id: &str, gtfs: &str, station: &str, stops: &[&str], now: &str) -> Running {
    let stops = stops
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let text = format!(
        "[board]\nmax_limit = 50\n[[feeds]]\nid = \"{id}\"\ngtfs = {gtfs:?}\n\n\
         [[stations]]\nid = \"{station}\"\nname = \"{station}\"\nstops = {{ {id} = [{stops}] }}\n"
    );
    serve_config(&text, now).await
}

/// A server for a whole configuration text, at `now` (a fixed clock).
pub async fn serve_config(text: &str, now: &str) -> Running {
    quai_tests::server::start(text, quai_tests::server::fixed(now)).await
}

/// `(local HH:MM, route short name, headsign)` of each departure.
pub fn summary(board: &Board) -> Vec<(String, String, String)> {
    board
        .departures
        .iter()
        .map(|d| {
            (
                hm(&d.scheduled),
                d.route.short_name.clone().unwrap_or_default(),
                d.headsign.clone(),
            )
        })
        .collect()
}

pub fn row(t: &str, route: &str, headsign: &str) -> (String, String, String) {
    (t.to_string(), route.to_string(), headsign.to_string())
}

/// The board lines of `reports` as a facility source of `format` shows them,
/// each read when it was measured (or now, when it says not).
pub fn sourced_lines(
    format: feed_server::config::FacilityFormat,
    reports: &[feed_server::sources::facilities::Report],
) -> Vec<feed_server::facility::FacilityLine> {
    let text = format!(
        "[[feeds]]\nid = \"f\"\ngtfs = \"f.zip\"\n[[stations]]\nid = \"s\"\nname = \"S\"\nstops = {{ f = [\"x\"] }}\n\
         [[facility_sources]]\nid = \"src\"\nformat = \"{}\"\nurl = \"http://127.0.0.1:1/\"\n{}stations = [\"s\"]\n",
        format.name(),
        if format == feed_server::config::FacilityFormat::Gbfs {
            "status_url = \"http://127.0.0.1:1/s\"\n"
        } else {
            ""
        }
    );
    let config = feed_server::config::Config::parse(&text, "test", std::path::Path::new("."))
        .expect("config");
    reports
        .iter()
        .map(|r| {
            let now = r.at.unwrap_or_else(chrono::Utc::now);
            feed_server::facility::sourced::line(&config.facility_sources[0], r, now, now)
        })
        .collect()
}
