//! Static GTFS: arbitrary bytes as a zip archive, read and compiled.

#![no_main]

use std::collections::BTreeMap;

use feed_server::id::FeedId;
use feed_server::sources::gtfs_static::{Archive, load};

use libfuzzer_sys::fuzz_target;

fn feed_id() -> FeedId {
    "fuzz".parse().expect("a valid feed id")
}

fuzz_target!(|data: &[u8]| {
    let archive = Archive::Zip(data.to_vec());
    let _ = load(&feed_id(), "fuzz.zip", &archive, BTreeMap::new(), &|_, _| {});
});
