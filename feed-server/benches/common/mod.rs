//! What the benchmarks share: the fixtures folder and the SNCF TER 2025 timetable.

use std::path::PathBuf;

use feed_server::sources::gtfs_static::{self, Archive};
use feed_server::timetable::{Timetable, compile};

/// The SNCF TER January 2025 zip from `QUAI_FIXTURES` (relative paths are taken
/// from the workspace root).
pub fn ter_zip() -> Vec<u8> {
    let dir = std::env::var_os("QUAI_FIXTURES")
        .map(PathBuf::from)
        .expect("set QUAI_FIXTURES to the fixtures folder (e.g. ../shared/fixtures)");
    let dir = if dir.is_relative() {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(dir)
    } else {
        dir
    };
    let path = dir.join("gtfs/sncf-ter-2025-01/export-ter-gtfs-last.zip");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Parses and compiles a TER archive into a one-feed timetable (feed id `ter`).
pub fn load(bytes: &[u8]) -> Timetable {
    let raw = gtfs_static::parse("ter", "ter.zip", Archive::Zip(bytes.to_vec())).expect("parse");
    let feed = compile("ter", "ter.zip", raw, Default::default(), &|_, _| {}).expect("compile");
    Timetable { feeds: vec![feed] }
}
