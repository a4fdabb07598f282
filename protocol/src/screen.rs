//! The screen fleet: what a screen reports of itself
//! (`POST /v1/screens/{id}/reports`), and what operators read of every
//! screen (`GET /v1/screens`, `GET /v1/screens/{id}/history`).

use serde::{Deserialize, Serialize};

/// What a screen shows, as it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScreenShows {
    /// No board yet (starting, or waiting for its server).
    Starting,
    /// The live board.
    Live,
    /// A board that is not live (the server or a feed is gone): scheduled
    /// times, said so on screen.
    NotLive,
    /// Live, with nothing in the horizon (« reprise du service à … »).
    NoService,
    /// An emergency takeover.
    Takeover,
}

/// Whether the screen can speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AudioStatus {
    /// It has no voice (no speech engine asked for).
    Off,
    /// It speaks when asked.
    Ready,
    /// Its speech engine failed (see `last_error`).
    Failed,
}

/// What a screen says of itself, every minute and at each change of what it
/// draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreenReport {
    /// The station whose board it shows.
    pub station: String,
    /// The `seq` of the board on screen (null before the first).
    pub seq: Option<u64>,
    pub shows: ScreenShows,
    /// Its layout's name.
    pub layout: String,
    /// The page on screen (from 1) and how many there are.
    pub page: u32,
    pub pages: u32,
    /// The language on screen now.
    pub lang: String,
    /// The display client's version.
    pub version: String,
    /// Seconds since it started.
    pub uptime_s: u64,
    /// The time between its last two frames, in milliseconds (a screen
    /// draws only when something changes: up to a minute when idle).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_ms: Option<f64>,
    pub audio: AudioStatus,
    /// The last error it met (the network, its speech engine), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// How a screen is doing, as the server judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScreenHealth {
    /// Reporting, live, showing the station's board of now.
    Ok,
    /// No report for longer than `[screens] silent_after_s`: dark, or cut off.
    Silent,
    /// It says it shows a board that is not live (or nothing yet), for
    /// longer than `[screens] not_live_after_s`.
    NotLive,
    /// It shows an older board than the station's (by `behind_by` seqs) for
    /// more than 30 seconds.
    Behind,
}

/// A known screen and its last report (`GET /v1/screens`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Screen {
    pub id: String,
    pub report: ScreenReport,
    /// When the server got the report (RFC 3339, UTC).
    pub reported_at: String,
    /// Seconds since then.
    pub age_s: i64,
    pub health: ScreenHealth,
    /// Since when the health is what it is (silent: since the last report;
    /// not live: since it first said so).
    pub health_since: String,
    /// For `behind`: by how many seqs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub behind_by: Option<u64>,
    /// When the server first heard of it.
    pub first_seen: String,
    /// When its latest picture came (`GET /v1/screens/{id}/screenshot`),
    /// if it sent one since the server started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screenshot_at: Option<String>,
}

/// One board a screen drew, and when it said so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenDraw {
    pub seq: u64,
    /// RFC 3339, UTC.
    pub at: String,
}

/// The boards a screen drew in a period (`GET /v1/screens/{id}/history`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreenHistory {
    pub screen: String,
    pub station: String,
    pub from: String,
    pub to: String,
    /// In time order; the first is the one on screen at `from` when known.
    pub draws: Vec<ScreenDraw>,
}
