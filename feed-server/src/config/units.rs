//! The units of the configuration file, turned into the one convention of the
//! code: every duration a [`Duration`], every size a number of bytes.
//!
//! The file writes seconds (`_s`, decimals allowed), minutes (`_min`) and MiB
//! (`_mb`), as people think of them; each is checked against its bounds here,
//! once, and its reason is the one a configuration error shows.

use std::time::Duration;

/// A number of seconds within `[min, max]`.
pub fn seconds(value: f64, min: f64, max: f64) -> Result<Duration, String> {
    if value.is_finite() && (min..=max).contains(&value) {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(format!("must be between {min} and {max} seconds"))
    }
}

/// A whole number of seconds (no bound but being positive when `positive`).
pub fn whole_seconds(value: u64, positive: bool) -> Result<Duration, String> {
    if positive && value == 0 {
        Err("must be positive".into())
    } else {
        Ok(Duration::from_secs(value))
    }
}

/// A number of minutes within `[min, max]`.
pub fn minutes(value: u32, min: u32, max: u32) -> Result<Duration, String> {
    if (min..=max).contains(&value) {
        Ok(Duration::from_secs(u64::from(value) * 60))
    } else {
        Err(format!("must be between {min} and {max} minutes"))
    }
}

/// A positive number of MiB, as bytes.
pub fn megabytes(value: u64) -> Result<u64, String> {
    if value == 0 {
        Err("must be positive".into())
    } else {
        Ok(value.saturating_mul(1024 * 1024))
    }
}

/// A count within `[min, max]`.
pub fn count<T: PartialOrd + std::fmt::Display>(value: T, min: T, max: T) -> Result<T, String> {
    if min <= value && value <= max {
        Ok(value)
    } else {
        Err(format!("must be between {min} and {max}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_checked_and_said() {
        assert_eq!(seconds(0.5, 0.05, 86_400.0), Ok(Duration::from_millis(500)));
        assert_eq!(
            seconds(f64::NAN, 0.05, 3600.0).unwrap_err(),
            "must be between 0.05 and 3600 seconds"
        );
        assert_eq!(minutes(180, 1, 2880), Ok(Duration::from_secs(10_800)));
        assert_eq!(megabytes(2), Ok(2 * 1024 * 1024));
        assert_eq!(megabytes(0).unwrap_err(), "must be positive");
        assert_eq!(
            count(1, 2, 65_536).unwrap_err(),
            "must be between 2 and 65536"
        );
    }
}
