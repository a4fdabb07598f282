//! Caltrain 2023 at San Francisco (parent `san_francisco`, platforms 70011/70012).
//!
//! Checked by hand: Wednesday 2023-11-08 runs service 72982 only; between 07:00 and
//! 10:00 ten trains leave stop 70012. The twelve that end at San Francisco (701 at
//! 7:03, 105 at 7:31, ...) are arrivals and must not appear. Times in the feed have
//! unpadded hours ("7:04:00").

use crate::support::{fixture, row, serve, summary};

#[tokio::test]
async fn san_francisco_on_a_weekday_morning() {
    let server = serve(
        "caltrain",
        &fixture("gtfs/caltrain-2023/ct.zip"),
        "sf",
        &["san_francisco"],
        "2023-11-08T07:00:00-08:00",
    )
    .await;
    let board = server.board("sf", "?limit=50").await;
    let diridon = "San Jose Diridon";
    assert_eq!(
        summary(&board),
        vec![
            row("07:04", "B7", diridon),
            row("07:10", "L4", diridon),
            row("07:25", "L3", diridon),
            row("07:37", "L1", diridon),
            row("08:04", "B7", diridon),
            row("08:10", "L4", diridon),
            row("08:25", "L3", diridon),
            row("08:37", "L1", "Tamien"),
            row("09:12", "L5", diridon),
            row("09:36", "L1", diridon),
        ]
    );
    let first = &board.departures[0];
    assert_eq!(first.scheduled, "2023-11-08T07:04:00-08:00");
    assert_eq!(first.stop_id, "caltrain:70012");
    assert_eq!(first.trip_number.as_deref(), Some("704"));
    assert_eq!(board.station.timezone, "America/Los_Angeles");
}
