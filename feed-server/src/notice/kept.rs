//! The operator notices the server holds in memory, each with its fields parsed
//! once (instants, cause, effect, weekly slots) so that building a board never
//! parses text. The boards read this copy; the store is the durable one.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use quai_protocol::{NoticeStatus, OperatorNotice};

use super::weekly::Weekly;
use crate::realtime::{Cause, Effect};

/// A span of time; either end may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Period {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

impl Period {
    /// From RFC 3339 texts; a text that does not parse leaves that end open
    /// (stored notices were validated when written).
    pub fn parse(start: &Option<String>, end: &Option<String>) -> Period {
        Period {
            start: instant(start.as_deref()),
            end: instant(end.as_deref()),
        }
    }

    /// Whether `t` is within `[start, end)`.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start.is_none_or(|s| s <= t) && self.end.is_none_or(|e| t < e)
    }
}

/// An RFC 3339 instant.
pub fn instant(text: Option<&str>) -> Option<DateTime<Utc>> {
    text.and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// A stored operator notice, as the API returns it, and what boards need of it.
#[derive(Debug, Clone, PartialEq)]
pub struct KeptNotice {
    pub stored: OperatorNotice,
    pub cause: Cause,
    pub effect: Effect,
    pub publication: Period,
    pub active_periods: Vec<Period>,
    pub weekly: Vec<Weekly>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl KeptNotice {
    pub fn new(stored: OperatorNotice) -> KeptNotice {
        let input = &stored.input;
        KeptNotice {
            cause: input.cause.parse().unwrap_or(Cause::UnknownCause),
            effect: input.effect.parse().unwrap_or(Effect::UnknownEffect),
            publication: Period::parse(&input.publication.start, &input.publication.end),
            active_periods: input
                .active_periods
                .iter()
                .map(|p| Period::parse(&p.start, &p.end))
                .collect(),
            weekly: input.weekly.iter().filter_map(Weekly::parse).collect(),
            updated_at: instant(Some(&stored.updated_at)),
            stored,
        }
    }

    pub fn id(&self) -> &str {
        &self.stored.id
    }

    /// Published, and within its publication period at `now`: passengers see it.
    pub fn shown_at(&self, now: DateTime<Utc>) -> bool {
        self.stored.input.status == NoticeStatus::Published && self.publication.contains(now)
    }
}

/// The notices held in memory: a cheap handle, clones share the same list.
#[derive(Debug, Clone, Default)]
pub struct Notices {
    list: Arc<RwLock<Vec<Arc<KeptNotice>>>>,
    /// Moves on every write (boards built from an older version are rebuilt).
    version: Arc<AtomicU64>,
    /// Whether the list holds every stored notice: made from the store, or
    /// read whole from PostgreSQL since (an edge started while it was out
    /// of reach has not).
    loaded: Arc<std::sync::atomic::AtomicBool>,
}

impl Notices {
    pub fn new(stored: Vec<OperatorNotice>) -> Notices {
        let list = stored
            .into_iter()
            .map(|n| Arc::new(KeptNotice::new(n)))
            .collect();
        Notices {
            list: Arc::new(RwLock::new(list)),
            version: Arc::default(),
            loaded: Arc::new(true.into()),
        }
    }

    /// Whether every stored notice is held.
    pub fn loaded(&self) -> bool {
        self.loaded.load(Ordering::Acquire)
    }

    /// Every stored notice has been read in.
    pub fn mark_loaded(&self) {
        self.loaded.store(true, Ordering::Release);
    }

    /// Moves on every write.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// Every notice (cheap: the list holds `Arc`s).
    pub fn all(&self) -> Vec<Arc<KeptNotice>> {
        // Writers replace whole values; a poisoned lock still holds a whole list.
        self.list.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn find(&self, id: &str) -> Option<Arc<KeptNotice>> {
        self.list
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .find(|n| n.id() == id)
            .cloned()
    }

    /// Takes the whole list `relayed` by the ingest node (an edge without
    /// PostgreSQL, `edge::exports`); the version moves only if it differs.
    pub fn take_all(&self, relayed: Vec<OperatorNotice>) {
        let mut list = self.list.write().unwrap_or_else(|p| p.into_inner());
        let same =
            list.len() == relayed.len() && list.iter().zip(&relayed).all(|(a, b)| a.stored == *b);
        if same {
            return;
        }
        *list = relayed
            .into_iter()
            .map(|n| Arc::new(KeptNotice::new(n)))
            .collect();
        self.version.fetch_add(1, Ordering::Release);
    }

    /// Puts a written notice in place of its older version (or adds it);
    /// false, changing nothing, when the version held is as new or newer (a
    /// write heard twice: from the API and from PostgreSQL, `notice::watch`).
    pub fn replace(&self, notice: OperatorNotice) -> bool {
        let kept = Arc::new(KeptNotice::new(notice));
        let mut list = self.list.write().unwrap_or_else(|p| p.into_inner());
        match list.iter_mut().find(|n| n.id() == kept.id()) {
            Some(slot) if slot.stored.version >= kept.stored.version => return false,
            Some(slot) => *slot = kept,
            None => list.push(kept),
        }
        self.version.fetch_add(1, Ordering::Release);
        true
    }
}
