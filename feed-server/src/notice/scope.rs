//! What an operator may touch: its scopes (`station:ID`, `route:ID` or `*`), and
//! whether a notice's informed entities fall under them.

use std::fmt;
use std::str::FromStr;

use quai_protocol::InformedEntity;

use crate::deployment::Deployment;
use crate::id::StationId;

/// One scope of an operator.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// `*`: everything.
    All,
    /// `station:ID`: the station, its stops, and the routes and trips leaving
    /// from it when the notice also names the station or one of its stops.
    Station(StationId),
    /// `route:ID`: the route and its trips, wherever they go.
    Route(String),
    /// `screen:ID`: a screen's own token: it may report what it shows
    /// (`POST /v1/screens/{id}/reports`), and nothing else.
    Screen(crate::id::ScreenId),
}

impl FromStr for Scope {
    type Err = String;
    fn from_str(s: &str) -> Result<Scope, String> {
        let wrong = || format!("`{s}`: write station:ID, route:ID, screen:ID or *");
        if s == "*" {
            Ok(Scope::All)
        } else if let Some(station) = s.strip_prefix("station:") {
            station.parse().map(Scope::Station).map_err(|_| wrong())
        } else if let Some(route) = s.strip_prefix("route:").filter(|r| !r.is_empty()) {
            Ok(Scope::Route(route.to_string()))
        } else if let Some(screen) = s.strip_prefix("screen:") {
            screen.parse().map(Scope::Screen).map_err(|_| wrong())
        } else {
            Err(wrong())
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::All => f.write_str("*"),
            Scope::Station(s) => write!(f, "station:{s}"),
            Scope::Route(r) => write!(f, "route:{r}"),
            Scope::Screen(s) => write!(f, "screen:{s}"),
        }
    }
}

impl Scope {
    /// Whether the scope names something `deployment` has.
    pub fn check(&self, deployment: &Deployment) -> Result<(), String> {
        match self {
            // Screens become known when they first report.
            Scope::All | Scope::Screen(_) => Ok(()),
            Scope::Station(station) => deployment
                .station(station.as_str())
                .map(|_| ())
                .ok_or_else(|| format!("no station `{station}`")),
            Scope::Route(route) => {
                if deployment
                    .feeds
                    .iter()
                    .any(|f| f.timetable.route_index(route).is_some())
                {
                    Ok(())
                } else {
                    Err(format!("no route `{route}`"))
                }
            }
        }
    }
}

/// Whether an operator with `scopes` may write a notice informing `entities`:
/// each entity must fall under one scope (`*`, `station:ID` covering the station,
/// its stops and the routes and trips leaving from it, or `route:ID` covering the
/// route and its trips).
pub fn in_scope(scopes: &[Scope], entities: &[InformedEntity], deployment: &Deployment) -> bool {
    if scopes.contains(&Scope::All) {
        return true;
    }
    let stations: Vec<&str> = scopes
        .iter()
        .filter_map(|s| match s {
            Scope::Station(id) => Some(id.as_str()),
            _ => None,
        })
        .collect();
    let routes: Vec<&str> = scopes
        .iter()
        .filter_map(|s| match s {
            Scope::Route(id) => Some(id.as_str()),
            _ => None,
        })
        .collect();
    let scoped_stations = || {
        deployment
            .stations
            .iter()
            .filter(|s| stations.contains(&s.id.as_str()))
    };
    // Under a station scope alone, a route or trip is allowed only beside one of the
    // operator's stations or stops (it then narrows the notice to those departures,
    // and does not reach the route's other stations).
    let stop_in_scope = |stop_id: &str| {
        scoped_stations().any(|s| {
            s.stops
                .iter()
                .any(|&stop| deployment.feeds.stop_key(stop).to_string() == stop_id)
        })
    };
    let names_own_place = entities.iter().any(|e| match e {
        InformedEntity::Station { station } => stations.contains(&station.as_str()),
        InformedEntity::Stop { stop_id } => stop_in_scope(stop_id),
        _ => false,
    });
    entities.iter().all(|e| match e {
        InformedEntity::Station { station } => stations.contains(&station.as_str()),
        InformedEntity::Stop { stop_id } => stop_in_scope(stop_id),
        InformedEntity::Route { route_id } => {
            routes.contains(&route_id.as_str())
                || names_own_place
                    && scoped_stations().any(|s| {
                        s.routes
                            .iter()
                            .any(|&(f, r)| deployment.feeds[f].timetable.routes[r].id == *route_id)
                    })
        }
        // Operators' notices cannot name one (validation says so).
        InformedEntity::Agency { .. } => false,
        InformedEntity::Trip { trip_id } => deployment.feeds.enumerate().any(|(fi, f)| {
            f.timetable.trip_index(trip_id).is_some_and(|t| {
                let route = &f.timetable.route_of(t).id;
                routes.contains(&route.as_str())
                    || names_own_place && scoped_stations().any(|s| s.trips.contains(&(fi, t)))
            })
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_read_and_write_as_the_command_line_does() {
        for text in ["*", "station:caudry", "route:CA2C:4", "screen:hall-1"] {
            assert_eq!(text.parse::<Scope>().unwrap().to_string(), text);
        }
        assert!("route:".parse::<Scope>().is_err());
        assert!("station:Caudry Gare".parse::<Scope>().is_err());
        assert_eq!(
            "stop:x".parse::<Scope>().unwrap_err(),
            "`stop:x`: write station:ID, route:ID, screen:ID or *"
        );
        assert!("screen:Hall 1".parse::<Scope>().is_err());
    }
}
