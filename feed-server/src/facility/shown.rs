//! Which facilities each board shows: those of the configuration listed
//! with the station, and those of a facility source that names the station
//! or lies within the source's `radius_m` of the station's `area` point
//! (worked out once per document, [`super::sourced::Fetched`]).

use chrono::{DateTime, Utc};

use super::{Facilities, FacilityLine};
use crate::deployment::Deployment;
use crate::id::{SourceId, StationId};
use crate::station::Station;

/// Most facilities of the sources on one board: a screen turns through them
/// a page at a time, and a town's whole table would take minutes. Narrow a
/// source with `only` or a smaller `radius_m`.
pub const MAX_SOURCED_PER_BOARD: usize = 12;

/// A facility, its line now and where it is shown.
pub struct Shown {
    pub line: FacilityLine,
    pub stations: Vec<StationId>,
    pub position: Option<(f64, f64)>,
    /// The facility source it comes from (None: the configuration).
    pub source: Option<SourceId>,
}

/// The facility lines of `station`'s board at `now`: the configuration's
/// first, then the sources' in their documents' order (at most
/// [`MAX_SOURCED_PER_BOARD`] of those).
pub fn at_station(
    d: &Deployment,
    facilities: &Facilities,
    station: &Station,
    now: DateTime<Utc>,
) -> Vec<FacilityLine> {
    let mut lines: Vec<FacilityLine> = d
        .facilities
        .iter()
        .filter(|f| f.stations.contains(&station.id))
        .map(|f| facilities.line(f, now))
        .collect();
    let sourced = d.facility_sources.iter().flat_map(|source| {
        let kept = facilities.sourced.get(&source.id);
        kept.into_iter().flat_map(move |(fetched, at)| {
            fetched
                .at_station(&station.id)
                .map(|r| super::sourced::line(source, r, at, now))
                .collect::<Vec<_>>()
        })
    });
    lines.extend(sourced.take(MAX_SOURCED_PER_BOARD));
    lines
}

/// Every facility Quai knows at `now` (`GET /v1/facilities`, the exports).
pub fn every(d: &Deployment, facilities: &Facilities, now: DateTime<Utc>) -> Vec<Shown> {
    let mut all: Vec<Shown> = d
        .facilities
        .iter()
        .map(|f| Shown {
            line: facilities.line(f, now),
            stations: f.stations.clone(),
            position: None,
            source: None,
        })
        .collect();
    for source in &d.facility_sources {
        let Some((fetched, at)) = facilities.sourced.get(&source.id) else {
            continue;
        };
        let places = fetched.reports.iter().zip(&fetched.stations);
        for (r, stations) in places.filter(|(r, _)| r.equipment.is_none()) {
            all.push(Shown {
                line: super::sourced::line(source, r, at, now),
                stations: stations.clone(),
                position: r.position,
                source: Some(source.id.clone()),
            });
        }
    }
    all
}

/// The facility of wire id `id` (`covoiturage`, `aachen:P1`) at `now`.
pub fn one(d: &Deployment, facilities: &Facilities, id: &str, now: DateTime<Utc>) -> Option<Shown> {
    if let Some(f) = d.facilities.iter().find(|f| f.id.as_str() == id) {
        return Some(Shown {
            line: facilities.line(f, now),
            stations: f.stations.clone(),
            position: None,
            source: None,
        });
    }
    let (source_id, publisher_id) = id.split_once(':')?;
    let source = d
        .facility_sources
        .iter()
        .find(|s| s.id.as_str() == source_id)?;
    let (fetched, at) = facilities.sourced.get(&source.id)?;
    let (r, stations) = fetched.find(publisher_id)?;
    Some(Shown {
        line: super::sourced::line(source, r, at, now),
        stations: stations.to_vec(),
        position: r.position,
        source: Some(source.id.clone()),
    })
}
