//! Weather warnings in the Common Alerting Protocol (CAP 1.0–1.2), as national
//! services and MeteoAlarm publish them: a direct CAP document or an Atom/RSS index
//! of CAP documents, polled through [`super::poll`].

pub mod cap;
pub mod xml;

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::poll::{self, ConditionalGet, Failure, Poll, Schedule};
use crate::server::AppState;
use cap::Document;

/// Most CAP documents fetched from one index.
const MAX_LINKED: usize = 100;

/// Polls weather source number `source` at `url` until `cancel` fires.
pub async fn run(state: Arc<AppState>, source: usize, url: String, cancel: CancellationToken) {
    let config = state.deployment.config.weather[source].clone();
    let get = match ConditionalGet::new(
        url,
        config.timeout,
        config.max_bytes,
        Default::default(),
        Default::default(),
    ) {
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
        state,
        id: config.id,
        get,
    };
    poll::run(&label, schedule, cancel, &mut poller).await;
}

struct Poller {
    state: Arc<AppState>,
    id: String,
    get: ConditionalGet,
}

impl Poll for Poller {
    async fn poll_once(&mut self) -> Result<(), Failure> {
        let fetched = self.get.fetch().await.map_err(|e| Failure {
            reason: e.to_string(),
            retry_after: e.retry_after(),
        })?;
        let Some(fetched) = fetched else {
            return Ok(());
        };
        match cap::parse_document(&fetched.body)? {
            Document::Alerts(alerts) => self.state.weather.apply(&self.id, alerts, false),
            // An Atom feed with the alerts in its entries lists every alert in force.
            Document::Feed(alerts) => self.state.weather.apply(&self.id, alerts, true),
            Document::Index(links) => {
                let base = reqwest::Url::parse(&self.get.url).ok();
                let mut alerts = Vec::new();
                for link in links.iter().take(MAX_LINKED) {
                    let url = match base.as_ref().and_then(|b| b.join(link).ok()) {
                        Some(u) => u.to_string(),
                        None => link.clone(),
                    };
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
                self.state.weather.apply(&self.id, alerts, true);
            }
        }
        self.get.accept(fetched.validators);
        Ok(())
    }
}
