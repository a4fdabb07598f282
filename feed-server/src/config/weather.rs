//! `[[weather]]`: sources of weather warnings (CAP documents or indexes of them).

use std::time::Duration;

use super::endpoint::{EndpointUrl, Redirects};
use super::file::WeatherSection;
use super::{Invalid, units};
use crate::id::{InvalidId, SourceId};

/// A source of CAP weather alerts: a CAP document or an Atom/RSS index of them.
#[derive(Debug, Clone)]
pub struct WeatherSource {
    pub id: SourceId,
    pub url: EndpointUrl,
    /// Shown as the advisory's `source` (default: the id).
    pub name: String,
    pub poll: Duration,
    pub timeout: Duration,
    pub max_bytes: u64,
    pub max_backoff: Duration,
    /// Which redirects are followed (an index's links are followed within its
    /// origin only, whatever this says).
    pub redirects: Redirects,
}

impl WeatherSource {
    pub(super) fn from_file(w: WeatherSection) -> Result<WeatherSource, Invalid> {
        let id: SourceId =
            w.id.parse()
                .map_err(|e: InvalidId| Invalid::new("id", e.to_string()))?;
        let url = EndpointUrl::parse(&w.url).map_err(|r| Invalid::new("url", r))?;
        let seconds =
            |key: &str, v: f64| units::seconds(v, 0.05, 86_400.0).map_err(|r| Invalid::new(key, r));
        Ok(WeatherSource {
            name: w.name.unwrap_or_else(|| id.to_string()),
            poll: seconds("poll_s", w.poll_s)?,
            timeout: seconds("timeout_s", w.timeout_s)?,
            max_backoff: seconds("max_backoff_s", w.max_backoff_s)?,
            max_bytes: units::megabytes(w.max_mb).map_err(|r| Invalid::new("max_mb", r))?,
            redirects: Redirects::parse(&w.redirects).map_err(|r| Invalid::new("redirects", r))?,
            id,
            url,
        })
    }
}
