//! GTFS's numbered kinds: `route_type` (basic and extended) as the board's
//! [`Mode`], and the numbers GTFS-Realtime selectors carry for a route type or
//! a direction.

use gtfs_structures::{DirectionType, RouteType};
use quai_protocol::Mode;

/// The GTFS `direction_id` number (what GTFS-Realtime selectors carry).
pub fn direction_number(direction: DirectionType) -> u32 {
    match direction {
        DirectionType::Outbound => 0,
        DirectionType::Inbound => 1,
    }
}

/// The GTFS `route_type` number (what GTFS-Realtime selectors carry).
pub fn route_type_code(route_type: RouteType) -> i16 {
    match route_type {
        RouteType::Tramway => 0,
        RouteType::Subway => 1,
        RouteType::Rail => 2,
        RouteType::Bus => 3,
        RouteType::Ferry => 4,
        RouteType::CableCar => 5,
        RouteType::Gondola => 6,
        RouteType::Funicular => 7,
        RouteType::Extended(e) => e as i16,
        RouteType::Other(i) => i,
    }
}

/// The kind of vehicle from a GTFS route_type, basic or extended.
pub fn mode_of(route_type: RouteType) -> Mode {
    match route_type_code(route_type) {
        0 => Mode::Tram,
        1 => Mode::Metro,
        2 => Mode::Rail,
        3 => Mode::Bus,
        4 => Mode::Ferry,
        5 => Mode::CableTram,
        6 => Mode::AerialLift,
        7 => Mode::Funicular,
        11 => Mode::Trolleybus,
        12 => Mode::Monorail,
        100..=199 => Mode::Rail,
        200..=299 => Mode::Coach,
        405 => Mode::Monorail,
        400..=499 => Mode::Metro,
        700..=799 => Mode::Bus,
        800..=899 => Mode::Trolleybus,
        900..=999 => Mode::Tram,
        1000..=1099 | 1200..=1299 => Mode::Ferry,
        1100..=1199 => Mode::Air,
        1300..=1399 => Mode::AerialLift,
        1400..=1499 => Mode::Funicular,
        1500..=1599 => Mode::Taxi,
        _ => Mode::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_types_basic_and_extended() {
        assert_eq!(mode_of(RouteType::Rail), Mode::Rail);
        assert_eq!(mode_of(RouteType::Other(11)), Mode::Trolleybus);
        assert_eq!(mode_of(RouteType::Other(12)), Mode::Monorail);
        assert_eq!(mode_of(RouteType::Other(1700)), Mode::Other);
    }
}
