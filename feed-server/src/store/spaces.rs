//! The last report of each sensor-equipped space, written when it is kept,
//! read back at start: after a restart a car park shows what its sensors
//! last said (until it goes stale), not "unknown" until each sensor's next
//! frame, which may be a day away.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Store, StoreError};
use crate::facility::SpaceState;

impl Store {
    /// Keeps `state` as the last report of `space` of `facility`, unless a
    /// later one is already stored (two frames handled at once may reach
    /// here in either order). Times are written at fixed width (UTC,
    /// nanoseconds) so that they compare as text.
    pub fn space_put(
        &self,
        facility: &str,
        space: &str,
        state: SpaceState,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO sensor_spaces (facility, space, occupied, at, f_cnt) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (facility, space) DO UPDATE SET occupied = ?3, at = ?4, f_cnt = ?5
             WHERE excluded.at > sensor_spaces.at
                OR (excluded.at = sensor_spaces.at AND excluded.f_cnt > sensor_spaces.f_cnt)",
            params![
                facility,
                space,
                state.occupied,
                state
                    .at
                    .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
                i64::from(state.f_cnt)
            ],
        )?;
        Ok(())
    }

    /// Every space's last report: (facility, space, state).
    pub fn spaces(&self) -> Result<Vec<(String, String, SpaceState)>, StoreError> {
        let conn = self.conn();
        let mut statement =
            conn.prepare("SELECT facility, space, occupied, at, f_cnt FROM sensor_spaces")?;
        let rows = statement.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, bool>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (facility, space, occupied, at, f_cnt) = row?;
            let at = DateTime::parse_from_rfc3339(&at)
                .map_err(|e| StoreError::Corrupt(format!("sensor_spaces.at `{at}`: {e}")))?
                .with_timezone(&Utc);
            let f_cnt = u32::try_from(f_cnt)
                .map_err(|_| StoreError::Corrupt(format!("sensor_spaces.f_cnt {f_cnt}")))?;
            out.push((
                facility,
                space,
                SpaceState {
                    occupied,
                    at,
                    f_cnt,
                },
            ));
        }
        Ok(out)
    }
}
