//! Which facilities each board shows: those of the configuration listed
//! with the station, and those of a facility source that names the station
//! or lies within the source's `radius_m` of the station's `area` point.

use chrono::{DateTime, Utc};

use super::{Facilities, FacilityLine};
use crate::config::FacilitySource;
use crate::deployment::Deployment;
use crate::id::{SourceId, StationId};
use crate::sources::facilities::Report;
use crate::station::Station;

/// A facility, its line now and where it is shown.
pub struct Shown {
    pub line: FacilityLine,
    pub stations: Vec<StationId>,
    pub position: Option<(f64, f64)>,
    /// The facility source it comes from (None: the configuration).
    pub source: Option<SourceId>,
}

/// Whether `station`'s board shows report `r` of `source`.
fn shows(source: &FacilitySource, r: &Report, station: &Station) -> bool {
    if source.stations.contains(&station.id) {
        return true;
    }
    match (source.radius_m, &station.area, r.position) {
        (Some(radius), Some(place), Some((lat, lon))) => {
            crate::advisory::area::distance_km(place.lat, place.lon, lat, lon) * 1000.0 <= radius
        }
        _ => false,
    }
}

/// The facility lines of `station`'s board at `now`: the configuration's
/// first, then each source's in its document's order.
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
    for source in &d.facility_sources {
        let Some(fetched) = facilities.sourced.get(&source.id) else {
            continue;
        };
        lines.extend(
            fetched
                .reports
                .iter()
                .filter(|r| source.keeps(&r.id) && shows(source, r, station))
                .map(|r| super::sourced::line(source, r, fetched.at, now)),
        );
    }
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
        let Some(fetched) = facilities.sourced.get(&source.id) else {
            continue;
        };
        for r in fetched.reports.iter().filter(|r| source.keeps(&r.id)) {
            all.push(Shown {
                line: super::sourced::line(source, r, fetched.at, now),
                stations: d
                    .stations
                    .iter()
                    .filter(|s| shows(source, r, s))
                    .map(|s| s.id.clone())
                    .collect(),
                position: r.position,
                source: Some(source.id.clone()),
            });
        }
    }
    all
}
