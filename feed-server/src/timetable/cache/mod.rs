//! The compiled-timetable cache: a restart with an unchanged feed reads the
//! timetable it compiled last time instead of the GTFS archive.
//!
//! One file per feed, `<dir>/<feed id>.timetable`:
//!
//! | bytes | what |
//! |---|---|
//! | 8 | `QUAI-TT\n` |
//! | 4 | [`FORMAT`], little-endian |
//! | 32 | the key: SHA-256 of the archive's content, the platform labels, [`FORMAT`] and the server's version |
//! | 8 | payload length, little-endian |
//! | 4 | CRC-32 of the payload |
//! | 8 | length of the stop times' part, little-endian |
//! | … | the stop times ([`stop_times`]'s format) |
//! | … | the rest of the timetable, in `postcard` |
//!
//! A file is used only when every one of those matches and the timetable it holds
//! is consistent (every position within its table); anything else (another feed
//! version, another server version, a torn or damaged file) is ignored with a
//! warning, the archive is read as on a cold start, and the file is written anew.
//! Writes go to a temporary file renamed into place, so a crash leaves the old
//! file or the new one, never half of one.
//!
//! Reading it back is what a warm restart waits for, so the two parts are decoded
//! at once, on two threads.

mod format;
mod stop_times;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use ring::digest::{Context, SHA256};

use super::FeedTimetable;
use format::{Decode, decode, encode};

/// The layout of the payload. Bump it whenever a stored type or the rules of
/// [`super::Compiler`] change: the key includes it, so older files are ignored.
pub const FORMAT: u32 = 1;

/// What identifies one compiled timetable: the archive and everything else that
/// went into compiling it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheKey([u8; 32]);

impl CacheKey {
    fn from_bytes(bytes: [u8; 32]) -> CacheKey {
        CacheKey(bytes)
    }

    fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key of a timetable compiled from `content` (the archive's bytes, or its
    /// files' names and bytes) with `platform_labels`.
    pub fn new<'a>(
        content: impl IntoIterator<Item = &'a [u8]>,
        platform_labels: &BTreeMap<String, String>,
    ) -> CacheKey {
        let mut ctx = Context::new(&SHA256);
        ctx.update(b"quai compiled timetable\0");
        ctx.update(&FORMAT.to_le_bytes());
        ctx.update(env!("CARGO_PKG_VERSION").as_bytes());
        for part in content {
            ctx.update(&(part.len() as u64).to_le_bytes());
            ctx.update(part);
        }
        for (stop, label) in platform_labels {
            for s in [stop, label] {
                ctx.update(&(s.len() as u64).to_le_bytes());
                ctx.update(s.as_bytes());
            }
        }
        let mut key = [0; 32];
        key.copy_from_slice(ctx.finish().as_ref());
        CacheKey(key)
    }
}

/// Why a cache file was not used (logged; the feed is then read from its archive).
#[derive(Debug, thiserror::Error)]
pub enum CacheMiss {
    #[error("no cached timetable")]
    Absent,
    #[error("cannot read {0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("{0} is not a compiled timetable of this server version (format {1:?})")]
    Format(PathBuf, Option<u32>),
    #[error("{0} is of another version of the feed")]
    Stale(PathBuf),
    #[error("{0} is damaged: {1}")]
    Damaged(PathBuf, String),
}

/// A timetable read back, and the key it was compiled under.
#[derive(Debug)]
pub struct Cached {
    pub key: CacheKey,
    pub timetable: FeedTimetable,
}

impl Cached {
    /// The timetable, if it was compiled from the archive of `key`.
    pub fn take(self, key: CacheKey, path: &Path) -> Result<FeedTimetable, CacheMiss> {
        if self.key == key {
            Ok(self.timetable)
        } else {
            Err(CacheMiss::Stale(path.to_path_buf()))
        }
    }
}

/// The folder holding compiled timetables.
#[derive(Debug, Clone)]
pub struct TimetableCache {
    dir: PathBuf,
}

impl TimetableCache {
    pub fn new(dir: impl Into<PathBuf>) -> TimetableCache {
        TimetableCache { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of `feed`.
    pub fn path(&self, feed: &str) -> PathBuf {
        self.dir.join(format!("{feed}.timetable"))
    }

    /// The timetable of `feed` the cache holds, if intact, with the key it was
    /// compiled under (the caller compares it with the archive's: reading the
    /// cache need not wait for the archive).
    pub fn read(&self, feed: &str) -> Result<Cached, CacheMiss> {
        let path = self.path(feed);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(CacheMiss::Absent),
            Err(e) => return Err(CacheMiss::Io(path, e)),
        };
        decode(&bytes).map_err(|miss| match miss {
            Decode::Format(f) => CacheMiss::Format(path, f),
            Decode::Damaged(why) => CacheMiss::Damaged(path, why),
        })
    }

    /// Stores `timetable` as compiled with `key` (atomically: a temporary file
    /// renamed over the old one).
    pub fn write(
        &self,
        feed: &str,
        key: CacheKey,
        timetable: &FeedTimetable,
    ) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let bytes = encode(key, timetable).map_err(std::io::Error::other)?;
        let path = self.path(feed);
        let tmp = self
            .dir
            .join(format!(".{feed}.timetable.{}", std::process::id()));
        let written = (|| {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            std::fs::rename(&tmp, &path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }
}
