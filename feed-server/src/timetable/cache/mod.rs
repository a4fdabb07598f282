//! The compiled-timetable cache: a restart with an unchanged feed reads the
//! timetable it compiled last time instead of the GTFS archive.
//!
//! One file per feed, `<dir>/<feed id>.timetable`:
//!
//! | bytes | what |
//! |---|---|
//! | 8 | `QUAI-TT\n` |
//! | 4 | [`FORMAT`], little-endian |
//! | 32 | the key: SHA-256 of the archive's content, the platform labels, [`FORMAT`], the server's version and a fingerprint of the compiling code (`build.rs`) |
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
pub const FORMAT: u32 = 3;

/// What identifies one compiled timetable: the archive and everything else that
/// went into compiling it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheKey([u8; 32]);

impl CacheKey {
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
        // The compiling code itself (build.rs): a change to it, released or not,
        // is a change of key.
        ctx.update(env!("QUAI_COMPILER_FINGERPRINT").as_bytes());
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

    /// The timetable of `feed` compiled with `key`, if the cache holds it intact
    /// (the key is compared before anything is decoded).
    pub fn read(&self, feed: &str, key: CacheKey) -> Result<FeedTimetable, CacheMiss> {
        let path = self.path(feed);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(CacheMiss::Absent),
            Err(e) => return Err(CacheMiss::Io(path, e)),
        };
        decode(&bytes, key).map_err(|miss| match miss {
            Decode::Format(f) => CacheMiss::Format(path, f),
            Decode::Stale => CacheMiss::Stale(path),
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
        // A name of its own, even for two servers sharing the folder (containers
        // are all pid 1).
        let mut nonce = [0u8; 8];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut nonce)
            .map_err(|_| std::io::Error::other("no randomness for a temporary name"))?;
        let tmp = self.dir.join(format!(
            ".{feed}.timetable.{}.{:016x}",
            std::process::id(),
            u64::from_le_bytes(nonce)
        ));
        let written = (|| {
            let mut file = std::fs::File::create_new(&tmp)?;
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
