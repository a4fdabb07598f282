//! The screen fleet: every screen that reports (`display-client
//! --screen-id`), what it last said it shows, and how it is doing.
//!
//! A screen is known from its first report; its token (an operator token
//! with the scope `screen:ID`, `feed-server operator add`) lets it report
//! as itself and do nothing else. The last report of each screen is kept in
//! memory for reading and in the store for restarts; each board a screen
//! drew (a `seq` it had not said before) is recorded with its time, which is
//! what answers « what did screen 3 show at 07:42 ».
//!
//! Health is judged when asked, from the report's age and content and the
//! station's current board: silent (no report for `silent_after_s`: dark or
//! cut off), not live (it has said so for `not_live_after_s`), behind (it
//! shows an older board than the station's, published more than
//! [`BEHIND_GRACE`] ago), else ok.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use quai_protocol::{Screen, ScreenHealth, ScreenReport, ScreenShows};

use crate::config::ScreenSettings;
use crate::id::ScreenId;
use crate::store::StoredScreen;

/// A screen drawing an older board than the station's for longer than this
/// is behind (a screen takes well under a second to draw a delta).
pub const BEHIND_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// Screens kept at most: past that, a report from a new screen is refused
/// (a network with more screens raises it; a flood of made-up ids does not
/// fill the memory).
pub const MAX_SCREENS: usize = 5_000;

/// A screen as the server keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Kept {
    pub report: ScreenReport,
    pub reported_at: DateTime<Utc>,
    pub first_seen: DateTime<Utc>,
    /// Since when it says what it shows now (`report.shows`).
    pub shows_since: DateTime<Utc>,
    /// When its report last reached the store.
    pub stored_at: DateTime<Utc>,
}

/// A report that changes nothing but the screen's uptime, page or language
/// reaches the store this often (each is a synchronous write); one that
/// changes what it shows, at once.
pub const STORE_EVERY: Duration = Duration::minutes(10);

/// Every known screen: a cheap handle, clones share it.
#[derive(Debug, Clone, Default)]
pub struct Fleet {
    screens: Arc<Mutex<BTreeMap<ScreenId, Kept>>>,
    /// The last picture each screen sent when asked (in memory: a look
    /// now, not a record).
    shots: Arc<Mutex<BTreeMap<ScreenId, Shot>>>,
    /// The notice ids of boards screens drew, by station and seq (a board
    /// of a seq never changes): which screens show a notice is asked often.
    carried: Arc<Mutex<Carried>>,
}

/// Notice ids by station and board seq.
type Carried = std::collections::HashMap<(String, u64), Arc<Vec<String>>>;

/// Boards whose notice ids are remembered at most.
const CARRIED: usize = 4096;

/// A picture a screen sent of what it shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Shot {
    pub png: axum::body::Bytes,
    pub taken_at: DateTime<Utc>,
}

/// Why a report is not taken.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refused {
    #[error("{MAX_SCREENS} screens are known already")]
    Full,
}

impl Fleet {
    /// The fleet as the store kept it (a report that no longer reads is
    /// left out, with a warning).
    pub fn restore(stored: Vec<StoredScreen>) -> Fleet {
        let mut screens = BTreeMap::new();
        for s in stored {
            let (Ok(id), Ok(report)) = (
                s.id.parse::<ScreenId>(),
                serde_json::from_str::<ScreenReport>(&s.report),
            ) else {
                tracing::warn!(screen = %s.id, "a stored screen report does not read; left out");
                continue;
            };
            screens.insert(
                id,
                Kept {
                    report,
                    reported_at: s.reported_at,
                    first_seen: s.first_seen,
                    shows_since: s.shows_since,
                    stored_at: s.reported_at,
                },
            );
        }
        Fleet {
            screens: Arc::new(Mutex::new(screens)),
            shots: Arc::default(),
            carried: Arc::default(),
        }
    }

    /// The notice ids of `station`'s board of `seq`, when remembered.
    pub fn carried(&self, station: &str, seq: u64) -> Option<Arc<Vec<String>>> {
        self.carried
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(station.to_string(), seq))
            .cloned()
    }

    /// Remembers the notice ids of `station`'s board of `seq`.
    pub fn remember(&self, station: &str, seq: u64, ids: Arc<Vec<String>>) {
        let mut carried = self.carried.lock().unwrap_or_else(|p| p.into_inner());
        if carried.len() >= CARRIED {
            carried.clear();
        }
        carried.insert((station.to_string(), seq), ids);
    }

    /// Keeps `png` as screen `id`'s latest picture.
    pub fn keep_shot(&self, id: ScreenId, shot: Shot) {
        self.shots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, shot);
    }

    /// Screen `id`'s latest picture.
    pub fn shot(&self, id: &str) -> Option<Shot> {
        self.shots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<ScreenId, Kept>> {
        self.screens.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What keeping `report` of screen `id` at `now` makes: the screen as
    /// kept, the board it drew when it is one it had not said, and whether
    /// the store must hear of it now (all written to the store before
    /// [`Fleet::put`]).
    pub fn prepare(
        &self,
        id: &ScreenId,
        report: ScreenReport,
        now: DateTime<Utc>,
    ) -> Result<(Kept, Option<u64>, bool), Refused> {
        let screens = self.lock();
        let before = screens.get(id);
        if before.is_none() && screens.len() >= MAX_SCREENS {
            return Err(Refused::Full);
        }
        let drew = report
            .seq
            .filter(|seq| before.is_none_or(|b| b.report.seq != Some(*seq)));
        let shows_since = match before {
            Some(b) if b.report.shows == report.shows => b.shows_since,
            _ => now,
        };
        let same = |a: &ScreenReport, b: &ScreenReport| {
            (
                &a.station,
                a.seq,
                a.shows,
                &a.layout,
                &a.version,
                a.audio,
                &a.last_error,
            ) == (
                &b.station,
                b.seq,
                b.shows,
                &b.layout,
                &b.version,
                b.audio,
                &b.last_error,
            )
        };
        let store =
            before.is_none_or(|b| !same(&b.report, &report) || now - b.stored_at >= STORE_EVERY);
        let kept = Kept {
            report,
            reported_at: now,
            first_seen: before.map_or(now, |b| b.first_seen),
            shows_since,
            stored_at: match before {
                Some(b) if !store => b.stored_at,
                _ => now,
            },
        };
        Ok((kept, drew, store))
    }

    /// Keeps `kept` as screen `id`'s last report.
    pub fn put(&self, id: ScreenId, kept: Kept) {
        self.lock().insert(id, kept);
    }

    /// Every known screen, by id.
    pub fn all(&self) -> Vec<(ScreenId, Kept)> {
        self.lock()
            .iter()
            .map(|(id, k)| (id.clone(), k.clone()))
            .collect()
    }

    pub fn get(&self, id: &str) -> Option<Kept> {
        self.lock().get(id).cloned()
    }
}

impl Kept {
    /// As the store keeps it.
    pub fn stored(&self, id: &ScreenId) -> StoredScreen {
        StoredScreen {
            id: id.to_string(),
            station: self.report.station.clone(),
            report: serde_json::to_string(&self.report).unwrap_or_default(),
            reported_at: self.reported_at,
            first_seen: self.first_seen,
            shows_since: self.shows_since,
        }
    }
}

/// Forgets the boards screens drew, and the archived boards, of more than
/// `keep_days` ago, at start and then every hour, until `cancel` fires.
pub async fn prune(
    store: Arc<crate::store::Store>,
    keep_days: u32,
    clock: crate::clock::Clock,
    cancel: tokio_util::sync::CancellationToken,
) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            _ = tick.tick() => {}
        }
        let before = clock.now() - Duration::days(i64::from(keep_days));
        let store = store.clone();
        let pruned = tokio::task::spawn_blocking(move || {
            Ok::<_, crate::store::StoreError>((
                store.screen_draws_prune(before)?,
                store.boards_prune(before)?,
            ))
        })
        .await;
        match pruned {
            Ok(Ok((draws, boards))) if draws + boards > 0 => {
                tracing::info!(
                    draws,
                    boards,
                    "screen draws and archived boards past keep_days forgotten"
                );
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "screen draws and archived boards not pruned"),
            _ => {}
        }
    }
}

/// How a screen is doing at `now`, given the station's boards (the current
/// `seq`, and the newest published [`BEHIND_GRACE`] ago or more:
/// `Hub::settled`): the health, since when, and by how many seqs it is
/// behind the current board.
pub fn health(
    kept: &Kept,
    now: DateTime<Utc>,
    boards: Option<(u64, u64)>,
    settings: &ScreenSettings,
) -> (ScreenHealth, DateTime<Utc>, Option<u64>) {
    let after = |d: std::time::Duration| Duration::from_std(d).unwrap_or(Duration::MAX);
    if now - kept.reported_at > after(settings.silent_after) {
        return (ScreenHealth::Silent, kept.reported_at, None);
    }
    let not_live = matches!(
        kept.report.shows,
        ScreenShows::NotLive | ScreenShows::Starting
    );
    if not_live && now - kept.shows_since > after(settings.not_live_after) {
        return (ScreenHealth::NotLive, kept.shows_since, None);
    }
    if let (Some(drawn), Some((current, settled))) = (kept.report.seq, boards)
        && drawn < settled
        && kept.report.shows != ScreenShows::Takeover
    {
        return (
            ScreenHealth::Behind,
            kept.reported_at,
            Some(current.saturating_sub(drawn)),
        );
    }
    (ScreenHealth::Ok, kept.shows_since, None)
}

/// A screen as `GET /v1/screens` lists it (`shot`: when its latest picture
/// came).
pub fn wire(
    id: &ScreenId,
    kept: &Kept,
    now: DateTime<Utc>,
    boards: Option<(u64, u64)>,
    settings: &ScreenSettings,
    shot: Option<DateTime<Utc>>,
) -> Screen {
    let (health, since, behind_by) = health(kept, now, boards, settings);
    let utc = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    Screen {
        id: id.to_string(),
        report: kept.report.clone(),
        reported_at: utc(kept.reported_at),
        age_s: (now - kept.reported_at).num_seconds().max(0),
        health,
        health_since: utc(since),
        behind_by,
        first_seen: utc(kept.first_seen),
        screenshot_at: shot.map(utc),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quai_protocol::AudioStatus;

    fn report(seq: Option<u64>, shows: ScreenShows) -> ScreenReport {
        ScreenReport {
            station: "caudry".into(),
            seq,
            shows,
            layout: "Hall 1080p".into(),
            page: 1,
            pages: 3,
            lang: "fr".into(),
            version: "0.1.0".into(),
            uptime_s: 60,
            frame_ms: Some(12.0),
            audio: AudioStatus::Off,
            last_error: None,
        }
    }

    #[test]
    fn silent_not_live_behind_and_ok() {
        let fleet = Fleet::default();
        let id: ScreenId = "hall-1".parse().expect("id");
        let t0 = DateTime::parse_from_rfc3339("2026-03-09T06:30:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let settings = ScreenSettings::default();
        let (kept, drew, stored) = fleet
            .prepare(&id, report(Some(5), ScreenShows::Live), t0)
            .expect("taken");
        assert_eq!((drew, stored), (Some(5), true));
        fleet.put(id.clone(), kept);
        // The same board again: no new draw.
        let (kept, drew, stored) = fleet
            .prepare(&id, report(Some(5), ScreenShows::Live), t0)
            .expect("taken");
        assert_eq!((drew, stored), (None, false), "nothing new: not written");
        let at = |s: i64| t0 + Duration::seconds(s);
        assert_eq!(
            health(&kept, at(10), Some((5, 5)), &settings).0,
            ScreenHealth::Ok
        );
        // The station is at seq 9, and was at 7 thirty seconds ago; the
        // screen still shows seq 5: behind by 4 (a busy station publishing
        // every few seconds still finds a frozen screen).
        let (h, since, by) = health(&kept, at(100), Some((9, 7)), &settings);
        assert_eq!((h, since, by), (ScreenHealth::Behind, t0, Some(4)));
        // Boards newer than 5 only in the last 30 s: not yet.
        assert_eq!(
            health(&kept, at(70), Some((7, 5)), &settings).0,
            ScreenHealth::Ok
        );
        // Three minutes without a report: silent since the last.
        let (h, since, _) = health(&kept, at(181), Some((5, 5)), &settings);
        assert_eq!((h, since), (ScreenHealth::Silent, t0));
        // Not live for two minutes.
        fleet.put(id.clone(), kept);
        let (kept, _, _) = fleet
            .prepare(&id, report(Some(5), ScreenShows::NotLive), at(30))
            .expect("taken");
        fleet.put(id.clone(), kept.clone());
        let (later, _, _) = fleet
            .prepare(&id, report(Some(5), ScreenShows::NotLive), at(140))
            .expect("taken");
        assert_eq!(later.shows_since, at(30));
        assert_eq!(
            health(&later, at(140), Some((5, 5)), &settings).0,
            ScreenHealth::Ok
        );
        let (h, since, _) = health(&later, at(151), Some((5, 5)), &settings);
        assert_eq!((h, since), (ScreenHealth::NotLive, at(30)));
    }
}
