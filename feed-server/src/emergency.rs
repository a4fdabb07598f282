//! Emergency takeovers: one message, full screen and spoken, on every screen
//! of some stations until it ends. What makes a takeover valid
//! ([`validate`]), and the takeovers the server holds, parsed once for the
//! boards ([`Emergencies`]). The store keeps them durably; an operator ends
//! one with `DELETE`, or it ends by itself at `ends_at`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use quai_protocol::{EmergencyInput, EmergencyStations, FieldErrors, StoredEmergency, Translated};

use crate::deployment::Deployment;
use crate::notice::forbidden_char;
use crate::notice::kept::instant;

/// Longest takeover text on screen, in characters (it is shown large).
pub const MAX_SCREEN_TEXT: usize = 280;
/// Longest spoken text, in characters.
pub const MAX_TTS_TEXT: usize = 1000;
/// How far ahead `ends_at` may be: a takeover nobody ends must not stay for days.
pub const MAX_HOURS: i64 = 24;

/// Every reason the takeover cannot start, by field.
pub fn validate(
    input: &EmergencyInput,
    deployment: &Deployment,
    now: DateTime<Utc>,
) -> FieldErrors {
    let mut errors = FieldErrors::new();
    if let EmergencyStations::Some(ids) = &input.stations {
        if ids.is_empty() {
            errors.insert(
                "stations".into(),
                "name at least one station, or \"*\" for all".into(),
            );
        }
        for (i, id) in ids.iter().enumerate() {
            if deployment.station(id).is_none() {
                errors.insert(format!("stations[{i}]"), format!("no station `{id}`"));
            }
        }
    }
    if input
        .screen_text
        .get("fr")
        .is_none_or(|t| t.trim().is_empty())
    {
        errors.insert("screen_text.fr".into(), "a French text is required".into());
    }
    for (name, texts, max) in [
        ("screen_text", &input.screen_text, MAX_SCREEN_TEXT),
        ("tts_text", &input.tts_text, MAX_TTS_TEXT),
    ] {
        for (lang, text) in texts {
            let field = format!("{name}.{lang}");
            let tag_ok = (2..=8).contains(&lang.len())
                && lang.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            let reason = if !tag_ok {
                Some("not a language tag (e.g. fr, en)".to_string())
            } else if text.trim().is_empty() {
                Some("must not be empty".into())
            } else if text.chars().count() > max {
                Some(format!("at most {max} characters"))
            } else {
                text.chars()
                    .find(|&c| forbidden_char(c, true))
                    .map(|c| format!("must not contain U+{:04X}", u32::from(c)))
            };
            if let Some(reason) = reason {
                errors.entry(field).or_insert(reason);
            }
        }
    }
    match instant(Some(&input.ends_at)) {
        None => {
            errors.insert(
                "ends_at".into(),
                "an RFC 3339 instant, e.g. 2026-12-03T19:00:00+01:00".into(),
            );
        }
        Some(end) if end <= now => {
            errors.insert("ends_at".into(), "must be in the future".into());
        }
        Some(end) if end > now + chrono::Duration::hours(MAX_HOURS) => {
            errors.insert(
                "ends_at".into(),
                format!("at most {MAX_HOURS} hours ahead; start a new takeover after it"),
            );
        }
        Some(_) => {}
    }
    if !(15..=600).contains(&input.repeat_s) {
        errors.insert("repeat_s".into(), "15 to 600 seconds".into());
    }
    errors
}

/// A takeover the server holds, with its instants parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct KeptEmergency {
    pub stored: StoredEmergency,
    pub started_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl KeptEmergency {
    /// None for a stored takeover whose instants do not parse (they were
    /// checked when it started).
    pub fn new(stored: StoredEmergency) -> Option<KeptEmergency> {
        let (Some(started_at), Some(ends_at)) = (
            instant(Some(&stored.started_at)),
            instant(Some(&stored.input.ends_at)),
        ) else {
            tracing::warn!(id = %stored.id, "stored takeover with unreadable instants, not shown");
            return None;
        };
        Some(KeptEmergency {
            started_at,
            ends_at,
            stored,
        })
    }

    /// Running at `now`: not past its end, not ended by an operator. (It
    /// runs from when it is stored: `started_at` is the wall clock's, and a
    /// server on a set clock, a demo or a replay, must show it too.)
    pub fn running_at(&self, now: DateTime<Utc>) -> bool {
        self.stored.ended_at.is_none() && now < self.ends_at
    }

    /// What is spoken, per language: `tts_text`, else `screen_text`.
    pub fn speech(&self) -> Translated {
        let input = &self.stored.input;
        let mut speech = input.screen_text.clone();
        speech.extend(input.tts_text.clone());
        speech
    }
}

/// The takeovers held in memory: a cheap handle, clones share the same list.
#[derive(Debug, Clone, Default)]
pub struct Emergencies {
    list: Arc<RwLock<Vec<Arc<KeptEmergency>>>>,
    /// Moves on every change (boards built from an older version are rebuilt).
    version: Arc<AtomicU64>,
}

impl Emergencies {
    /// The takeovers of the store still running at `now`.
    pub fn new(stored: Vec<StoredEmergency>, now: DateTime<Utc>) -> Emergencies {
        let list = stored
            .into_iter()
            .filter_map(KeptEmergency::new)
            .filter(|e| e.running_at(now))
            .map(Arc::new)
            .collect();
        Emergencies {
            list: Arc::new(RwLock::new(list)),
            version: Arc::default(),
        }
    }

    pub fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// Every takeover held (those past their end are dropped at the next
    /// change; filter with [`KeptEmergency::running_at`]).
    pub fn all(&self) -> Vec<Arc<KeptEmergency>> {
        self.list.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The takeover shown at `station` at `now`: the last started of those
    /// running there.
    pub fn at(&self, station: &str, now: DateTime<Utc>) -> Option<Arc<KeptEmergency>> {
        self.list
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|e| e.running_at(now) && e.stored.input.stations.includes(station))
            .max_by_key(|e| (e.started_at, e.stored.id.clone()))
            .cloned()
    }

    /// Every takeover not ended, as read whole from the shared store
    /// (PostgreSQL, `notice::watch`): those held but not there have ended
    /// meanwhile. The version moves only if the list changed.
    pub fn take_all(&self, stored: Vec<StoredEmergency>, now: DateTime<Utc>) {
        let fresh: Vec<Arc<KeptEmergency>> = stored
            .into_iter()
            .filter_map(KeptEmergency::new)
            .filter(|e| e.running_at(now))
            .map(Arc::new)
            .collect();
        let mut list = self.list.write().unwrap_or_else(|p| p.into_inner());
        let same =
            list.len() == fresh.len() && list.iter().zip(&fresh).all(|(a, b)| a.stored == b.stored);
        if !same {
            *list = fresh;
            self.version.fetch_add(1, Ordering::Release);
        }
    }

    /// A takeover started (or ended: then it leaves the list, with those
    /// past their end at `now`).
    pub fn replace(&self, stored: StoredEmergency, now: DateTime<Utc>) {
        let mut list = self.list.write().unwrap_or_else(|p| p.into_inner());
        list.retain(|e| e.stored.id != stored.id && e.running_at(now));
        if stored.ended_at.is_none()
            && let Some(kept) = KeptEmergency::new(stored)
        {
            list.push(Arc::new(kept));
        }
        self.version.fetch_add(1, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(id: &str, stations: EmergencyStations, start: &str, end: &str) -> StoredEmergency {
        StoredEmergency {
            id: id.into(),
            input: EmergencyInput {
                stations,
                screen_text: [("fr".to_string(), "Évacuez".to_string())].into(),
                tts_text: Translated::new(),
                ends_at: end.into(),
                repeat_s: 60,
            },
            started_by: "pc".into(),
            started_at: start.into(),
            ended_at: None,
            ended_by: None,
        }
    }

    #[test]
    fn the_last_started_running_takeover_of_a_station_is_shown() {
        let at = |t: &str| instant(Some(t)).expect("instant");
        let all = EmergencyStations::All(quai_protocol::AllStations::All);
        let caudry = EmergencyStations::Some(vec!["caudry".into()]);
        let over = stored(
            "e-0",
            all.clone(),
            "2026-12-02T10:00:00Z",
            "2026-12-02T11:00:00Z",
        );
        let list = Emergencies::new(
            vec![
                over,
                stored("e-1", all, "2026-12-03T10:00:00Z", "2026-12-03T12:00:00Z"),
                stored(
                    "e-2",
                    caudry,
                    "2026-12-03T10:30:00Z",
                    "2026-12-03T11:00:00Z",
                ),
            ],
            at("2026-12-03T10:00:00Z"),
        );
        assert_eq!(list.all().len(), 2, "one long over is not loaded");
        let shown = |station: &str, t: &str| list.at(station, at(t)).map(|e| e.stored.id.clone());
        assert_eq!(
            shown("caudry", "2026-12-03T10:10:00Z").as_deref(),
            Some("e-2")
        );
        assert_eq!(
            shown("busigny", "2026-12-03T10:10:00Z").as_deref(),
            Some("e-1")
        );
        assert_eq!(
            shown("caudry", "2026-12-03T10:45:00Z").as_deref(),
            Some("e-2")
        );
        assert_eq!(
            shown("busigny", "2026-12-03T10:45:00Z").as_deref(),
            Some("e-1")
        );
        // e-2 over by its end; e-1 still runs.
        assert_eq!(
            shown("caudry", "2026-12-03T11:00:00Z").as_deref(),
            Some("e-1")
        );
        let v = list.version();
        let mut ended = stored(
            "e-1",
            EmergencyStations::All(quai_protocol::AllStations::All),
            "2026-12-03T10:00:00Z",
            "2026-12-03T12:00:00Z",
        );
        ended.ended_at = Some("2026-12-03T11:05:00Z".into());
        list.replace(ended, at("2026-12-03T11:05:00Z"));
        assert!(list.all().is_empty(), "e-1 ended, e-2 past its end");
        assert!(list.version() > v);
        assert_eq!(shown("caudry", "2026-12-03T11:10:00Z"), None);
    }

    #[test]
    fn a_takeover_ended_while_a_node_was_not_listening_leaves_at_its_next_read() {
        let at = instant(Some("2026-12-03T10:10:00Z")).expect("instant");
        let all = || EmergencyStations::All(quai_protocol::AllStations::All);
        let e1 = stored("e-1", all(), "2026-12-03T10:00:00Z", "2026-12-03T12:00:00Z");
        let e2 = stored("e-2", all(), "2026-12-03T10:05:00Z", "2026-12-03T12:00:00Z");
        let list = Emergencies::new(vec![e1.clone(), e2], at);
        let v = list.version();
        // Read whole again: e-2 is no longer running there.
        list.take_all(vec![e1.clone()], at);
        let ids: Vec<String> = list.all().iter().map(|e| e.stored.id.clone()).collect();
        assert_eq!(ids, ["e-1"]);
        assert!(list.version() > v, "boards built before are rebuilt");
        // The same list again changes nothing.
        let v = list.version();
        list.take_all(vec![e1], at);
        assert_eq!(list.version(), v);
    }
}
