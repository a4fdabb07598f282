//! `[[weather]]`: sources of weather warnings: CAP documents or indexes of them,
//! or Météo-France's own vigilance map (DPVigilance).

use std::collections::BTreeMap;
use std::time::Duration;

use super::endpoint::{EndpointUrl, Redirects};
use super::file::WeatherSection;
use super::{Invalid, units};
use crate::id::{InvalidId, SourceId};

/// What a weather source publishes, and so how it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeatherKind {
    /// CAP 1.0–1.2: a document, or an Atom/RSS index of documents (MeteoAlarm,
    /// national services).
    Cap,
    /// Météo-France's vigilance map as JSON (`DPVigilance` API,
    /// `cartevigilance/encours`): per département, today and tomorrow, per
    /// phenomenon.
    MeteoFranceVigilance,
}

impl WeatherKind {
    fn parse(value: &str) -> Result<WeatherKind, String> {
        match value {
            "cap" => Ok(WeatherKind::Cap),
            "meteofrance-vigilance" => Ok(WeatherKind::MeteoFranceVigilance),
            other => Err(format!("`{other}`: one of `cap`, `meteofrance-vigilance`")),
        }
    }
}

/// A source of weather warnings.
#[derive(Debug, Clone)]
pub struct WeatherSource {
    pub id: SourceId,
    pub url: EndpointUrl,
    pub kind: WeatherKind,
    /// Extra request headers and query parameters (API keys: Météo-France's
    /// portal takes one in an `apikey` header); never logged.
    pub headers: BTreeMap<String, String>,
    pub query: BTreeMap<String, String>,
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
        let redirects = Redirects::parse(&w.redirects)
            .and_then(|r| r.allows_secrets(!(w.headers.is_empty() && w.query.is_empty())))
            .map_err(|r| Invalid::new("redirects", r))?;
        Ok(WeatherSource {
            kind: WeatherKind::parse(&w.kind).map_err(|r| Invalid::new("kind", r))?,
            headers: w.headers,
            query: w.query,
            name: w.name.unwrap_or_else(|| id.to_string()),
            poll: seconds("poll_s", w.poll_s)?,
            timeout: seconds("timeout_s", w.timeout_s)?,
            max_backoff: seconds("max_backoff_s", w.max_backoff_s)?,
            max_bytes: units::megabytes(w.max_mb).map_err(|r| Invalid::new("max_mb", r))?,
            redirects,
            id,
            url,
        })
    }
}
