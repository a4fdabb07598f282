//! `feed-server check`, SIRI part: one fetch of each SIRI endpoint, read and
//! matched exactly as the server does, so that a technician learns before
//! going live how many journeys attach, and by which rule, or what the
//! situations say.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::config::{EndpointUrl, SiriService, Transport};
use crate::deployment::Deployment;
use crate::realtime::RealtimeStore;
use crate::realtime::siri::{Context, References, ingest};
use crate::sources::poll::{ConditionalGet, Upstream};
use crate::sources::siri::poller::encode;
use crate::sources::siri::request;

/// A line per SIRI endpoint of every feed (StopMonitoring: the first stop).
pub async fn summary(d: &Deployment, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    for feed in d.feeds.iter() {
        let Some(siri) = &feed.config.siri else {
            continue;
        };
        let refs = References::new(&feed.timetable, siri.matching.clone());
        for (service, endpoint) in siri.endpoints() {
            let label = format!("siri {}:{}", feed.id, service.name());
            let mut url = match endpoint {
                EndpointUrl::Http(url) => url.to_string(),
                EndpointUrl::SelfPath(path) => {
                    let _ = writeln!(
                        out,
                        "{label}: self:{path} is served by this server once it runs (the demo); not fetched"
                    );
                    continue;
                }
            };
            let first_ref = siri.monitoring_refs.first().map(String::as_str);
            if service == SiriService::StopMonitoring
                && siri.transport == Transport::Lite
                && let Some(m) = first_ref
            {
                let sep = if url.contains('?') { '&' } else { '?' };
                url = format!("{url}{sep}MonitoringRef={}", encode(m));
            }
            let get = ConditionalGet::new(Upstream {
                url,
                timeout: siri.timeout,
                max_bytes: siri.max_bytes,
                headers: siri.headers.clone(),
                query: siri.query.clone(),
                redirects: siri.redirects,
            });
            let mut get = match get {
                Ok(get) => get,
                Err(e) => {
                    let _ = writeln!(out, "{label}: no HTTP client: {e}");
                    continue;
                }
            };
            get.set_post(request::body(siri, service, first_ref, now));
            let body = match get.fetch().await {
                Ok(Some(f)) => f.body,
                Ok(None) => {
                    let _ = writeln!(out, "{label}: not modified (304) on a first request");
                    continue;
                }
                Err(e) => {
                    let _ = writeln!(out, "{label}: FAILED: {e}");
                    continue;
                }
            };
            let store = RealtimeStore::default();
            let cx = Context {
                feed: &feed.id,
                timetable: &feed.timetable,
                refs: &refs,
                delay_bounds: siri.delay_bounds,
            };
            if let Err(e) = ingest(&store, &cx, service, &body, now) {
                let _ = writeln!(out, "{label}: REFUSED: {e}");
                continue;
            }
            let state = store.get(&feed.id);
            let line = if let Some(j) = state.siri_journeys.get(&service) {
                let a = &j.data.attachment;
                let mut line = format!(
                    "{}; calls: {} not on the trip, {} implausible times dropped",
                    a.summary(),
                    a.unknown_stop,
                    a.implausible
                );
                if a.percent().is_some_and(|p| p < siri.min_attached_percent) {
                    let _ = write!(
                        line,
                        "\n  warning: under {} % attach (feeds.siri.min_attached_percent): check [feeds.siri.match]",
                        siri.min_attached_percent
                    );
                }
                line
            } else if let Some(s) = state.siri_situations.get(&service) {
                format!("{} situations", s.data.alerts.len())
            } else {
                String::new()
            };
            let _ = writeln!(out, "{label}: {line}");
        }
    }
    out
}
