//! The JSON error body every REST endpoint returns on failure.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `{"error": {"code", "message", "fields"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong, for people (`message`) and for programs (`code`, `fields`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// A stable, lower snake case code such as `station_not_found` or `invalid_query`.
    pub code: String,
    /// A sentence for a person.
    pub message: String,
    /// Per-field reasons, for input that failed validation. Empty otherwise.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, String>,
}
