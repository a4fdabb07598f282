//! Emergency takeovers: an operator holding the `emergency` permission puts
//! one message, in full screen and in speech, on every screen of some
//! stations (`POST /v1/emergencies`), until it ends.

use serde::{Deserialize, Serialize};

use crate::Translated;

/// Which stations a takeover is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EmergencyStations {
    /// `"*"`: every station of the server.
    All(AllStations),
    /// Station ids.
    Some(Vec<String>),
}

/// The `"*"` of [`EmergencyStations::All`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AllStations {
    #[serde(rename = "*")]
    All,
}

impl EmergencyStations {
    /// Whether the takeover is for `station`.
    pub fn includes(&self, station: &str) -> bool {
        match self {
            EmergencyStations::All(_) => true,
            EmergencyStations::Some(ids) => ids.iter().any(|s| s == station),
        }
    }
}

/// What an operator sends to start a takeover (`POST /v1/emergencies`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencyInput {
    /// `"*"` or a list of station ids.
    pub stations: EmergencyStations,
    /// What the screens show, per language; French is required.
    pub screen_text: Translated,
    /// What the screens say, per language; `screen_text` where a language has
    /// none.
    #[serde(default)]
    pub tts_text: Translated,
    /// When it ends by itself (RFC 3339, within 24 hours); `DELETE` ends it
    /// sooner.
    pub ends_at: String,
    /// Seconds between two readings of its speech (15 to 600; default 60).
    #[serde(default = "default_repeat_s")]
    pub repeat_s: u32,
}

fn default_repeat_s() -> u32 {
    60
}

/// A takeover as the server keeps it and lists it (`GET /v1/emergencies`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredEmergency {
    /// `e-` and 16 hex digits.
    pub id: String,
    pub input: EmergencyInput,
    pub started_by: String,
    /// RFC 3339 UTC.
    pub started_at: String,
    /// When an operator ended it (RFC 3339 UTC); None while it runs or once it
    /// ended by itself at `ends_at`.
    #[serde(default)]
    pub ended_at: Option<String>,
    #[serde(default)]
    pub ended_by: Option<String>,
}

/// A takeover as a station's board carries it: screens show it instead of the
/// board and read it aloud every `repeat_s`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Emergency {
    pub id: String,
    pub screen_text: Translated,
    /// Per language, every language of `screen_text` included.
    pub tts_text: Translated,
    /// RFC 3339, station timezone.
    pub started_at: String,
    /// RFC 3339, station timezone.
    pub ends_at: String,
    pub repeat_s: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stations_are_a_star_or_a_list() {
        let all: EmergencyStations = serde_json::from_str("\"*\"").expect("star");
        assert!(all.includes("caudry"));
        let some: EmergencyStations = serde_json::from_str("[\"caudry\"]").expect("list");
        assert!(some.includes("caudry") && !some.includes("busigny"));
        assert!(serde_json::from_str::<EmergencyStations>("\"caudry\"").is_err());
        assert_eq!(serde_json::to_string(&all).expect("json"), "\"*\"");
    }
}
