//! The facilities that documents describe and count: each source's last
//! accepted document, and what a facility's line says from it at an instant.
//!
//! A count is shown while it is younger than the source's `stale_after`
//! (measured from the publisher's time, or, when the document has none, from
//! the last fetch that confirmed it, a 200 or a 304); older, the facility is
//! unknown, never free, and never "closed" either: what a publisher said
//! long ago is not said now. A facility the publisher says is closed is
//! closed whatever its counts.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use quai_protocol::{FacilityKind, FacilityStatus};

use super::FacilityLine;
use crate::config::FacilitySource;
use crate::id::{FacilityId, SourceId, StationId};
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

/// Where the stations are, for a source's `radius_m`: each station's id and
/// `area` point.
pub type StationPlaces = Vec<(StationId, Option<(f64, f64)>)>;

/// Every station's place, as the sources' `radius_m` reads it.
pub fn station_places(deployment: &crate::deployment::Deployment) -> StationPlaces {
    deployment
        .stations
        .iter()
        .map(|s| (s.id.clone(), s.area.as_ref().map(|a| (a.lat, a.lon))))
        .collect()
}

/// A source's last accepted document, with what is worked out from it once
/// (not at every board): which stations show each facility, and its index.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// The facilities the source keeps (`only`), in the document's order.
    pub reports: Vec<Report>,
    /// The stations that show each report (same order).
    pub stations: Vec<Vec<StationId>>,
    by_station: HashMap<StationId, Vec<usize>>,
    by_id: HashMap<String, usize>,
}

impl Fetched {
    fn new(source: &FacilitySource, places: &StationPlaces, reports: Vec<Report>) -> Fetched {
        let reports: Vec<Report> = reports
            .into_iter()
            .filter(|r| source.keeps(&r.id))
            .collect();
        let stations: Vec<Vec<StationId>> = reports
            .iter()
            .map(|r| {
                places
                    .iter()
                    .filter(|(id, place)| shows(source, r, id, *place))
                    .map(|(id, _)| id.clone())
                    .collect()
            })
            .collect();
        let mut by_station: HashMap<StationId, Vec<usize>> = HashMap::new();
        for (i, ids) in stations.iter().enumerate() {
            for id in ids {
                by_station.entry(id.clone()).or_default().push(i);
            }
        }
        let by_id = reports
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        Fetched {
            reports,
            stations,
            by_station,
            by_id,
        }
    }

    /// The places (not lifts: [`Self::equipment_at_station`]) `station`'s
    /// board shows, in the document's order.
    pub fn at_station<'a>(&'a self, station: &StationId) -> impl Iterator<Item = &'a Report> + 'a {
        self.reports_at(station).filter(|r| r.equipment.is_none())
    }

    /// The lifts and escalators at `station`, in the document's order.
    pub fn equipment_at_station<'a>(
        &'a self,
        station: &StationId,
    ) -> impl Iterator<Item = &'a Report> + 'a {
        self.reports_at(station).filter(|r| r.equipment.is_some())
    }

    fn reports_at<'a>(&'a self, station: &StationId) -> impl Iterator<Item = &'a Report> + 'a {
        self.by_station
            .get(station)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.reports.get(i))
    }

    /// The place (not a lift) of the publisher's id `id`, and the stations
    /// showing it.
    pub fn find(&self, id: &str) -> Option<(&Report, &[StationId])> {
        let &i = self.by_id.get(id)?;
        let r = self.reports.get(i).filter(|r| r.equipment.is_none())?;
        Some((r, self.stations.get(i)?.as_slice()))
    }
}

/// Whether the board of station `id` (its `area` point `place`) shows report
/// `r` of `source`: named by the source, or within its radius.
fn shows(source: &FacilitySource, r: &Report, id: &StationId, place: Option<(f64, f64)>) -> bool {
    if source.stations.contains(id) {
        return true;
    }
    match (source.radius_m, place, r.position) {
        (Some(radius), Some((slat, slon)), Some((lat, lon))) => {
            crate::advisory::area::distance_km(slat, slon, lat, lon) * 1000.0 <= radius
        }
        _ => false,
    }
}

/// A source's facilities and when its live document was last confirmed.
type Confirmed = (Arc<Fetched>, DateTime<Utc>);

/// Every source's last document and when its live document was last
/// confirmed (a 200 or a 304): a cheap handle, clones share it.
#[derive(Debug, Clone, Default)]
pub struct SourcedFacilities {
    by_source: Arc<std::sync::Mutex<HashMap<SourceId, Confirmed>>>,
}

impl SourcedFacilities {
    /// Keeps `reports` as what `source` says now, confirmed at `at` (the
    /// time of counts that carry none); true when the facilities changed
    /// (a new confirmation time alone is not a change).
    pub fn apply(
        &self,
        source: &FacilitySource,
        places: &StationPlaces,
        reports: Vec<Report>,
        at: DateTime<Utc>,
    ) -> bool {
        // Compared before the stations are matched: the same document
        // again (each relay to an edge, each poll) costs no matching.
        let reports: Vec<Report> = reports
            .into_iter()
            .filter(|r| source.keeps(&r.id))
            .collect();
        {
            let mut all = self.by_source.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((kept, confirmed)) = all.get_mut(&source.id)
                && kept.reports == reports
            {
                *confirmed = at;
                return false;
            }
        }
        let fetched = Fetched::new(source, places, reports);
        let mut all = self.by_source.lock().unwrap_or_else(|p| p.into_inner());
        all.insert(source.id.clone(), (Arc::new(fetched), at));
        true
    }

    /// Forgets every source but those `keep` says (an edge taking the
    /// ingest node's state: what it no longer has is gone).
    pub fn retain(&self, keep: impl Fn(&SourceId) -> bool) {
        let mut all = self.by_source.lock().unwrap_or_else(|p| p.into_inner());
        all.retain(|id, _| keep(id));
    }

    /// Says that `source`'s documents were fetched again unchanged at `at`.
    pub fn confirm(&self, source: &SourceId, at: DateTime<Utc>) {
        let mut all = self.by_source.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, confirmed)) = all.get_mut(source) {
            *confirmed = at;
        }
    }

    /// The source's facilities and when they were last confirmed.
    pub fn get(&self, source: &SourceId) -> Option<Confirmed> {
        let all = self.by_source.lock().unwrap_or_else(|p| p.into_inner());
        all.get(source).cloned()
    }
}

/// The line of report `r` of `source`, last confirmed at `fetched`, at `now`.
/// When `r` was measured, and whether that is recent enough to be said at
/// `now` (younger than the source's `stale_after`).
pub fn measured(
    source: &FacilitySource,
    r: &Report,
    fetched: DateTime<Utc>,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, bool) {
    // The publisher's time, unless it is ahead of ours by more than a
    // clock's drift (a time in milliseconds read as seconds, a wrong zone):
    // then the fetch's, so that a frozen feed still goes stale.
    let at =
        r.at.filter(|t| *t <= now + chrono::Duration::minutes(5))
            .unwrap_or(fetched)
            .min(now);
    let stale = chrono::Duration::from_std(source.stale_after).unwrap_or(chrono::Duration::MAX);
    (at, now - at < stale)
}

pub fn line(
    source: &FacilitySource,
    r: &Report,
    fetched: DateTime<Utc>,
    now: DateTime<Utc>,
) -> FacilityLine {
    let (at, fresh) = measured(source, r, fetched, now);
    let kind = source.kind.or(r.kind).unwrap_or(FacilityKind::CarPark);
    let (free, occupied) = if fresh {
        (r.free, r.occupied)
    } else {
        (None, None)
    };
    // A publisher that counts more than its capacity is taken at its count;
    // without a capacity, none is made up.
    let counted = free.unwrap_or(0).saturating_add(occupied.unwrap_or(0));
    let capacity = r.capacity.filter(|c| *c > 0).map(|c| c.max(counted));
    // A bike-share station's free count is its vehicles: its docks are not
    // "unknown" places. Where only free places are counted, the others are
    // occupied; where both are and they do not add up (Sensade lots), the
    // rest is unknown.
    let unknown = match (kind, capacity, free, occupied) {
        (FacilityKind::BikeShare, ..) | (_, None, ..) | (_, _, None, _) | (_, _, Some(_), None) => {
            0
        }
        (_, Some(c), Some(f), Some(o)) => c.saturating_sub(f.saturating_add(o)),
    };
    // What a publisher said long ago, closed included, is not said now.
    let status = match (r.opening, free) {
        _ if !fresh => FacilityStatus::Unknown,
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
                .zip(capacity)
                .map(|(f, c)| c.saturating_sub(f))
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

/// A ParkAPI source `p` of station `gare`, stale after 10 min (tests).
#[cfg(test)]
pub(crate) fn test_source() -> FacilitySource {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_that_do_not_add_up_stale_closed_and_full() {
        let s = test_source();
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
