//! The board archive on disk (see [`crate::archive`]): deflated deltas and
//! whole boards by station and `seq`.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension as _, params};

use super::{Store, StoreError};

/// One archived board: a delta (to `seq`) or the whole board at `seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedBoard {
    pub station: String,
    pub seq: u64,
    pub whole: bool,
    pub at: DateTime<Utc>,
    /// Deflated JSON: a `Delta` stream message, or a `Board`.
    pub body: Vec<u8>,
}

fn text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn seq_of(v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("board_log.seq {v}")))
}

type Row = (i64, bool, String, Vec<u8>);

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

fn archived(station: &str, (seq, whole, at, body): Row) -> Result<ArchivedBoard, StoreError> {
    Ok(ArchivedBoard {
        station: station.to_string(),
        seq: seq_of(seq)?,
        whole,
        at: DateTime::parse_from_rfc3339(&at)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| StoreError::Corrupt(format!("board_log.at `{at}`: {e}")))?,
        body,
    })
}

impl Store {
    /// Keeps `boards`, in one transaction.
    pub fn boards_put(&self, boards: &[ArchivedBoard]) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR REPLACE INTO board_log (station, seq, whole, at, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for b in boards {
                insert.execute(params![
                    b.station,
                    i64::try_from(b.seq).unwrap_or(i64::MAX),
                    b.whole,
                    text(b.at),
                    b.body
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// What rebuilds `station`'s board of `seq`: the last whole board at or
    /// before it, and the deltas after that one up to `seq`, in order.
    pub fn boards_for(
        &self,
        station: &str,
        seq: u64,
    ) -> Result<(Option<ArchivedBoard>, Vec<ArchivedBoard>), StoreError> {
        let conn = self.conn();
        let seq = i64::try_from(seq).unwrap_or(i64::MAX);
        let whole = conn
            .query_row(
                "SELECT seq, whole, at, body FROM board_log WHERE station = ?1 AND whole = 1 AND seq <= ?2
                 ORDER BY seq DESC LIMIT 1",
                params![station, seq],
                row,
            )
            .optional()?;
        let Some(whole) = whole else {
            return Ok((None, Vec::new()));
        };
        let mut statement = conn.prepare(
            "SELECT seq, whole, at, body FROM board_log WHERE station = ?1 AND whole = 0 AND seq > ?2 AND seq <= ?3
             ORDER BY seq",
        )?;
        let deltas = statement
            .query_map(params![station, whole.0, seq], row)?
            .map(|r| archived(station, r?))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((Some(archived(station, whole)?), deltas))
    }

    /// Forgets the boards kept before `before`; how many.
    pub fn boards_prune(&self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        Ok(self
            .conn()
            .execute("DELETE FROM board_log WHERE at < ?1", params![text(before)])?)
    }
}
