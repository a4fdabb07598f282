//! Static GTFS, one table at a time: the demo feed with one of its tables (chosen
//! by the first byte) replaced by the input, zipped, read and compiled.

#![no_main]

use std::collections::BTreeMap;
use std::io::{Cursor, Read as _, Write as _};

use feed_server::id::FeedId;
use feed_server::sources::gtfs_static::{Archive, load};

use libfuzzer_sys::fuzz_target;

fn feed_id() -> FeedId {
    "fuzz".parse().expect("a valid feed id")
}

const TABLES: [&str; 9] = [
    "agency.txt",
    "stops.txt",
    "routes.txt",
    "trips.txt",
    "stop_times.txt",
    "calendar.txt",
    "calendar_dates.txt",
    "frequencies.txt",
    "feed_info.txt",
];

static DEMO: std::sync::OnceLock<Vec<(String, Vec<u8>)>> = std::sync::OnceLock::new();

fn demo_tables() -> Vec<(String, Vec<u8>)> {
    let bytes = feed_server::sources::builtin::gtfs_zip().expect("demo zip");
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("demo zip reads");
    (0..zip.len())
        .map(|i| {
            let mut entry = zip.by_index(i).expect("entry");
            let mut data = Vec::new();
            entry.read_to_end(&mut data).expect("inflate");
            (entry.name().to_string(), data)
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, table)) = data.split_first() else {
        return;
    };
    let name = TABLES[usize::from(selector) % TABLES.len()];
    let mut files: Vec<(String, Vec<u8>)> = DEMO
        .get_or_init(demo_tables)
        .iter()
        .filter(|(n, _)| n != name)
        .cloned()
        .collect();
    files.push((name.to_string(), table.to_vec()));
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in files {
        out.start_file(name, options).expect("zip entry");
        out.write_all(&data).expect("zip write");
    }
    let bytes = out.finish().expect("zip").into_inner();
    let _ = load(&feed_id(), "fuzz.zip", &Archive::Zip(bytes), BTreeMap::new(), &|_, _| {});
});
