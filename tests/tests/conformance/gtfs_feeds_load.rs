//! Every static GTFS fixture loads, and what is compiled matches the counts of
//! SOURCES.md (measured there with Python's csv module).

use std::sync::Arc;

use feed_server::config::{FeedConfig, GtfsSource};
use feed_server::feed::{Feed, Quiet};
use feed_server::sources::gtfs_static::FeedError;
use feed_server::timetable::FeedTimetable;

use crate::support::fixture;

async fn load(rel: &str) -> Result<Arc<FeedTimetable>, FeedError> {
    let mut feed = FeedConfig::new(
        "f".parse().expect("feed id"),
        GtfsSource::Path(fixture(rel).into()),
    );
    feed.max_bytes = 64 * 1024 * 1024;
    Ok(Feed::load(feed, chrono::Utc::now(), &Quiet)
        .await?
        .timetable)
}

/// (fixture, stops, routes, trips, stop_times) from SOURCES.md.
const COUNTS: &[(&str, usize, usize, usize, usize)] = &[
    ("gtfs/google-sample-feed/sample-feed.zip", 9, 5, 11, 28),
    ("gtfs/transitland-example-edge/example.zip", 9, 5, 11, 28),
    (
        "gtfs/usf-bullrunner-2017/bullrunner-gtfs.zip",
        125,
        6,
        15,
        473,
    ),
    ("gtfs/caltrain-2023/ct.zip", 109, 9, 176, 3_498),
    (
        "gtfs/entur-nsb-2018/rb_nsb-aggregated-gtfs.zip",
        1_579,
        56,
        4_680,
        41_196,
    ),
    ("gtfs/cdmx-2018/cdmx.zip", 6_021, 145, 1_741, 70_714),
    (
        "gtfs/sncf-ter-2019-09-macosx-nested/export-ter-gtfs-last.zip",
        9_043,
        649,
        20_385,
        179_128,
    ),
    (
        "gtfs/sncf-ter-2025-01/export-ter-gtfs-last.zip",
        9_196,
        650,
        33_280,
        299_983,
    ),
    ("gtfs/hart-tampa-2021/hart.zip", 2_349, 37, 13_217, 438_421),
    ("gtfs/wmata-rail-2026/wmata.zip", 2_175, 7, 16_514, 352_668),
];

#[tokio::test]
async fn every_static_fixture_loads_completely() {
    let mut failures = Vec::new();
    for &(rel, stops, routes, trips, stop_times) in COUNTS {
        match load(rel).await {
            Ok(t) => {
                let got = (
                    t.stops.len(),
                    t.routes.len(),
                    t.trips.len(),
                    t.stop_times.len(),
                );
                if got != (stops, routes, trips, stop_times) {
                    failures.push(format!(
                        "{rel}: (stops, routes, trips, stop_times) = {got:?}, expected {:?}; warnings: {:?}",
                        (stops, routes, trips, stop_times),
                        t.warnings
                    ));
                }
            }
            Err(e) => failures.push(format!("{rel}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn a_partial_feed_is_refused_with_the_missing_file_named() {
    // The NYCT static folder holds only trips.txt and stops.txt.
    let err = load("gtfs/nyct-subway-2021-partial")
        .await
        .err()
        .map(|e| e.to_string());
    let err = err.expect("a feed without agency.txt must not load");
    assert!(err.contains("required file agency.txt is missing"), "{err}");
}
