//! Accepting one GTFS-Realtime body: decode it, refuse what would corrupt the
//! state (a message from the future, or older than the one held), index it
//! against the feed's timetable, and store it whole.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::wire::{Split, SplitError};
use super::{Accepted, Alerts, Kind, RealtimeStore, TripUpdates, Vehicles};
use crate::config::DelayBounds;
use crate::id::FeedId;
use crate::timetable::FeedTimetable;

/// Why a body was refused.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Split(#[from] SplitError),
    #[error("header timestamp {got} is older than the last accepted {last}; kept the last one")]
    Backwards { got: u64, last: u64 },
    #[error(
        "header timestamp {got} is {ahead_s} s in the future (clock skew or milliseconds?); refused"
    )]
    Future { got: u64, ahead_s: i64 },
    #[error("{0} is not a kind of GTFS-Realtime message")]
    NotGtfsRt(&'static str),
}

/// What a message may hold and what its values may say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Entities one message may hold; a message with more is refused whole,
    /// before any of them is decoded.
    pub max_entities: usize,
    /// Delays beyond which a predicted time is dropped.
    pub delay_bounds: DelayBounds,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_entities: crate::config::defaults::REALTIME_MAX_ENTITIES,
            delay_bounds: DelayBounds::default(),
        }
    }
}

/// What an accepted body did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polled {
    Accepted,
    /// The same header timestamp as the state we hold.
    Unchanged,
}

/// Decodes a body of `kind` for feed `feed` and, if it is newer than what the
/// store holds, indexes it against `timetable` and stores it. `now` is the
/// server's clock. A body of more than `limits.max_entities` entities is
/// refused before any of them is decoded; the others are decoded one at a time,
/// and only what boards can use is kept (updates of running trips, checked
/// against the timetable and counted: [`super::attachment`]; vehicles of known
/// trips; added trips; capped alerts).
pub fn ingest(
    store: &RealtimeStore,
    feed: &FeedId,
    timetable: &FeedTimetable,
    kind: Kind,
    body: &[u8],
    limits: Limits,
    now: DateTime<Utc>,
) -> Result<Polled, IngestError> {
    if let Kind::Siri(service) = kind {
        return Err(IngestError::NotGtfsRt(service.name()));
    }
    let split = Split::read(body, limits.max_entities)?;
    // A message without a timestamp is dated by its arrival.
    let ts = split
        .header
        .timestamp
        .unwrap_or_else(|| now.timestamp().max(0) as u64);
    // A message from the future would block every later one (they would all look
    // older) and never turn stale: refuse it.
    let ahead_s = i64::try_from(ts)
        .unwrap_or(i64::MAX)
        .saturating_sub(now.timestamp());
    if ahead_s > 300 {
        return Err(IngestError::Future { got: ts, ahead_s });
    }
    let held = store.get(feed);
    if let Some(last) = held.header_timestamp(kind) {
        if ts < last {
            return Err(IngestError::Backwards { got: ts, last });
        }
        if ts == last {
            return Ok(Polled::Unchanged);
        }
    }
    let known = |t: &str| timetable.trip_index(t).is_some();
    let mut error = None;
    let entities = split.decoded(&mut error);
    match kind {
        Kind::TripUpdates => {
            let data = TripUpdates::from_entities(entities, known);
            if let Some(e) = error {
                return Err(e.into());
            }
            let data = data.attach(feed.as_str(), timetable, limits.delay_bounds);
            let before = held.trip_updates.as_ref().map(|t| &t.data.attachment);
            if before.and_then(|a| band(a.percent())) != band(data.attachment.percent()) {
                tracing::info!(%feed, "trip updates: {}", data.attachment.summary());
            }
            store.put_trip_updates(feed, accepted(data, ts, now));
        }
        Kind::VehiclePositions => {
            let data = Vehicles::from_entities(entities, known);
            if let Some(e) = error {
                return Err(e.into());
            }
            store.put_vehicles(feed, accepted(data, ts, now));
        }
        Kind::Alerts => {
            let lang = timetable.lang.as_deref().unwrap_or("und");
            let updated = split.header.timestamp.unwrap_or_default();
            let mut data = Alerts::from_entities(updated, entities, lang);
            if let Some(e) = error {
                return Err(e.into());
            }
            if let Some(previous) = held.alerts {
                data.keep_unchanged_times(&previous.data);
            }
            store.put_alerts(feed, accepted(data, ts, now));
        }
        Kind::Siri(_) => {}
    }
    store.keep(feed, kind, &[body], now);
    tracing::debug!(%feed, kind = kind.name(), header_timestamp = ts, "accepted");
    Ok(Polled::Accepted)
}

/// A quarter of the share of trip updates that attach (0: under 25 %... 3:
/// 75 % or more, 4: all): one log line when a feed moves to another band.
fn band(percent: Option<u32>) -> Option<u32> {
    percent.map(|p| if p == 100 { 4 } else { (p / 25).min(3) })
}

fn accepted<T>(data: T, header_timestamp: u64, now: DateTime<Utc>) -> Accepted<T> {
    Accepted {
        data: Arc::new(data),
        header_timestamp,
        received_at: now,
    }
}
