//! `feed-server operator add|list|revoke`, as the technician types them: a scope
//! that names nothing is refused with the reason, before any token is made.

use quai_tests::binary::{Binary, Output};

fn feed_server() -> Binary {
    Binary::new(env!("CARGO_BIN_EXE_feed-server"))
}

fn add(dir: &std::path::Path, name: &str, scope: &str) -> Output {
    let data = dir.join("data");
    feed_server().run(
        &[
            "operator",
            "add",
            name,
            "--scope",
            scope,
            "--data-dir",
            data.to_str().expect("path"),
        ],
        dir,
    )
}

fn list(dir: &std::path::Path) -> String {
    let data = dir.join("data");
    let out = feed_server().run(
        &[
            "operator",
            "list",
            "--data-dir",
            data.to_str().expect("path"),
        ],
        dir,
    );
    assert!(out.ok, "{}", out.stderr);
    out.stdout
}

#[test]
fn scopes_are_checked_against_the_stations_and_the_timetables() {
    let dir = tempfile::tempdir().expect("tempdir");

    // A route of the demo timetable, and the demo's station.
    let out = add(dir.path(), "ligne4", "route:CA2C:4");
    assert!(out.ok, "{}", out.stderr);
    let token = out.stdout;
    assert!(token.trim().len() >= 32, "a token: {token:?}");
    let out = add(dir.path(), "gare", "station:caudry");
    assert!(out.ok, "{}", out.stderr);

    // A route that no timetable has: refused, and said why.
    let out = add(dir.path(), "typo", "route:CA2C:44");
    assert!(!out.ok, "accepted: {}", out.stdout);
    assert!(out.stderr.contains("no route `CA2C:44`"), "{}", out.stderr);
    // A station that the configuration does not have: refused, with the choices.
    let out = add(dir.path(), "ailleurs", "station:cambrai");
    assert!(!out.ok);
    assert!(
        out.stderr.contains("station:ID (one of caudry)"),
        "{}",
        out.stderr
    );
    // Nor anything else.
    let out = add(dir.path(), "vague", "ligne:4");
    assert!(!out.ok);
    assert!(out.stderr.contains("scope `ligne:4`"), "{}", out.stderr);

    // Only the two good ones were added.
    let listed = list(dir.path());
    let names: Vec<&str> = listed
        .lines()
        .filter_map(|l| l.split('\t').next())
        .collect();
    assert_eq!(names, vec!["gare", "ligne4"], "{listed}");
    assert!(listed.contains("ligne4\troute:CA2C:4\tactive"), "{listed}");
}
