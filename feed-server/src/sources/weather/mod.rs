//! Weather warnings, polled through [`super::poll`] into the [`WeatherStore`]:
//! in the Common Alerting Protocol (CAP 1.0–1.2), as national services and
//! MeteoAlarm publish them (a direct CAP document or an Atom/RSS index of CAP
//! documents), or as Météo-France's vigilance map ([`vigilance`]).

pub mod cap;
pub mod vigilance;

use tokio_util::sync::CancellationToken;

use super::poll::{self, ConditionalGet, Failure, Poll, Schedule, Upstream};
use crate::advisory::WeatherStore;
use crate::config::{WeatherKind, WeatherSource};
use crate::id::SourceId;
use cap::Document;

/// Most CAP documents fetched from one index.
const MAX_LINKED: usize = 100;

/// Polls weather source `config` at `url` into `store` until `cancel` fires.
pub async fn run(
    config: WeatherSource,
    url: String,
    store: WeatherStore,
    cancel: CancellationToken,
) {
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
            tracing::error!(source = %config.id, "no HTTP client: {e}");
            return;
        }
    };
    let label = format!("weather:{} {}", config.id, get.url);
    let schedule = Schedule {
        every: config.poll,
        max_backoff: config.max_backoff,
    };
    let mut poller = Poller {
        store,
        id: config.id,
        kind: config.kind,
        get,
    };
    poll::run(&label, schedule, cancel, &mut poller).await;
}

struct Poller {
    store: WeatherStore,
    id: SourceId,
    kind: WeatherKind,
    get: ConditionalGet,
}

impl Poll for Poller {
    async fn poll_once(&mut self) -> Result<(), Failure> {
        let Some(fetched) = self.get.fetch().await.map_err(Failure::from_fetch)? else {
            return Ok(());
        };
        if self.kind == WeatherKind::MeteoFranceVigilance {
            // The map lists every warning in force.
            let alerts =
                vigilance::parse(&fetched.body).map_err(|e| Failure::from(e.to_string()))?;
            self.store.apply(&self.id, alerts, true);
            self.get.accept(fetched.validators);
            return Ok(());
        }
        match cap::parse_document(&fetched.body)? {
            Document::Alerts(alerts) => self.store.apply(&self.id, alerts, false),
            // An Atom feed with the alerts in its entries lists every alert in force.
            Document::Feed(alerts) => self.store.apply(&self.id, alerts, true),
            Document::Index(links) => {
                let base = reqwest::Url::parse(&self.get.url).ok();
                let mut alerts = Vec::new();
                for link in links.iter().take(MAX_LINKED) {
                    // Links are followed within the index's origin only: an index
                    // must not make the server fetch any URL it names. One that
                    // leads elsewhere is skipped (the others still count), as a
                    // link that is no URL at all.
                    let joined = base.as_ref().and_then(|b| b.join(link).ok());
                    let Some(url) =
                        joined.filter(|u| base.as_ref().map(|b| b.origin()) == Some(u.origin()))
                    else {
                        tracing::warn!(source = %self.id, link = %link.escape_debug(), "an index links outside its origin; not followed");
                        continue;
                    };
                    let url = url.to_string();
                    // The index lists every alert in force: if one of its documents
                    // cannot be read, keep the last good state and try again.
                    let body = self
                        .get
                        .fetch_other(&url)
                        .await
                        .map_err(|e| Failure::from(format!("{url}: {e}")))?;
                    match cap::parse_document(&body) {
                        Ok(Document::Alerts(a)) | Ok(Document::Feed(a)) => alerts.extend(a),
                        Ok(Document::Index(_)) => {
                            tracing::warn!(source = %self.id, %url, "an index links to another index; skipped")
                        }
                        Err(e) => return Err(Failure::from(format!("{url}: {e}"))),
                    }
                }
                self.store.apply(&self.id, alerts, true);
            }
        }
        self.get.accept(fetched.validators);
        Ok(())
    }
}
