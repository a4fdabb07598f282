//! Static GTFS: fetch an archive (file, folder, URL or the built-in demo) and parse it.
//!
//! Parsing is done by `gtfs-structures` (its raw reader: rows as written, no object
//! graph), and its errors are turned into messages that name the file, the line and
//! the column, since a timetable with a bad time somewhere in 300,000 rows must be
//! findable by a person.

mod archive;
mod error;

use std::io::Cursor;

use gtfs_structures::RawGtfs;

use super::http;
use crate::config::{FeedConfig, GtfsSource};
use crate::id::FeedId;
use crate::timetable::Tables;
pub use archive::{MAX_INFLATED, MAX_LINE, MAX_RATIO, MAX_ZIP_ENTRIES};
use archive::{check_zip, has_short_rows, pad_short_rows};
pub use error::FeedError;
use error::convert;

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
