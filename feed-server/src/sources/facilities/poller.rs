//! Polls a facility source ([`crate::config::FacilitySource`]) on the
//! realtime feeds' discipline ([`crate::sources::poll`]: conditional
//! requests, a body cap, backoff) and hands its facilities to the state.
//!
//! A source with two documents (DATEX II table and status, GBFS information
//! and status) fetches each on its own, keeps the last good copy of each and
//! lays the statuses over the definitions: a table that fails (too big, a
//! daily file down) does not stop the live counts. A document that cannot
//! be read keeps the last good state (its validators are not kept, so the
//! next poll asks for it in full). Each poll that confirms the live document
//! (a 200 read, or a 304) moves the time that counts without a time of their
//! own are measured from. A BNLC file on disk is read once.

use tokio_util::sync::CancellationToken;

use super::{DocumentError, Report, bnlc, datex2, gbfs, parkapi, siri_fm};
use crate::clock::Clock;
use crate::config::facility_source::Location;
use crate::config::{FacilityFormat, FacilitySource};
use crate::facility::Facilities;
use crate::facility::sourced::StationPlaces;
use crate::sources::poll::{self, ConditionalGet, Failure, Poll, Schedule, Upstream};

/// Polls `source` (its documents at `url` and `status_url`, resolved) into
/// `facilities` until `cancel` fires.
pub async fn run(
    source: FacilitySource,
    url: Option<String>,
    status_url: Option<String>,
    places: StationPlaces,
    facilities: Facilities,
    clock: Clock,
    cancel: CancellationToken,
) {
    if let Location::File(path) = &source.location {
        match std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|b| bnlc::parse(&b).map_err(|e| e.to_string()))
        {
            Ok(reports) => {
                tracing::info!(source = %source.id, path = %path.display(), facilities = reports.len(), "facilities read");
                facilities.apply_document(&source, &places, reports, clock.now());
            }
            Err(e) => {
                tracing::error!(source = %source.id, path = %path.display(), "facility file not read: {e}")
            }
        }
        return;
    }
    let get = |url: String| {
        ConditionalGet::new(Upstream {
            url,
            timeout: source.timeout,
            max_bytes: source.max_bytes,
            headers: source.headers.clone(),
            query: source.query.clone(),
            redirects: source.redirects,
        })
    };
    let (main, status) = match (url.map(get).transpose(), status_url.map(get).transpose()) {
        (Ok(Some(m)), Ok(s)) => (m, s),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(source = %source.id, "no HTTP client: {e}");
            return;
        }
        (Ok(None), _) => return,
    };
    let label = format!("facilities:{} {}", source.id, main.url);
    let schedule = Schedule {
        every: source.poll,
        max_backoff: source.max_backoff,
    };
    let mut poller = Poller {
        source,
        main,
        status,
        definitions: None,
        statuses: None,
        places,
        facilities,
        clock,
    };
    poll::run(&label, schedule, cancel, &mut poller).await;
}

struct Poller {
    source: FacilitySource,
    main: ConditionalGet,
    status: Option<ConditionalGet>,
    /// The last good definitions (or the whole document for one-document
    /// formats) and statuses.
    definitions: Option<Vec<Report>>,
    statuses: Option<Vec<Report>>,
    places: StationPlaces,
    facilities: Facilities,
    clock: Clock,
}

impl Poller {
    /// Fetches the definitions (or the only document): whether it changed.
    async fn fetch_main(&mut self) -> Result<bool, Failure> {
        let Some(fetched) = self.main.fetch().await.map_err(Failure::from_fetch)? else {
            return Ok(false);
        };
        let reports = parse_main(self.source.format, &fetched.body)
            .map_err(|e| Failure::from(format!("{}: {e}", self.main.url)))?;
        self.definitions = Some(reports);
        self.main.accept(fetched.validators);
        Ok(true)
    }

    /// Fetches the status document, if the source has one: whether it changed.
    async fn fetch_status(&mut self) -> Result<bool, Failure> {
        let Some(status) = &mut self.status else {
            return Ok(false);
        };
        if status.url.contains(ID_PLACEHOLDER) {
            return self.fetch_each_status().await;
        }
        let Some(fetched) = status.fetch().await.map_err(Failure::from_fetch)? else {
            return Ok(false);
        };
        let reports = parse_status(self.source.format, &fetched.body)
            .map_err(|e| Failure::from(format!("{}: {e}", status.url)))?;
        self.statuses = Some(reports);
        status.accept(fetched.validators);
        Ok(true)
    }
}

/// `id` as one URL path segment: every byte but RFC 3986's unreserved ones
/// percent-encoded (an id with `/` or `?` stays one segment).
fn path_segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// In a `status_url`, where each facility's id goes.
const ID_PLACEHOLDER: &str = "{id}";

/// Most statuses fetched one by one in a poll (`only` narrows a source).
const MAX_EACH: usize = 200;

impl Poller {
    /// A status per facility (`status_url` with `{id}`: Sensade's lots), each
    /// at its own URL of the same origin: whether any changed. A lot whose
    /// status cannot be fetched or read keeps its last good status; the poll
    /// fails (and is retried with backoff) only when none could be.
    async fn fetch_each_status(&mut self) -> Result<bool, Failure> {
        let Some(status) = &self.status else {
            return Ok(false);
        };
        let ids: Vec<String> = self
            .definitions
            .iter()
            .flatten()
            .map(|r| r.id.clone())
            .filter(|id| self.source.keeps(id))
            .take(MAX_EACH)
            .collect();
        let mut kept: std::collections::HashMap<String, Report> = self
            .statuses
            .take()
            .unwrap_or_default()
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        let mut failures = Vec::new();
        let mut changed = false;
        for id in &ids {
            let url = status.url.replace(ID_PLACEHOLDER, &path_segment(id));
            let read = match status.fetch_other(&url).await {
                Ok(body) => parkapi::parse(&body).map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match read {
                Ok(reports) => {
                    for mut r in reports {
                        // The URL says whose status it is.
                        r.id = id.clone();
                        if kept.get(id) != Some(&r) {
                            changed = true;
                        }
                        kept.insert(id.clone(), r);
                    }
                }
                Err(e) => failures.push(format!("{url}: {e}")),
            }
        }
        self.statuses = Some(ids.iter().filter_map(|id| kept.remove(id)).collect());
        if !ids.is_empty() && failures.len() == ids.len() {
            return Err(Failure::from(failures.join("; ")));
        }
        for f in &failures {
            tracing::warn!(source = %self.source.id, "a facility's status not read: {f}");
        }
        Ok(changed)
    }
}

impl Poll for Poller {
    async fn poll_once(&mut self) -> Result<(), Failure> {
        let main = self.fetch_main().await;
        let status = self.fetch_status().await;
        let changed = matches!(main, Ok(true)) || matches!(status, Ok(true));
        // The live document: the status one where there are two.
        let confirmed = if self.status.is_some() {
            status.is_ok()
        } else {
            main.is_ok()
        };
        let now = self.clock.now();
        if changed && (self.definitions.is_some() || self.statuses.is_some()) {
            let (reports, unattached) = super::merge(
                self.definitions.clone().unwrap_or_default(),
                self.statuses.clone().unwrap_or_default(),
            );
            if unattached > 0 && self.definitions.is_some() {
                tracing::warn!(source = %self.source.id, unattached, "statuses of facilities the definitions do not have");
            }
            // A status that failed leaves its counts as they were, measured
            // from the last confirmation.
            let at = if confirmed {
                now
            } else {
                self.facilities
                    .sourced
                    .get(&self.source.id)
                    .map_or(now, |(_, at)| at)
            };
            if self
                .facilities
                .apply_document(&self.source, &self.places, reports, at)
            {
                tracing::debug!(source = %self.source.id, "facilities changed");
            }
        } else if confirmed {
            self.facilities.sourced.confirm(&self.source.id, now);
        }
        main.and(status).map(|_| ())
    }
}

/// The definitions document (or the only one) of a format.
pub fn parse_main(format: FacilityFormat, body: &[u8]) -> Result<Vec<Report>, DocumentError> {
    match format {
        FacilityFormat::Datex2 => {
            let p = datex2::parse(body)?;
            // A table, or a status publication alone.
            Ok(super::merge(p.sites, p.statuses).0)
        }
        FacilityFormat::ParkApi => parkapi::parse(body),
        FacilityFormat::SiriFm => siri_fm::parse(body),
        FacilityFormat::Gbfs => match gbfs::parse(body)? {
            gbfs::Gbfs::Information(r) => Ok(r),
            gbfs::Gbfs::Status(_) => Err(DocumentError::shape(
                "url is station_status; it must be station_information (status_url is station_status)",
            )),
        },
        FacilityFormat::Bnlc => bnlc::parse(body),
    }
}

/// The status document of a two-document format.
pub fn parse_status(format: FacilityFormat, body: &[u8]) -> Result<Vec<Report>, DocumentError> {
    match format {
        FacilityFormat::Datex2 => {
            let p = datex2::parse(body)?;
            Ok(super::merge(p.sites, p.statuses).0)
        }
        FacilityFormat::Gbfs => match gbfs::parse(body)? {
            gbfs::Gbfs::Status(r) => Ok(r),
            gbfs::Gbfs::Information(_) => Err(DocumentError::shape(
                "status_url is station_information; it must be station_status",
            )),
        },
        other => parse_main(other, body),
    }
}
