//! Disruptions as SituationExchange (`PtSituationElement`) and GeneralMessage
//! (`InfoMessage`, the French profile's `GeneralMessage`) deliver them, read
//! into one [`Situation`]: its windows, grades, texts (plain, by language) and
//! what it affects, every reference as the producer wrote it.

use chrono::{DateTime, Utc};
use quai_protocol::{Severity, Translated};

use super::document::Read;
use super::journey::time;
use super::text::plain;
use crate::realtime::alerts::{MAX_DESCRIPTION, MAX_HEADER, MAX_SELECTORS, MAX_TRANSLATIONS, cut};
use crate::realtime::{Cause, Effect};
use crate::sources::xml::Element;

/// A window; either end open.
pub type Window = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// What a situation is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Affected {
    /// A whole network (or, without a reference, everything the producer runs).
    Network(Option<String>),
    Line {
        line: String,
        direction: Option<String>,
    },
    StopPoint(String),
    StopPlace(String),
    Journey {
        journey: String,
        line: Option<String>,
    },
    Operator(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Situation {
    /// `SituationNumber` (SX) or `InfoMessageIdentifier` (GM).
    pub id: String,
    pub version: Option<String>,
    /// `Progress` closed or closing: the producer ends it.
    pub closed: bool,
    /// When it applies (`ValidityPeriod`; GM: the impact, else until
    /// `ValidUntilTime`). Empty: always.
    pub validity: Vec<Window>,
    /// When it may be shown (`PublicationWindow`); None: while valid.
    pub publication: Option<Window>,
    pub severity: Severity,
    pub cause: Cause,
    pub effect: Effect,
    pub summary: Translated,
    pub description: Translated,
    pub affects: Vec<Affected>,
    /// When the producer last changed it.
    pub updated: Option<DateTime<Utc>>,
}

/// Situations kept from one delivery (as for GTFS-Realtime alerts).
pub const MAX_SITUATIONS: usize = crate::realtime::alerts::MAX_ALERTS;

/// A `PtSituationElement` (or `RoadSituationElement`, read alike).
pub fn exchange(e: &Element, default_lang: &str) -> Option<Situation> {
    let id = e.text("SituationNumber")?;
    let windows = |path: &[&str]| -> Vec<Window> {
        e.all(path)
            .into_iter()
            .take(MAX_SELECTORS)
            .map(|p| (time(p, "StartTime"), time(p, "EndTime")))
            .collect()
    };
    let mut affects = affected(e.child("Affects"));
    for consequence in e.all(&["Consequences", "Consequence"]) {
        affects.extend(affected(consequence.child("Affects")));
    }
    affects.dedup();
    affects.truncate(MAX_SELECTORS);
    let conditions: Vec<String> = e
        .all(&["Consequences", "Consequence", "Condition"])
        .into_iter()
        .map(|c| c.text.trim().to_string())
        .collect();
    let effect = conditions
        .iter()
        .map(|c| effect(c))
        .find(|e| *e != Effect::UnknownEffect)
        .unwrap_or(Effect::UnknownEffect);
    let severity_text = e.text("Severity").or_else(|| {
        e.all(&["Consequences", "Consequence", "Severity"])
            .first()
            .map(|s| s.text.trim().to_string())
    });
    let reason = [
        "AlertCause",
        "MiscellaneousReason",
        "PersonnelReason",
        "EquipmentReason",
        "EnvironmentReason",
        "UndefinedReason",
    ]
    .iter()
    .find_map(|r| e.text(r));
    let mut description = texts(
        e.children_named("Description"),
        default_lang,
        MAX_DESCRIPTION,
    );
    for more in ["Detail", "Advice"] {
        for (lang, text) in texts(e.children_named(more), default_lang, MAX_DESCRIPTION) {
            let entry = description.entry(lang).or_default();
            if !entry.is_empty() {
                entry.push_str("\n\n");
            }
            entry.push_str(&text);
            *entry = cut(entry, MAX_DESCRIPTION);
        }
    }
    let progress = e.text("Progress").unwrap_or_default().to_ascii_lowercase();
    Some(Situation {
        id,
        version: e.text("Version"),
        closed: progress == "closed" || progress == "closing",
        validity: windows(&["ValidityPeriod"]),
        publication: windows(&["PublicationWindow"]).first().copied(),
        severity: severity(severity_text.as_deref(), effect),
        cause: reason.as_deref().map_or(Cause::UnknownCause, cause),
        effect,
        summary: texts(e.children_named("Summary"), default_lang, MAX_HEADER),
        description,
        affects,
        updated: time(e, "VersionedAtTime")
            .or_else(|| time(e, "CreationTime"))
            .or_else(|| time(e, "RecordedAtTime")),
    })
}

/// A GeneralMessage `InfoMessage` (SIRI 2) or `GeneralMessage` (French profile).
pub fn general(e: &Element, default_lang: &str) -> Option<Situation> {
    let id = e.text("InfoMessageIdentifier")?;
    let content = e.child("Content");
    let start = content
        .and_then(|c| time(c, "ImpactStartDateTime"))
        .or_else(|| time(e, "RecordedAtTime"));
    let end = content
        .and_then(|c| time(c, "ImpactEndDateTime"))
        .or_else(|| time(e, "ValidUntilTime"));
    let mut summary = Translated::new();
    let mut description = Translated::new();
    let messages = content.map(|c| c.all(&["Message"])).unwrap_or_default();
    for m in messages {
        let zone = m
            .text("MessageZoneRef")
            .or_else(|| m.text("MessageType"))
            .unwrap_or_default()
            .to_ascii_lowercase();
        let texts = texts(
            m.children_named("MessageText"),
            default_lang,
            MAX_DESCRIPTION,
        );
        let short = matches!(zone.as_str(), "title" | "shortmessage");
        for (lang, text) in texts {
            if short {
                summary
                    .entry(lang)
                    .or_insert_with(|| cut(&text, MAX_HEADER));
            } else if zone != "period" {
                let entry = description.entry(lang).or_default();
                if !entry.is_empty() {
                    entry.push_str("\n\n");
                }
                entry.push_str(&text);
                *entry = cut(entry, MAX_DESCRIPTION);
            }
        }
    }
    // A message with only a long text: its first line heads it.
    if summary.is_empty() {
        for (lang, text) in &description {
            let first = text.lines().next().unwrap_or_default();
            summary.insert(lang.clone(), cut(first, MAX_HEADER));
        }
    }
    let mut affects = Vec::new();
    if let Some(c) = content {
        for line in c
            .all(&["LineRef"])
            .into_iter()
            .chain(c.all(&["ImpactedLineRef"]))
            .chain(c.all(&["LineSection", "LineRef"]))
        {
            let line = line.text.trim();
            if !line.is_empty() {
                affects.push(Affected::Line {
                    line: line.to_string(),
                    direction: None,
                });
            }
        }
        for stop in c
            .all(&["StopPointRef"])
            .into_iter()
            .chain(c.all(&["ImpactedStopPointRef"]))
        {
            let stop = stop.text.trim();
            if !stop.is_empty() {
                affects.push(Affected::StopPoint(stop.to_string()));
            }
        }
    }
    affects.dedup();
    affects.truncate(MAX_SELECTORS);
    let channel = e.text("InfoChannelRef").unwrap_or_default();
    let priority = content
        .and_then(|c| c.text("Priority"))
        .unwrap_or_default()
        .to_ascii_lowercase();
    let cause = match channel.to_ascii_lowercase().as_str() {
        "works" => Cause::Construction,
        "perturbation" | "plannedDisruption" => Cause::OtherCause,
        _ => Cause::UnknownCause,
    };
    Some(Situation {
        id,
        version: e.text("InfoMessageVersion"),
        closed: false,
        validity: if start.is_some() || end.is_some() {
            vec![(start, end)]
        } else {
            Vec::new()
        },
        publication: None,
        severity: if matches!(priority.as_str(), "urgent" | "high" | "1")
            || channel.eq_ignore_ascii_case("perturbation")
        {
            Severity::Warning
        } else {
            Severity::Info
        },
        cause,
        effect: Effect::UnknownEffect,
        summary,
        description,
        affects,
        updated: time(e, "RecordedAtTime"),
    })
}

/// What an `Affects` block names.
fn affected(affects: Option<&Element>) -> Vec<Affected> {
    let Some(a) = affects else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for network in a.all(&["Networks", "AffectedNetwork"]) {
        let lines = network.all(&["AffectedLine"]);
        if lines.is_empty() || network.child("AllLines").is_some() {
            out.push(Affected::Network(network.text("NetworkRef")));
        }
        for line in lines {
            if let Some(line_ref) = line.text("LineRef") {
                out.push(Affected::Line {
                    line: line_ref,
                    direction: line
                        .path(&["Direction", "DirectionRef"])
                        .map(|d| d.text.trim().to_string())
                        .filter(|d| !d.is_empty()),
                });
            }
        }
    }
    for op in a.all(&["Operators", "AffectedOperator"]) {
        if let Some(op) = op.text("OperatorRef") {
            out.push(Affected::Operator(op));
        }
    }
    if a.child("AllOperators").is_some() {
        out.push(Affected::Network(None));
    }
    for stop in a.all(&["StopPoints", "AffectedStopPoint"]) {
        if let Some(s) = stop.text("StopPointRef") {
            out.push(Affected::StopPoint(s));
        }
    }
    for place in a.all(&["StopPlaces", "AffectedStopPlace"]) {
        if let Some(s) = place.text("StopPlaceRef") {
            out.push(Affected::StopPlace(s));
        }
    }
    for vj in a.all(&["VehicleJourneys", "AffectedVehicleJourney"]) {
        let journey = vj
            .text("DatedVehicleJourneyRef")
            .or_else(|| {
                vj.path(&["FramedVehicleJourneyRef", "DatedVehicleJourneyRef"])
                    .map(|d| d.text.trim().to_string())
                    .filter(|d| !d.is_empty())
            })
            .or_else(|| vj.text("VehicleJourneyRef"));
        if let Some(journey) = journey {
            out.push(Affected::Journey {
                journey,
                line: vj.text("LineRef"),
            });
        }
    }
    out
}

/// The texts of repeated elements by language (lower case; a text without one
/// is in `default_lang`), as plain text, cut to `max` characters.
fn texts<'a>(
    elements: impl Iterator<Item = &'a Element>,
    default_lang: &str,
    max: usize,
) -> Translated {
    let mut out = Translated::new();
    for e in elements.take(MAX_TRANSLATIONS) {
        let text = plain(&e.text);
        if text.is_empty() {
            continue;
        }
        let lang = e
            .attribute("lang")
            .map(|l| l.trim().to_ascii_lowercase())
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| default_lang.to_string());
        out.entry(cut(&lang, 35)).or_insert_with(|| cut(&text, max));
    }
    out
}

fn words(text: &str) -> String {
    text.to_ascii_lowercase()
}

/// A SIRI reason (`AlertCause` and the other reason enumerations) as a cause.
pub fn cause(reason: &str) -> Cause {
    let r = words(reason);
    let has = |keys: &[&str]| keys.iter().any(|k| r.contains(k));
    if has(&["strike", "industrial", "staffabsence"]) {
        Cause::Strike
    } else if has(&["demonstration", "march", "procession", "rally"]) {
        Cause::Demonstration
    } else if has(&["accident", "collision", "derail", "fire"]) {
        Cause::Accident
    } else if has(&[
        "weather",
        "snow",
        "ice",
        "flood",
        "storm",
        "wind",
        "heat",
        "fog",
        "rain",
        "hail",
        "frost",
        "lightning",
        "drought",
    ]) {
        Cause::Weather
    } else if has(&["construction", "roadworks", "works"]) {
        Cause::Construction
    } else if has(&["maintenance", "repair"]) {
        Cause::Maintenance
    } else if has(&[
        "police", "security", "bomb", "terror", "vandal", "trespass", "suspect",
    ]) {
        Cause::PoliceActivity
    } else if has(&["ill", "medical", "injur", "ambulance"]) {
        Cause::MedicalEmergency
    } else if has(&["holiday"]) {
        Cause::Holiday
    } else if has(&[
        "technical",
        "failure",
        "signal",
        "breakdown",
        "power",
        "defective",
        "points",
        "overhead",
    ]) {
        Cause::TechnicalProblem
    } else if has(&["unknown", "undefined"]) {
        Cause::UnknownCause
    } else {
        Cause::OtherCause
    }
}

/// A SIRI `Condition` (service condition) as an effect.
pub fn effect(condition: &str) -> Effect {
    let c = words(condition);
    let has = |keys: &[&str]| keys.iter().any(|k| c.contains(k));
    if has(&["cancel", "noservice", "suspend", "closed"]) {
        Effect::NoService
    } else if has(&["delay", "late"]) {
        Effect::SignificantDelays
    } else if has(&["divert", "detour"]) {
        Effect::Detour
    } else if has(&["additional", "extended", "special", "extra"]) {
        Effect::AdditionalService
    } else if has(&["reduced", "intermittent", "shortformed"]) {
        Effect::ReducedService
    } else if has(&["altered", "disrupted", "replacement", "shuttle", "split"]) {
        Effect::ModifiedService
    } else if has(&["stopmoved", "moved"]) {
        Effect::StopMoved
    } else if has(&["normal", "ontime", "fulllength"]) {
        Effect::NoEffect
    } else {
        Effect::UnknownEffect
    }
}

/// SIRI's `Severity` as the board's; ungraded situations that stop or cut
/// service still warn.
fn severity(text: Option<&str>, effect: Effect) -> Severity {
    match text.map(words).as_deref() {
        Some("severe" | "verysevere") => Severity::Severe,
        Some("normal") => Severity::Warning,
        Some("slight" | "veryslight" | "noimpact") => Severity::Info,
        _ => match effect {
            Effect::NoService
            | Effect::ReducedService
            | Effect::SignificantDelays
            | Effect::Detour
            | Effect::StopMoved => Severity::Warning,
            _ => Severity::Info,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_and_conditions_map_to_the_closed_sets() {
        assert_eq!(cause("routeBlockage"), Cause::OtherCause);
        assert_eq!(cause("staffStrike"), Cause::Strike);
        assert_eq!(cause("heavySnowFall"), Cause::Weather);
        assert_eq!(cause("signalProblem"), Cause::TechnicalProblem);
        assert_eq!(effect("tripCancellation"), Effect::NoService);
        assert_eq!(effect("diverted"), Effect::Detour);
        assert_eq!(effect("delayed"), Effect::SignificantDelays);
        assert_eq!(
            severity(Some("verySevere"), Effect::NoEffect),
            Severity::Severe
        );
        assert_eq!(severity(None, Effect::NoService), Severity::Warning);
    }
}
