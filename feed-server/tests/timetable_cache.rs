//! A restart with an unchanged feed reads the compiled timetable kept by the last
//! run instead of the GTFS archive; a changed feed, a changed configuration or a
//! damaged file sends it back to the archive, and nothing a passenger sees
//! differs.

use std::path::Path;
use std::time::Duration;

use feed_server::timetable::cache::SETTLED;
use quai_tests::binary::{Binary, Server, config_for, demo_copy, wait_until};

fn feed_server() -> Binary {
    Binary::new(env!("CARGO_BIN_EXE_feed-server"))
}

const NOW: &str = "2026-03-09T07:30:00+01:00";

/// Where the feed's timetable came from, as `/metrics` says.
async fn loaded_from(server: &Server) -> String {
    let metrics = server.try_metrics().await.expect("metrics");
    let line = metrics
        .lines()
        .find(|l| l.starts_with("quai_feed_load_seconds{feed=\"net\""))
        .unwrap_or_else(|| panic!("no load metric in:\n{metrics}"))
        .to_string();
    line.split("from=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_string()
}

/// The board as JSON text, without what changes from one request to the next.
async fn board(server: &Server) -> String {
    let mut board = serde_json::to_value(server.board("caudry", "?limit=30").await).expect("json");
    if let Some(b) = board.as_object_mut() {
        b.remove("generated_at");
        b.remove("seq");
    }
    board.to_string()
}

fn start(config: &str, data: &str) -> Server {
    start_logging("warn", config, data)
}

fn start_logging(filter: &str, config: &str, data: &str) -> Server {
    feed_server()
        .logging(filter)
        .start(&["--config", config, "--data-dir", data, "--now", NOW])
}

#[tokio::test]
async fn an_unchanged_feed_is_not_read_again_and_a_changed_one_is() {
    let dir = tempfile::tempdir().expect("tempdir");
    demo_copy(&dir.path().join("gtfs"), |_, text| Some(text));
    let config = config_for(dir.path(), "gtfs", "\"CAUDRY\"");
    let config = config.to_str().expect("utf-8 path");
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf-8 path");
    let file = dir.path().join("data/timetables/net.timetable");

    let cold = start(config, data);
    assert_eq!(loaded_from(&cold).await, "archive");
    let expected = board(&cold).await;
    assert!(expected.contains("departures"), "{expected}");
    // Written in the background once the feed is served.
    assert!(
        wait_until(Duration::from_secs(10), || file.exists()),
        "no {}",
        file.display()
    );
    drop(cold);

    let warm = start(config, data);
    assert_eq!(loaded_from(&warm).await, "cache");
    assert_eq!(board(&warm).await, expected);
    drop(warm);

    // A damaged file is ignored with a warning, and written anew.
    let mut bytes = std::fs::read(&file).expect("cache file");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&file, &bytes).expect("damage");
    let repaired = start(config, data);
    assert_eq!(loaded_from(&repaired).await, "archive");
    assert_eq!(board(&repaired).await, expected);
    assert!(
        repaired.logs().contains("is damaged: checksum mismatch"),
        "{}",
        repaired.logs()
    );
    assert!(wait_until(Duration::from_secs(10), || {
        std::fs::read(&file).is_ok_and(|b| b != bytes)
    }));
    drop(repaired);
    let warm = start(config, data);
    assert_eq!(loaded_from(&warm).await, "cache");
    drop(warm);

    // A truncated file (a disk that filled up under another program) likewise.
    let whole = std::fs::read(&file).expect("cache file");
    std::fs::write(&file, &whole[..whole.len() / 3]).expect("truncate");
    let server = start(config, data);
    assert_eq!(loaded_from(&server).await, "archive");
    // Written anew (the same size: the same timetable, its services perhaps in
    // another order).
    assert!(wait_until(Duration::from_secs(10), || {
        std::fs::metadata(&file).is_ok_and(|m| m.len() == whole.len() as u64)
    }));
    drop(server);

    // The feed changes: a destination is renamed. The new name is on the board at once.
    demo_copy(&dir.path().join("gtfs"), |name, text| {
        Some(if name == "trips.txt" {
            text.replace(",Cambrai,", ",Cambrai-Ville,")
        } else {
            text
        })
    });
    let changed = start(config, data);
    assert_eq!(loaded_from(&changed).await, "archive");
    let board = board(&changed).await;
    assert!(board.contains("Cambrai-Ville"), "{board}");
}

/// `dir`'s files in a zip of stored (not deflated) entries: a change of a word for
/// another of the same length leaves the archive's length as it was.
fn stored_zip(dir: &Path) -> Vec<u8> {
    use std::io::Write as _;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        zip.start_file(name.as_str(), options).expect("zip entry");
        zip.write_all(&std::fs::read(dir.join(&name)).expect("read"))
            .expect("zip write");
    }
    zip.finish().expect("zip").into_inner()
}

/// Whether the server said it did not read the archive.
fn archive_not_read(server: &Server) -> bool {
    server
        .logs()
        .contains("archive unchanged since its timetable was kept: not read")
}

#[tokio::test]
async fn an_archive_file_left_alone_is_not_read_and_one_rewritten_in_place_is() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("gtfs");
    demo_copy(&folder, |_, text| Some(text));
    let archive = dir.path().join("net.zip");
    std::fs::write(&archive, stored_zip(&folder)).expect("zip");
    let config = config_for(dir.path(), "net.zip", "\"CAUDRY\"");
    let config = config.to_str().expect("utf-8 path");
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf-8 path");
    let file = dir.path().join("data/timetables/net.timetable");
    let start = || start_logging("feed_server=debug", config, data);
    let kept = || std::fs::metadata(&file).and_then(|m| m.modified()).ok();

    // Just written: a stamp taken now cannot vouch for it yet (a write in the
    // same clock tick could follow unseen), so the next start reads it again.
    let cold = start();
    assert_eq!(loaded_from(&cold).await, "archive");
    let expected = board(&cold).await;
    assert!(wait_until(Duration::from_secs(10), || kept().is_some()));
    drop(cold);
    let warm = start();
    assert_eq!(loaded_from(&warm).await, "cache");
    assert!(!archive_not_read(&warm), "{}", warm.logs());
    assert_eq!(board(&warm).await, expected);
    drop(warm);

    // Written again, the same bytes (whatever stamp a slow start kept no longer
    // matches). Once it has settled, found by its content, the timetable
    // is kept again with the stamp taken then, and the next start does not read
    // the archive at all.
    std::fs::write(&archive, std::fs::read(&archive).expect("archive")).expect("rewrite");
    std::thread::sleep(SETTLED + Duration::from_millis(200));
    let before = kept();
    let warm = start();
    assert_eq!(loaded_from(&warm).await, "cache");
    assert!(!archive_not_read(&warm), "{}", warm.logs());
    assert!(wait_until(Duration::from_secs(10), || kept() != before));
    drop(warm);
    let warm = start();
    assert_eq!(loaded_from(&warm).await, "cache");
    assert!(archive_not_read(&warm), "{}", warm.logs());
    assert_eq!(board(&warm).await, expected);
    drop(warm);

    // Rewritten in place, its length and modification time as they were (as
    // `cp --preserve=timestamps` over it could): its change time gives it away,
    // and the new destination is on the board at once.
    std::thread::sleep(Duration::from_millis(50));
    let old = std::fs::metadata(&archive).expect("archive");
    demo_copy(&folder, |name, text| {
        Some(if name == "trips.txt" {
            text.replace(",Cambrai,", ",Cambrey,")
        } else {
            text
        })
    });
    let changed = stored_zip(&folder);
    assert_eq!(changed.len() as u64, old.len());
    let mut f = std::fs::File::options()
        .write(true)
        .open(&archive)
        .expect("open");
    std::io::Write::write_all(&mut f, &changed).expect("rewrite");
    f.set_modified(old.modified().expect("mtime"))
        .expect("mtime");
    drop(f);
    let server = start();
    assert_eq!(loaded_from(&server).await, "archive");
    let board = board(&server).await;
    assert!(board.contains("Cambrey"), "{board}");
}

#[tokio::test]
async fn the_cache_can_be_turned_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    demo_copy(&dir.path().join("gtfs"), |_, text| Some(text));
    let config = config_for(dir.path(), "gtfs", "\"CAUDRY\"");
    let text = std::fs::read_to_string(&config).expect("config");
    std::fs::write(
        &config,
        format!("[store]\ncache_timetables = false\n{text}"),
    )
    .expect("config");
    let config = config.to_str().expect("utf-8 path");
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf-8 path");
    for _ in 0..2 {
        let server = start(config, data);
        assert_eq!(loaded_from(&server).await, "archive");
    }
    assert!(!dir.path().join("data/timetables").exists());
}
