//! `feed-server operator add|list|revoke`, as the technician types them: a scope
//! that names nothing is refused with the reason, before any token is made.

mod support;

use support::run;

fn add(dir: &std::path::Path, name: &str, scope: &str) -> (bool, String, String) {
    let data = dir.join("data");
    run(
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
    let (ok, out, err) = run(
        &[
            "operator",
            "list",
            "--data-dir",
            data.to_str().expect("path"),
        ],
        dir,
    );
    assert!(ok, "{err}");
    out
}

#[test]
fn scopes_are_checked_against_the_stations_and_the_timetables() {
    let dir = tempfile::tempdir().expect("tempdir");

    // A route of the demo timetable, and the demo's station.
    let (ok, token, err) = add(dir.path(), "ligne4", "route:CA2C:4");
    assert!(ok, "{err}");
    assert!(token.trim().len() >= 32, "a token: {token:?}");
    let (ok, _, err) = add(dir.path(), "gare", "station:caudry");
    assert!(ok, "{err}");

    // A route that no timetable has: refused, and said why.
    let (ok, out, err) = add(dir.path(), "typo", "route:CA2C:44");
    assert!(!ok, "accepted: {out}");
    assert!(err.contains("no route `CA2C:44`"), "{err}");
    // A station that the configuration does not have: refused, with the choices.
    let (ok, _, err) = add(dir.path(), "ailleurs", "station:cambrai");
    assert!(!ok);
    assert!(err.contains("station:ID (one of caudry)"), "{err}");
    // Nor anything else.
    let (ok, _, err) = add(dir.path(), "vague", "ligne:4");
    assert!(!ok);
    assert!(err.contains("scope `ligne:4`"), "{err}");

    // Only the two good ones were added.
    let listed = list(dir.path());
    let names: Vec<&str> = listed
        .lines()
        .filter_map(|l| l.split('\t').next())
        .collect();
    assert_eq!(names, vec!["gare", "ligne4"], "{listed}");
    assert!(listed.contains("ligne4\troute:CA2C:4\tactive"), "{listed}");
}
