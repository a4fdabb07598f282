//! SIRI polling: one task per feed and service, through [`crate::sources::poll`]
//! (conditional GET, body cap, backoff, Retry-After), as for GTFS-Realtime.
//! SIRI Lite is one GET of the whole delivery; the request transport POSTs a
//! `ServiceRequest` (with the configured `RequestorRef`) each time. A
//! StopMonitoring server is asked once per configured `MonitoringRef` and the
//! visits are read together. A body that does not read, or is older than the
//! last one accepted, is refused and logged: the last good state stays.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::request;
use crate::clock::Clock;
use crate::config::{SiriConfig, SiriService, Transport};
use crate::id::FeedId;
use crate::metrics::Metrics;
use crate::realtime::siri::{Context, References, ingest, ingest_delivery};
use crate::realtime::{Kind, Polled, RealtimeStore};
use crate::sources::poll::{self, ConditionalGet, Failure, Poll, Schedule, Upstream};
use crate::timetable::FeedTimetable;

/// What one SIRI poller writes to and reads.
pub struct Target {
    pub feed: FeedId,
    pub service: SiriService,
    pub timetable: Arc<FeedTimetable>,
    pub store: RealtimeStore,
    pub clock: Clock,
    pub metrics: Arc<Metrics>,
}

/// Polls `url` for `target` with the feed's settings until `cancel` fires.
pub async fn run(target: Target, config: SiriConfig, url: String, cancel: CancellationToken) {
    let get = match ConditionalGet::new(Upstream {
        url,
        timeout: config.timeout,
        max_bytes: config.max_bytes,
        headers: config.headers.clone(),
        query: config.query.clone(),
        redirects: config.redirects,
    }) {
        Ok(g) => g,
        Err(e) => {
            tracing::error!(feed = %target.feed, kind = target.service.name(), "no HTTP client: {e}");
            return;
        }
    };
    let label = format!("{}:{} {}", target.feed, target.service.name(), get.url);
    let schedule = Schedule {
        every: config.poll,
        max_backoff: config.max_backoff,
    };
    let refs = References::new(&target.timetable, config.matching.clone());
    let mut poller = Poller {
        target,
        get,
        refs,
        config,
    };
    poll::run(&label, schedule, cancel, &mut poller).await;
}

struct Poller {
    target: Target,
    get: ConditionalGet,
    refs: References,
    config: SiriConfig,
}

impl Poll for Poller {
    async fn poll_once(&mut self) -> Result<(), Failure> {
        let outcome = self.fetch_and_ingest().await;
        let t = &self.target;
        let kind = Kind::Siri(t.service);
        match &outcome {
            Ok(()) => t.store.recovered(&t.feed, kind),
            Err(f) => {
                Metrics::count(&t.metrics.realtime_rejected);
                t.store.fail(&t.feed, kind, f.reason.clone());
            }
        }
        outcome
    }
}

impl Poller {
    async fn fetch_and_ingest(&mut self) -> Result<(), Failure> {
        let t = &self.target;
        let cx = Context {
            feed: &t.feed,
            timetable: &t.timetable,
            refs: &self.refs,
            delay_bounds: self.config.delay_bounds,
        };
        let now = t.clock.now();
        let polled = if t.service == SiriService::StopMonitoring {
            // One request per stop: the visits of all of them make the delivery.
            // A stop whose request fails leaves the others shown (and is
            // logged); the poll fails only when none answers.
            let mut delivery = crate::sources::siri::Delivery::default();
            let mut failed: Vec<String> = Vec::new();
            let mut answered = 0usize;
            // As read, for the edges (`realtime::relay`), on an ingest node.
            let keep = t.store.keeps_bodies();
            let mut bodies: Vec<Vec<u8>> = Vec::new();
            for monitoring_ref in &self.config.monitoring_refs {
                let body = match self.config.transport {
                    Transport::Lite => {
                        let sep = if self.get.url.contains('?') { '&' } else { '?' };
                        let url = format!(
                            "{}{sep}MonitoringRef={}",
                            self.get.url,
                            encode(monitoring_ref)
                        );
                        self.get.fetch_other(&url).await.map_err(|e| e.to_string())
                    }
                    Transport::Request | Transport::Soap => {
                        self.get.set_post(request::body(
                            &self.config,
                            t.service,
                            Some(monitoring_ref),
                            now,
                        ));
                        self.get
                            .fetch()
                            .await
                            .map(|f| f.map(|f| f.body).unwrap_or_default())
                            .map_err(|e| e.to_string())
                    }
                };
                let part = body.and_then(|body| {
                    crate::sources::siri::parse(
                        &body,
                        t.service,
                        crate::realtime::siri::defaults(&cx),
                    )
                    .map(|part| (part, body))
                    .map_err(|e| e.to_string())
                });
                match part {
                    Ok((part, body)) => {
                        answered += 1;
                        delivery.absorb(part);
                        if keep {
                            bodies.push(body);
                        }
                    }
                    Err(e) => failed.push(format!("MonitoringRef {monitoring_ref}: {e}")),
                }
            }
            if answered == 0 {
                return Err(Failure {
                    reason: failed.join("; "),
                    retry_after: None,
                });
            }
            if !failed.is_empty() {
                tracing::warn!(feed = %t.feed, kind = t.service.name(), "{}", failed.join("; "));
            }
            let polled = ingest_delivery(&t.store, &cx, t.service, delivery, now)?;
            if polled == Polled::Accepted && keep {
                let parts: Vec<&[u8]> = bodies.iter().map(Vec::as_slice).collect();
                t.store.keep(&t.feed, Kind::Siri(t.service), &parts, now);
            }
            polled
        } else {
            self.get
                .set_post(request::body(&self.config, t.service, None, now));
            let Some(fetched) = self.get.fetch().await.map_err(Failure::from_fetch)? else {
                return Ok(());
            };
            let polled = ingest(&t.store, &cx, t.service, &fetched.body, now)?;
            self.get.accept(fetched.validators);
            polled
        };
        if polled == Polled::Accepted {
            Metrics::count(&t.metrics.realtime_accepted);
        }
        Ok(())
    }
}

/// A query value, percent-encoded.
pub fn encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
