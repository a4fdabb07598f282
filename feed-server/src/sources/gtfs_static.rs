//! Static GTFS: fetch an archive (file, folder, URL or the built-in demo) and parse it.
//!
//! Parsing is done by `gtfs-structures` (its raw reader: rows as written, no object
//! graph), and its errors are turned into messages that name the file, the line and
//! the column, since a timetable with a bad time somewhere in 300,000 rows must be
//! findable by a person.

use std::io::{Cursor, Read as _};

use gtfs_structures::RawGtfs;

use super::http;
use crate::config::{FeedConfig, GtfsSource};
use crate::id::FeedId;
use crate::timetable::{CompileError, Tables};

/// Why a feed could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("feed `{feed}`: cannot read {location}: {reason}")]
    Read {
        feed: String,
        location: String,
        reason: String,
    },
    #[error("feed `{feed}`: cannot download {url}: {reason}")]
    Fetch {
        feed: String,
        url: String,
        reason: String,
    },
    #[error("feed `{feed}`: {location} is larger than the {max_bytes}-byte limit (feeds[].max_mb)")]
    TooLarge {
        feed: String,
        location: String,
        max_bytes: u64,
    },
    #[error("feed `{feed}`: {location} is not a readable zip archive: {reason}")]
    Archive {
        feed: String,
        location: String,
        reason: String,
    },
    #[error("feed `{feed}`: required file {file} is missing from {location}")]
    MissingFile {
        feed: String,
        location: String,
        file: String,
    },
    /// A row that does not parse. `line` is the 1-based line in the file (the header
    /// is line 1), `column` the 1-based column, with its header name.
    #[error("feed `{feed}`: {file}, line {line}{}: {reason}", column_text(*.column, .field))]
    Csv {
        feed: String,
        file: String,
        line: u64,
        column: Option<u64>,
        field: Option<String>,
        reason: String,
    },
    /// A row that parses but makes no sense (unknown timezone, dangling reference...).
    #[error("feed `{feed}`: {file}{}: {reason}", line_text(*.line))]
    Invalid {
        feed: String,
        file: String,
        line: Option<u64>,
        reason: String,
    },
}

fn column_text(column: Option<u64>, field: &Option<String>) -> String {
    match (column, field) {
        (Some(c), Some(f)) => format!(", column {c} ({f})"),
        (Some(c), None) => format!(", column {c}"),
        _ => String::new(),
    }
}

fn line_text(line: Option<u64>) -> String {
    line.map(|l| format!(", line {l}")).unwrap_or_default()
}

impl FeedError {
    /// A timetable that does not compile, as an error of feed `feed` read from
    /// `location`.
    pub fn compile(feed: &FeedId, location: &str, e: CompileError) -> FeedError {
        match e {
            CompileError::MissingFile(file) => FeedError::MissingFile {
                feed: feed.to_string(),
                location: location.to_string(),
                file,
            },
            CompileError::Invalid { file, line, reason } => FeedError::Invalid {
                feed: feed.to_string(),
                file,
                line,
                reason,
            },
        }
    }
}

/// The bytes (or folder) of a feed, before parsing.
pub enum Archive {
    Zip(Vec<u8>),
    Folder(std::path::PathBuf),
}

/// Fetches the archive of `feed` with its timeout and size cap.
pub async fn fetch(feed: &FeedConfig) -> Result<Archive, FeedError> {
    let loc = feed.gtfs.location();
    match &feed.gtfs {
        GtfsSource::BuiltinDemo => Ok(Archive::Zip(super::builtin::gtfs_zip().map_err(|e| {
            FeedError::Read {
                feed: feed.id.to_string(),
                location: loc,
                reason: e.to_string(),
            }
        })?)),
        GtfsSource::Path(path) => {
            let read_err = |reason: String| FeedError::Read {
                feed: feed.id.to_string(),
                location: loc.clone(),
                reason,
            };
            let meta = tokio::fs::metadata(path)
                .await
                .map_err(|e| read_err(e.to_string()))?;
            if meta.is_dir() {
                return Ok(Archive::Folder(path.clone()));
            }
            if meta.len() > feed.max_bytes {
                return Err(FeedError::TooLarge {
                    feed: feed.id.to_string(),
                    location: loc,
                    max_bytes: feed.max_bytes,
                });
            }
            let bytes = tokio::fs::read(path)
                .await
                .map_err(|e| read_err(e.to_string()))?;
            Ok(Archive::Zip(bytes))
        }
        GtfsSource::Url(url) => download(feed, url.as_str()).await.map(Archive::Zip),
    }
}

async fn download(feed: &FeedConfig, url: &str) -> Result<Vec<u8>, FeedError> {
    let fetch_err = |reason: String| FeedError::Fetch {
        feed: feed.id.to_string(),
        url: url.to_string(),
        reason,
    };
    let timeout_hint = |e: &reqwest::Error| {
        if e.is_timeout() {
            "timed out (feeds[].timeout_s)".to_string()
        } else {
            http::describe(e)
        }
    };
    let client = http::client(feed.timeout).map_err(|e| fetch_err(e.to_string()))?;
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|e| fetch_err(timeout_hint(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(fetch_err(format!("HTTP {status}")));
    }
    http::read_capped(response, feed.max_bytes)
        .await
        .map_err(|e| match e {
            http::BodyError::TooLarge(_) => FeedError::TooLarge {
                feed: feed.id.to_string(),
                location: url.to_string(),
                max_bytes: feed.max_bytes,
            },
            http::BodyError::Transport(reason) => fetch_err(reason),
        })
}

/// Parses an archive into its tables, each error naming file, line and column.
/// CPU-bound: call it from a blocking thread.
pub fn parse(feed_id: &FeedId, location: &str, archive: Archive) -> Result<Tables, FeedError> {
    let feed_id = feed_id.as_str();
    let mut raw = read(feed_id, location, &archive)?;
    if has_short_rows(&raw) {
        // Some feeds (Google's own sample among them) end rows early, leaving out
        // trailing empty fields. The parser refuses such rows; padding them with
        // empty fields keeps their meaning, so do that and read again.
        tracing::warn!(
            feed = feed_id,
            "rows shorter than their header; padding them with empty fields"
        );
        let padded = pad_short_rows(&archive).map_err(|reason| FeedError::Read {
            feed: feed_id.to_string(),
            location: location.to_string(),
            reason,
        })?;
        raw = read(feed_id, location, &Archive::Zip(padded))?;
    }
    let convert = |e| convert(feed_id, location, e);
    Ok(Tables {
        agencies: raw.agencies.map_err(convert)?,
        routes: raw.routes.map_err(convert)?,
        stops: raw.stops.map_err(convert)?,
        calendar: raw.calendar.transpose().map_err(convert)?,
        calendar_dates: raw.calendar_dates.transpose().map_err(convert)?,
        trips: raw.trips.map_err(convert)?,
        stop_times: raw.stop_times.map_err(convert)?,
        frequencies: raw.frequencies.transpose().map_err(convert)?,
    })
}

fn read(feed_id: &str, location: &str, archive: &Archive) -> Result<RawGtfs, FeedError> {
    let reader = gtfs_structures::GtfsReader::default()
        .read_shapes(false)
        .trim_fields(true)
        .raw();
    match archive {
        Archive::Folder(path) => reader.read_from_path(path),
        Archive::Zip(bytes) => {
            check_zip(feed_id, location, bytes)?;
            reader.read_from_reader(Cursor::new(bytes.as_slice()))
        }
    }
    .map_err(|e| convert(feed_id, location, e))
}

/// Whether a table we use failed on a row with fewer fields than its header.
fn has_short_rows(raw: &RawGtfs) -> bool {
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
fn pad_short_rows(archive: &Archive) -> Result<Vec<u8>, String> {
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
fn check_zip(feed_id: &str, location: &str, bytes: &[u8]) -> Result<(), FeedError> {
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

/// Turns a `gtfs-structures` error into one that names file, line and column.
fn convert(feed: &str, location: &str, e: gtfs_structures::Error) -> FeedError {
    use gtfs_structures::Error as G;
    let feed = feed.to_string();
    match e {
        G::MissingFile(file) => FeedError::MissingFile {
            feed,
            location: location.to_string(),
            file,
        },
        G::CSVError {
            file_name,
            source,
            line_in_error,
        } => {
            let (headers, values) = line_in_error
                .map(|l| (l.headers, l.values))
                .unwrap_or_default();
            csv_error(feed, file_name, &source, &headers, &values)
        }
        G::Zip(z) => FeedError::Archive {
            feed,
            location: location.to_string(),
            reason: z.to_string(),
        },
        G::NamedFileIO { file_name, source } => FeedError::Read {
            feed,
            location: format!("{location}: {file_name}"),
            reason: source.to_string(),
        },
        other => FeedError::Read {
            feed,
            location: location.to_string(),
            reason: other.to_string(),
        },
    }
}

fn csv_error(
    feed: String,
    file: String,
    e: &csv::Error,
    headers: &[String],
    values: &[String],
) -> FeedError {
    let (line, field, reason) = match e.kind() {
        csv::ErrorKind::Deserialize { pos, err } => (
            pos.as_ref().map(|p| p.line()),
            err.field(),
            err.kind().to_string(),
        ),
        csv::ErrorKind::Utf8 { pos, err } => (
            pos.as_ref().map(|p| p.line()),
            Some(err.field() as u64),
            "not valid UTF-8".to_string(),
        ),
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => (
            pos.as_ref().map(|p| p.line()),
            None,
            format!("{len} fields where the header has {expected_len}"),
        ),
        _ => (None, None, e.to_string()),
    };
    let reason = reason
        .strip_prefix("custom: ")
        .map(str::to_string)
        .unwrap_or(reason);
    // Errors raised by gtfs-structures' own field parsers (times, colours, dates) carry
    // no column; they quote the bad value, so find the one field that holds it.
    let field = field.or_else(|| {
        let mut hits = values
            .iter()
            .enumerate()
            .filter(|(_, v)| !v.is_empty() && reason.contains(&format!("'{v}'")));
        match (hits.next(), hits.next()) {
            (Some((i, _)), None) => Some(i as u64),
            _ => None,
        }
    });
    match line {
        Some(line) => FeedError::Csv {
            feed,
            file,
            line,
            column: field.map(|f| f + 1),
            field: field.and_then(|f| headers.get(f as usize).cloned()),
            reason,
        },
        None => FeedError::Invalid {
            feed,
            file,
            line: None,
            reason,
        },
    }
}
