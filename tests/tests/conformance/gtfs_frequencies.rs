//! Google's sample feed: trips from `frequencies.txt`, a removed service day.
//!
//! Checked by hand: on Monday 2008-06-02 only FULLW runs. At STAGECOACH, STBA runs
//! every 30 min from 06:00 and CITY1 every 30 min from 06:00 to 07:59:59 (then every
//! 10 min); CITY2 ends there. CITY2's template leaves its first stop at 06:30 but its
//! first instance starts at 06:00, so its times shift back 30 minutes.

use crate::support::{fixture, row, serve, summary};
use quai_tests::board::BoardExt as _;

const SAMPLE: &str = "gtfs/google-sample-feed/sample-feed.zip";

#[tokio::test]
async fn frequency_trips_are_expanded() {
    let server = serve(
        "dta",
        &fixture(SAMPLE),
        "stagecoach",
        &["STAGECOACH"],
        "2008-06-02T06:00:00-07:00",
    )
    .await;
    let board = server.board("stagecoach", "").await;
    let city = "E Main St / S Irving St (Demo)";
    let got = summary(&board);
    // Same-minute pairs are compared as sets (their order is not part of the contract).
    for (pair, time) in got[..6].chunks(2).zip(["06:00", "06:30", "07:00"]) {
        let mut pair = pair.to_vec();
        pair.sort();
        assert_eq!(
            pair,
            vec![row(time, "30", "Shuttle"), row(time, "40", city)]
        );
    }
    let ids = board.ids();
    assert!(ids.contains(&"dta:STBA@06:00:00:20080602:1"), "{ids:?}");
    assert!(ids.contains(&"dta:STBA@06:30:00:20080602:1"), "{ids:?}");

    let server = serve(
        "dta",
        &fixture(SAMPLE),
        "nanaa",
        &["NANAA"],
        "2008-06-02T06:00:00-07:00",
    )
    .await;
    let got = summary(&server.board("nanaa", "?limit=4").await);
    assert_eq!(
        got,
        vec![
            row("06:07", "40", city),
            row("06:21", "40", "Stagecoach Hotel & Casino (Demo)"),
            row("06:37", "40", city),
            row("06:51", "40", "Stagecoach Hotel & Casino (Demo)"),
        ]
    );
}

#[tokio::test]
async fn a_day_removed_in_calendar_dates_has_no_service() {
    // calendar_dates.txt removes FULLW on Monday 2007-06-04: nothing runs.
    let server = serve(
        "dta",
        &fixture(SAMPLE),
        "stagecoach",
        &["STAGECOACH"],
        "2007-06-04T06:00:00-07:00",
    )
    .await;
    let board = server.board("stagecoach", "").await;
    assert_eq!(board.departures, []);
}
