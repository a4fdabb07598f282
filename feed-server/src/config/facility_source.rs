//! `[[facility_sources]]`: documents that describe and count facilities
//! (DATEX II, ParkAPI, SIRI-FM, GBFS, the BNLC base), polled like the
//! realtime feeds, and which boards show what they hold.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use quai_protocol::FacilityKind;

use super::endpoint::{EndpointUrl, Redirects};
use super::file::FacilitySourceSection;
use super::{Invalid, units};
use crate::id::{InvalidId, SourceId, StationId};

/// The document kinds a facility source may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FacilityFormat {
    /// DATEX II v2.3 or v3: `url` the ParkingTablePublication, `status_url`
    /// the ParkingStatusPublication.
    Datex2,
    /// ParkAPI (v1 or v3), P+M or Sensade JSON: one document, or
    /// definitions at `url` and statuses at `status_url` (one per facility
    /// when it holds `{id}`: Sensade's lot statuses).
    ParkApi,
    /// SIRI Facility Monitoring: one document.
    SiriFm,
    /// GBFS: `url` station_information, `status_url` station_status.
    Gbfs,
    /// The BNLC CSV (static definitions only).
    Bnlc,
}

impl FacilityFormat {
    pub fn name(self) -> &'static str {
        match self {
            FacilityFormat::Datex2 => "datex2",
            FacilityFormat::ParkApi => "parkapi",
            FacilityFormat::SiriFm => "siri-fm",
            FacilityFormat::Gbfs => "gbfs",
            FacilityFormat::Bnlc => "bnlc",
        }
    }

    fn parse(word: &str) -> Result<FacilityFormat, String> {
        [
            FacilityFormat::Datex2,
            FacilityFormat::ParkApi,
            FacilityFormat::SiriFm,
            FacilityFormat::Gbfs,
            FacilityFormat::Bnlc,
        ]
        .into_iter()
        .find(|f| f.name() == word)
        .ok_or_else(|| format!("`{word}`: one of datex2, parkapi, siri-fm, gbfs, bnlc"))
    }
}

/// Where a facility source's document is.
#[derive(Debug, Clone)]
pub enum Location {
    Url(EndpointUrl),
    /// A file read once at start (a downloaded BNLC).
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct FacilitySource {
    pub id: SourceId,
    pub format: FacilityFormat,
    pub location: Location,
    /// The live document beside the definitions (DATEX II status, GBFS
    /// station_status).
    pub status_url: Option<EndpointUrl>,
    /// The boards that show every facility of the source...
    pub stations: Vec<StationId>,
    /// ...and those whose `area` point is this close to a facility.
    pub radius_m: Option<f64>,
    /// Only these ids of the source (all when empty).
    pub only: Vec<String>,
    /// Replaces the kind the document says (a BNLC area that is a P+R).
    pub kind: Option<FacilityKind>,
    /// A count older than this is not shown (the facility is unknown).
    pub stale_after: Duration,
    pub headers: BTreeMap<String, String>,
    pub query: BTreeMap<String, String>,
    pub poll: Duration,
    pub timeout: Duration,
    pub max_bytes: u64,
    pub max_backoff: Duration,
    pub redirects: Redirects,
}

impl FacilitySource {
    pub(super) fn from_file(
        s: FacilitySourceSection,
        stations: &[StationId],
        base: &std::path::Path,
    ) -> Result<FacilitySource, Invalid> {
        let id: SourceId =
            s.id.parse()
                .map_err(|e: InvalidId| Invalid::new("id", e.to_string()))?;
        let format = FacilityFormat::parse(&s.format).map_err(|r| Invalid::new("format", r))?;
        let location = match (s.url, s.path) {
            (Some(url), None) => {
                Location::Url(EndpointUrl::parse(&url).map_err(|r| Invalid::new("url", r))?)
            }
            (None, Some(path)) if format == FacilityFormat::Bnlc => Location::File(base.join(path)),
            (None, Some(_)) => {
                return Err(Invalid::new(
                    "path",
                    "only a BNLC file may be read from disk; write url",
                ));
            }
            (Some(_), Some(_)) => return Err(Invalid::new("path", "write url or path, not both")),
            (None, None) => return Err(Invalid::new("url", "where the document is")),
        };
        let status_url = s
            .status_url
            .map(|u| EndpointUrl::parse(&u).map_err(|r| Invalid::new("status_url", r)))
            .transpose()?;
        if status_url.is_some()
            && !matches!(
                format,
                FacilityFormat::Datex2 | FacilityFormat::Gbfs | FacilityFormat::ParkApi
            )
        {
            return Err(Invalid::new(
                "status_url",
                "only datex2 (the status publication), gbfs (station_status) and parkapi (statuses; `{id}` for one per facility) have a second document",
            ));
        }
        if format == FacilityFormat::Gbfs && status_url.is_none() {
            return Err(Invalid::new(
                "status_url",
                "GBFS needs station_status (url is station_information)",
            ));
        }
        let mut ids = Vec::new();
        for (i, st) in s.stations.iter().enumerate() {
            let sid: StationId = st
                .parse()
                .map_err(|e: InvalidId| Invalid::new(format!("stations[{i}]"), e.to_string()))?;
            if !stations.contains(&sid) {
                return Err(Invalid::new(
                    format!("stations[{i}]"),
                    format!("no [[stations]] has the id `{sid}`"),
                ));
            }
            ids.push(sid);
        }
        if let Some(r) = s.radius_m
            && !(r > 0.0 && r <= 50_000.0)
        {
            return Err(Invalid::new("radius_m", "1 m to 50 km"));
        }
        if ids.is_empty() && s.radius_m.is_none() {
            return Err(Invalid::new(
                "stations",
                "which boards show its facilities: stations, radius_m, or both",
            ));
        }
        let kind = s
            .kind
            .map(|k| super::facility::kind(&k).map_err(|r| Invalid::new("kind", r)))
            .transpose()?;
        let seconds =
            |key: &str, v: f64| units::seconds(v, 0.05, 86_400.0).map_err(|r| Invalid::new(key, r));
        let redirects = Redirects::parse(&s.redirects)
            .and_then(|r| r.allows_secrets(!(s.headers.is_empty() && s.query.is_empty())))
            .map_err(|r| Invalid::new("redirects", r))?;
        Ok(FacilitySource {
            format,
            location,
            status_url,
            stations: ids,
            radius_m: s.radius_m,
            only: s.only,
            kind,
            stale_after: units::seconds(s.stale_after_s, 1.0, 7.0 * 86_400.0)
                .map_err(|r| Invalid::new("stale_after_s", r))?,
            headers: s.headers,
            query: s.query,
            poll: seconds("poll_s", s.poll_s)?,
            timeout: seconds("timeout_s", s.timeout_s)?,
            max_backoff: seconds("max_backoff_s", s.max_backoff_s)?,
            max_bytes: units::megabytes(s.max_mb).map_err(|r| Invalid::new("max_mb", r))?,
            redirects,
            id,
        })
    }

    /// Whether the source keeps the facility of this id.
    pub fn keeps(&self, id: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == id)
    }
}
