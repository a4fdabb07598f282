//! Static GTFS: fetch an archive (file, folder, URL or the built-in demo) and parse it.
//!
//! Reading is ours (the `csv` crate, `gtfs-structures`' row types for the small
//! tables, a reader of its own for stop_times), and every error names the file,
//! the line and the column, since a timetable with a bad time somewhere in 300,000
//! rows must be findable by a person.

mod archive;
mod error;
mod guard;
mod stop_times;
mod table;

use std::collections::BTreeMap;
use std::io::Read;

use serde::de::DeserializeOwned;

use super::http;
use crate::config::{FeedConfig, GtfsSource};
use crate::id::FeedId;
use crate::timetable::{ArchiveDigest, ArchiveStamp, Compiler, FeedTimetable, Tables};
pub use archive::Archive;
use archive::{OpenError, Opened};
pub use error::FeedError;
pub use guard::{MAX_INFLATED, MAX_LINE, MAX_RATIO, MAX_ZIP_ENTRIES};
pub use stop_times::Progress;
use table::Place;

/// An archive as fetched.
pub struct Fetched {
    pub archive: Archive,
    /// For a zip file: its stamp, taken on the open file before it was read.
    pub stamp: Option<ArchiveStamp>,
}

/// Fetches the archive of `feed` with its timeout and size cap.
pub async fn fetch(feed: &FeedConfig) -> Result<Fetched, FeedError> {
    let loc = feed.gtfs.location();
    let zip = |archive| Fetched {
        archive: Archive::Zip(archive),
        stamp: None,
    };
    match &feed.gtfs {
        GtfsSource::BuiltinDemo => Ok(zip(super::builtin::gtfs_zip().map_err(|e| {
            FeedError::Read {
                feed: feed.id.to_string(),
                location: loc,
                reason: e.to_string(),
            }
        })?)),
        GtfsSource::Path(path) => {
            let (opened, max_bytes) = (path.clone(), feed.max_bytes);
            let read = tokio::task::spawn_blocking(move || read_local(&opened, max_bytes))
                .await
                .unwrap_or_else(|e| Err(std::io::Error::other(e)));
            match read {
                Ok(Local::Folder) => Ok(Fetched {
                    archive: Archive::Folder(path.clone()),
                    stamp: None,
                }),
                Ok(Local::Zip(bytes, stamp)) => Ok(Fetched {
                    archive: Archive::Zip(bytes),
                    stamp,
                }),
                Ok(Local::TooLarge) => Err(FeedError::TooLarge {
                    feed: feed.id.to_string(),
                    location: loc,
                    max_bytes: feed.max_bytes,
                }),
                Err(e) => Err(FeedError::Read {
                    feed: feed.id.to_string(),
                    location: loc,
                    reason: e.to_string(),
                }),
            }
        }
        GtfsSource::Url(url) => download(feed, url.as_str()).await.map(zip),
    }
}

/// A local archive, as [`read_local`] found it.
enum Local {
    Folder,
    Zip(Vec<u8>, Option<ArchiveStamp>),
    TooLarge,
}

/// Opens `path` once: what it is, its stamp and its bytes all come from that one
/// open file, whatever the path is pointed at meanwhile (a `current` link
/// switched between two releases of a feed).
fn read_local(path: &std::path::Path, max_bytes: u64) -> std::io::Result<Local> {
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Ok(Local::Folder);
    }
    if meta.len() > max_bytes {
        return Ok(Local::TooLarge);
    }
    let stamp = ArchiveStamp::of_metadata(&meta);
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // A file growing while it is read stops at the cap all the same.
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max_bytes {
        return Ok(Local::TooLarge);
    }
    Ok(Local::Zip(bytes, stamp))
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
    let client = http::upstream_client(feed.timeout, url, feed.redirects)
        .map_err(|e| fetch_err(e.to_string()))?;
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

/// Reads an archive into a timetable, each error naming file, line and column.
/// `platform_labels` come from the configuration; `progress` is told how far the
/// reading of stop_times got. CPU-bound: call it from a blocking thread.
///
/// Each table is inflated once, as a stream, in the order their references need
/// (see [`Compiler`]); stop_times is resolved row by row as it is read.
pub fn load(
    feed_id: &FeedId,
    location: &str,
    archive: &Archive,
    platform_labels: BTreeMap<String, String>,
    progress: Progress<'_>,
) -> Result<FeedTimetable, FeedError> {
    let mut reading = Reading {
        opened: Opened::new(archive).map_err(|e| open_error(feed_id, location, e))?,
        inflated: 0,
        feed_id,
        location,
        zip: matches!(archive, Archive::Zip(_)),
    };
    let tables = Tables {
        agencies: reading.required("agency.txt")?,
        routes: reading.required("routes.txt")?,
        stops: reading.required("stops.txt")?,
        calendar: reading.optional("calendar.txt")?,
        calendar_dates: reading.optional("calendar_dates.txt")?,
        trips: reading.required("trips.txt")?,
    };
    let mut compiler = Compiler::new(tables, platform_labels)
        .map_err(|e| FeedError::compile(feed_id, location, e))?;
    let stop_times = reading
        .table("stop_times.txt", |source, size, place| {
            stop_times::read(source, size, place, &mut compiler, progress)
        })?
        .ok_or_else(|| reading.missing("stop_times.txt"))?;
    let frequencies = reading.optional("frequencies.txt")?;
    Ok(compiler.finish(stop_times, frequencies))
}

/// The tables Quai reads, in the order it reads them.
const TABLES: [&str; 8] = [
    "agency.txt",
    "routes.txt",
    "stops.txt",
    "calendar.txt",
    "calendar_dates.txt",
    "trips.txt",
    "stop_times.txt",
    "frequencies.txt",
];

/// The digest of `archive`'s content, for the compiled-timetable cache: the zip's
/// bytes, or, for a folder, the name and the SHA-256 of each table Quai reads
/// (read as a stream: a folder's other files, shapes.txt among them, are not
/// read). `None` when a folder's table cannot be read (the load that follows says
/// why).
pub fn archive_digest(archive: &Archive) -> Option<ArchiveDigest> {
    match archive {
        Archive::Zip(bytes) => Some(ArchiveDigest::of([bytes.as_slice()])),
        Archive::Folder(path) => {
            let mut parts: Vec<Vec<u8>> = Vec::new();
            for name in TABLES {
                let Ok(mut file) = std::fs::File::open(path.join(name)) else {
                    continue;
                };
                let mut digest = ring::digest::Context::new(&ring::digest::SHA256);
                let mut chunk = vec![0u8; 64 * 1024];
                loop {
                    match file.read(&mut chunk).ok()? {
                        0 => break,
                        n => digest.update(&chunk[..n]),
                    }
                }
                parts.push(name.as_bytes().to_vec());
                parts.push(digest.finish().as_ref().to_vec());
            }
            Some(ArchiveDigest::of(parts.iter().map(Vec::as_slice)))
        }
    }
}

/// An archive being read, table after table.
struct Reading<'a> {
    opened: Opened<'a>,
    /// Bytes inflated so far, all tables together (see [`MAX_INFLATED`]).
    inflated: u64,
    feed_id: &'a FeedId,
    location: &'a str,
    zip: bool,
}

impl Reading<'_> {
    /// `read` called on table `name`; `None` when the archive lacks it.
    fn table<T>(
        &mut self,
        name: &str,
        read: impl FnOnce(&mut dyn Read, u64, &Place<'_>) -> Result<T, FeedError>,
    ) -> Result<Option<T>, FeedError> {
        let (feed, location, zip) = (self.feed_id.as_str(), self.location, self.zip);
        self.opened
            .with_table(name, &mut self.inflated, |source, size, file| {
                let place = Place {
                    feed,
                    location,
                    file,
                    zip,
                };
                read(source, size, &place)
            })
            .map_err(|e| open_error(self.feed_id, location, e))?
            .transpose()
    }

    /// An optional table; an empty file counts as an empty table.
    fn optional<T: DeserializeOwned>(&mut self, name: &str) -> Result<Option<Vec<T>>, FeedError> {
        self.table(name, |source, _, place| {
            table::rows(source, place).map(Option::unwrap_or_default)
        })
    }

    /// A required table; an empty file is an error, as a missing one is.
    fn required<T: DeserializeOwned>(&mut self, name: &str) -> Result<Vec<T>, FeedError> {
        self.table(name, |source, _, place| {
            table::rows(source, place)?.ok_or_else(|| place.empty())
        })?
        .ok_or_else(|| self.missing(name))
    }

    fn missing(&self, name: &str) -> FeedError {
        FeedError::MissingFile {
            feed: self.feed_id.to_string(),
            location: self.location.to_string(),
            file: name.to_string(),
        }
    }
}

fn open_error(feed_id: &FeedId, location: &str, e: OpenError) -> FeedError {
    match e {
        OpenError::Archive(reason) => FeedError::Archive {
            feed: feed_id.to_string(),
            location: location.to_string(),
            reason,
        },
        OpenError::Read(reason) => FeedError::Read {
            feed: feed_id.to_string(),
            location: location.to_string(),
            reason,
        },
    }
}
