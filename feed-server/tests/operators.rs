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

/// Issue 15, point 9: a name is a handle for the audit log and for `operator
/// list` (one tab-separated line each), so it cannot pose as the command line
/// (`admin`) nor break a line.
#[test]
fn operator_names_cannot_forge_the_audit_or_the_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in [
        "admin",
        "gare\tstation:caudry\tactive",
        "gare\nfausse",
        "",
        "Gare",
        ".x",
    ] {
        let out = add(dir.path(), name, "station:caudry");
        assert!(!out.ok, "{name:?} accepted: {}", out.stdout);
        assert!(
            out.stderr.contains("choose another name") || out.stderr.contains("1 to 64 characters"),
            "{name:?}: {}",
            out.stderr
        );
    }
    let out = add(dir.path(), "gare.nord_2", "station:caudry");
    assert!(out.ok, "{}", out.stderr);
    assert_eq!(list(dir.path()).lines().count(), 1);
}

/// The store is readable by its owner only, and its audit log is a hash chain:
/// `feed-server audit --verify` finds an entry changed or removed behind the
/// server's back.
#[test]
fn the_store_is_private_and_its_audit_log_tamper_evident() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["gare", "ligne4", "nuit"] {
        assert!(add(dir.path(), name, "station:caudry").ok);
    }
    let db = dir.path().join("data").join("quai.db");
    let mode = std::fs::metadata(&db)
        .expect("quai.db")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "quai.db has mode {:o}", mode & 0o777);

    let data = dir.path().join("data");
    let verify = || {
        feed_server().run(
            &[
                "audit",
                "--verify",
                "--data-dir",
                data.to_str().expect("path"),
            ],
            dir.path(),
        )
    };
    let out = verify();
    assert!(out.ok, "{}", out.stderr);
    assert!(out.stdout.contains("3 entries chained"), "{}", out.stdout);

    // Someone with the file rewrites who added the second operator.
    let conn = rusqlite::Connection::open(&db).expect("open");
    conn.execute("UPDATE audit SET operator = 'gare' WHERE seq = 2", [])
        .expect("tamper");
    let out = verify();
    assert!(!out.ok, "a rewritten entry passed: {}", out.stdout);
    assert!(out.stderr.contains("audit entry 2 "), "{}", out.stderr);
    conn.execute("UPDATE audit SET operator = 'admin' WHERE seq = 2", [])
        .expect("undo");
    assert!(verify().ok);
    // Or removes it.
    conn.execute("DELETE FROM audit WHERE seq = 2", [])
        .expect("delete");
    let out = verify();
    assert!(!out.ok, "a removed entry passed: {}", out.stdout);
}
