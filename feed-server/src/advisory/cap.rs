//! Warnings in the Common Alerting Protocol (CAP 1.0–1.2), as the weather
//! sources read them (`sources::weather::cap` parses the documents): alerts,
//! their `<info>` blocks and areas, and CAP's closed sets of values as enums.

use chrono::{DateTime, FixedOffset};

macro_rules! cap_values {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub enum $name {
            #[default]
            $($variant),*
        }

        impl $name {
            /// The values as CAP writes them.
            pub const NAMES: &[&str] = &[$($text),*];

            /// A value as CAP writes it (case matters, as in the standard).
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),*
                }
            }
        }
    };
}

cap_values!(
    /// `<status>`: the first value is the default of a hand-made alert.
    Status { Actual = "Actual", Exercise = "Exercise", System = "System", Test = "Test", Draft = "Draft" }
);
cap_values!(
    /// `<msgType>`.
    MsgType { Alert = "Alert", Update = "Update", Cancel = "Cancel", Ack = "Ack", Error = "Error" }
);
cap_values!(
    /// `<scope>`.
    AlertScope { Public = "Public", Restricted = "Restricted", Private = "Private" }
);
cap_values!(
    /// `<info><severity>`.
    Severity {
        Unknown = "Unknown",
        Extreme = "Extreme",
        Severe = "Severe",
        Moderate = "Moderate",
        Minor = "Minor",
    }
);
cap_values!(
    /// `<info><urgency>`.
    Urgency {
        Unknown = "Unknown",
        Immediate = "Immediate",
        Expected = "Expected",
        Future = "Future",
        Past = "Past",
    }
);
cap_values!(
    /// `<info><certainty>` (`Very Likely` is CAP 1.0's spelling of `Likely`).
    Certainty {
        Unknown = "Unknown",
        Observed = "Observed",
        Likely = "Likely",
        Possible = "Possible",
        Unlikely = "Unlikely",
        VeryLikely = "Very Likely",
    }
);

/// An `<area>`: where an `<info>` applies.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Area {
    pub description: String,
    /// Rings of (latitude, longitude).
    pub polygons: Vec<Vec<(f64, f64)>>,
    /// (latitude, longitude, radius in km).
    pub circles: Vec<(f64, f64, f64)>,
    /// (valueName, value), e.g. ("EMMA_ID", "FR059").
    pub geocodes: Vec<(String, String)>,
}

/// An `<info>` block: one language's view of the alert.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Info {
    /// Lower-case primary language subtag (`fr` for `fr-FR`); CAP's default is `en-US`.
    pub language: String,
    pub event: String,
    pub severity: Severity,
    pub urgency: Urgency,
    pub certainty: Certainty,
    pub event_codes: Vec<(String, String)>,
    pub parameters: Vec<(String, String)>,
    pub effective: Option<DateTime<FixedOffset>>,
    pub onset: Option<DateTime<FixedOffset>>,
    pub expires: Option<DateTime<FixedOffset>>,
    pub sender_name: Option<String>,
    pub headline: Option<String>,
    pub description: Option<String>,
    pub instruction: Option<String>,
    pub areas: Vec<Area>,
}

impl Info {
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CapAlert {
    pub identifier: String,
    pub sender: String,
    pub sent: DateTime<FixedOffset>,
    /// Only `Actual` alerts reach boards.
    pub status: Status,
    pub msg_type: MsgType,
    /// (sender, identifier) of the alerts an Update or Cancel replaces.
    pub references: Vec<(String, String)>,
    pub infos: Vec<Info>,
}

impl CapAlert {
    pub fn key(&self) -> (String, String) {
        (self.sender.clone(), self.identifier.clone())
    }
}
