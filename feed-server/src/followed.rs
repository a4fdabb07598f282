//! Followed trips: per-run versioned state and fan-out to stream
//! subscribers (`{"op":"subscribe","trip":…}`), with the stations' rules
//! ([`crate::hub`]): a `seq` per change, a bounded log of deltas for
//! resuming with `since`, a snapshot otherwise, the same slow-consumer
//! policy (a full queue drops the subscriber, told "too slow").
//!
//! A run's channel is made when a client first follows it, refreshed once a
//! second while someone follows it ([`crate::publish::Boards::run`]), and
//! dropped when nobody has followed it for the replay age. At most
//! [`MAX_FOLLOWED`] runs are followed at once.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use quai_protocol::{ServerMessage, Trip, TripDelta};

use crate::hub::{HubCounters, Outgoing, ReplayLimits, Start, Subscriber, Subscribers, now_micros};

/// Most runs followed at once.
pub const MAX_FOLLOWED: usize = 10_000;

/// Most runs one connection follows.
pub const MAX_PER_CONNECTION: usize = 50;

/// Most deltas kept per run for replays (a run's delta may hold all its
/// calls: far fewer than a station's).
const MAX_REPLAY: usize = 32;

/// The stream topic of a run (station ids hold no `:`, so no clash).
pub fn topic(key: &str) -> String {
    format!("trip:{key}")
}

#[derive(Debug, Default)]
struct Channel {
    state: Option<(u64, Arc<Trip>)>,
    log: VecDeque<(Instant, Arc<Outgoing>)>,
    subscribers: Subscribers,
    /// Since when nobody follows it.
    idle_since: Option<Instant>,
}

/// Why a run cannot be followed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FollowError {
    #[error("{MAX_FOLLOWED} trips are followed already; try again later")]
    TooMany,
    #[error("the connection's queue is full")]
    QueueFull,
}

#[derive(Debug)]
pub struct Followed {
    channels: Mutex<HashMap<String, Channel>>,
    /// The next `seq`, shared by every run: a run forgotten and followed
    /// again never reuses a number a client may still hold.
    next_seq: std::sync::atomic::AtomicU64,
    limits: ReplayLimits,
    pub counters: HubCounters,
}

impl Followed {
    pub fn new(limits: ReplayLimits) -> Followed {
        Followed {
            channels: Mutex::default(),
            next_seq: std::sync::atomic::AtomicU64::new(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as u64)
                    .unwrap_or(1),
            ),
            limits: ReplayLimits {
                deltas: limits.deltas.min(MAX_REPLAY),
                age: limits.age,
            },
            counters: HubCounters::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Channel>> {
        self.channels.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The runs someone follows.
    pub fn keys(&self) -> Vec<String> {
        self.lock()
            .iter()
            .filter(|(_, c)| !c.subscribers.is_empty())
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The `seq` of a followed run's last state.
    pub fn seq(&self, key: &str) -> Option<u64> {
        self.lock().get(key)?.state.as_ref().map(|(s, _)| *s)
    }

    /// Publishes `trip` as run `key`'s state if it changed: a new `seq`, a
    /// delta to its followers and its log.
    pub fn publish(&self, key: &str, trip: Trip) {
        let mut all = self.lock();
        if let Some(channel) = all.get_mut(key) {
            self.publish_in(key, channel, trip);
        }
    }

    fn publish_in(&self, key: &str, channel: &mut Channel, mut trip: Trip) {
        trip.id = key.to_string();
        let Some((seq, last)) = &channel.state else {
            let first = self.next_seq.fetch_add(1, Ordering::Relaxed);
            channel.state = Some((first, Arc::new(trip)));
            return;
        };
        // Only what passengers see: not the time it was worked out.
        let same = last.calls == trip.calls
            && last.cancelled == trip.cancelled
            && last.vehicle == trip.vehicle
            && last.notices == trip.notices
            && last.realtime == trip.realtime;
        if same {
            return;
        }
        let next = self.next_seq.fetch_add(1, Ordering::Relaxed).max(seq + 1);
        let delta = TripDelta::between(last, &trip, next, *seq, now_micros());
        let out = Arc::new(Outgoing::new(&topic(key), ServerMessage::TripDelta(delta)));
        self.limits.keep(&mut channel.log, &out);
        channel.subscribers.fan_out(&out);
        channel.state = Some((next, Arc::new(trip)));
        self.counters.published.fetch_add(1, Ordering::Relaxed);
    }

    /// Registers `subscriber` for run `key`, whose state now is `current`,
    /// and queues, under the run's lock, the replay after `since` when the
    /// log holds it, else a snapshot.
    pub fn subscribe(
        &self,
        key: &str,
        since: Option<u64>,
        current: Trip,
        subscriber: Subscriber,
    ) -> Result<Start, FollowError> {
        let mut all = self.lock();
        if !all.contains_key(key) && all.len() >= MAX_FOLLOWED {
            return Err(FollowError::TooMany);
        }
        let channel = all.entry(key.to_string()).or_default();
        // An earlier registration of this connection goes first: it must not
        // get a change and then its replay again.
        channel.subscribers.remove(subscriber.connection);
        // The state the refresh keeps is the run's; `current` starts a new
        // run only (published here, it could be older than the refresh's).
        if channel.state.is_none() {
            self.publish_in(key, channel, current);
        }
        let Some((seq, trip)) = channel.state.clone() else {
            return Err(FollowError::QueueFull);
        };
        let replay: Vec<Arc<Outgoing>> = match since {
            Some(s) if s < seq => channel
                .log
                .iter()
                .filter(|(_, o)| matches!(&o.message, ServerMessage::TripDelta(d) if d.seq > s))
                .map(|(_, o)| o.clone())
                .collect(),
            _ => Vec::new(),
        };
        let starts_right = replay.first().is_some_and(
            |o| matches!(&o.message, ServerMessage::TripDelta(d) if Some(d.prev_seq) == since),
        );
        let start = match since {
            Some(s) if s == seq => Start::UpToDate,
            Some(_) if starts_right && replay.len() < subscriber.queue.capacity() => {
                for o in &replay {
                    subscriber
                        .queue
                        .try_send(o.clone())
                        .map_err(|_| FollowError::QueueFull)?;
                }
                Start::Replayed(replay.len())
            }
            _ => {
                let snapshot = ServerMessage::TripSnapshot {
                    trip: key.to_string(),
                    seq,
                    state: (*trip).clone(),
                    server_time: now_micros(),
                };
                subscriber
                    .queue
                    .try_send(Arc::new(Outgoing::new(&topic(key), snapshot)))
                    .map_err(|_| FollowError::QueueFull)?;
                Start::Snapshot
            }
        };
        let counter = match (since, start) {
            (Some(_), Start::Snapshot) => Some(&self.counters.replay_misses),
            (Some(_), _) => Some(&self.counters.replay_hits),
            _ => None,
        };
        if let Some(c) = counter {
            c.fetch_add(1, Ordering::Relaxed);
        }
        channel.subscribers.insert(subscriber);
        channel.idle_since = None;
        Ok(start)
    }

    pub fn unsubscribe(&self, key: &str, connection: u64) {
        if let Some(channel) = self.lock().get_mut(key) {
            channel.subscribers.remove(connection);
        }
    }

    /// Drops the runs nobody has followed for the replay age (their
    /// followers gone: connections closed, or dropped as too slow).
    pub fn sweep(&self) {
        let now = Instant::now();
        let age = self.limits.age;
        self.lock().retain(|_, c| {
            c.subscribers.retain(|s| !s.queue.is_closed());
            if !c.subscribers.is_empty() {
                c.idle_since = None;
                return true;
            }
            let since = *c.idle_since.get_or_insert(now);
            now.duration_since(since) <= age
        });
    }
}

/// Works out a run now, for followers: what `GET /v1/trips/{id}` answers.
#[derive(Debug, Clone)]
pub struct TripViews {
    pub deployment: Arc<crate::deployment::Deployment>,
    pub realtime: crate::realtime::RealtimeStore,
    pub notices: crate::notice::Notices,
    pub clock: crate::clock::Clock,
    pub followed: Arc<Followed>,
}

impl TripViews {
    /// `f` of the per-call inputs and the notices now (read once for as
    /// many runs or lines as `f` works out).
    pub fn with_inputs<T>(
        &self,
        f: impl FnOnce(
            &crate::board::CallInputs<'_>,
            &[Arc<crate::notice::KeptNotice>],
            chrono::DateTime<chrono::Utc>,
        ) -> T,
    ) -> T {
        let d = &self.deployment;
        let now = chrono::SubsecRound::trunc_subsecs(self.clock.now(), 0);
        let realtime: crate::timetable::Table<crate::feed::FeedIdx, crate::realtime::RealtimeView> =
            d.feeds
                .iter()
                .map(|f| self.realtime.get(&f.id).view(&f.config, now))
                .collect();
        let calls = crate::board::CallInputs {
            feeds: &d.feeds,
            realtime: &realtime,
            settings: d.board,
        };
        f(&calls, &self.notices.all(), now)
    }

    /// The run of departure id `id` now.
    pub fn view(&self, id: &crate::board::DepartureId) -> Result<Trip, crate::trip::TripError> {
        self.with_inputs(|calls, notices, now| crate::trip::view(calls, notices, id, now))
    }

    /// Works out every followed run again and publishes what changed; drops
    /// the runs nobody follows any more. A run that can no longer be worked
    /// out (a new timetable without it) keeps its last state. The realtime
    /// and the notices are read once for all runs.
    pub fn refresh(&self) {
        let keys = self.followed.keys();
        if !keys.is_empty() {
            self.with_inputs(|calls, notices, now| {
                for key in keys {
                    if let Ok(id) = key.parse::<crate::board::DepartureId>()
                        && let Ok(trip) = crate::trip::view(calls, notices, &id, now)
                    {
                        self.followed.publish(&key, trip);
                    }
                }
            });
        }
        self.followed.sweep();
    }
}
