//! The advice table: what to tell passengers for each kind and level of warning
//! (`advice.toml`, compiled in; a deployment may supply its own).

use std::collections::{BTreeMap, HashMap};

use quai_protocol::{AdvisoryEvent, AdvisoryLevel};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventAdvice {
    headline: BTreeMap<String, String>,
    advice: BTreeMap<String, Vec<String>>,
    /// Added from orange up.
    #[serde(default)]
    orange: BTreeMap<String, Vec<String>>,
    /// Added at red.
    #[serde(default)]
    red: BTreeMap<String, Vec<String>>,
}

/// The advice for every event.
#[derive(Debug, Clone)]
pub struct AdviceTable {
    events: HashMap<String, EventAdvice>,
}

#[derive(Debug, thiserror::Error)]
#[error("{origin}: {message}")]
pub struct AdviceError {
    origin: String,
    message: String,
}

/// What a board shows for one warning, per language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advice {
    pub headline: BTreeMap<String, String>,
    pub lines: BTreeMap<String, Vec<String>>,
}

pub fn event_key(event: AdvisoryEvent) -> &'static str {
    match event {
        AdvisoryEvent::Heatwave => "heatwave",
        AdvisoryEvent::Storm => "storm",
        AdvisoryEvent::Wind => "wind",
        AdvisoryEvent::SnowIce => "snow_ice",
        AdvisoryEvent::Flood => "flood",
        AdvisoryEvent::RainFlood => "rain_flood",
        AdvisoryEvent::Thunderstorm => "thunderstorm",
        AdvisoryEvent::ColdWave => "cold_wave",
        AdvisoryEvent::Avalanche => "avalanche",
        AdvisoryEvent::CoastalFlood => "coastal_flood",
        AdvisoryEvent::Other => "other",
    }
}

/// "Vigilance orange" / "Orange warning".
fn level_words(level: AdvisoryLevel, lang: &str) -> String {
    let (fr, en) = match level {
        AdvisoryLevel::Yellow => ("jaune", "Yellow"),
        AdvisoryLevel::Orange => ("orange", "Orange"),
        AdvisoryLevel::Red => ("rouge", "Red"),
    };
    match lang {
        "fr" => format!("Vigilance {fr}"),
        _ => format!("{en} warning"),
    }
}

impl AdviceTable {
    /// The table shipped with Quai (`feed-server/advice.toml`).
    pub fn builtin() -> Result<AdviceTable, AdviceError> {
        AdviceTable::parse(include_str!("../../advice.toml"), "advice.toml (built in)")
    }

    pub fn load(path: &std::path::Path) -> Result<AdviceTable, AdviceError> {
        let text = std::fs::read_to_string(path).map_err(|e| AdviceError {
            origin: path.display().to_string(),
            message: e.to_string(),
        })?;
        AdviceTable::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, origin: &str) -> Result<AdviceTable, AdviceError> {
        let events: HashMap<String, EventAdvice> =
            toml::from_str(text).map_err(|e| AdviceError {
                origin: origin.to_string(),
                message: e.to_string(),
            })?;
        if !events.contains_key("other") {
            return Err(AdviceError {
                origin: origin.to_string(),
                message: "an [other] table is needed for warnings of any other kind".into(),
            });
        }
        Ok(AdviceTable { events })
    }

    /// Headline and lines for a warning, in every language of the table.
    pub fn advice(&self, event: AdvisoryEvent, level: AdvisoryLevel) -> Advice {
        let entry = self
            .events
            .get(event_key(event))
            .or_else(|| self.events.get("other"));
        let Some(entry) = entry else {
            return Advice {
                headline: BTreeMap::new(),
                lines: BTreeMap::new(),
            };
        };
        let headline = entry
            .headline
            .iter()
            .map(|(lang, h)| (lang.clone(), format!("{} – {h}", level_words(level, lang))))
            .collect();
        let lines = entry
            .advice
            .iter()
            .map(|(lang, lines)| {
                let mut lines = lines.clone();
                if level >= AdvisoryLevel::Orange {
                    lines.extend(entry.orange.get(lang).cloned().unwrap_or_default());
                }
                if level == AdvisoryLevel::Red {
                    lines.extend(entry.red.get(lang).cloned().unwrap_or_default());
                }
                (lang.clone(), lines)
            })
            .collect();
        Advice { headline, lines }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_table_covers_every_event_in_french_and_english() {
        let table = AdviceTable::builtin().unwrap();
        for event in [
            AdvisoryEvent::Heatwave,
            AdvisoryEvent::Storm,
            AdvisoryEvent::Wind,
            AdvisoryEvent::SnowIce,
            AdvisoryEvent::Flood,
            AdvisoryEvent::RainFlood,
            AdvisoryEvent::Thunderstorm,
            AdvisoryEvent::ColdWave,
            AdvisoryEvent::Avalanche,
            AdvisoryEvent::CoastalFlood,
            AdvisoryEvent::Other,
        ] {
            assert!(table.events.contains_key(event_key(event)), "{event:?}");
            for level in [
                AdvisoryLevel::Yellow,
                AdvisoryLevel::Orange,
                AdvisoryLevel::Red,
            ] {
                let a = table.advice(event, level);
                for lang in ["fr", "en"] {
                    let lines = &a.lines[lang];
                    let most = if level == AdvisoryLevel::Red { 5 } else { 4 };
                    assert!(
                        (2..=most).contains(&lines.len()),
                        "{event:?} {level:?} {lang}"
                    );
                    assert!(
                        lines.iter().all(|l| l.chars().count() <= 80),
                        "{event:?} {lang}"
                    );
                }
            }
        }
        let heat = table.advice(AdvisoryEvent::Heatwave, AdvisoryLevel::Red);
        assert_eq!(heat.headline["fr"], "Vigilance rouge – Canicule");
        assert_eq!(heat.headline["en"], "Red warning – Heatwave");
        assert!(heat.lines["fr"].iter().any(|l| l.contains("15")));
    }
}
