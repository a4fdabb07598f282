//! Static GTFS: arbitrary bytes as a zip archive, parsed and compiled.

#![no_main]

use std::collections::BTreeMap;

use feed_server::sources::gtfs_static::{Archive, parse};
use feed_server::timetable::compile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(raw) = parse("fuzz", "fuzz.zip", Archive::Zip(data.to_vec())) {
        let _ = compile("fuzz", "fuzz.zip", raw, BTreeMap::new(), &|_, _| {});
    }
});
