//! GTFS-Realtime Alerts, kept as notices-to-be with their selectors. Which station
//! they concern, and in which timezone their times are written, is decided when a
//! board is built.

use std::collections::BTreeMap;

use gtfs_realtime::alert::{Effect as RtEffect, SeverityLevel};
use gtfs_realtime::{FeedEntity, FeedMessage};
use quai_protocol::{Severity, Translated};

use super::cause::{Cause, Effect};

/// Alerts kept from one message.
pub const MAX_ALERTS: usize = 200;
/// Informed entities (and active periods) kept per alert.
pub const MAX_SELECTORS: usize = 100;
/// Languages kept per text.
pub const MAX_TRANSLATIONS: usize = 10;
/// Characters kept of a header (as for an operator's notice).
pub const MAX_HEADER: usize = 200;
/// Characters kept of a description (as for an operator's notice).
pub const MAX_DESCRIPTION: usize = 4000;

/// `text` cut to `max` characters, the cut marked with "…".
pub fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((i, _)) if text[i..].chars().count() > 1 => format!("{}…", &text[..i]),
        _ => text.to_string(),
    }
}

/// `EntitySelector`: all fields present must match (they are ANDed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    pub agency_id: Option<String>,
    pub route_id: Option<String>,
    /// The GTFS `route_type` number, as GTFS-Realtime sends it.
    pub route_type: Option<i32>,
    pub trip_id: Option<String>,
    /// The GTFS `direction_id` number, as GTFS-Realtime sends it.
    pub direction_id: Option<u32>,
    pub stop_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub entity_id: String,
    pub severity: Severity,
    pub cause: Cause,
    pub effect: Effect,
    pub header: Translated,
    pub description: Translated,
    /// `(start, end)` POSIX seconds; either open. Empty: always active.
    pub periods: Vec<(Option<u64>, Option<u64>)>,
    pub selectors: Vec<Selector>,
    /// POSIX seconds: the message's header timestamp.
    pub updated: u64,
    /// When it may be shown (SIRI `PublicationWindow`), POSIX seconds; None:
    /// while active.
    pub publication: Option<(Option<u64>, Option<u64>)>,
    /// About everything the producer runs (a SIRI network or operator without
    /// a line): shown at every station of the feed.
    pub network_wide: bool,
}

impl Alert {
    /// Whether it belongs on boards at `t`: in its publication window when it
    /// has one, else while active.
    pub fn shown_at(&self, t: i64) -> bool {
        match self.publication {
            Some((s, e)) => s.is_none_or(|s| s as i64 <= t) && e.is_none_or(|e| t < e as i64),
            None => self.active_at(t),
        }
    }

    pub fn active_at(&self, t: i64) -> bool {
        self.periods.is_empty()
            || self
                .periods
                .iter()
                .any(|(s, e)| s.is_none_or(|s| s as i64 <= t) && e.is_none_or(|e| t < e as i64))
    }
}

#[derive(Debug, Default, Clone)]
pub struct Alerts {
    pub alerts: Vec<Alert>,
}

impl Alerts {
    /// `default_lang` names texts whose translation has no language (the feed's
    /// `agency_lang`, else `und`).
    pub fn from_message(message: &FeedMessage, default_lang: &str) -> Alerts {
        Alerts::from_entities(
            message.header.timestamp.unwrap_or_default(),
            message.entity.iter().cloned(),
            default_lang,
        )
    }

    /// The same from entities decoded one at a time, `updated` being the
    /// message's header timestamp. An upstream's texts and counts are capped
    /// like an operator's ([`MAX_ALERTS`] alerts, [`MAX_SELECTORS`] informed
    /// entities each, [`MAX_HEADER`] and [`MAX_DESCRIPTION`] characters per
    /// text, a cut text ending with "…"): one enormous alert would otherwise be
    /// in every board and every stream snapshot.
    pub fn from_entities(
        updated: u64,
        entities: impl IntoIterator<Item = FeedEntity>,
        default_lang: &str,
    ) -> Alerts {
        let alerts = entities
            .into_iter()
            .filter(|e| !e.is_deleted())
            .filter_map(|e| e.alert.map(|a| (e.id, a)))
            .take(MAX_ALERTS)
            .map(|(id, a)| Alert {
                entity_id: id,
                severity: severity(&a),
                cause: Cause::from_gtfs_rt(a.cause()),
                effect: Effect::from_gtfs_rt(a.effect()),
                header: translated(a.header_text.as_ref(), default_lang, MAX_HEADER),
                description: translated(a.description_text.as_ref(), default_lang, MAX_DESCRIPTION),
                periods: a
                    .active_period
                    .iter()
                    .take(MAX_SELECTORS)
                    .map(|p| (p.start, p.end))
                    .collect(),
                selectors: a
                    .informed_entity
                    .iter()
                    .take(MAX_SELECTORS)
                    .map(|s| Selector {
                        agency_id: s.agency_id.clone().filter(|x| !x.is_empty()),
                        // A trip given by route (and direction) without a trip id
                        // selects that route.
                        route_id: s
                            .route_id
                            .clone()
                            .or_else(|| s.trip.as_ref().and_then(|t| t.route_id.clone()))
                            .filter(|x| !x.is_empty()),
                        route_type: s.route_type,
                        trip_id: s
                            .trip
                            .as_ref()
                            .and_then(|t| t.trip_id.clone())
                            .filter(|x| !x.is_empty()),
                        direction_id: s
                            .direction_id
                            .or_else(|| s.trip.as_ref().and_then(|t| t.direction_id)),
                        stop_id: s.stop_id.clone().filter(|x| !x.is_empty()),
                    })
                    .collect(),
                updated,
                publication: None,
                network_wide: false,
            })
            .collect();
        Alerts { alerts }
    }
}

impl Alerts {
    /// Keeps the `updated` time of alerts that did not change since `previous`, so
    /// that a new message repeating them does not count as a change on boards.
    pub fn keep_unchanged_times(&mut self, previous: &Alerts) {
        for alert in &mut self.alerts {
            if let Some(old) = previous
                .alerts
                .iter()
                .find(|o| o.entity_id == alert.entity_id)
                && (Alert {
                    updated: old.updated,
                    ..alert.clone()
                }) == *old
            {
                alert.updated = old.updated;
            }
        }
    }
}

/// `severity_level` when given; otherwise guessed from the effect, since passengers
/// need a warning for a cancelled service even when the producer did not grade it.
fn severity(a: &gtfs_realtime::Alert) -> Severity {
    match a
        .severity_level
        .and_then(|l| SeverityLevel::try_from(l).ok())
    {
        Some(SeverityLevel::Info) => Severity::Info,
        Some(SeverityLevel::Warning) => Severity::Warning,
        Some(SeverityLevel::Severe) => Severity::Severe,
        Some(SeverityLevel::UnknownSeverity) | None => match a.effect() {
            RtEffect::NoService
            | RtEffect::ReducedService
            | RtEffect::SignificantDelays
            | RtEffect::Detour
            | RtEffect::StopMoved
            | RtEffect::AccessibilityIssue => Severity::Warning,
            _ => Severity::Info,
        },
    }
}

fn translated(
    t: Option<&gtfs_realtime::TranslatedString>,
    default_lang: &str,
    max: usize,
) -> Translated {
    let mut out = BTreeMap::new();
    for tr in t
        .map(|t| t.translation.as_slice())
        .unwrap_or_default()
        .iter()
        .take(MAX_TRANSLATIONS)
    {
        let lang = tr
            .language
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .unwrap_or(default_lang);
        if !tr.text.trim().is_empty() {
            out.entry(cut(lang, 35))
                .or_insert_with(|| cut(&tr.text, max));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn long_texts_are_cut_with_a_mark() {
        assert_eq!(cut("Quai C", 10), "Quai C");
        assert_eq!(cut("abcdef", 6), "abcdef");
        assert_eq!(cut("abcdefg", 6), "abcde…");
        assert_eq!(cut("éééééééé", 4).chars().count(), 4);
    }
}
