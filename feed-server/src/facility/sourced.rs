//! The facilities that documents describe and count: each source's last
//! accepted document, and what a facility's line says from it at an instant.
//!
//! A count is shown while it is younger than the source's `stale_after`
//! (measured from the publisher's time, or from the fetch when the document
//! has none); older, the facility is unknown, never free. A facility the
//! publisher says is closed is closed whatever its counts.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use quai_protocol::{FacilityKind, FacilityStatus};

use super::FacilityLine;
use crate::config::FacilitySource;
use crate::id::{FacilityId, SourceId};
use crate::sources::facilities::{Opening, Report};

/// A facility's identity: one of the configuration, or one of a source
/// (written `{source}:{publisher's id}` on the wire).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FacilityKey {
    Configured(FacilityId),
    Sourced { source: SourceId, id: String },
}

impl fmt::Display for FacilityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FacilityKey::Configured(id) => write!(f, "{id}"),
            FacilityKey::Sourced { source, id } => write!(f, "{source}:{id}"),
        }
    }
}

/// A source's last accepted document.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    pub reports: Vec<Report>,
    /// When it was fetched: the time of counts that carry none.
    pub at: DateTime<Utc>,
}

/// Every source's last document: a cheap handle, clones share it.
#[derive(Debug, Clone, Default)]
pub struct SourcedFacilities {
    by_source: Arc<std::sync::Mutex<HashMap<SourceId, Arc<Fetched>>>>,
}

impl SourcedFacilities {
    /// Keeps `reports` as what `source` says now; false when nothing changed
    /// (the fetch time of an identical document is not news).
    pub fn apply(&self, source: &SourceId, reports: Vec<Report>, at: DateTime<Utc>) -> bool {
        let mut all = self.by_source.lock().unwrap_or_else(|p| p.into_inner());
        if all.get(source).is_some_and(|f| f.reports == reports) {
            return false;
        }
        all.insert(source.clone(), Arc::new(Fetched { reports, at }));
        true
    }

    pub fn get(&self, source: &SourceId) -> Option<Arc<Fetched>> {
        let all = self.by_source.lock().unwrap_or_else(|p| p.into_inner());
        all.get(source).cloned()
    }
}

/// The line of report `r` of `source`, fetched at `fetched`, at `now`.
pub fn line(
    source: &FacilitySource,
    r: &Report,
    fetched: DateTime<Utc>,
    now: DateTime<Utc>,
) -> FacilityLine {
    let at = r.at.unwrap_or(fetched).min(now);
    let stale = chrono::Duration::from_std(source.stale_after).unwrap_or(chrono::Duration::MAX);
    let fresh = now - at < stale;
    let kind = source.kind.or(r.kind).unwrap_or(FacilityKind::CarPark);
    let (free, occupied) = if fresh {
        (r.free, r.occupied)
    } else {
        (None, None)
    };
    // Without a capacity, what is counted is all that is known of it; a
    // publisher that counts more than its capacity is taken at its count.
    let counted = free.unwrap_or(0).saturating_add(occupied.unwrap_or(0));
    let capacity = r.capacity.unwrap_or(0).max(counted);
    // A bike-share station's free count is its vehicles: its docks are not
    // "unknown" places. Where only free places are counted, the others are
    // occupied; where both are and they do not add up (Sensade lots), the
    // rest is unknown.
    let unknown = match (kind, free, occupied) {
        (FacilityKind::BikeShare, ..) | (_, None, _) | (_, Some(_), None) => 0,
        (_, Some(f), Some(o)) => capacity.saturating_sub(f.saturating_add(o)),
    };
    let status = match (r.opening, free) {
        (Opening::Closed, _) => FacilityStatus::Closed,
        (_, None) => FacilityStatus::Unknown,
        _ if r.full && fresh => FacilityStatus::Full,
        // No bike at a station is not a full station.
        (_, Some(0)) if unknown == 0 && kind != FacilityKind::BikeShare => FacilityStatus::Full,
        _ => FacilityStatus::Open,
    };
    FacilityLine {
        id: FacilityKey::Sourced {
            source: source.id.clone(),
            id: r.id.clone(),
        },
        name: r.name.clone().unwrap_or_else(|| r.id.clone()),
        kind,
        capacity,
        capacity_pmr: r.capacity_pmr,
        capacity_ev: r.capacity_ev,
        free,
        occupied: occupied.or_else(|| {
            free.filter(|_| kind != FacilityKind::BikeShare)
                .map(|f| capacity.saturating_sub(f))
        }),
        unknown,
        status,
        updated_at: fresh.then_some(at),
        vehicle_types: if fresh {
            r.vehicle_types.clone()
        } else {
            Vec::new()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> FacilitySource {
        let text = r#"
[[feeds]]
id = "ter"
gtfs = "ter.zip"
[[stations]]
id = "gare"
name = "Gare"
stops = { ter = ["S"] }
[[facility_sources]]
id = "p"
format = "parkapi"
url = "http://127.0.0.1:1/p.json"
stations = ["gare"]
stale_after_s = 600
"#;
        crate::config::Config::parse(text, "test", std::path::Path::new("."))
            .expect("config")
            .facility_sources
            .remove(0)
    }

    #[test]
    fn counts_that_do_not_add_up_stale_closed_and_full() {
        let s = source();
        let t0: DateTime<Utc> = "2026-12-03T08:00:00Z".parse().expect("t");
        let lot = Report {
            id: "a8".into(),
            name: Some("A8 Aichelberg".into()),
            kind: Some(FacilityKind::Carpool),
            capacity: Some(100),
            free: Some(72),
            occupied: Some(22),
            opening: Opening::Open,
            ..Report::default()
        };
        let l = line(&s, &lot, t0, t0);
        assert_eq!((l.free, l.occupied, l.unknown), (Some(72), Some(22), 6));
        assert_eq!(l.status, FacilityStatus::Open);
        assert_eq!(l.id.to_string(), "p:a8");
        let later = t0 + chrono::Duration::minutes(11);
        let l = line(&s, &lot, t0, later);
        assert_eq!((l.free, l.status), (None, FacilityStatus::Unknown), "stale");
        let closed = Report {
            opening: Opening::Closed,
            ..lot.clone()
        };
        assert_eq!(line(&s, &closed, t0, t0).status, FacilityStatus::Closed);
        let only_free = Report {
            free: Some(0),
            occupied: None,
            ..lot.clone()
        };
        let l = line(&s, &only_free, t0, t0);
        assert_eq!(
            (l.occupied, l.unknown, l.status),
            (Some(100), 0, FacilityStatus::Full)
        );
    }
}
