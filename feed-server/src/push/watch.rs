//! The watcher: looks at every followed line, stop and trip (each once, for
//! all its followers), works out what each follower must be told
//! ([`super::change`]), and records it with the pushes to send in one store
//! transaction; the sender is then woken. It looks every `[push] check_s`,
//! and within half a second of a notice write (operators' notices are what
//! followers most wait for).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Timelike as _;
use quai_protocol::Follow;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::change::{self, Seen};
use super::follow::{self, Unknown};
use crate::config::PushSettings;
use crate::followed::TripViews;
use crate::stop_station::StopStations;
use crate::store::StoreError;
use crate::store::push::{Queued, Told};

use super::{PushStore, Turn};

/// How long a trip's push is worth delivering (RFC 8030 TTL).
const TRIP_TTL_S: u32 = 30 * 60;
/// How long a notice's push is.
const NOTICE_TTL_S: u32 = 6 * 3600;

#[derive(Clone)]
pub struct Watcher {
    pub settings: PushSettings,
    pub store: PushStore,
    /// Whether this node looks now (one of two ingest nodes sharing
    /// PostgreSQL: the lease holder).
    pub turn: Turn,
    pub trips: TripViews,
    pub stops: Arc<StopStations>,
    /// The time zone of the quiet hours.
    pub timezone: chrono_tz::Tz,
    /// Wakes the sender.
    pub wake: Arc<Notify>,
}

/// What one look did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Looked {
    pub follows: usize,
    pub queued: usize,
    pub unfollowed: usize,
}

impl Watcher {
    /// One look at everything followed (blocking: the store and the views).
    pub fn look(&self) -> Result<Looked, StoreError> {
        let follows = self.store.push_follows()?;
        let mut looked = Looked {
            follows: follows.len(),
            ..Looked::default()
        };
        if follows.is_empty() {
            return Ok(looked);
        }
        let threshold = self.settings.delay_threshold_s;
        let (told, gone, quiet) = self.trips.with_inputs(|calls, notices, now| {
            let local = now.with_timezone(&self.timezone);
            let quiet = self
                .settings
                .quiet_hours
                .is_some_and(|q| q.contains(local.hour() * 60 + local.minute()));
            let mut subjects: HashMap<&Follow, Result<follow::Subject, Unknown>> = HashMap::new();
            let mut told = Vec::new();
            let mut gone = Vec::new();
            for f in &follows {
                let subject = subjects.entry(&f.follow).or_insert_with(|| {
                    follow::subject(calls, notices, &self.stops, &f.follow, now)
                });
                let subject = match subject {
                    Ok(s) => s,
                    Err(Unknown::Ever) => {
                        gone.push((f.subscription.clone(), f.follow.clone()));
                        continue;
                    }
                    Err(Unknown::Now) => continue,
                };
                let seen: Option<Seen> =
                    f.seen.as_deref().and_then(|j| serde_json::from_str(j).ok());
                let (knows, tells) = change::changes(seen.as_ref(), subject, &f.lang, threshold);
                if subject.trip.as_ref().is_some_and(|t| t.over) {
                    // Nothing more to tell of a call the vehicle has left.
                    gone.push((f.subscription.clone(), f.follow.clone()));
                    continue;
                }
                if seen.as_ref() == Some(&knows) && tells.is_empty() {
                    continue;
                }
                let Ok(seen) = serde_json::to_string(&knows) else {
                    continue;
                };
                let push = tells
                    .into_iter()
                    .filter_map(|mut tell| {
                        tell.message.silent = quiet;
                        Some(Queued {
                            tag: tell.tag,
                            payload: serde_json::to_string(&tell.message).ok()?,
                            // A trip's change is for now, quiet hours or not
                            // (a low urgency may wait for the phone's next
                            // charge); a notice can wait in the night.
                            urgency: match (tell.urgent, quiet) {
                                (true, _) => "high",
                                (false, true) => "low",
                                (false, false) => "normal",
                            },
                            ttl_s: if tell.urgent {
                                TRIP_TTL_S
                            } else {
                                NOTICE_TTL_S
                            },
                        })
                    })
                    .collect();
                told.push(Told {
                    subscription: f.subscription.clone(),
                    follow: f.follow.clone(),
                    seen,
                    push,
                });
            }
            (told, gone, quiet)
        });
        looked.queued = told.iter().map(|t| t.push.len()).sum();
        self.store.push_told(&told, chrono::Utc::now())?;
        for (subscription, follow) in &gone {
            self.store.push_unfollow(subscription, follow)?;
        }
        looked.unfollowed = gone.len();
        if looked.queued > 0 {
            tracing::info!(queued = looked.queued, quiet, "push alerts queued");
            self.wake.notify_one();
        }
        Ok(looked)
    }

    /// Looks every `check_s`, and soon after each notice write, until
    /// `cancel`; deletes the subscriptions not renewed for `keep_days`,
    /// hourly.
    pub async fn run(self, cancel: CancellationToken) {
        let mut tick = tokio::time::interval(Duration::from_millis(500).min(self.settings.check));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut notices = None;
        let mut last_look: Option<Instant> = None;
        let mut last_sweep: Option<Instant> = None;
        loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                _ = tick.tick() => {}
            }
            if !self.turn.now() {
                // Looked at afresh when the turn comes.
                last_look = None;
                continue;
            }
            let version = self.trips.notices.version();
            let due = last_look.is_none_or(|t| t.elapsed() >= self.settings.check);
            if !due && notices == Some(version) {
                continue;
            }
            notices = Some(version);
            last_look = Some(Instant::now());
            let sweep = last_sweep.is_none_or(|t| t.elapsed() >= Duration::from_secs(3600));
            if sweep {
                last_sweep = Some(Instant::now());
            }
            let me = self.clone();
            let done = tokio::task::spawn_blocking(move || {
                if sweep {
                    let before = chrono::Utc::now() - me.settings.keep;
                    match me.store.push_sweep(before) {
                        Ok(0) => {}
                        Ok(n) => {
                            tracing::info!(deleted = n, "push subscriptions not renewed deleted")
                        }
                        Err(e) => tracing::warn!("push sweep: {e}"),
                    }
                }
                me.look()
            })
            .await;
            match done {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!("push alerts: cannot look at follows: {e}"),
                Err(e) => tracing::error!("push alerts: the watcher failed: {e}"),
            }
        }
    }
}
