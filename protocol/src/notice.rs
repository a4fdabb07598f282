//! Operator notices as the notice API (`/v1/notices`) reads and returns them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{ActivePeriod, InformedEntity, Severity, Translated};

/// Draft notices are kept but shown nowhere; published ones reach boards during
/// their publication period; ended ones are history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeStatus {
    Draft,
    Published,
    Ended,
}

/// When passengers see a notice (distinct from when the disruption happens).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Publication {
    pub start: Option<String>,
    pub end: Option<String>,
}

/// What an operator writes (`POST /v1/notices`; `PATCH` takes any subset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeInput {
    pub severity: Severity,
    /// GTFS-RT Alert cause, lower snake case (`construction`, `strike`...).
    pub cause: String,
    /// GTFS-RT Alert effect, lower snake case (`detour`, `no_service`...).
    pub effect: String,
    /// Per language; French is required.
    pub header: Translated,
    #[serde(default)]
    pub description: Translated,
    /// The ticker line of screens, per language, at most 140 characters.
    #[serde(default)]
    pub screen_text: Translated,
    /// Text for audio announcements, per language.
    #[serde(default)]
    pub tts_text: Translated,
    pub informed_entities: Vec<InformedEntity>,
    #[serde(default)]
    pub publication: Publication,
    /// When the disruption happens; empty: all the time it is published.
    #[serde(default)]
    pub active_periods: Vec<ActivePeriod>,
    /// A weekly pattern of days and time slots (station time) when the disruption
    /// happens, within the publication period: boards list its next occurrences
    /// among the active periods.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weekly: Vec<WeeklySlot>,
    #[serde(default = "published")]
    pub status: NoticeStatus,
}

/// Days of the week (`mon` ... `sun`) and a time slot (`HH:MM` to `HH:MM`, the end
/// after the start; local time of the station).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklySlot {
    pub days: Vec<String>,
    pub from: String,
    pub to: String,
}

fn published() -> NoticeStatus {
    NoticeStatus::Published
}

/// A stored notice, as the API returns it (serialised only: the input fields are
/// flattened beside the metadata).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperatorNotice {
    pub id: String,
    pub version: u64,
    #[serde(flatten)]
    pub input: NoticeInput,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: String,
    pub operator: String,
    pub action: String,
    pub notice_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Per-field reasons of a refused notice (422).
pub type FieldErrors = BTreeMap<String, String>;
