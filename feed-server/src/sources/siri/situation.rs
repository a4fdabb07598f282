//! Disruptions as SituationExchange (`PtSituationElement`) and GeneralMessage
//! (`InfoMessage`, the French profile's `GeneralMessage`) deliver them, read
//! into one [`Situation`]: its windows, grades, texts (plain, by language) and
//! what it affects, every reference as the producer wrote it.

use chrono::{DateTime, Utc};
use quai_protocol::{Severity, Translated};

use super::Defaults;
use super::document::Read;
use super::journey::{YEAR_2000, YEAR_2100, parse_any_time, time};
use super::reason::{cause, effect, severity};
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
pub fn exchange(e: &Element, d: Defaults<'_>) -> Option<Situation> {
    let default_lang = d.lang;
    let id = e.text("SituationNumber")?;
    // A window whose given start or end does not read is dropped, not opened:
    // an unreadable end must not make a situation last for ever.
    let windows = |path: &[&str]| -> (Vec<Window>, usize) {
        let given = e.all(path);
        let read: Vec<Window> = given
            .iter()
            .take(MAX_SELECTORS)
            .filter_map(|p| {
                // A start before 2000 or an end after 2100 ("9999-12-31…")
                // is an open end; the reverse, or no date at all, is an error.
                let end = |name: &str, open: fn(i64) -> bool| match p.text(name) {
                    None => Some(None),
                    Some(t) => {
                        let t = parse_any_time(&t, d.timezone)?;
                        if open(t.timestamp()) {
                            Some(None)
                        } else {
                            (YEAR_2000..YEAR_2100)
                                .contains(&t.timestamp())
                                .then_some(Some(t))
                        }
                    }
                };
                Some((
                    end("StartTime", |t| t < YEAR_2000)?,
                    end("EndTime", |t| t >= YEAR_2100)?,
                ))
            })
            .collect();
        (read, given.len())
    };
    let (validity, given) = windows(&["ValidityPeriod"]);
    if given > 0 && validity.is_empty() {
        return None;
    }
    let (publication, given) = windows(&["PublicationWindow"]);
    if given > 0 && publication.is_empty() {
        return None;
    }
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
        validity,
        publication: publication.first().copied(),
        severity: severity(severity_text.as_deref(), effect),
        cause: reason.as_deref().map_or(Cause::UnknownCause, cause),
        effect,
        summary: texts(e.children_named("Summary"), default_lang, MAX_HEADER),
        description,
        affects,
        updated: time(e, "VersionedAtTime", d.timezone)
            .or_else(|| time(e, "CreationTime", d.timezone))
            .or_else(|| time(e, "RecordedAtTime", d.timezone)),
    })
}

/// A GeneralMessage `InfoMessage` (SIRI 2) or `GeneralMessage` (French profile).
pub fn general(e: &Element, d: Defaults<'_>) -> Option<Situation> {
    let default_lang = d.lang;
    let id = e.text("InfoMessageIdentifier")?;
    let content = e.child("Content");
    let start = content
        .and_then(|c| time(c, "ImpactStartDateTime", d.timezone))
        .or_else(|| time(e, "RecordedAtTime", d.timezone));
    let end = content
        .and_then(|c| time(c, "ImpactEndDateTime", d.timezone))
        .or_else(|| time(e, "ValidUntilTime", d.timezone));
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
        "perturbation" | "planneddisruption" => Cause::OtherCause,
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
        updated: time(e, "RecordedAtTime", d.timezone),
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
