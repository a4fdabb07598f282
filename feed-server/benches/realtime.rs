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
use feed_server::config::StationConfig;
use feed_server::realtime::{RealtimeView, TripUpdates};
use feed_server::timetable::{Station, Timetable};
use gtfs_realtime::trip_update::{StopTimeEvent, StopTimeUpdate};
use gtfs_realtime::{FeedEntity, FeedHeader, FeedMessage, TripDescriptor, TripUpdate};
use prost::Message as _;

fn timetable() -> Timetable {
    common::load(&common::ter_zip())
}

/// 5,000 trip updates for trips running on `day`.
fn message(tt: &Timetable, day: NaiveDate, ts: u64) -> Vec<u8> {
    let feed = &tt.feeds[0];
    let entity: Vec<FeedEntity> = feed
        .trips
        .iter()
        .filter(|t| feed.services.runs_on(t.service, day) && t.stop_times.len() >= 2)
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
fn busiest_stations(tt: &Timetable) -> Vec<Station> {
    let feed = &tt.feeds[0];
    let mut count: HashMap<u32, usize> = HashMap::new();
    for st in &feed.stop_times {
        let stop = &feed.stops[st.stop as usize];
        *count.entry(stop.parent.unwrap_or(st.stop)).or_default() += 1;
    }
    let mut ranked: Vec<(u32, usize)> = count.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked
        .iter()
        .take(100)
        .map(|(stop, _)| {
            let id = feed.stops[*stop as usize].id.clone();
            let config = StationConfig {
                id: format!("s{stop}"),
                name: id.clone(),
                timezone: None,
                stops: [("ter".to_string(), vec![id])].into_iter().collect(),
                wifi: None,
                area: None,
            };
            Station::build(&config, tt).expect("station")
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let tt = timetable();
    let day = NaiveDate::from_ymd_opt(2025, 2, 3).expect("day");
    let now: DateTime<Utc> = "2025-02-03T07:30:00Z".parse().expect("now");
    let body = message(&tt, day, now.timestamp() as u64);
    let stations = busiest_stations(&tt);
    let known = |t: &str| tt.feeds[0].trip_index(t).is_some();

    let mut group = c.benchmark_group("sncf_ter_2025_realtime_5000");
    group.sample_size(20);
    group.bench_function("decode", |b| {
        b.iter(|| FeedMessage::decode(body.as_slice()).expect("decode"))
    });
    let decoded = FeedMessage::decode(body.as_slice()).expect("decode");
    group.bench_function("index", |b| {
        b.iter(|| TripUpdates::from_message(&decoded, known))
    });
    let view = [RealtimeView {
        trip_updates: Some(Arc::new(TripUpdates::from_message(&decoded, known))),
        ..RealtimeView::default()
    }];
    let rebuild = |realtime: &[RealtimeView]| {
        stations
            .iter()
            .map(|station| {
                board::build(&BoardInput {
                    timetable: &tt,
                    station,
                    now,
                    limit: 30,
                    settings: Default::default(),
                    realtime,
                    wifi: None,
                    feeds: Vec::new(),
                    advisories: Vec::new(),
                    operator_notices: &[],
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
        b.iter(|| rebuild(&[]))
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
