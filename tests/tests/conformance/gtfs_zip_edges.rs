//! Archives as they come: files in a sub-folder with `__MACOSX` resource forks (TER
//! 2019), and unknown extra files including a malformed CSV (transitland example).

use crate::support::{fixture, row, serve, summary};

#[tokio::test]
async fn a_zip_with_a_subfolder_and_macosx_entries_loads() {
    // Checked by hand: Tuesday 2019-10-01, services from calendar.txt; Caudry is
    // "Gare de Caudry" with a train and a coach platform; trip_headsign is numeric.
    let server = serve(
        "ter",
        &fixture("gtfs/sncf-ter-2019-09-macosx-nested/export-ter-gtfs-last.zip"),
        "caudry",
        &["StopArea:OCE87345561"],
        "2019-10-01T07:00:00+02:00",
    )
    .await;
    let got = summary(&server.board("caudry", "?limit=5").await);
    assert_eq!(
        got,
        vec![
            row("07:14", "", "Gare de Cambrai Ville"),
            row("07:27", "", "Gare de St Quentin"),
            row("07:35", "", "Gare de Lille Flandres"),
            row("08:27", "", "Gare de St Quentin"),
            row("08:35", "", "Gare de Lille Flandres"),
        ]
    );
}

#[tokio::test]
async fn unknown_extra_files_do_not_fail_the_load() {
    // example.zip is the sample feed plus LICENSE.txt and a broken malformed.txt.
    let server = serve(
        "ex",
        &fixture("gtfs/transitland-example-edge/example.zip"),
        "stagecoach",
        &["STAGECOACH"],
        "2008-06-02T06:00:00-07:00",
    )
    .await;
    let board = server.board("stagecoach", "").await;
    assert_eq!(board.departures.len(), 12);
    assert_eq!(board.departures[0].scheduled, "2008-06-02T06:00:00-07:00");
}
