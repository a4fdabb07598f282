//! The screen fleet on disk: each screen's last report (so a restart does
//! not forget a screen that has since gone dark) and the boards each drew,
//! by `seq` and time, kept `[screens] keep_days` (what a screen showed when
//! a passenger complained). A draw is a few dozen bytes: a screen that draws
//! a new board every 30 s for 90 days keeps about 260,000 rows.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension as _, params};

use super::{Store, StoreError};

/// A screen's last report as kept.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredScreen {
    pub id: String,
    pub station: String,
    /// The report, as JSON (`quai_protocol::ScreenReport`).
    pub report: String,
    pub reported_at: DateTime<Utc>,
    pub first_seen: DateTime<Utc>,
    /// Since when it says what it shows now (`report.shows`).
    pub shows_since: DateTime<Utc>,
}

/// Fixed width, UTC: times compare as text.
fn text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn time(column: &str, s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("{column} `{s}`: {e}")))
}

impl Store {
    /// Keeps `screen` as its last report and, when it drew another board
    /// than in its last report (a new one, or one it drew before), that
    /// draw; in one transaction.
    pub fn screen_put(&self, screen: &StoredScreen, drew: Option<u64>) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO screens (id, station, report, reported_at, first_seen, shows_since)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (id) DO UPDATE SET station = ?2, report = ?3, reported_at = ?4, shows_since = ?6",
            params![
                screen.id,
                screen.station,
                screen.report,
                text(screen.reported_at),
                text(screen.first_seen),
                text(screen.shows_since),
            ],
        )?;
        if let Some(seq) = drew {
            tx.execute(
                "INSERT OR IGNORE INTO screen_draws (screen, seq, at, station) VALUES (?1, ?2, ?3, ?4)",
                params![
                    screen.id,
                    i64::try_from(seq).unwrap_or(i64::MAX),
                    text(screen.reported_at),
                    screen.station
                ],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Every screen's last report.
    pub fn screens(&self) -> Result<Vec<StoredScreen>, StoreError> {
        let conn = self.conn();
        let mut statement = conn.prepare(
            "SELECT id, station, report, reported_at, first_seen, shows_since FROM screens ORDER BY id",
        )?;
        let rows = statement.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, station, report, reported_at, first_seen, shows_since) = row?;
            out.push(StoredScreen {
                id,
                station,
                report,
                reported_at: time("screens.reported_at", &reported_at)?,
                first_seen: time("screens.first_seen", &first_seen)?,
                shows_since: time("screens.shows_since", &shows_since)?,
            });
        }
        Ok(out)
    }

    /// The boards `screen` drew from `from` to `to`, in time order, led by
    /// the last one it drew before `from` (what was on screen then).
    pub fn screen_draws(
        &self,
        screen: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(u64, DateTime<Utc>)>, StoreError> {
        let conn = self.conn();
        let before: Option<(i64, String)> = conn
            .query_row(
                "SELECT seq, at FROM screen_draws WHERE screen = ?1 AND at < ?2
                 ORDER BY at DESC, seq DESC LIMIT 1",
                params![screen, text(from)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let mut statement = conn.prepare(
            "SELECT seq, at FROM screen_draws WHERE screen = ?1 AND at >= ?2 AND at <= ?3
             ORDER BY at, seq LIMIT 10000",
        )?;
        let rows = statement.query_map(params![screen, text(from), text(to)], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in before.into_iter().map(Ok).chain(rows) {
            let (seq, at) = row?;
            out.push((
                u64::try_from(seq).map_err(|_| StoreError::Corrupt(format!("seq {seq}")))?,
                time("screen_draws.at", &at)?,
            ));
        }
        Ok(out)
    }

    /// Forgets the draws older than `before`; how many.
    pub fn screen_draws_prune(&self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        Ok(self.conn().execute(
            "DELETE FROM screen_draws WHERE at < ?1",
            params![text(before)],
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A board drawn again later (a screen restarted on the board it kept)
    /// is a draw of its own: what was on screen then is that board.
    #[test]
    fn a_board_drawn_again_is_on_screen_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("store");
        let t = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("time")
                .with_timezone(&Utc)
        };
        let screen = |at: &str| StoredScreen {
            id: "hall-1".into(),
            station: "caudry".into(),
            report: "{}".into(),
            reported_at: t(at),
            first_seen: t("2026-03-09T06:00:00Z"),
            shows_since: t(at),
        };
        for (at, seq) in [
            ("2026-03-09T06:00:00Z", 5),
            ("2026-03-09T06:10:00Z", 7),
            ("2026-03-09T06:20:00Z", 5),
        ] {
            store.screen_put(&screen(at), Some(seq)).expect("put");
        }
        let draws = store
            .screen_draws(
                "hall-1",
                t("2026-03-09T06:05:00Z"),
                t("2026-03-09T06:30:00Z"),
            )
            .expect("draws");
        let seqs: Vec<u64> = draws.iter().map(|(seq, _)| *seq).collect();
        assert_eq!(seqs, [5, 7, 5], "{draws:?}");
        let at_25 = store
            .screen_draws(
                "hall-1",
                t("2026-03-09T06:25:00Z"),
                t("2026-03-09T06:30:00Z"),
            )
            .expect("draws");
        assert_eq!(at_25.first().map(|d| d.0), Some(5), "on screen at 06:25");
    }
}
