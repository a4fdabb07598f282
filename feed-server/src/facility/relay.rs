//! The facilities' live state, relayed from the ingest node to the edges
//! (docs/scaling.md): an edge polls no sensor and no facility source, so
//! the ingest node holding the lease puts what its facilities hold in the
//! bucket of relayed exports (`ingest::exports`, key [`KEY`]) and each edge
//! takes it as its own (`edge::exports`). The facility API and the SIRI-FM
//! and DATEX II exports then answer on an edge as on the ingest node, with
//! the same `ETag`s: the ingest node's version travels with the state.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::sourced::StationPlaces;
use super::{Facilities, SpaceState};
use crate::config::FacilitySource;
use crate::id::FacilityId;
use crate::sources::facilities::Report;

/// The facilities' key in the bucket of relayed exports.
pub const KEY: &str = "facilities";

/// What the relay reads (on the ingest node) or writes (on an edge): the
/// node's facilities, and what their sources' documents are read with.
#[derive(Debug, Clone)]
pub struct Relay {
    pub facilities: Facilities,
    pub sources: Vec<FacilitySource>,
    pub places: StationPlaces,
}

impl Relay {
    pub fn new(deployment: &crate::deployment::Deployment, facilities: Facilities) -> Relay {
        Relay {
            facilities,
            sources: deployment.facility_sources.clone(),
            places: super::sourced::station_places(deployment),
        }
    }

    /// Takes a state relayed from the ingest node ([`Facilities::take`]).
    pub fn take(&self, state: State) {
        self.facilities.take(state, &self.sources, &self.places);
    }
}

/// What a node's facilities hold. Fields missing from what an older or
/// newer node sent read as empty (a rolling upgrade).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct State {
    /// The ingest node's [`Facilities::version`], and its epoch (0 from a
    /// node that did not send one: the edge's own then).
    pub version: u64,
    pub epoch: u64,
    /// Each sensor-equipped space's last report.
    pub spaces: Vec<Space>,
    /// Each facility source's last document and when it was confirmed.
    pub sources: Vec<Source>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Space {
    pub facility: String,
    pub space: String,
    pub occupied: bool,
    pub at: DateTime<Utc>,
    pub f_cnt: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Source {
    pub source: String,
    pub reports: Vec<Report>,
    pub confirmed: DateTime<Utc>,
}

impl Facilities {
    /// What these facilities hold, for the sources configured.
    pub fn state(&self, sources: &[FacilitySource]) -> State {
        // The version first: a report kept meanwhile moves it again, and
        // the next relay carries it.
        let (epoch, version) = self.numbered();
        let spaces = {
            let all = self.spaces.lock().unwrap_or_else(|p| p.into_inner());
            let mut spaces: Vec<Space> = all
                .iter()
                .flat_map(|(facility, spaces)| {
                    spaces.iter().map(move |(space, s)| Space {
                        facility: facility.to_string(),
                        space: space.clone(),
                        occupied: s.occupied,
                        at: s.at,
                        f_cnt: s.f_cnt,
                    })
                })
                .collect();
            spaces.sort_by(|a, b| (&a.facility, &a.space).cmp(&(&b.facility, &b.space)));
            spaces
        };
        let sources = sources
            .iter()
            .filter_map(|source| {
                let (fetched, confirmed) = self.sourced.get(&source.id)?;
                Some(Source {
                    source: source.id.to_string(),
                    reports: fetched.reports.clone(),
                    confirmed,
                })
            })
            .collect();
        State {
            version,
            epoch,
            spaces,
            sources,
        }
    }

    /// Takes `state`, relayed from the ingest node, as these facilities'
    /// (an edge's): its spaces replace these, its sources' documents these
    /// (a source it no longer has is forgotten; one this node's
    /// configuration does not know is skipped: the nodes read the same
    /// file, only one being replaced may differ for a while).
    pub fn take(&self, state: State, sources: &[FacilitySource], places: &StationPlaces) {
        let mut spaces: HashMap<FacilityId, BTreeMap<String, SpaceState>> = HashMap::new();
        for s in state.spaces {
            let Ok(facility) = s.facility.parse::<FacilityId>() else {
                continue;
            };
            spaces.entry(facility).or_default().insert(
                s.space,
                SpaceState {
                    occupied: s.occupied,
                    at: s.at,
                    f_cnt: s.f_cnt,
                },
            );
        }
        *self.spaces.lock().unwrap_or_else(|p| p.into_inner()) = spaces;
        self.sourced.retain(|id| {
            state
                .sources
                .iter()
                .any(|relayed| relayed.source == id.as_str())
        });
        for relayed in state.sources {
            if let Some(source) = sources.iter().find(|s| s.id == relayed.source.as_str()) {
                self.sourced
                    .apply(source, places, relayed.reports, relayed.confirmed);
            }
        }
        self.take_numbering(state.epoch, state.version);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_taken_is_the_state_given() {
        let ingest = Facilities::default();
        let facility: FacilityId = "parking-gare".parse().expect("an id");
        let at = DateTime::parse_from_rfc3339("2026-12-01T07:40:00Z")
            .expect("a time")
            .to_utc();
        ingest.report(&facility, "P1", 7, false, true, at);
        ingest.report(&facility, "P2", 3, false, false, at);
        let state = ingest.state(&[]);
        assert_eq!(state.spaces.len(), 2);
        let json = serde_json::to_vec(&state).expect("json");

        let edge = Facilities::default();
        edge.take(
            serde_json::from_slice(&json).expect("a state"),
            &[],
            &vec![],
        );
        assert_eq!(edge.version(), ingest.version());
        assert_eq!(edge.space(&facility, "P1"), ingest.space(&facility, "P1"));
        assert_eq!(edge.state(&[]), state);
        // Another process's numbering travels with its version.
        let other = State {
            epoch: 42,
            ..state.clone()
        };
        edge.take(other, &[], &vec![]);
        assert_eq!(edge.numbered(), (42, state.version));
    }

    #[test]
    fn a_source_document_is_taken_with_its_confirmation_and_dropped_with_it() {
        let sources = vec![crate::facility::sourced::test_source()];
        let places: StationPlaces = vec![("gare".parse().expect("an id"), None)];
        let t0 = DateTime::parse_from_rfc3339("2026-12-03T08:00:00Z")
            .expect("a time")
            .to_utc();
        let lot = Report {
            id: "a8".into(),
            capacity: Some(100),
            free: Some(72),
            ..Report::default()
        };
        let ingest = Facilities::default();
        ingest.apply_document(&sources[0], &places, vec![lot.clone()], t0);
        let confirmed = t0 + chrono::Duration::minutes(3);
        ingest.sourced.confirm(&sources[0].id, confirmed);

        let edge = Facilities::default();
        let json = serde_json::to_vec(&ingest.state(&sources)).expect("json");
        edge.take(
            serde_json::from_slice(&json).expect("a state"),
            &sources,
            &places,
        );
        let (fetched, at) = edge.sourced.get(&sources[0].id).expect("the source");
        assert_eq!((fetched.reports.clone(), at), (vec![lot], confirmed));
        assert_eq!(edge.version(), ingest.version());

        // The ingest node no longer has it: neither has the edge.
        edge.take(State::default(), &sources, &places);
        assert!(edge.sourced.get(&sources[0].id).is_none());
    }
}
