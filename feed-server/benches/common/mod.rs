//! What the benchmarks share: the fixtures folder and the SNCF TER 2025 timetable.

use std::path::PathBuf;
use std::sync::Arc;

use feed_server::config::{FeedConfig, GtfsSource, StationConfig};
use feed_server::feed::{Feed, FeedLoad, Feeds, LoadedFrom};
use feed_server::id::FeedId;
use feed_server::sources::gtfs_static::{self, Archive};

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

/// Parses and compiles a TER archive into a one-feed registry (feed id `ter`).
pub fn load(bytes: &[u8]) -> Feeds {
    let id: FeedId = "ter".parse().expect("feed id");
    let archive = Archive::Zip(bytes.to_vec());
    let timetable =
        gtfs_static::load(&id, "ter.zip", &archive, Default::default(), &|_, _| {}).expect("load");
    Feeds::new(vec![Feed {
        config: FeedConfig::new(id.clone(), GtfsSource::Path("ter.zip".into())),
        id,
        timetable: Arc::new(timetable),
        load: FeedLoad {
            loaded_at: chrono::Utc::now(),
            duration: std::time::Duration::ZERO,
            from: LoadedFrom::Archive,
        },
    }])
}

/// A station of feed `ter` made of `stop_id` (a stop or a parent station).
pub fn station(id: &str, stop_id: &str) -> StationConfig {
    StationConfig {
        id: id.parse().expect("station id"),
        name: stop_id.to_string(),
        timezone: None,
        stops: [("ter".parse().expect("feed id"), vec![stop_id.to_string()])]
            .into_iter()
            .collect(),
        wifi: None,
        area: None,
        arrivals: false,
    }
}
