//! The limits of an archive, enforced while a table is read: every byte inflated is
//! counted as it comes out (the sizes a zip declares are not trusted), so that a
//! zip bomb or a table with an endless line is refused before the parser holds
//! it, without inflating anything twice.

use std::io::{self, Read};

/// At most this many entries in a GTFS archive.
pub const MAX_ZIP_ENTRIES: usize = 10_000;
/// At most this many bytes once inflated, all tables read from a zip together.
pub const MAX_INFLATED: u64 = 2 * 1024 * 1024 * 1024;
/// An entry over 1 MiB may inflate to at most this many times its compressed
/// size (real timetables: 5 to 30; zip bombs: about 1,000).
pub const MAX_RATIO: u64 = 200;
/// The longest line accepted in a table, in bytes (a real row is under 1 KiB).
pub const MAX_LINE: usize = 64 * 1024;

/// Why a guarded read stopped. Carried inside the `io::Error` the parser sees, and
/// taken out again by [`LimitError::from_io`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("inflates to more than {MAX_INFLATED} bytes")]
    Inflated,
    #[error("{0} inflates more than {MAX_RATIO} times its compressed size (a zip bomb?)")]
    Ratio(String),
    #[error("{name}, line {line}: longer than {MAX_LINE} bytes")]
    Line { name: String, line: u64 },
}

impl LimitError {
    /// The limit behind an I/O error raised by a [`Guard`], if that is what it is.
    pub fn from_io(e: &io::Error) -> Option<&LimitError> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<LimitError>())
    }
}

/// A table's bytes as they are inflated, counted and checked.
pub struct Guard<'a, R> {
    inner: R,
    /// The entry's path in the archive, for messages.
    name: &'a str,
    /// Compressed size; `None` for a file read from a folder (nothing inflated:
    /// only the line length is checked).
    compressed: Option<u64>,
    /// Bytes inflated by every table read so far, this one included.
    inflated: &'a mut u64,
    size: u64,
    line: u64,
    line_len: usize,
}

impl<'a, R: Read> Guard<'a, R> {
    pub fn new(inner: R, name: &'a str, compressed: Option<u64>, inflated: &'a mut u64) -> Self {
        Guard {
            inner,
            name,
            compressed: compressed.map(|c| c.max(1)),
            inflated,
            size: 0,
            line: 1,
            line_len: 0,
        }
    }

    fn check(&mut self, chunk: &[u8]) -> Result<(), LimitError> {
        let n = chunk.len() as u64;
        self.size += n;
        // What is inflated is limited; a folder's files are what they are on disk.
        if let Some(compressed) = self.compressed {
            *self.inflated += n;
            if *self.inflated > MAX_INFLATED {
                return Err(LimitError::Inflated);
            }
            if self.size > 1024 * 1024 && self.size / compressed > MAX_RATIO {
                return Err(LimitError::Ratio(self.name.to_string()));
            }
        }
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', chunk) {
            if self.line_len + (nl - start) > MAX_LINE {
                return Err(self.too_long());
            }
            self.line += 1;
            self.line_len = 0;
            start = nl + 1;
        }
        self.line_len += chunk.len() - start;
        if self.line_len > MAX_LINE {
            return Err(self.too_long());
        }
        Ok(())
    }

    fn too_long(&self) -> LimitError {
        LimitError::Line {
            name: self.name.to_string(),
            line: self.line,
        }
    }
}

impl<R: Read> Read for Guard<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.check(&buf[..n]).map_err(io::Error::other)?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(data: &[u8], compressed: Option<u64>) -> Result<u64, LimitError> {
        let mut inflated = 0;
        let mut guard = Guard::new(data, "t.txt", compressed, &mut inflated);
        let mut sink = Vec::new();
        match guard.read_to_end(&mut sink) {
            Ok(_) => Ok(inflated),
            Err(e) => Err(LimitError::from_io(&e).cloned().expect("a limit")),
        }
    }

    #[test]
    fn lines_are_measured_across_reads() {
        let ok = format!("a\n{}\nb\n", "x".repeat(MAX_LINE));
        let zipped = Some(ok.len() as u64);
        assert_eq!(read_all(ok.as_bytes(), zipped), Ok(ok.len() as u64));
        let long = format!("a\nb\n{}\n", "x".repeat(MAX_LINE + 1));
        assert_eq!(
            read_all(long.as_bytes(), None),
            Err(LimitError::Line {
                name: "t.txt".into(),
                line: 3
            })
        );
        // No newline at all: caught without waiting for the end of the line.
        let endless = "x".repeat(3 * MAX_LINE);
        assert!(matches!(
            read_all(endless.as_bytes(), None),
            Err(LimitError::Line { line: 1, .. })
        ));
    }

    #[test]
    fn a_bomb_is_caught_by_its_ratio() {
        let bomb = "\n".repeat(2 * 1024 * 1024);
        assert_eq!(
            read_all(bomb.as_bytes(), Some(2048)),
            Err(LimitError::Ratio("t.txt".into()))
        );
        // The same bytes from a folder: nothing was inflated, nothing counted.
        assert_eq!(read_all(bomb.as_bytes(), None), Ok(0));
    }
}
