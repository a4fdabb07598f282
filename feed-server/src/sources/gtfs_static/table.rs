//! Reading one table of a feed: CSV as GTFS writes it (a byte-order mark, spaces
//! around fields, rows that end early), every error naming file, line and column.
//!
//! The small tables are read into `gtfs-structures`' row types with serde (its
//! field parsers for colours, dates and enums); stop_times has its own reader
//! ([`super::stop_times`]).

use std::io::Read;

use csv::{ByteRecord, Reader};
use serde::de::DeserializeOwned;

use super::FeedError;
use super::error::csv_error;
use super::guard::LimitError;

/// Which table of which feed is being read, to say so in errors.
pub(super) struct Place<'a> {
    pub feed: &'a str,
    pub location: &'a str,
    /// The table's path in the archive.
    pub file: &'a str,
    /// Read from a zip (an I/O error is then a damaged archive).
    pub zip: bool,
}

impl Place<'_> {
    /// A CSV or I/O error met while reading `record` (if any) of this table.
    pub fn error(
        &self,
        e: csv::Error,
        headers: &ByteRecord,
        record: Option<&ByteRecord>,
    ) -> FeedError {
        if let csv::ErrorKind::Io(io) = e.kind() {
            return self.io(io);
        }
        let text = |r: &ByteRecord| -> Vec<String> {
            r.iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect()
        };
        let values = record.map(text).unwrap_or_default();
        csv_error(
            self.feed.to_string(),
            self.file.to_string(),
            &e,
            &text(headers),
            &values,
        )
    }

    /// An error of the bytes under the parser: a limit of the guard, a damaged
    /// archive or an unreadable file.
    pub fn io(&self, e: &std::io::Error) -> FeedError {
        match LimitError::from_io(e) {
            Some(LimitError::Line { .. }) => FeedError::Read {
                feed: self.feed.to_string(),
                location: self.location.to_string(),
                reason: e.to_string(),
            },
            Some(_) => self.archive(e.to_string()),
            None if self.zip => self.archive(format!("{}: {e}", self.file)),
            None => FeedError::Read {
                feed: self.feed.to_string(),
                location: format!("{}: {}", self.location, self.file),
                reason: e.to_string(),
            },
        }
    }

    pub fn archive(&self, reason: String) -> FeedError {
        FeedError::Archive {
            feed: self.feed.to_string(),
            location: self.location.to_string(),
            reason,
        }
    }

    /// A required table without even a header (a truncated download...).
    pub fn empty(&self) -> FeedError {
        FeedError::Invalid {
            feed: self.feed.to_string(),
            file: self.file.to_string(),
            line: None,
            reason: "the file is empty".into(),
        }
    }

    /// A row (or the header, line 1) that parses but lacks what it must have.
    pub fn invalid(&self, line: u64, reason: String) -> FeedError {
        FeedError::Invalid {
            feed: self.feed.to_string(),
            file: self.file.to_string(),
            line: Some(line),
            reason,
        }
    }
}

/// A CSV reader as GTFS needs it: rows of any length (short ones are padded by
/// the callers), a buffer large enough for few refills. Fields are trimmed by the
/// callers too, where they are used ([`trim`]): `csv`'s own trimming builds a new
/// record for every row, a fifth of the time of reading stop_times.
pub(super) fn reader(source: &mut dyn Read) -> Reader<&mut dyn Read> {
    csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .buffer_capacity(64 * 1024)
        .from_reader(source)
}

/// The header row, its byte-order mark (which some publishers write) removed.
/// `None` for an empty file.
pub(super) fn headers(
    reader: &mut Reader<&mut dyn Read>,
    place: &Place<'_>,
) -> Result<Option<ByteRecord>, FeedError> {
    let mut headers = ByteRecord::new();
    match reader.read_byte_record(&mut headers) {
        Ok(false) => return Ok(None),
        Ok(true) => {}
        Err(e) => return Err(place.error(e, &ByteRecord::new(), None)),
    }
    let fields: Vec<Vec<u8>> = headers
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let f = if i == 0 {
                f.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(f)
            } else {
                f
            };
            trim_field(f).to_vec()
        })
        .collect();
    Ok(Some(ByteRecord::from(fields)))
}

/// `record` with spaces around its fields removed, into `out` (whose buffers are
/// reused from row to row), padded with empty fields to `width`.
pub(super) fn trim(record: &ByteRecord, width: usize, out: &mut ByteRecord) {
    out.clear();
    for field in record {
        out.push_field(trim_field(field));
    }
    // Some feeds (Google's own sample among them) end rows early, leaving out
    // trailing empty fields: they mean empty fields.
    while out.len() < width {
        out.push_field(b"");
    }
    out.set_position(record.position().cloned());
}

/// A field without the spaces around it: Unicode ones too (a no-break space
/// after an id is a real feed's), ASCII ones only when it is not UTF-8 (the
/// parser then says so with its place).
pub(super) fn trim_field(field: &[u8]) -> &[u8] {
    match std::str::from_utf8(field) {
        Ok(text) => text.trim().as_bytes(),
        Err(_) => field.trim_ascii(),
    }
}

/// Every row of a table as `T` (a `gtfs-structures` row type); `None` for an
/// empty file (not even a header).
pub(super) fn rows<T: DeserializeOwned>(
    source: &mut dyn Read,
    place: &Place<'_>,
) -> Result<Option<Vec<T>>, FeedError> {
    let mut reader = reader(source);
    let Some(headers) = headers(&mut reader, place)? else {
        return Ok(None);
    };
    let (mut raw, mut record) = (ByteRecord::new(), ByteRecord::new());
    let mut out = Vec::new();
    loop {
        match reader.read_byte_record(&mut raw) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(place.error(e, &headers, None)),
        }
        trim(&raw, headers.len(), &mut record);
        match record.deserialize::<T>(Some(&headers)) {
            Ok(row) => out.push(row),
            Err(e) => return Err(place.error(e, &headers, Some(&record))),
        }
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::trim_field;

    #[test]
    fn fields_lose_the_spaces_around_them_unicode_ones_too() {
        assert_eq!(trim_field(b" 87345561\t"), b"87345561");
        assert_eq!(trim_field("87345561\u{a0}".as_bytes()), b"87345561");
        assert_eq!(
            trim_field("Gare d'Arras".as_bytes()),
            "Gare d'Arras".as_bytes()
        );
        // Not UTF-8: ASCII spaces only, the bytes left for the parser to refuse.
        assert_eq!(trim_field(b" \xff "), b"\xff");
    }
}
