//! The feeds of a deployment: one [`Feed`] record per configured feed (its id, its
//! configuration, its compiled timetable and how its load went), kept together
//! in the [`Feeds`] registry, so that nothing pairs a feed's parts by position.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};

use crate::config::{FeedConfig, GtfsSource};
use crate::id::FeedId;
use crate::sources::gtfs_static::{self, FeedError};
use crate::timetable::{
    ArchiveDigest, ArchiveStamp, CacheMiss, FeedTimetable, Idx, StopIdx, Table, TimetableCache,
};

/// A feed's position in its [`Feeds`] registry: the cheap handle boards and
/// stations keep (a registry never changes once loaded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FeedIdx(u32);

impl Idx for FeedIdx {
    fn new(position: usize) -> Self {
        FeedIdx(u32::try_from(position).unwrap_or(u32::MAX))
    }
    fn position(self) -> usize {
        self.0 as usize
    }
}

/// A stop of one of the feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StopRef {
    pub feed: FeedIdx,
    pub stop: StopIdx,
}

/// A stop named across feeds, `{feed}:{stop_id}` as boards, `/v1/stations` and
/// notices write it (stop ids are unique within a feed only).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StopKey {
    pub feed: FeedId,
    pub stop_id: String,
}

impl std::fmt::Display for StopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.feed, self.stop_id)
    }
}

/// How a feed's load went, for logs, `check` and `/metrics`.
#[derive(Debug, Clone)]
pub struct FeedLoad {
    /// When it was loaded (the server's clock, which `--now` may move).
    pub loaded_at: DateTime<Utc>,
    pub duration: std::time::Duration,
    pub from: LoadedFrom,
}

/// Where a timetable came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadedFrom {
    /// Read and compiled from the GTFS archive.
    Archive,
    /// Read back from the compiled-timetable cache (same archive, same server).
    Cache,
}

impl LoadedFrom {
    pub fn as_str(self) -> &'static str {
        match self {
            LoadedFrom::Archive => "archive",
            LoadedFrom::Cache => "cache",
        }
    }
}

/// One feed: what the configuration says of it and what was loaded.
#[derive(Debug)]
pub struct Feed {
    pub id: FeedId,
    pub config: FeedConfig,
    /// Shared with the feed's realtime pollers, which read it to match updates.
    pub timetable: Arc<FeedTimetable>,
    pub load: FeedLoad,
}

/// Reports loading progress (the `check` command draws bars with it).
pub trait LoadProgress: Sync {
    /// A feed starts loading.
    fn feed_started(&self, _feed: &FeedId) {}
    /// `done` of `total` bytes of stop_times read.
    fn compiling(&self, _feed: &FeedId, _done: u64, _total: u64) {}
    fn feed_done(&self, _feed: &FeedId) {}
}

/// No progress display.
pub struct Quiet;
impl LoadProgress for Quiet {}

impl Feed {
    /// Fetches, parses and compiles one feed. `now` stamps the load.
    pub async fn load(
        config: FeedConfig,
        now: DateTime<Utc>,
        progress: &(dyn LoadProgress + Send),
    ) -> Result<Feed, FeedError> {
        Feed::load_cached(config, now, progress, None).await
    }

    /// The same, with a compiled-timetable cache: an archive file that its stamp
    /// shows unchanged is not read at all; any other archive is fetched (its
    /// content is the key), but an unchanged one is not compiled again. A cold
    /// load writes the cache in the background, after the feed is served.
    pub async fn load_cached(
        config: FeedConfig,
        now: DateTime<Utc>,
        progress: &(dyn LoadProgress + Send),
        cache: Option<&TimetableCache>,
    ) -> Result<Feed, FeedError> {
        progress.feed_started(&config.id);
        let started = Instant::now();
        // The file as it is now (see `ArchiveStamp`); a file over the size limit
        // is left to `fetch` to refuse.
        let now_stamp = match (&config.gtfs, cache) {
            (GtfsSource::Path(path), Some(_)) => {
                ArchiveStamp::of(path).filter(|s| s.file_len() <= config.max_bytes)
            }
            _ => None,
        };
        let mut look_in_cache = cache;
        if let (Some(cache), Some(stamp)) = (cache, &now_stamp) {
            match cache.read_unchanged(config.id.as_str(), stamp, &config.platforms) {
                Ok(t) => {
                    tracing::debug!(feed = %config.id, "archive unchanged since its timetable was kept: not read");
                    return Ok(Feed::loaded(
                        config,
                        now,
                        started,
                        (Arc::new(t), LoadedFrom::Cache),
                        progress,
                    ));
                }
                Err(CacheMiss::Absent | CacheMiss::Unconfirmed(_)) => {}
                Err(miss) => {
                    // The archive is unchanged: its content would find the same.
                    tracing::warn!(feed = %config.id, "compiled timetable not used: {miss}");
                    look_in_cache = None;
                }
            }
        }
        // The stamp kept with a timetable is the one `fetch` took on the file it
        // read.
        let gtfs_static::Fetched { archive, stamp } = gtfs_static::fetch(&config).await?;
        let location = config.gtfs.location();
        // Reading and compiling are CPU-bound and run inline: loading happens before
        // the server accepts connections, so there is nothing to starve yet. (The
        // cache is read after the archive, not beside it: on two cores, reading both
        // at once was slower, 40-46 ms against 30-33 for SNCF TER.)
        let digest = cache.and_then(|_| gtfs_static::archive_digest(&archive));
        let cached = match (look_in_cache, &digest) {
            (Some(cache), Some(digest)) => {
                match cache.read(config.id.as_str(), digest, &config.platforms) {
                    Ok(t) => Some(t),
                    Err(CacheMiss::Absent) => None,
                    Err(miss) => {
                        tracing::warn!(feed = %config.id, "compiled timetable not used: {miss}");
                        None
                    }
                }
            }
            _ => None,
        };
        let keep = |timetable: &Arc<FeedTimetable>, again: bool| {
            if let (Some(cache), Some(digest)) = (cache, digest) {
                keep_in_background(cache, &config, digest, stamp, timetable, again);
            }
        };
        let loaded = match cached {
            Some(t) => {
                // Found by its content: the file's stamp could not vouch for it
                // (copied, touched, or written just before). Kept again with the
                // stamp taken now once that one can, so that the next start need
                // not read the archive.
                let timetable = Arc::new(t);
                if stamp.is_some_and(|s| s.settled()) {
                    keep(&timetable, true);
                }
                (timetable, LoadedFrom::Cache)
            }
            None => {
                let id = config.id.clone();
                let timetable = Arc::new(gtfs_static::load(
                    &config.id,
                    &location,
                    &archive,
                    config.platforms.clone(),
                    &|done, total| progress.compiling(&id, done, total),
                )?);
                keep(&timetable, false);
                (timetable, LoadedFrom::Archive)
            }
        };
        Ok(Feed::loaded(config, now, started, loaded, progress))
    }

    /// The feed, its load logged.
    fn loaded(
        config: FeedConfig,
        now: DateTime<Utc>,
        started: Instant,
        (timetable, from): (Arc<FeedTimetable>, LoadedFrom),
        progress: &(dyn LoadProgress + Send),
    ) -> Feed {
        progress.feed_done(&config.id);
        tracing::info!(
            feed = %config.id,
            from = from.as_str(),
            trips = timetable.trips.len(),
            stop_times = timetable.stop_times.len(),
            warnings = timetable.warning_count,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "feed loaded"
        );
        for w in &timetable.warnings {
            tracing::warn!(feed = %config.id, "{w}");
        }
        Feed {
            id: config.id.clone(),
            config,
            timetable,
            load: FeedLoad {
                loaded_at: now,
                duration: started.elapsed(),
                from,
            },
        }
    }
}

/// Writes `timetable` to `cache` on a blocking thread, once the feed is served.
/// Keeping it `again` (only to renew the stamp) fails quietly: a cache that
/// cannot be written (a read-only folder shipped in an image) still serves.
fn keep_in_background(
    cache: &TimetableCache,
    config: &FeedConfig,
    digest: ArchiveDigest,
    stamp: Option<ArchiveStamp>,
    timetable: &Arc<FeedTimetable>,
    again: bool,
) {
    let (cache, timetable) = (cache.clone(), Arc::clone(timetable));
    let (id, labels) = (config.id.clone(), config.platforms.clone());
    tokio::task::spawn_blocking(move || {
        let written = cache.write(id.as_str(), &digest, stamp.as_ref(), &labels, &timetable);
        match written {
            Err(e) if again => tracing::debug!(
                feed = %id,
                dir = %cache.dir().display(),
                "cannot keep the compiled timetable again: {e}"
            ),
            Err(e) => tracing::warn!(
                feed = %id,
                dir = %cache.dir().display(),
                "cannot keep the compiled timetable: {e}"
            ),
            Ok(()) => {}
        }
    });
}

/// Every feed of a deployment, in configuration order.
#[derive(Debug, Default)]
pub struct Feeds {
    feeds: Table<FeedIdx, Feed>,
}

impl Feeds {
    pub fn new(feeds: Vec<Feed>) -> Feeds {
        Feeds {
            feeds: feeds.into_iter().collect(),
        }
    }

    /// The feed with `id`.
    pub fn find(&self, id: &str) -> Option<(FeedIdx, &Feed)> {
        self.feeds.enumerate().find(|(_, f)| f.id == *id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Feed> {
        self.feeds.iter()
    }

    pub fn enumerate(&self) -> impl Iterator<Item = (FeedIdx, &Feed)> {
        self.feeds.enumerate()
    }

    pub fn len(&self) -> usize {
        self.feeds.len()
    }

    pub fn is_empty(&self) -> bool {
        self.feeds.is_empty()
    }

    /// The stop's name across feeds.
    pub fn stop_key(&self, stop: StopRef) -> StopKey {
        let feed = &self.feeds[stop.feed];
        StopKey {
            feed: feed.id.clone(),
            stop_id: feed.timetable.stops[stop.stop].id.clone(),
        }
    }
}

impl std::ops::Index<FeedIdx> for Feeds {
    type Output = Feed;
    fn index(&self, i: FeedIdx) -> &Feed {
        &self.feeds[i]
    }
}
