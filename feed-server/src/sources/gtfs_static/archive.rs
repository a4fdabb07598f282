//! Reading archives defensively: every entry inflated and counted before the
//! parser sees it (zip bombs, endless lines, corrupt archives), and tables with
//! rows shorter than their header padded (some real feeds end rows early).

use std::io::{Cursor, Read as _};

use gtfs_structures::RawGtfs;

use super::{Archive, FeedError};

/// Whether a table we use failed on a row with fewer fields than its header.
pub(super) fn has_short_rows(raw: &RawGtfs) -> bool {
    fn short<T>(r: Option<&Result<Vec<T>, gtfs_structures::Error>>) -> bool {
        matches!(r, Some(Err(gtfs_structures::Error::CSVError { source, .. }))
            if matches!(source.kind(), csv::ErrorKind::Deserialize { err, .. }
                if matches!(err.kind(), csv::DeserializeErrorKind::UnexpectedEndOfRow)))
    }
    short(Some(&raw.agencies))
        || short(Some(&raw.routes))
        || short(Some(&raw.stops))
        || short(Some(&raw.trips))
        || short(Some(&raw.stop_times))
        || short(raw.calendar.as_ref())
        || short(raw.calendar_dates.as_ref())
        || short(raw.frequencies.as_ref())
}

/// A copy of the archive (zip or folder) whose `.txt` tables have every row padded
/// to the length of the header.
pub(super) fn pad_short_rows(archive: &Archive) -> Result<Vec<u8>, String> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    match archive {
        Archive::Zip(bytes) => {
            let mut zip =
                zip::ZipArchive::new(Cursor::new(bytes.as_slice())).map_err(|e| e.to_string())?;
            for i in 0..zip.len() {
                let mut entry = zip.by_index(i).map_err(|e| e.to_string())?;
                if entry.is_dir() {
                    continue;
                }
                let mut data = Vec::new();
                entry.read_to_end(&mut data).map_err(|e| e.to_string())?;
                files.push((entry.name().to_string(), data));
            }
        }
        Archive::Folder(path) => {
            for entry in std::fs::read_dir(path).map_err(|e| e.to_string())? {
                let entry = entry.map_err(|e| e.to_string())?;
                if entry.path().is_file() {
                    let data = std::fs::read(entry.path()).map_err(|e| e.to_string())?;
                    files.push((entry.file_name().to_string_lossy().into_owned(), data));
                }
            }
        }
    }
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in files {
        let data = if name.ends_with(".txt") && !name.contains("__MACOSX") {
            pad_table(&data).map_err(|e| format!("{name}: {e}"))?
        } else {
            data
        };
        out.start_file(name, options).map_err(|e| e.to_string())?;
        std::io::Write::write_all(&mut out, &data).map_err(|e| e.to_string())?;
    }
    Ok(out.finish().map_err(|e| e.to_string())?.into_inner())
}

fn pad_table(data: &[u8]) -> Result<Vec<u8>, csv::Error> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(data);
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let mut width = None;
    for record in reader.byte_records() {
        let mut record = record?;
        let n = *width.get_or_insert(record.len());
        while record.len() < n {
            record.push_field(b"");
        }
        writer.write_byte_record(&record)?;
    }
    writer
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}

/// At most this many entries in a GTFS archive.
pub const MAX_ZIP_ENTRIES: usize = 10_000;
/// At most this many bytes once inflated, all entries together.
pub const MAX_INFLATED: u64 = 2 * 1024 * 1024 * 1024;
/// An entry over 1 MiB may inflate to at most this many times its compressed
/// size (real timetables: 5 to 30; zip bombs: about 1,000).
pub const MAX_RATIO: u64 = 200;
/// The longest line accepted in a table, in bytes (a real row is under 1 KiB).
pub const MAX_LINE: usize = 64 * 1024;

/// Opens the archive once on our own before handing it over, so that a truncated or
/// corrupt zip is reported as such (and not as a missing file), and so that a zip
/// bomb or a table with an endless line is refused before the parser holds it in
/// memory. Every entry is inflated here as a stream, counting what comes out: the
/// sizes an archive declares are not trusted.
pub(super) fn check_zip(feed_id: &str, location: &str, bytes: &[u8]) -> Result<(), FeedError> {
    let archive_err = |reason: String| FeedError::Archive {
        feed: feed_id.to_string(),
        location: location.to_string(),
        reason,
    };
    let mut zip =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| archive_err(e.to_string()))?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(archive_err(format!(
            "{} entries (at most {MAX_ZIP_ENTRIES})",
            zip.len()
        )));
    }
    let mut inflated = 0u64;
    let mut chunk = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| archive_err(e.to_string()))?;
        let name = entry.name().to_string();
        if entry.is_dir() {
            continue;
        }
        // Every entry is inflated and counted (the padding of short rows reads them
        // all); lines are checked in the tables, found as the parser finds them: by
        // file name, whatever folder they are in (shapes are not read).
        let base = std::path::Path::new(&name)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let table = base.ends_with(".txt") && base != "shapes.txt";
        let compressed = entry.compressed_size().max(1);
        let (mut size, mut line, mut line_len) = (0u64, 1u64, 0usize);
        loop {
            let n = entry
                .read(&mut chunk)
                .map_err(|e| archive_err(format!("{name}: {e}")))?;
            if n == 0 {
                break;
            }
            size += n as u64;
            inflated += n as u64;
            if inflated > MAX_INFLATED {
                return Err(archive_err(format!(
                    "inflates to more than {MAX_INFLATED} bytes"
                )));
            }
            if size > 1024 * 1024 && size / compressed > MAX_RATIO {
                return Err(archive_err(format!(
                    "{name} inflates more than {MAX_RATIO} times its compressed size (a zip bomb?)"
                )));
            }
            if !table {
                continue;
            }
            for &b in &chunk[..n] {
                if b == b'\n' {
                    line += 1;
                    line_len = 0;
                } else {
                    line_len += 1;
                    if line_len > MAX_LINE {
                        return Err(FeedError::Read {
                            feed: feed_id.to_string(),
                            location: location.to_string(),
                            reason: format!("{name}, line {line}: longer than {MAX_LINE} bytes"),
                        });
                    }
                }
            }
        }
    }
    Ok(())
}
