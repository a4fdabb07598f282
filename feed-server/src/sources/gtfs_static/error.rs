//! Errors of static feeds, each naming the feed, the file, the line and the
//! column, since a timetable with a bad time somewhere in 300,000 rows must be
//! findable by a person.

use crate::id::FeedId;
use crate::timetable::CompileError;

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

/// A CSV error of `file` as one that names file, line and column (`headers` and
/// `values` of the row, when known, find the column of a quoted bad value).
pub(super) fn csv_error(
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
