//! The Caudry demo network's GTFS (`feed-server/demo/gtfs/`, see its README),
//! compiled into the binary: the source `builtin:caudry-demo`, so that
//! `feed-server` with no configuration serves something real-looking at once.

use std::io::{Cursor, Write as _};

/// The demo GTFS files, as written by `demo/generate.py`.
const FILES: &[(&str, &str)] = &[
    ("agency.txt", include_str!("../../demo/gtfs/agency.txt")),
    (
        "feed_info.txt",
        include_str!("../../demo/gtfs/feed_info.txt"),
    ),
    ("stops.txt", include_str!("../../demo/gtfs/stops.txt")),
    ("routes.txt", include_str!("../../demo/gtfs/routes.txt")),
    ("trips.txt", include_str!("../../demo/gtfs/trips.txt")),
    (
        "stop_times.txt",
        include_str!("../../demo/gtfs/stop_times.txt"),
    ),
    ("calendar.txt", include_str!("../../demo/gtfs/calendar.txt")),
    (
        "calendar_dates.txt",
        include_str!("../../demo/gtfs/calendar_dates.txt"),
    ),
    (
        "frequencies.txt",
        include_str!("../../demo/gtfs/frequencies.txt"),
    ),
];

/// The demo feed as a zip archive in memory, read like any other feed.
pub fn gtfs_zip() -> Result<Vec<u8>, zip::result::ZipError> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, text) in FILES {
        zip.start_file(*name, options)?;
        zip.write_all(text.as_bytes())?;
    }
    Ok(zip.finish()?.into_inner())
}
