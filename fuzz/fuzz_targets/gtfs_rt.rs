//! GTFS-Realtime: arbitrary bytes as a FeedMessage of each kind, ingested against
//! the demo timetable and merged into the station's board. When they decode, the
//! message is ingested a second time dated now, so the merge sees it as fresh.

#![no_main]

mod common;

use std::sync::Mutex;

use feed_server::publish::Boards;
use feed_server::realtime::ingest::Limits;
use feed_server::realtime::{Kind, RealtimeStore, ingest};
use libfuzzer_sys::fuzz_target;
use prost::Message as _;

static BOARDS: Mutex<Option<Boards>> = Mutex::new(None);

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let kind = match selector % 3 {
        0 => Kind::TripUpdates,
        1 => Kind::VehiclePositions,
        _ => Kind::Alerts,
    };
    let mut guard = BOARDS.lock().unwrap_or_else(|e| e.into_inner());
    let boards = guard.get_or_insert_with(common::boards);
    let feed = boards
        .deployment
        .feeds
        .iter()
        .next()
        .expect("the demo feed");
    let (id, timetable) = (feed.id.clone(), feed.timetable.clone());
    let now = common::now();
    boards.realtime = RealtimeStore::default();
    let _ = ingest(
        &boards.realtime,
        &id,
        &timetable,
        kind,
        body,
        Limits::default(),
        now,
    );
    let _ = boards.publish("caudry");
    if let Ok(mut message) = gtfs_realtime::FeedMessage::decode(body) {
        boards.realtime = RealtimeStore::default();
        message.header.timestamp = Some(now.timestamp() as u64);
        let _ = ingest(
            &boards.realtime,
            &id,
            &timetable,
            kind,
            &message.encode_to_vec(),
            Limits::default(),
            now,
        );
        let published = boards.publish("caudry").expect("the station exists");
        // Whatever the upstream says, the board stays a board: serialisable.
        let _ = serde_json::to_string(&*published.wire).expect("a board serialises");
    }
});
