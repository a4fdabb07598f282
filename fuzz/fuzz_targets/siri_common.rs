//! What the four SIRI targets share: arbitrary bytes as a delivery of one
//! service, XML or SIRI Lite JSON, ingested against the demo timetable with
//! SNCF-style matching and merged into the station's board, which must stay a
//! board.

use crate::common;

use std::sync::Mutex;

use feed_server::config::SiriService;
use feed_server::publish::Boards;
use feed_server::realtime::RealtimeStore;
use feed_server::realtime::siri::{Context, References, ingest};

const CONFIG: &str = "[[feeds]]\nid = \"demo\"\ngtfs = \"builtin:caudry-demo\"\n\
    [feeds.siri]\nestimated_timetable_url = \"self:/et\"\nstop_monitoring_url = \"self:/sm\"\n\
    monitoring_refs = [\"CAUDRY\"]\nsituation_exchange_url = \"self:/sx\"\n\
    general_message_url = \"self:/gm\"\n\
    [feeds.siri.match]\nstop_pattern = '^(?:StopArea:OCE)?(.+)$'\n\
    [[stations]]\nid = \"caudry\"\nname = \"Caudry\"\nstops = { demo = [\"CAUDRY\"] }\n";

static STATE: Mutex<Option<(Boards, References)>> = Mutex::new(None);

/// Feeds `body` to the server as a `service` delivery.
pub fn run(service: SiriService, body: &[u8]) {
    let mut guard = STATE.lock().unwrap_or_else(|e| e.into_inner());
    let (boards, refs) = guard.get_or_insert_with(|| {
        let boards = Boards::new(
            std::sync::Arc::new(common::deployment_of(CONFIG)),
            feed_server::clock::Clock::Fixed(common::now()),
        );
        let feed = boards.deployment.feeds.iter().next().expect("the demo feed");
        let matching = feed
            .config
            .siri
            .as_ref()
            .expect("[feeds.siri]")
            .matching
            .clone();
        let refs = References::new(&feed.timetable, matching);
        (boards, refs)
    });
    let feed = boards.deployment.feeds.iter().next().expect("the demo feed");
    let (id, timetable) = (feed.id.clone(), feed.timetable.clone());
    boards.realtime = RealtimeStore::default();
    let cx = Context {
        feed: &id,
        timetable: &timetable,
        refs,
        delay_bounds: Default::default(),
    };
    let _ = ingest(&boards.realtime, &cx, service, body, common::now());
    let published = boards.publish("caudry").expect("the station exists");
    let _ = serde_json::to_string(&*published.wire).expect("a board serialises");
}
