//! Realtime merge benchmark on the SNCF TER January 2025 timetable: a TripUpdates
//! message of 5,000 entities (one per trip running on Monday 3 February 2025, each
//! delayed from a middle stop on), decoded, indexed, and applied to the boards of
//! the 100 busiest stations it touches.
//!
//! `QUAI_FIXTURES=../shared/fixtures cargo bench -p feed-server --bench realtime`;
//! results in docs/benchmarks.md.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use feed_server::board::{self, BoardInput};
use feed_server::feed::{FeedIdx, Feeds};
use feed_server::realtime::{RealtimeView, TripUpdates};
use feed_server::station::Station;
use feed_server::timetable::{StopIdx, Table};
use gtfs_realtime::trip_update::{StopTimeEvent, StopTimeUpdate};
use gtfs_realtime::{FeedEntity, FeedHeader, FeedMessage, TripDescriptor, TripUpdate};
use prost::Message as _;

fn timetable() -> Feeds {
    common::load(&common::ter_zip())
}

/// 5,000 trip updates for trips running on `day`.
fn message(feeds: &Feeds, day: NaiveDate, ts: u64) -> Vec<u8> {
    let feed = &feeds.iter().next().expect("one feed").timetable;
    let entity: Vec<FeedEntity> = feed
        .trips
        .iter()
        .filter(|t| feed.services.runs_on(t.service, day) && feed.trip_stop_times(t).len() >= 2)
        .take(5_000)
        .enumerate()
        .map(|(i, t)| {
            let sts = feed.trip_stop_times(t);
            let mid = &sts[sts.len() / 2];
            FeedEntity {
                id: format!("e{i}"),
                trip_update: Some(TripUpdate {
                    trip: TripDescriptor {
                        trip_id: Some(t.id.clone()),
                        start_date: Some(day.format("%Y%m%d").to_string()),
                        ..TripDescriptor::default()
                    },
                    stop_time_update: vec![StopTimeUpdate {
                        stop_sequence: Some(mid.sequence),
                        departure: Some(StopTimeEvent {
                            delay: Some((i % 13) as i32 * 60),
                            ..StopTimeEvent::default()
                        }),
                        ..StopTimeUpdate::default()
                    }],
                    ..TripUpdate::default()
                }),
                ..FeedEntity::default()
            }
        })
        .collect();
    assert_eq!(entity.len(), 5_000, "not enough trips on {day}");
    FeedMessage {
        header: FeedHeader {
            gtfs_realtime_version: "2.0".into(),
            timestamp: Some(ts),
            ..FeedHeader::default()
        },
        entity,
    }
    .encode_to_vec()
}

/// The 100 parent stations with the most stop times.
fn busiest_stations(feeds: &Feeds) -> Vec<Station> {
    let feed = &feeds.iter().next().expect("one feed").timetable;
    let mut count: HashMap<StopIdx, usize> = HashMap::new();
    for st in feed.stop_times.iter() {
        let stop = &feed.stops[st.stop];
        *count.entry(stop.parent.unwrap_or(st.stop)).or_default() += 1;
    }
    let mut ranked: Vec<(StopIdx, usize)> = count.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked
        .iter()
        .take(100)
        .enumerate()
        .map(|(i, (stop, _))| {
            let config = common::station(&format!("s{i}"), &feed.stops[*stop].id);
            Station::build(&config, feeds).expect("station")
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let tt = timetable();
    let day = NaiveDate::from_ymd_opt(2025, 2, 3).expect("day");
    let now: DateTime<Utc> = "2025-02-03T07:30:00Z".parse().expect("now");
    let body = message(&tt, day, now.timestamp() as u64);
    let stations = busiest_stations(&tt);
    let ter = tt.iter().next().expect("one feed").timetable.clone();
    let known = |t: &str| ter.trip_index(t).is_some();

    let mut group = c.benchmark_group("sncf_ter_2025_realtime_5000");
    group.sample_size(20);
    group.bench_function("decode", |b| {
        b.iter(|| FeedMessage::decode(body.as_slice()).expect("decode"))
    });
    let decoded = FeedMessage::decode(body.as_slice()).expect("decode");
    group.bench_function("index", |b| {
        b.iter(|| TripUpdates::from_message(&decoded, known))
    });
    let view: Table<FeedIdx, RealtimeView> = [RealtimeView {
        trip_updates: Some(Arc::new(TripUpdates::from_message(&decoded, known))),
        ..RealtimeView::default()
    }]
    .into_iter()
    .collect();
    let none: Table<FeedIdx, RealtimeView> = Table::default();
    let rebuild = |realtime: &Table<FeedIdx, RealtimeView>| {
        stations
            .iter()
            .map(|station| {
                board::build(&BoardInput {
                    feeds: &tt,
                    station,
                    now,
                    limit: 30,
                    settings: Default::default(),
                    realtime,
                    feed_statuses: Vec::new(),
                    advisories: Vec::new(),
                    operator_notices: &[],
                    emergency: None,
                    facilities: Vec::new(),
                    equipment: Vec::new(),
                    route: None,
                })
                .departures
                .len()
            })
            .sum::<usize>()
    };
    group.bench_function("rebuild 100 boards with realtime", |b| {
        b.iter(|| rebuild(&view))
    });
    group.bench_function("rebuild 100 boards, timetable only", |b| {
        b.iter(|| rebuild(&none))
    });
    group.finish();
    eprintln!(
        "message: {} bytes; departures on the 100 boards: {}",
        body.len(),
        rebuild(&view)
    );
}

criterion_group!(realtime, benches);
criterion_main!(realtime);
