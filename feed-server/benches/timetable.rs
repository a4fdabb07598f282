//! Timetable benchmarks on the SNCF TER January 2025 feed (300,000 stop_times):
//! loading it, building the Caudry station index, and one board query.
//!
//! Needs the fixtures: `QUAI_FIXTURES=../shared/fixtures cargo bench -p feed-server`.
//! Results and the machine they ran on go in docs/benchmarks.md.

mod common;

use chrono::{DateTime, Utc};
use common::{load, station, ter_zip};
use criterion::{Criterion, criterion_group, criterion_main};
use feed_server::board::{self, BoardInput};
use feed_server::station::Station;
use feed_server::timetable::{ArchiveDigest, Table, TimetableCache};

fn benches(c: &mut Criterion) {
    let bytes = ter_zip();
    let mut group = c.benchmark_group("sncf_ter_2025");
    group.sample_size(10);
    group.bench_function("load_feed (parse + compile)", |b| b.iter(|| load(&bytes)));
    let feeds = load(&bytes);
    // The warm start: the compiled timetable written to the cache, then read back.
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = TimetableCache::new(dir.path());
    let digest = ArchiveDigest::of([bytes.as_slice()]);
    let labels = Default::default();
    let (_, feed) = feeds.find("ter").expect("feed ter");
    cache
        .write("ter", &digest, None, &labels, &feed.timetable)
        .expect("write the cache");
    group.bench_function("read_compiled_timetable (cache)", |b| {
        b.iter(|| cache.read("ter", &digest, &labels).expect("read the cache"))
    });
    let config = station("caudry", "StopArea:OCE87345561");
    group.bench_function("build_station_index (Caudry)", |b| {
        b.iter(|| Station::build(&config, &feeds).expect("station"))
    });
    group.finish();

    let station = Station::build(&config, &feeds).expect("station");
    let no_realtime = Table::default();
    let now: DateTime<Utc> = "2025-02-03T06:30:00Z".parse().expect("now");
    c.bench_function("sncf_ter_2025/board_query (Caudry, 3 h, 30 rows)", |b| {
        b.iter(|| {
            board::build(&BoardInput {
                feeds: &feeds,
                station: &station,
                now,
                limit: 30,
                settings: Default::default(),
                realtime: &no_realtime,
                feed_statuses: Vec::new(),
                advisories: Vec::new(),
                operator_notices: &[],
                emergency: None,
                facilities: Vec::new(),
                equipment: Vec::new(),
                route: None,
            })
        })
    });
}

criterion_group!(timetable, benches);
criterion_main!(timetable);
