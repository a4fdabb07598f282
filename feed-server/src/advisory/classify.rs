//! The kind and level of a warning, from what its source says: Météo-France's
//! phenomenon, MeteoAlarm's `awareness_type` and `awareness_level`, the CAP
//! severity, and the words of the event.

use quai_protocol::{AdvisoryEvent, AdvisoryLevel};

use super::cap::{Info, Severity};
use crate::sources::weather::vigilance;

/// Kind and level of a warning: MeteoAlarm's `awareness_type` / `awareness_level`
/// parameters when present, else the CAP severity and the words of the event.
/// Green (and `Minor`) warnings call for no advice.
pub fn classify(info: &Info) -> Option<(AdvisoryEvent, AdvisoryLevel)> {
    let level = match info.parameter("awareness_level") {
        Some(p) => {
            let p = p.to_ascii_lowercase();
            if p.contains("red") {
                AdvisoryLevel::Red
            } else if p.contains("orange") {
                AdvisoryLevel::Orange
            } else if p.contains("yellow") {
                AdvisoryLevel::Yellow
            } else {
                return None;
            }
        }
        None => match info.severity {
            Severity::Extreme => AdvisoryLevel::Red,
            Severity::Severe => AdvisoryLevel::Orange,
            Severity::Moderate | Severity::Unknown => AdvisoryLevel::Yellow,
            Severity::Minor => return None,
        },
    };
    let event = if let Some(id) = info.parameter(vigilance::PHENOMENON) {
        // Météo-France's nine phenomena (sources::weather::vigilance).
        match id {
            "1" => AdvisoryEvent::Wind,
            "2" => AdvisoryEvent::RainFlood,
            "3" => AdvisoryEvent::Thunderstorm,
            "4" => AdvisoryEvent::Flood,
            "5" => AdvisoryEvent::SnowIce,
            "6" => AdvisoryEvent::Heatwave,
            "7" => AdvisoryEvent::ColdWave,
            "8" => AdvisoryEvent::Avalanche,
            "9" => AdvisoryEvent::CoastalFlood,
            _ => event_from_words(info),
        }
    } else {
        match info.parameter("awareness_type") {
            Some(t) => match t.split(';').next().map(str::trim) {
                Some("1") => AdvisoryEvent::Wind,
                Some("2") => AdvisoryEvent::SnowIce,
                Some("3") => AdvisoryEvent::Thunderstorm,
                Some("5") => AdvisoryEvent::Heatwave,
                Some("6") => AdvisoryEvent::ColdWave,
                Some("7") => AdvisoryEvent::CoastalFlood,
                Some("9") => AdvisoryEvent::Avalanche,
                Some("10") | Some("12") | Some("13") => AdvisoryEvent::Flood,
                _ => event_from_words(info),
            },
            None => event_from_words(info),
        }
    };
    Some((event, level))
}

fn event_from_words(info: &Info) -> AdvisoryEvent {
    let mut words = info.event.to_lowercase();
    for (_, v) in &info.event_codes {
        words.push(' ');
        words.push_str(&v.to_lowercase());
    }
    let has = |keys: &[&str]| keys.iter().any(|k| words.contains(k));
    if has(&[
        "heat",
        "canicule",
        "chaleur",
        "high-temperature",
        "high temperature",
    ]) {
        AdvisoryEvent::Heatwave
    } else if has(&["thunder", "orage"]) {
        AdvisoryEvent::Thunderstorm
    } else if has(&[
        "storm",
        "tempête",
        "tempete",
        "hurricane",
        "cyclone",
        "typhoon",
    ]) {
        AdvisoryEvent::Storm
    } else if has(&["wind", "vent"]) {
        AdvisoryEvent::Wind
    } else if has(&[
        "snow", "ice", "neige", "verglas", "blizzard", "winter", "freezing",
    ]) {
        AdvisoryEvent::SnowIce
    } else if has(&["flood", "crue", "inondation", "rain", "pluie"]) {
        AdvisoryEvent::Flood
    } else if has(&[
        "cold",
        "froid",
        "frost",
        "low-temperature",
        "low temperature",
    ]) {
        AdvisoryEvent::ColdWave
    } else {
        AdvisoryEvent::Other
    }
}
