//! What a kept timetable was compiled from: the archive's content, as a digest,
//! and, for an archive that is a file on this machine, what the file system said
//! of that file when the digest was taken.
//!
//! The digest is the cache's key. The stamp lets a restart know an unchanged
//! file is unchanged without reading and hashing it (for SNCF TER, 3.2 MB: a
//! sixth of a warm start), the way `git` trusts its index: the same device,
//! inode, length, modification and change times. The change time (`ctime`) is
//! the kernel's own, set on every write and on every `touch`, so a file
//! rewritten in place with its old length and old modification time is still
//! seen. A stamp is trusted only when the file had last changed at least
//! [`SETTLED`] before it was taken: a write in the same clock tick as the one
//! before it could otherwise leave the same times behind.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ring::digest::{Context, SHA256};

/// The SHA-256 of an archive's content: its bytes, or, for a folder, the name and
/// digest of each table read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveDigest(pub(super) [u8; 32]);

impl ArchiveDigest {
    /// The digest of `parts`, each delimited by its length (so that ("ab", "c")
    /// is not ("a", "bc")).
    pub fn of<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> ArchiveDigest {
        let mut ctx = Context::new(&SHA256);
        for part in parts {
            ctx.update(&(part.len() as u64).to_le_bytes());
            ctx.update(part);
        }
        let mut digest = [0; 32];
        digest.copy_from_slice(ctx.finish().as_ref());
        ArchiveDigest(digest)
    }
}

/// What the file system says of an archive file, and when it said it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveStamp {
    device: u64,
    inode: u64,
    len: u64,
    modified_ns: i64,
    changed_ns: i64,
    /// When the stamp was taken (before the file was read).
    taken_ns: i64,
}

/// How long a file must have been left alone before its stamp is trusted: more
/// than the coarsest file times in use (FAT keeps them to 2 s).
pub const SETTLED: Duration = Duration::from_secs(3);

/// The bytes a stamp takes in a cache file (all zero: none).
pub(super) const STAMP_BYTES: usize = 6 * 8;

impl ArchiveStamp {
    /// The stamp of the regular file at `path`, taken now on the file opened
    /// (an open also has a network file system look again). `None` for a folder or
    /// a file that cannot be opened.
    pub fn of(path: &Path) -> Option<ArchiveStamp> {
        let meta = std::fs::File::open(path).ok()?.metadata().ok()?;
        ArchiveStamp::of_metadata(&meta)
    }

    /// The stamp of an open file's `meta`, taken now. Take it before reading the
    /// file, from the same open file: a write while it is read then leaves
    /// another stamp, and a path pointed elsewhere meanwhile does not pair one
    /// file's stamp with another's content.
    pub fn of_metadata(meta: &std::fs::Metadata) -> Option<ArchiveStamp> {
        use std::os::unix::fs::MetadataExt as _;
        if !meta.is_file() {
            return None;
        }
        let ns = |s: i64, n: i64| s.checked_mul(1_000_000_000)?.checked_add(n);
        let taken = SystemTime::now().duration_since(UNIX_EPOCH).ok()?;
        Some(ArchiveStamp {
            device: meta.dev(),
            inode: meta.ino(),
            len: meta.len(),
            modified_ns: ns(meta.mtime(), meta.mtime_nsec())?,
            changed_ns: ns(meta.ctime(), meta.ctime_nsec())?,
            taken_ns: i64::try_from(taken.as_nanos()).ok()?,
        })
    }

    /// The file's length in bytes.
    pub fn file_len(&self) -> u64 {
        self.len
    }

    /// Whether the file had been left alone long enough before the stamp was taken
    /// for the stamp to stand for its content.
    pub fn settled(&self) -> bool {
        self.changed_ns.saturating_add(SETTLED.as_nanos() as i64) <= self.taken_ns
    }

    /// Whether `now`, the file's stamp taken now, shows it as it was when `self`
    /// was taken, and `self` can be trusted for it.
    pub fn vouches_for(&self, now: &ArchiveStamp) -> bool {
        self.settled()
            && (
                self.device,
                self.inode,
                self.len,
                self.modified_ns,
                self.changed_ns,
            ) == (
                now.device,
                now.inode,
                now.len,
                now.modified_ns,
                now.changed_ns,
            )
    }

    pub(super) fn to_bytes(stamp: Option<&ArchiveStamp>) -> [u8; STAMP_BYTES] {
        let mut out = [0; STAMP_BYTES];
        if let Some(s) = stamp {
            let fields = [
                s.device,
                s.inode,
                s.len,
                s.modified_ns as u64,
                s.changed_ns as u64,
                s.taken_ns as u64,
            ];
            for (chunk, field) in out.chunks_exact_mut(8).zip(fields) {
                chunk.copy_from_slice(&field.to_le_bytes());
            }
        }
        out
    }

    pub(super) fn from_bytes(bytes: &[u8; STAMP_BYTES]) -> Option<ArchiveStamp> {
        if bytes.iter().all(|&b| b == 0) {
            return None;
        }
        let mut fields = bytes.chunks_exact(8).map(|c| {
            let mut field = [0; 8];
            field.copy_from_slice(c);
            u64::from_le_bytes(field)
        });
        let mut next = || fields.next().unwrap_or_default();
        Some(ArchiveStamp {
            device: next(),
            inode: next(),
            len: next(),
            modified_ns: next() as i64,
            changed_ns: next() as i64,
            taken_ns: next() as i64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_vouches_only_for_the_same_file_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("feed.zip");
        std::fs::write(&path, b"one").expect("write");
        let fresh = ArchiveStamp::of(&path).expect("stamp");
        // Just written: not trusted, even for itself.
        assert!(!fresh.settled());
        assert!(!fresh.vouches_for(&fresh));
        let settled = ArchiveStamp {
            taken_ns: fresh.changed_ns + SETTLED.as_nanos() as i64,
            ..fresh
        };
        assert!(settled.vouches_for(&ArchiveStamp::of(&path).expect("stamp")));
        assert_eq!(
            ArchiveStamp::from_bytes(&ArchiveStamp::to_bytes(Some(&settled))),
            Some(settled)
        );
        assert_eq!(
            ArchiveStamp::from_bytes(&ArchiveStamp::to_bytes(None)),
            None
        );
        // Rewritten with the same length and its old modification time put back
        // (a clock tick later: within one, only the settling rule helps): the
        // change time tells.
        std::thread::sleep(Duration::from_millis(50));
        let file = std::fs::File::options()
            .write(true)
            .open(&path)
            .expect("open");
        std::io::Write::write_all(&mut &file, b"two").expect("rewrite");
        let modified = UNIX_EPOCH + Duration::from_nanos(settled.modified_ns as u64);
        file.set_modified(modified).expect("set mtime");
        drop(file);
        let now = ArchiveStamp::of(&path).expect("stamp");
        assert_eq!(
            (now.len, now.modified_ns),
            (settled.len, settled.modified_ns)
        );
        assert!(!settled.vouches_for(&now));
        assert!(ArchiveStamp::of(dir.path()).is_none());
        assert!(ArchiveStamp::of(&dir.path().join("absent")).is_none());
    }
}
