//! What a technician sees when a configuration or a feed is wrong: the server refuses
//! to start with a message that names the file, the place and the reason.

use quai_tests::binary::{Binary, config_for, demo_copy, zip_folder};

fn feed_server() -> Binary {
    Binary::new(env!("CARGO_BIN_EXE_feed-server"))
}

fn start_error(args: &[&str], cwd: &std::path::Path) -> String {
    let out = feed_server().run(args, cwd);
    assert!(
        !out.ok,
        "feed-server should have failed; stderr:\n{}",
        out.stderr
    );
    out.stderr
}

#[test]
fn a_bad_time_in_stop_times_names_file_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    demo_copy(&dir.path().join("gtfs"), |name, text| {
        if name != "stop_times.txt" {
            return Some(text);
        }
        // Line 5 of the file (the 4th data row) gets a time that is not HH:MM:SS.
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let fields: Vec<&str> = lines[4].split(',').collect();
        let mut fields: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
        fields[1] = "7h45".into();
        lines[4] = fields.join(",");
        Some(lines.join("\n") + "\n")
    });
    let config = config_for(dir.path(), "gtfs", "\"CAUDRY\"");
    let err = start_error(&["check", "--config", config.to_str().unwrap()], dir.path());
    assert!(
        err.contains("stop_times.txt, line 5, column 2 (arrival_time): '7h45' is not a valid time"),
        "{err}"
    );
}

#[test]
fn a_missing_required_file_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    demo_copy(&dir.path().join("gtfs"), |name, text| {
        (name != "stops.txt").then_some(text)
    });
    let zip = zip_folder(&dir.path().join("gtfs"));
    std::fs::write(dir.path().join("feed.zip"), zip).expect("write zip");
    let config = config_for(dir.path(), "feed.zip", "\"CAUDRY\"");
    let err = start_error(&["serve", "--config", config.to_str().unwrap()], dir.path());
    assert!(err.contains("required file stops.txt is missing"), "{err}");
    assert!(err.contains("feed.zip"), "{err}");
}

#[test]
fn an_empty_required_table_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A download cut short can leave a table at 0 bytes: no departures at all is
    // an error to report, not a timetable to serve.
    demo_copy(&dir.path().join("gtfs"), |name, text| {
        Some(if name == "stop_times.txt" {
            String::new()
        } else {
            text
        })
    });
    let config = config_for(dir.path(), "gtfs", "\"CAUDRY\"");
    let err = start_error(&["check", "--config", config.to_str().unwrap()], dir.path());
    assert!(
        err.contains("feed `net`: stop_times.txt: the file is empty"),
        "{err}"
    );
}

#[test]
fn a_truncated_zip_is_reported_as_such() {
    let dir = tempfile::tempdir().expect("tempdir");
    demo_copy(&dir.path().join("gtfs"), |_, text| Some(text));
    let zip = zip_folder(&dir.path().join("gtfs"));
    std::fs::write(dir.path().join("feed.zip"), &zip[..zip.len() / 2]).expect("write zip");
    let config = config_for(dir.path(), "feed.zip", "\"CAUDRY\"");
    let err = start_error(&["check", "--config", config.to_str().unwrap()], dir.path());
    assert!(err.contains("is not a readable zip archive"), "{err}");
}

#[test]
fn a_missing_feed_file_and_an_unknown_stop_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config_for(dir.path(), "nothing-here.zip", "\"CAUDRY\"");
    let err = start_error(&["check", "--config", config.to_str().unwrap()], dir.path());
    assert!(err.contains("feed `net`: cannot read"), "{err}");
    assert!(err.contains("nothing-here.zip"), "{err}");

    demo_copy(&dir.path().join("gtfs"), |_, text| Some(text));
    let config = config_for(dir.path(), "gtfs", "\"CAUDRY\", \"GARE_DU_NORD\"");
    let err = start_error(&["check", "--config", config.to_str().unwrap()], dir.path());
    assert!(
        err.contains("station `caudry`: stop `GARE_DU_NORD` is not in feed `net`"),
        "{err}"
    );
}

#[test]
fn a_bad_config_names_the_file_and_the_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("station.toml");
    std::fs::write(
        &path,
        "[[feeds]]\nid = \"net\"\ngtfs = \"gtfs\"\n[[stations]]\nid = \"caudry\"\nname = \"Caudry\"\ntimezone = \"Europe/Caudry\"\nstops = { net = [\"CAUDRY\"] }\n",
    )
    .expect("write");
    let err = start_error(&["--config", path.to_str().unwrap()], dir.path());
    assert!(
        err.contains("station.toml: stations[0].timezone: `Europe/Caudry` is not an IANA timezone"),
        "{err}"
    );

    std::fs::write(&path, "[[feeds]\nid = 1\n").expect("write");
    let err = start_error(&["--config", path.to_str().unwrap()], dir.path());
    assert!(
        err.contains("station.toml: TOML parse error at line 1"),
        "{err}"
    );

    let err = start_error(&["--config", "absent.toml"], dir.path());
    assert!(
        err.contains("cannot read configuration absent.toml"),
        "{err}"
    );
}

#[test]
fn check_summarises_feeds_and_stations() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = feed_server().run(&["check", "--now", "2026-03-09T07:30:00+01:00"], dir.path());
    assert!(out.ok, "{}", out.stderr);
    let stdout = out.stdout;
    assert!(
        stdout.contains("configuration: <embedded Caudry demo>"),
        "{stdout}"
    );
    assert!(
        stdout.contains("feed demo: 2 agencies, 10 routes, 277 trips, 1864 stop_times"),
        "{stdout}"
    );
    assert!(
        stdout.contains("service days 2025-01-01 to 2035-12-31"),
        "{stdout}"
    );
    assert!(
        stdout.contains("station caudry (Caudry – Pôle d'échanges): 9 stops matched; 133 departures on service day 2026-03-09"),
        "{stdout}"
    );
}

#[test]
fn a_zip_bomb_is_refused_before_the_parser_holds_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 8 MiB of empty lines in stop_times.txt: deflated about 1,000 to 1.
    demo_copy(&dir.path().join("gtfs"), |name, text| {
        if name != "stop_times.txt" {
            return Some(text);
        }
        let header = text.lines().next().unwrap_or_default().to_string();
        Some(header + &"\n".repeat(8 * 1024 * 1024))
    });
    let zip = zip_folder(&dir.path().join("gtfs"));
    assert!(
        zip.len() < 256 * 1024,
        "the bomb compresses: {} bytes",
        zip.len()
    );
    std::fs::write(dir.path().join("feed.zip"), zip).expect("write zip");
    let config = config_for(dir.path(), "feed.zip", "\"CAUDRY\"");
    let err = start_error(&["check", "--config", config.to_str().unwrap()], dir.path());
    assert!(
        err.contains("stop_times.txt inflates more than 200 times its compressed size"),
        "{err}"
    );
}

#[test]
fn an_endless_line_in_a_table_is_refused_with_its_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    demo_copy(&dir.path().join("gtfs"), |name, text| {
        if name != "stops.txt" {
            return Some(text);
        }
        // Line 3 gets a stop name of 100,000 bytes.
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines.insert(2, format!("LONG,{},50.1,3.4", "x".repeat(100_000)));
        Some(lines.join("\n") + "\n")
    });
    let zip = zip_folder(&dir.path().join("gtfs"));
    std::fs::write(dir.path().join("feed.zip"), zip).expect("write zip");
    let config = config_for(dir.path(), "feed.zip", "\"CAUDRY\"");
    let err = start_error(&["check", "--config", config.to_str().unwrap()], dir.path());
    assert!(
        err.contains("stops.txt, line 3: longer than 65536 bytes"),
        "{err}"
    );
}

/// The demo feed zipped, with `extra` entries appended.
fn demo_zip_with(dir: &std::path::Path, skip: &str, extra: &[(&str, String)]) -> Vec<u8> {
    use std::io::Write as _;
    demo_copy(&dir.join("gtfs"), |name, text| {
        (name != skip).then_some(text)
    });
    let mut zip = zip::ZipWriter::new_append(std::io::Cursor::new(zip_folder(&dir.join("gtfs"))))
        .expect("append");
    for (name, text) in extra {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("entry");
        zip.write_all(text.as_bytes()).expect("write");
    }
    zip.finish().expect("zip").into_inner()
}

#[test]
fn a_table_in_a_folder_is_checked_like_the_others() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Tables are found by file name in any folder: one there is read, and checked.
    let long = format!("stop_id,stop_name\nX,{}\n", "x".repeat(100_000));
    let bytes = demo_zip_with(dir.path(), "stops.txt", &[("network/stops.txt", long)]);
    std::fs::write(dir.path().join("feed.zip"), bytes).expect("write zip");
    let config = config_for(dir.path(), "feed.zip", "\"CAUDRY\"");
    let err = start_error(&["check", "--config", config.to_str().unwrap()], dir.path());
    assert!(
        err.contains("network/stops.txt, line 2: longer than 65536 bytes"),
        "{err}"
    );
}

#[test]
fn finder_resource_forks_are_never_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    // macOS zips carry __MACOSX/ (AppleDouble files, never tables): even one named
    // like a table, and over every limit, is left alone; the real stops.txt is read.
    let junk = format!("stop_id,stop_name\nX,{}\n", "x".repeat(100_000));
    let bytes = demo_zip_with(dir.path(), "", &[("__MACOSX/stops.txt", junk)]);
    std::fs::write(dir.path().join("feed.zip"), bytes).expect("write zip");
    let config = config_for(dir.path(), "feed.zip", "\"CAUDRY\"");
    let out = feed_server().run(
        &[
            "check",
            "--config",
            config.to_str().unwrap(),
            "--now",
            "2026-03-09T07:30:00+01:00",
        ],
        dir.path(),
    );
    assert!(out.ok, "{}", out.stderr);
    assert!(out.stdout.contains("1864 stop_times"), "{}", out.stdout);
}

#[test]
fn bad_nats_options_are_refused_with_their_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let nats = "nats://127.0.0.1:4222";
    for (args, reason) in [
        (
            vec![
                "serve",
                "--role",
                "edge",
                "--nats",
                nats,
                "--nats-replicas",
                "3",
            ],
            "--nats-replicas is for ingest nodes",
        ),
        (
            vec![
                "serve",
                "--role",
                "ingest",
                "--nats",
                nats,
                "--nats-replicas",
                "9",
            ],
            "--nats-replicas is 1 to 5",
        ),
        (
            vec!["serve", "--role", "ingest", "--nats", " , "],
            "--nats names no server",
        ),
        (
            vec![
                "serve",
                "--role",
                "edge",
                "--nats",
                "nats://127.0.0.1:4222,not a server",
            ],
            "--nats: `not a server` is not a NATS server's address",
        ),
        (
            vec!["serve", "--nats", nats],
            "--nats is for the ingest and edge roles",
        ),
    ] {
        let err = start_error(&args, dir.path());
        assert!(err.contains(reason), "{args:?}: {err}");
    }
}
