//! Polls a facility source ([`crate::config::FacilitySource`]) on the
//! realtime feeds' discipline ([`crate::sources::poll`]: conditional
//! requests, a body cap, backoff) and hands its facilities to the state.
//!
//! A source with two documents (DATEX II table and status, GBFS information
//! and status) keeps the last good copy of each and lays the statuses over
//! the definitions; a document that cannot be read keeps the last good state
//! (its validators are not kept, so the next poll asks for it in full). A
//! BNLC file on disk is read once.

use tokio_util::sync::CancellationToken;

use super::{DocumentError, Report, bnlc, datex2, gbfs, parkapi, siri_fm};
use crate::clock::Clock;
use crate::config::facility_source::Location;
use crate::config::{FacilityFormat, FacilitySource};
use crate::facility::Facilities;
use crate::sources::poll::{self, ConditionalGet, Failure, Poll, Schedule, Upstream};

/// Polls `source` (its documents at `url` and `status_url`, resolved) into
/// `facilities` until `cancel` fires.
pub async fn run(
    source: FacilitySource,
    url: Option<String>,
    status_url: Option<String>,
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
                facilities.apply_document(&source.id, reports, clock.now());
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
    facilities: Facilities,
    clock: Clock,
}

impl Poll for Poller {
    async fn poll_once(&mut self) -> Result<(), Failure> {
        let format = self.source.format;
        let mut changed = false;
        if let Some(fetched) = self.main.fetch().await.map_err(Failure::from_fetch)? {
            let reports = parse_main(format, &fetched.body)
                .map_err(|e| Failure::from(format!("{}: {e}", self.main.url)))?;
            self.definitions = Some(reports);
            self.main.accept(fetched.validators);
            changed = true;
        }
        if let Some(status) = &mut self.status
            && let Some(fetched) = status.fetch().await.map_err(Failure::from_fetch)?
        {
            let reports = parse_status(format, &fetched.body)
                .map_err(|e| Failure::from(format!("{}: {e}", status.url)))?;
            self.statuses = Some(reports);
            status.accept(fetched.validators);
            changed = true;
        }
        if !changed {
            return Ok(());
        }
        let (reports, unattached) = super::merge(
            self.definitions.clone().unwrap_or_default(),
            self.statuses.clone().unwrap_or_default(),
        );
        if unattached > 0 && self.definitions.is_some() {
            tracing::warn!(source = %self.source.id, unattached, "statuses of facilities the definitions do not have");
        }
        if self
            .facilities
            .apply_document(&self.source.id, reports, self.clock.now())
        {
            tracing::debug!(source = %self.source.id, "facilities changed");
        }
        Ok(())
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
