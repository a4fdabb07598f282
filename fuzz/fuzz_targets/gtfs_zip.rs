//! Static GTFS: arbitrary bytes as a zip archive, parsed and compiled.

#![no_main]

use std::collections::BTreeMap;

use feed_server::id::FeedId;
use feed_server::sources::gtfs_static::{Archive, parse};
use feed_server::timetable::compile;

use libfuzzer_sys::fuzz_target;

fn feed_id() -> FeedId {
    "fuzz".parse().expect("a valid feed id")
}

fuzz_target!(|data: &[u8]| {
    if let Ok(raw) = parse(&feed_id(), "fuzz.zip", Archive::Zip(data.to_vec())) {
        let _ = compile(raw, BTreeMap::new(), &|_, _| {});
    }
});
