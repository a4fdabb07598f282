//! `[screens]`: how the server judges its screens (docs/operators.md,
//! « Screens »).

use std::time::Duration;

use serde::Deserialize;

use super::{Invalid, units};

/// `[screens]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScreensSection {
    /// A screen that has not reported for this long is silent (screens
    /// report every minute).
    pub silent_after_s: f64,
    /// A screen that says it is not live for this long is flagged.
    pub not_live_after_s: f64,
    /// How long the boards each screen drew are kept.
    pub keep_days: u32,
}

impl Default for ScreensSection {
    fn default() -> Self {
        ScreensSection {
            silent_after_s: 180.0,
            not_live_after_s: 120.0,
            keep_days: 90,
        }
    }
}

/// `[screens]`, checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScreenSettings {
    pub silent_after: Duration,
    pub not_live_after: Duration,
    pub keep_days: u32,
}

impl Default for ScreenSettings {
    fn default() -> Self {
        ScreenSettings::from_file(ScreensSection::default()).unwrap_or(ScreenSettings {
            silent_after: Duration::from_secs(180),
            not_live_after: Duration::from_secs(120),
            keep_days: 90,
        })
    }
}

impl ScreenSettings {
    pub(super) fn from_file(s: ScreensSection) -> Result<ScreenSettings, Invalid> {
        if !(1..=3660).contains(&s.keep_days) {
            return Err(Invalid::new("keep_days", "must be from 1 to 3660 days"));
        }
        Ok(ScreenSettings {
            silent_after: units::seconds(s.silent_after_s, 1.0, 86_400.0)
                .map_err(|r| Invalid::new("silent_after_s", r))?,
            not_live_after: units::seconds(s.not_live_after_s, 1.0, 86_400.0)
                .map_err(|r| Invalid::new("not_live_after_s", r))?,
            keep_days: s.keep_days,
        })
    }
}
