//! `[[facilities]]` (carpool areas, car parks, bike share, shown on the boards
//! of their stations) and `[[sensor_integrations]]` (the network servers that
//! push their sensors' uplinks, each with its own token, kept as a hash).

use std::collections::BTreeMap;
use std::time::Duration;

use quai_protocol::FacilityKind;

use super::Invalid;
use super::file::{FacilitySection, SensorIntegrationSection};
use crate::id::{FacilityId, IntegrationId, InvalidId, StationId};
use crate::sources::lorawan::{NetworkServer, SensorModel};

/// A network server allowed to push uplinks to `/v1/sensors/{id}`.
#[derive(Debug, Clone)]
pub struct SensorIntegration {
    pub id: IntegrationId,
    pub server: NetworkServer,
    /// SHA-256 of its bearer token, 64 lower-case hex digits
    /// (`feed-server token` makes a token and its hash).
    pub token_sha256: String,
    /// The demo's: the server plays this integration's network server for
    /// its facilities, posting with this token (`demo::sensors`).
    pub simulate_with_token: Option<String>,
}

impl SensorIntegration {
    pub(super) fn from_file(s: SensorIntegrationSection) -> Result<SensorIntegration, Invalid> {
        let hash = s.token_sha256.to_ascii_lowercase();
        if hash.len() != 64 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(Invalid::new(
                "token_sha256",
                "64 hex digits: the SHA-256 of the token (feed-server token prints both)",
            ));
        }
        if let Some(token) = &s.simulate_with_token
            && crate::store::token_hash(token) != hash
        {
            return Err(Invalid::new(
                "simulate_with_token",
                "its SHA-256 is not token_sha256",
            ));
        }
        Ok(SensorIntegration {
            simulate_with_token: s.simulate_with_token,
            id: s
                .id
                .parse()
                .map_err(|e: InvalidId| Invalid::new("id", e.to_string()))?,
            server: s.server.parse().map_err(|r| Invalid::new("server", r))?,
            token_sha256: hash,
        })
    }
}

/// The sensors of a facility: one per space.
#[derive(Debug, Clone)]
pub struct Sensors {
    pub integration: IntegrationId,
    pub model: SensorModel,
    /// Device EUI (16 lower-case hex digits) → the space's label.
    pub spaces: BTreeMap<String, String>,
}

/// A facility kind as written in the configuration.
pub(super) fn kind(word: &str) -> Result<FacilityKind, String> {
    match word {
        "carpool" => Ok(FacilityKind::Carpool),
        "park_and_ride" => Ok(FacilityKind::ParkAndRide),
        "car_park" => Ok(FacilityKind::CarPark),
        "bike_share" => Ok(FacilityKind::BikeShare),
        other => Err(format!(
            "`{other}`: one of carpool, park_and_ride, car_park, bike_share"
        )),
    }
}

#[derive(Debug, Clone)]
pub struct FacilityConfig {
    pub id: FacilityId,
    pub name: String,
    pub kind: FacilityKind,
    /// The stations whose boards show it.
    pub stations: Vec<StationId>,
    pub capacity: u32,
    pub capacity_pmr: Option<u32>,
    /// A space whose sensor is silent this long is unknown.
    pub stale_after: Duration,
    pub sensors: Option<Sensors>,
}

impl FacilityConfig {
    pub(super) fn from_file(
        f: FacilitySection,
        stations: &[StationId],
        integrations: &[SensorIntegration],
    ) -> Result<FacilityConfig, Invalid> {
        let kind = kind(&f.kind).map_err(|r| Invalid::new("kind", r))?;
        let mut ids = Vec::new();
        for (i, s) in f.stations.iter().enumerate() {
            let id: StationId = s
                .parse()
                .map_err(|e: InvalidId| Invalid::new(format!("stations[{i}]"), e.to_string()))?;
            if !stations.contains(&id) {
                return Err(Invalid::new(
                    format!("stations[{i}]"),
                    format!("no [[stations]] has the id `{id}`"),
                ));
            }
            ids.push(id);
        }
        if f.name.trim().is_empty() {
            return Err(Invalid::new("name", "a name passengers can read"));
        }
        if f.capacity == 0 || f.capacity > 100_000 {
            return Err(Invalid::new("capacity", "1 to 100000 places"));
        }
        if f.capacity_pmr.is_some_and(|p| p > f.capacity) {
            return Err(Invalid::new("capacity_pmr", "more than the capacity"));
        }
        if f.stale_after_s == 0 || f.stale_after_s > 7 * 86_400 {
            return Err(Invalid::new("stale_after_s", "1 s to 7 days"));
        }
        let sensors = f
            .sensors
            .map(|s| {
                let integration: IntegrationId = s
                    .integration
                    .parse()
                    .map_err(|e: InvalidId| Invalid::new("sensors.integration", e.to_string()))?;
                if !integrations.iter().any(|i| i.id == integration) {
                    return Err(Invalid::new(
                        "sensors.integration",
                        format!("no [[sensor_integrations]] has the id `{integration}`"),
                    ));
                }
                let model: SensorModel = s
                    .model
                    .parse()
                    .map_err(|r| Invalid::new("sensors.model", r))?;
                let mut spaces = BTreeMap::new();
                for (eui, label) in s.spaces {
                    if eui.len() != 16 || !eui.chars().all(|c| c.is_ascii_hexdigit()) {
                        return Err(Invalid::new(
                            format!("sensors.spaces.{eui}"),
                            "a device EUI is 16 hex digits",
                        ));
                    }
                    if label.trim().is_empty() {
                        return Err(Invalid::new(
                            format!("sensors.spaces.{eui}"),
                            "an empty label",
                        ));
                    }
                    if spaces.values().any(|l| *l == label) {
                        return Err(Invalid::new(
                            format!("sensors.spaces.{eui}"),
                            format!("the label `{label}` is another sensor's"),
                        ));
                    }
                    if spaces.insert(eui.to_ascii_lowercase(), label).is_some() {
                        return Err(Invalid::new(
                            format!("sensors.spaces.{eui}"),
                            "this device is written twice (EUIs are read without case)",
                        ));
                    }
                }
                if spaces.len() as u64 > u64::from(f.capacity) {
                    return Err(Invalid::new(
                        "sensors.spaces",
                        format!("{} sensors for {} places", spaces.len(), f.capacity),
                    ));
                }
                Ok(Sensors {
                    integration,
                    model,
                    spaces,
                })
            })
            .transpose()?;
        Ok(FacilityConfig {
            id: f
                .id
                .parse()
                .map_err(|e: InvalidId| Invalid::new("id", e.to_string()))?,
            name: f.name,
            kind,
            stations: ids,
            capacity: f.capacity,
            capacity_pmr: f.capacity_pmr,
            stale_after: Duration::from_secs(f.stale_after_s),
            sensors,
        })
    }
}
