//! The facilities' live state: each sensor-equipped space's last report, and
//! what a facility's board line says from them at an instant (free,
//! occupied, unknown, status).
//!
//! A report is kept only if it is news: a frame counter not above the last
//! one is a duplicate (network servers deliver twice) or late (out of order),
//! unless the device restarted (a start-up frame, a counter far below the
//! last, or a lower counter an hour after the last frame: a rejoin resets
//! it). With a store, each kept report is also written to it and read back
//! at start (`store::spaces`). A space whose sensor has been silent for the
//! facility's `stale_after_s` is unknown, never free.

pub mod equipment;
pub mod relay;
pub mod shown;
pub mod sourced;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use quai_protocol::{FacilityKind, FacilityStatus};

use crate::config::FacilityConfig;
use crate::id::FacilityId;
pub use sourced::{FacilityKey, SourcedFacilities};

/// A counter this far below the last one means the device rejoined.
const REJOIN_GAP: u32 = 1_000;

/// When this process started (ms since 1970): the numbering its
/// facilities' versions are in ([`Facilities::epoch`]).
static PROCESS_EPOCH: std::sync::LazyLock<u64> =
    std::sync::LazyLock::new(|| u64::try_from(Utc::now().timestamp_millis()).unwrap_or_default());

/// One space's last report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpaceState {
    pub occupied: bool,
    pub at: DateTime<Utc>,
    pub f_cnt: u32,
}

/// What [`Facilities::report`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reported {
    Kept {
        facility: FacilityId,
        space: String,
    },
    /// The same or an older frame: nothing changed.
    NotNews,
}

/// A facility's line on a board, at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct FacilityLine {
    pub id: FacilityKey,
    pub name: String,
    pub kind: FacilityKind,
    /// None: its source does not say.
    pub capacity: Option<u32>,
    pub capacity_pmr: Option<u32>,
    pub capacity_ev: Option<u32>,
    pub free: Option<u32>,
    pub occupied: Option<u32>,
    pub unknown: u32,
    pub status: FacilityStatus,
    pub updated_at: Option<DateTime<Utc>>,
    /// Bike share: vehicles to rent per vehicle type.
    pub vehicle_types: Vec<(String, u32)>,
}

/// The live state of every facility: a cheap handle, clones share it.
#[derive(Debug, Clone, Default)]
pub struct Facilities {
    /// Facility → space label → its last report.
    spaces: Arc<Mutex<HashMap<FacilityId, BTreeMap<String, SpaceState>>>>,
    /// Moves on every kept report and every changed document.
    version: Arc<AtomicU64>,
    /// Whose numbering `version` is in: 0, this process's; on an edge, the
    /// ingest node's whose state it took ([`Facilities::numbered`]). Held
    /// while a relayed state's epoch and version are set, and while both
    /// are read, so that a reader never pairs one state's epoch with
    /// another's version.
    epoch: Arc<Mutex<u64>>,
    /// What the facility sources' documents say.
    pub sourced: SourcedFacilities,
}

impl Facilities {
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// The version and which numbering it is in: this process's start
    /// (ms), or on an edge the ingest node's it took the state from. A
    /// version counts from 0 in each process: with its epoch it names one
    /// state across restarts and failovers (the exports' `ETag`s).
    pub fn numbered(&self) -> (u64, u64) {
        let epoch = self.epoch.lock().unwrap_or_else(|p| p.into_inner());
        let version = self.version();
        match *epoch {
            0 => (*PROCESS_EPOCH, version),
            epoch => (epoch, version),
        }
    }

    /// Sets a relayed state's epoch and version together (an edge).
    fn take_numbering(&self, epoch: u64, version: u64) {
        let mut held = self.epoch.lock().unwrap_or_else(|p| p.into_inner());
        *held = epoch;
        self.version.store(version, Ordering::Release);
    }

    /// Keeps what `source`'s documents say, confirmed at `at`; true if it
    /// changed the facilities.
    pub fn apply_document(
        &self,
        source: &crate::config::FacilitySource,
        places: &sourced::StationPlaces,
        reports: Vec<crate::sources::facilities::Report>,
        at: DateTime<Utc>,
    ) -> bool {
        let changed = self.sourced.apply(source, places, reports, at);
        if changed {
            self.version.fetch_add(1, Ordering::Release);
        }
        changed
    }

    /// Keeps the report of `space` of `facility` if it is news.
    pub fn report(
        &self,
        facility: &FacilityId,
        space: &str,
        f_cnt: u32,
        restarted: bool,
        occupied: bool,
        at: DateTime<Utc>,
    ) -> Reported {
        let mut all = self.spaces.lock().unwrap_or_else(|p| p.into_inner());
        let spaces = all.entry(facility.clone()).or_default();
        if let Some(last) = spaces.get(space) {
            // A restart, a rejoin (a counter far below the last) or a lower
            // counter an hour after the last frame (parking sensors send a
            // few frames a day: a duplicate or a late one comes within
            // minutes) starts the counter again; never with an older frame.
            let later = at >= last.at;
            let rejoined = f_cnt.saturating_add(REJOIN_GAP) < last.f_cnt;
            let after_a_while = at - last.at >= chrono::Duration::hours(1);
            let news = f_cnt > last.f_cnt || (later && (restarted || rejoined || after_a_while));
            if !news {
                return Reported::NotNews;
            }
        }
        spaces.insert(
            space.to_string(),
            SpaceState {
                occupied,
                at,
                f_cnt,
            },
        );
        self.version.fetch_add(1, Ordering::Release);
        Reported::Kept {
            facility: facility.clone(),
            space: space.to_string(),
        }
    }

    /// Puts back a report kept before a restart (not news: the version moves
    /// once, when the first board is built anyway).
    pub fn restore(&self, facility: &FacilityId, space: &str, state: SpaceState) {
        let mut all = self.spaces.lock().unwrap_or_else(|p| p.into_inner());
        all.entry(facility.clone())
            .or_default()
            .insert(space.to_string(), state);
    }

    /// The last report of `space` of `facility`, if any.
    pub fn space(&self, facility: &FacilityId, space: &str) -> Option<SpaceState> {
        let all = self.spaces.lock().unwrap_or_else(|p| p.into_inner());
        all.get(facility).and_then(|s| s.get(space)).copied()
    }

    /// Each configured space of `f` and its state at `now` (None: unknown).
    pub fn spaces(
        &self,
        f: &FacilityConfig,
        now: DateTime<Utc>,
    ) -> Vec<(String, Option<SpaceState>)> {
        let all = self.spaces.lock().unwrap_or_else(|p| p.into_inner());
        let known = all.get(&f.id);
        let stale = chrono::Duration::from_std(f.stale_after).unwrap_or(chrono::Duration::MAX);
        f.sensors
            .iter()
            .flat_map(|s| s.spaces.values())
            .map(|label| {
                let state = known
                    .and_then(|k| k.get(label))
                    .filter(|s| now - s.at < stale)
                    .copied();
                (label.clone(), state)
            })
            .collect()
    }

    /// The facility's line at `now`. Places without a sensor are counted as
    /// unknown: only what is reported is said.
    pub fn line(&self, f: &FacilityConfig, now: DateTime<Utc>) -> FacilityLine {
        let spaces = self.spaces(f, now);
        let occupied = spaces
            .iter()
            .filter(|(_, s)| s.is_some_and(|s| s.occupied))
            .count() as u32;
        let free = spaces
            .iter()
            .filter(|(_, s)| s.is_some_and(|s| !s.occupied))
            .count() as u32;
        let unknown = f.capacity.saturating_sub(occupied + free);
        let updated_at = spaces.iter().filter_map(|(_, s)| s.map(|s| s.at)).max();
        let known = occupied + free > 0;
        let status = if !known {
            FacilityStatus::Unknown
        } else if free == 0 && unknown == 0 {
            FacilityStatus::Full
        } else {
            FacilityStatus::Open
        };
        FacilityLine {
            id: FacilityKey::Configured(f.id.clone()),
            name: f.name.clone(),
            kind: f.kind,
            capacity: Some(f.capacity),
            capacity_pmr: f.capacity_pmr,
            capacity_ev: None,
            free: known.then_some(free),
            occupied: known.then_some(occupied),
            unknown,
            status,
            updated_at,
            vehicle_types: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Sensors;
    use crate::sources::lorawan::SensorModel;

    fn area() -> FacilityConfig {
        FacilityConfig {
            id: "aire".parse().expect("id"),
            name: "Aire".into(),
            kind: FacilityKind::Carpool,
            stations: Vec::new(),
            capacity: 2,
            capacity_pmr: None,
            stale_after: std::time::Duration::from_secs(3600),
            sensors: Some(Sensors {
                integration: "cs".parse().expect("id"),
                model: SensorModel::NwaveG4,
                spaces: [("a".repeat(16), "P1".into()), ("b".repeat(16), "P2".into())].into(),
            }),
        }
    }

    #[test]
    fn duplicates_late_frames_restarts_and_silence() {
        let f = area();
        let all = Facilities::default();
        let t = |m: i64| DateTime::<Utc>::from_timestamp(1_800_000_000 + m * 60, 0).expect("t");
        let kept = |r: Reported| matches!(r, Reported::Kept { .. });
        assert_eq!(all.line(&f, t(0)).status, FacilityStatus::Unknown);
        assert!(kept(all.report(&f.id, "P1", 10, false, true, t(0))));
        assert!(
            !kept(all.report(&f.id, "P1", 10, false, false, t(1))),
            "duplicate"
        );
        assert!(
            !kept(all.report(&f.id, "P1", 9, false, false, t(1))),
            "late"
        );
        let line = all.line(&f, t(1));
        assert_eq!(
            (line.free, line.occupied, line.unknown),
            (Some(0), Some(1), 1)
        );
        assert_eq!(
            line.status,
            FacilityStatus::Open,
            "one place unknown: not full"
        );
        assert!(kept(all.report(&f.id, "P2", 3, false, true, t(2))));
        assert_eq!(all.line(&f, t(2)).status, FacilityStatus::Full);
        // A restart resets the counter; a late copy of an older frame does not.
        assert!(kept(all.report(&f.id, "P1", 0, true, false, t(3))));
        assert!(!kept(all.report(&f.id, "P1", 0, true, true, t(2))));
        assert_eq!(all.line(&f, t(3)).free, Some(1));
        // P2 silent for an hour: unknown, not free.
        let line = all.line(&f, t(62));
        assert_eq!(
            (line.free, line.occupied, line.unknown),
            (Some(1), Some(0), 1)
        );
        assert_eq!(all.line(&f, t(120)).status, FacilityStatus::Unknown);
        // A lower counter an hour after its last frame: P2 rejoined.
        assert!(kept(all.report(&f.id, "P2", 1, false, false, t(70))));
        assert_eq!(all.line(&f, t(70)).free, Some(1));
    }
}
