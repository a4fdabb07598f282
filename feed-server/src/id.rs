//! Identities of what a deployment names: its feeds, its stations and its weather
//! sources.
//!
//! Each is a type of its own, so that a feed id cannot be passed where a station
//! id is expected, and each validates itself: ids appear in URLs, in departure
//! ids (`{feed}:{trip}:...`) and in metrics labels, so they are kept to 1 to 64
//! characters among lower-case letters, digits, `-` and `_` (no `:`, which
//! separates the parts of a departure id).

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;

/// Why a text is not an id (the reason a configuration error shows).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` must be 1 to 64 characters among a-z, 0-9, '-' and '_'")]
pub struct InvalidId(pub String);

fn check(id: &str) -> Result<(), InvalidId> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(InvalidId(id.to_string()))
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                check(s).map(|()| $name(s.to_string()))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

id_type!(
    /// A feed of the configuration (`[[feeds]] id`): one GTFS timetable and its
    /// realtime endpoints.
    FeedId
);
id_type!(
    /// A station of the configuration (`[[stations]] id`), as in
    /// `/v1/stations/{id}/board`.
    StationId
);
id_type!(
    /// A weather source of the configuration (`[[weather]] id`).
    SourceId
);

id_type!(
    /// A facility (carpool area, car park, bike-share station).
    FacilityId
);
id_type!(
    /// A network server's integration that pushes sensor uplinks.
    IntegrationId
);
id_type!(
    /// A screen of the fleet (`display-client --screen-id`), as in
    /// `/v1/screens/{id}`.
    ScreenId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_lower_case_words_without_colons() {
        assert!("ter".parse::<FeedId>().is_ok());
        assert!("caudry-gare_2".parse::<StationId>().is_ok());
        assert_eq!(
            "Ter:1".parse::<FeedId>().unwrap_err().to_string(),
            "`Ter:1` must be 1 to 64 characters among a-z, 0-9, '-' and '_'"
        );
        assert!("".parse::<SourceId>().is_err());
        assert!("a".repeat(65).parse::<FeedId>().is_err());
    }
}
