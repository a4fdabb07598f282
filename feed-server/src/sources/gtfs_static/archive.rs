//! Finding a feed's tables in its archive (a zip or a folder) and opening each one
//! behind a [`Guard`].
//!
//! Tables are found by file name in any folder of a zip (some publishers zip the
//! folder, not its files); `__MACOSX/` holds the Finder's resource forks, never a
//! table, and is skipped. Only the tables Quai reads are ever inflated.

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use super::guard::{Guard, MAX_ZIP_ENTRIES};

/// The bytes (or folder) of a feed, before parsing.
pub enum Archive {
    Zip(Vec<u8>),
    Folder(PathBuf),
}

/// An archive opened for reading its tables.
pub(super) enum Opened<'a> {
    Zip(zip::ZipArchive<Cursor<&'a [u8]>>),
    Folder(&'a Path),
}

/// Why an archive or one of its entries cannot be read.
#[derive(Debug)]
pub(super) enum OpenError {
    /// The zip itself is broken (truncated, not a zip, too many entries).
    Archive(String),
    /// A file of a folder cannot be read.
    Read(String),
}

impl<'a> Opened<'a> {
    pub fn new(archive: &'a Archive) -> Result<Opened<'a>, OpenError> {
        match archive {
            Archive::Folder(path) => Ok(Opened::Folder(path)),
            Archive::Zip(bytes) => {
                let zip = zip::ZipArchive::new(Cursor::new(bytes.as_slice()))
                    .map_err(|e| OpenError::Archive(e.to_string()))?;
                if zip.len() > MAX_ZIP_ENTRIES {
                    return Err(OpenError::Archive(format!(
                        "{} entries (at most {MAX_ZIP_ENTRIES})",
                        zip.len()
                    )));
                }
                Ok(Opened::Zip(zip))
            }
        }
    }

    /// Where table `name` is: its path in the archive, or `None` when absent.
    fn find(&self, name: &str) -> Option<String> {
        match self {
            Opened::Folder(path) => path.join(name).is_file().then(|| name.to_string()),
            Opened::Zip(zip) => zip
                .file_names()
                .filter(|n| !n.starts_with("__MACOSX/") && !n.contains("/__MACOSX/"))
                .filter(|n| Path::new(n).file_name().and_then(|f| f.to_str()) == Some(name))
                // The shallowest copy wins (a feed zipped with its folder has one).
                .min_by_key(|n| (n.matches('/').count(), n.to_string()))
                .map(str::to_string),
        }
    }

    /// Calls `read` with table `name` behind a guard (`inflated` counts what every
    /// table inflated), its size as declared and its path; `None` when the table
    /// is absent.
    pub fn with_table<T>(
        &mut self,
        name: &str,
        inflated: &mut u64,
        read: impl FnOnce(&mut dyn Read, u64, &str) -> T,
    ) -> Result<Option<T>, OpenError> {
        let Some(path) = self.find(name) else {
            return Ok(None);
        };
        match self {
            Opened::Folder(dir) => {
                let file = std::fs::File::open(dir.join(&path))
                    .map_err(|e| OpenError::Read(format!("{path}: {e}")))?;
                let size = file.metadata().map(|m| m.len()).unwrap_or_default();
                let mut file = std::io::BufReader::with_capacity(64 * 1024, file);
                let mut guard = Guard::new(&mut file, &path, None, inflated);
                Ok(Some(read(&mut guard, size, &path)))
            }
            Opened::Zip(zip) => {
                let mut entry = zip
                    .by_name(&path)
                    .map_err(|e| OpenError::Archive(format!("{path}: {e}")))?;
                let (compressed, size) = (entry.compressed_size(), entry.size());
                let mut guard = Guard::new(&mut entry, &path, Some(compressed), inflated);
                Ok(Some(read(&mut guard, size, &path)))
            }
        }
    }
}
