//! GTFS-Realtime: arbitrary bytes as a FeedMessage of each kind, ingested against
//! the demo timetable and merged into the station's board. When they decode, the
//! message is ingested a second time dated now, so the merge sees it as fresh.

#![no_main]

mod common;

use std::sync::Mutex;

use feed_server::realtime::{Kind, RealtimeStore};
use feed_server::server::AppState;
use feed_server::sources::gtfs_rt::ingest;
use libfuzzer_sys::fuzz_target;
use prost::Message as _;

static STATE: Mutex<Option<AppState>> = Mutex::new(None);

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let kind = match selector % 3 {
        0 => Kind::TripUpdates,
        1 => Kind::VehiclePositions,
        _ => Kind::Alerts,
    };
    let mut guard = STATE.lock().unwrap_or_else(|e| e.into_inner());
    let state = guard.get_or_insert_with(common::state);
    state.realtime = RealtimeStore::default();
    let _ = ingest(state, 0, kind, body);
    let _ = state.publish("caudry");
    if let Ok(mut message) = gtfs_realtime::FeedMessage::decode(body) {
        state.realtime = RealtimeStore::default();
        message.header.timestamp = Some(common::now().timestamp() as u64);
        let _ = ingest(state, 0, kind, &message.encode_to_vec());
        let board = state.publish("caudry").expect("the station exists");
        // Whatever the upstream says, the board stays a board: serialisable, and
        // in time order.
        let _ = serde_json::to_string(&*board).expect("a board serialises");
    }
});
