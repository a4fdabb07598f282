//! The compiled-timetable cache: a restart with an unchanged feed reads the
//! timetable it compiled last time instead of the GTFS archive.
//!
//! One file per feed, `<dir>/<feed id>.timetable`:
//!
//! | bytes | what |
//! |---|---|
//! | 8 | `QUAI-TT\n` |
//! | 4 | [`FORMAT`], little-endian |
//! | 32 | the key: SHA-256 of the archive's digest, the platform labels, [`FORMAT`], the server's version and a fingerprint of the compiling code (`build.rs`) |
//! | 32 | the archive's digest ([`ArchiveDigest`]) |
//! | 48 | the archive file's stamp ([`ArchiveStamp`]; zeros for a download or a folder) |
//! | 8 | payload length, little-endian |
//! | 4 | CRC-32 of the payload |
//! | … | the stop times ([`stop_times`]'s format) |
//! | … | the stops, their headsigns, the lines and their id tables, in `postcard` |
//! | … | the trips and the rest of the timetable, in `postcard` |
//! | 16 | the lengths of the stop times' part and of the places' part, little-endian |
//!
//! A file is used only when every one of those matches and the timetable it holds
//! is consistent (every position within its table); anything else (another feed
//! version, another server version, a torn or damaged file) is ignored with a
//! warning, the archive is read as on a cold start, and the file is written anew.
//! An archive file whose stamp vouches that it is unchanged is not even read: the
//! key is made with the digest kept beside it ([`TimetableCache::read_unchanged`]).
//! Writes go to a temporary file renamed into place, so a crash leaves the old
//! file or the new one, never half of one.
//!
//! Reading it back is what a warm restart waits for, so it is decoded on two
//! threads: the stop times and the places on one, the trips on the other.

mod archive;
mod format;
mod stop_times;

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use ring::digest::{Context, SHA256};

use super::FeedTimetable;
pub use archive::{ArchiveDigest, ArchiveStamp, SETTLED};
use format::{Decode, HEADER, decode, encode, header};

/// The layout of the payload. Bump it whenever a stored type or the rules of
/// [`super::Compiler`] change: the key includes it, so older files are ignored.
pub const FORMAT: u32 = 4;

/// What identifies one compiled timetable: the archive and everything else that
/// went into compiling it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheKey([u8; 32]);

impl CacheKey {
    fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key of a timetable compiled from the archive of `digest` with
    /// `platform_labels`.
    pub fn new(archive: &ArchiveDigest, platform_labels: &BTreeMap<String, String>) -> CacheKey {
        let mut ctx = Context::new(&SHA256);
        ctx.update(b"quai compiled timetable\0");
        ctx.update(&FORMAT.to_le_bytes());
        ctx.update(env!("CARGO_PKG_VERSION").as_bytes());
        // The compiling code itself (build.rs): a change to it, released or not,
        // is a change of key.
        ctx.update(env!("QUAI_COMPILER_FINGERPRINT").as_bytes());
        ctx.update(&archive.0);
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
    /// The archive file may have changed since the timetable was kept (its stamp
    /// does not vouch for it): its content is to be compared.
    #[error("{0} is of an archive that may have changed")]
    Unconfirmed(PathBuf),
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

    /// The timetable of `feed` compiled from the archive of `digest` with
    /// `platform_labels`, if the cache holds it intact (the key is compared before
    /// anything is decoded).
    pub fn read(
        &self,
        feed: &str,
        digest: &ArchiveDigest,
        platform_labels: &BTreeMap<String, String>,
    ) -> Result<FeedTimetable, CacheMiss> {
        let (path, bytes) = self.file(feed)?;
        let key = CacheKey::new(digest, platform_labels);
        decode(&bytes, key).map_err(|miss| miss.of(path))
    }

    /// The timetable of `feed` compiled with `platform_labels` from an archive
    /// file whose stamp, taken now, is `now`: read without reading the archive
    /// when the stamp kept with the timetable vouches that the file is unchanged;
    /// [`CacheMiss::Unconfirmed`] when it does not (the archive's content is then
    /// to be hashed and given to [`TimetableCache::read`]).
    pub fn read_unchanged(
        &self,
        feed: &str,
        now: &ArchiveStamp,
        platform_labels: &BTreeMap<String, String>,
    ) -> Result<FeedTimetable, CacheMiss> {
        // The header first: when it cannot vouch, the file is read whole by
        // `read`, once. When it can, the rest comes from the same open file (a
        // server sharing the folder may rename another one into place).
        let path = self.path(feed);
        let mut head = [0; HEADER];
        let opened = std::fs::File::open(&path).and_then(|mut f| {
            f.read_exact(&mut head)?;
            Ok(f)
        });
        let mut file = match opened {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(CacheMiss::Absent),
            // Too short for a header: `read` will say what it is.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                return Err(CacheMiss::Unconfirmed(path));
            }
            Err(e) => return Err(CacheMiss::Io(path, e)),
        };
        let kept = header(&head).map_err(|miss| miss.of(path.clone()))?;
        match kept.stamp {
            Some(stamp) if stamp.vouches_for(now) => {
                let len = file.metadata().map_or(0, |m| m.len());
                let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
                bytes.extend_from_slice(&head);
                if let Err(e) = file.read_to_end(&mut bytes) {
                    return Err(CacheMiss::Io(path, e));
                }
                let key = CacheKey::new(&kept.digest, platform_labels);
                decode(&bytes, key).map_err(|miss| miss.of(path))
            }
            _ => Err(CacheMiss::Unconfirmed(path)),
        }
    }

    /// The path and bytes of `feed`'s file.
    fn file(&self, feed: &str) -> Result<(PathBuf, Vec<u8>), CacheMiss> {
        let path = self.path(feed);
        match std::fs::read(&path) {
            Ok(bytes) => Ok((path, bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(CacheMiss::Absent),
            Err(e) => Err(CacheMiss::Io(path, e)),
        }
    }

    /// Stores `timetable` as compiled from the archive of `digest` (whose file
    /// was stamped `stamp` before it was read, if it is a file) with
    /// `platform_labels`; atomically: a temporary file renamed over the old one.
    pub fn write(
        &self,
        feed: &str,
        digest: &ArchiveDigest,
        stamp: Option<&ArchiveStamp>,
        platform_labels: &BTreeMap<String, String>,
        timetable: &FeedTimetable,
    ) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let key = CacheKey::new(digest, platform_labels);

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
            encode(key, digest, stamp, timetable, &mut file)?;
            file.sync_all()?;
            std::fs::rename(&tmp, &path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }
}

impl Decode {
    fn of(self, path: PathBuf) -> CacheMiss {
        match self {
            Decode::Format(f) => CacheMiss::Format(path, f),
            Decode::Stale => CacheMiss::Stale(path),
            Decode::Damaged(why) => CacheMiss::Damaged(path, why),
        }
    }
}
