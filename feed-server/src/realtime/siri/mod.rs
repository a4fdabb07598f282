//! Accepting one SIRI body: read it ([`crate::sources::siri`]), refuse what
//! would corrupt the state (a delivery from the future, or older than the one
//! held), match its journeys to the timetable ([`journeys`]) or its situations
//! to the timetable's routes and stops ([`situations`]), and store the result
//! whole, beside the feed's GTFS-Realtime.

mod added;
pub mod journeys;
pub mod refs;
pub mod situations;

use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use refs::References;

use super::{Accepted, Polled, RealtimeStore};
use crate::config::{DelayBounds, SiriService};
use crate::id::FeedId;
use crate::sources::siri::{self, SiriError};
use crate::timetable::FeedTimetable;

/// Why a body was refused.
#[derive(Debug, thiserror::Error)]
pub enum SiriIngestError {
    #[error(transparent)]
    Siri(#[from] SiriError),
    #[error("ResponseTimestamp {got} is older than the last accepted {last}; kept the last one")]
    Backwards { got: u64, last: u64 },
    #[error("ResponseTimestamp {got} is {ahead_s} s in the future (clock skew?); refused")]
    Future { got: u64, ahead_s: i64 },
}

/// What one SIRI poller reads against.
pub struct Context<'a> {
    pub feed: &'a FeedId,
    pub timetable: &'a FeedTimetable,
    pub refs: &'a References,
    pub delay_bounds: DelayBounds,
}

/// Reads a body of `service` and, if newer than what the store holds, stores
/// what it says. `now` is the server's clock.
pub fn ingest(
    store: &RealtimeStore,
    cx: &Context<'_>,
    service: SiriService,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Polled, SiriIngestError> {
    let delivery = siri::parse(body, service, defaults(cx))?;
    let polled = ingest_delivery(store, cx, service, delivery, now)?;
    if polled == Polled::Accepted {
        store.keep(cx.feed, super::Kind::Siri(service), &[body], now);
    }
    Ok(polled)
}

/// What the feed says that a body may not: texts without a language are in
/// the feed's (`agency_lang`), else French (SIRI Lite producers that omit it
/// are French ones); times without an offset are in the feed's zone.
pub fn defaults<'a>(cx: &'a Context<'_>) -> siri::Defaults<'a> {
    siri::Defaults {
        lang: cx.timetable.lang.as_deref().unwrap_or("fr"),
        timezone: cx.timetable.timezone,
    }
}

/// The same for a delivery already read (several bodies merged: one
/// StopMonitoring request per stop).
pub fn ingest_delivery(
    store: &RealtimeStore,
    cx: &Context<'_>,
    service: SiriService,
    delivery: siri::Delivery,
    now: DateTime<Utc>,
) -> Result<Polled, SiriIngestError> {
    // A delivery without a timestamp is dated by its arrival.
    let ts = delivery
        .timestamp
        .map(|t| t.timestamp().max(0) as u64)
        .unwrap_or_else(|| now.timestamp().max(0) as u64);
    let ahead_s = i64::try_from(ts)
        .unwrap_or(i64::MAX)
        .saturating_sub(now.timestamp());
    if ahead_s > 300 {
        return Err(SiriIngestError::Future { got: ts, ahead_s });
    }
    let kind = super::Kind::Siri(service);
    let held = store.get(cx.feed);
    if let Some(last) = held.header_timestamp(kind) {
        if ts < last {
            return Err(SiriIngestError::Backwards { got: ts, last });
        }
        if ts == last {
            return Ok(Polled::Unchanged);
        }
    }
    if service.has_journeys() {
        let mut matched = journeys::match_journeys(&delivery.journeys, cx.timetable, cx.refs);
        matched.counts.received += delivery.unreadable;
        matched.counts.unknown_trip += delivery.unreadable;
        let data = matched.attach(cx.feed.as_str(), cx.timetable, cx.delay_bounds);
        let before = held
            .siri_journeys
            .get(&service)
            .map(|a| a.data.attachment.percent());
        if before != Some(data.attachment.percent()) {
            tracing::info!(feed = %cx.feed, kind = service.name(), "{}", data.attachment.summary());
        }
        store.put_siri_journeys(cx.feed, service, accepted(data, ts, now));
    } else {
        let mut data = situations::alerts(&delivery.situations, cx.timetable, cx.refs);
        if let Some(previous) = held.siri_situations.get(&service) {
            data.keep_unchanged_times(&previous.data);
        }
        store.put_siri_situations(cx.feed, service, accepted(data, ts, now));
    }
    tracing::debug!(feed = %cx.feed, kind = service.name(), timestamp = ts, "accepted");
    Ok(Polled::Accepted)
}

fn accepted<T>(data: T, header_timestamp: u64, now: DateTime<Utc>) -> Accepted<T> {
    Accepted {
        data: Arc::new(data),
        header_timestamp,
        received_at: now,
    }
}
