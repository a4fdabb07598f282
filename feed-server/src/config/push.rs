//! `[push]`: Web Push alerts for the passenger app (docs/app.md,
//! docs/privacy.md). Off until a contact is given: push services want to
//! know whom to call about a sender (RFC 8292's `sub` claim).

use serde::Deserialize;

use super::Invalid;

/// The push services of the browsers people use. A subscription's endpoint
/// must be on one of these hosts (or a host of the list given instead):
/// the server POSTs to the address a browser hands it, so it must not be
/// any address at all.
pub const PUSH_SERVICES: &[&str] = &[
    "fcm.googleapis.com",
    "updates.push.services.mozilla.com",
    "*.push.apple.com",
    "*.notify.windows.com",
];

/// `[push]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PushSection {
    /// `mailto:` or `https:` address of whoever runs the server.
    pub contact: Option<String>,
    /// Hosts subscriptions may point at (`*.` for any sub-domain).
    pub endpoints: Vec<String>,
    /// A followed trip's delay is pushed from this many minutes on, and again
    /// each time it grows (or shrinks) by as much.
    pub delay_threshold_min: u32,
    /// Pushes one subscription gets per hour at most (later changes wait).
    pub max_per_hour: u32,
    /// `"22:00-06:30"`: pushes arrive without sound or vibration then.
    pub quiet_hours: Option<String>,
    /// Time zone of the quiet hours; default: the first feed's.
    pub timezone: Option<String>,
    /// How often followed lines, stops and trips are looked at.
    pub check_s: f64,
    /// A subscription the app has not renewed for this long is deleted.
    pub keep_days: u32,
}

impl Default for PushSection {
    fn default() -> Self {
        PushSection {
            contact: None,
            endpoints: PUSH_SERVICES.iter().map(|s| s.to_string()).collect(),
            delay_threshold_min: 5,
            max_per_hour: 6,
            quiet_hours: None,
            timezone: None,
            check_s: 10.0,
            keep_days: 60,
        }
    }
}

/// Quiet hours: from `start` to `end`, minutes after midnight (across
/// midnight when `end < start`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: u32,
    pub end: u32,
}

impl QuietHours {
    /// Whether `minute` (after midnight) is quiet.
    pub fn contains(&self, minute: u32) -> bool {
        if self.start <= self.end {
            (self.start..self.end).contains(&minute)
        } else {
            minute >= self.start || minute < self.end
        }
    }
}

/// `[push]`, checked. None in [`super::Config`] when no contact is given.
#[derive(Debug, Clone, PartialEq)]
pub struct PushSettings {
    pub contact: String,
    pub endpoints: Vec<String>,
    pub delay_threshold_s: i64,
    pub max_per_hour: u32,
    pub quiet_hours: Option<QuietHours>,
    pub timezone: Option<chrono_tz::Tz>,
    pub check: std::time::Duration,
    pub keep: chrono::Duration,
}

impl PushSettings {
    pub fn from_file(s: PushSection) -> Result<Option<PushSettings>, Invalid> {
        let Some(contact) = s.contact else {
            return Ok(None);
        };
        if !(contact.starts_with("mailto:") || contact.starts_with("https://"))
            || contact.len() < 10
        {
            return Err(Invalid::new(
                "contact",
                "a mailto: or https: address of whoever runs the server",
            ));
        }
        if s.endpoints.is_empty() || s.endpoints.iter().any(|h| h.is_empty() || h.contains('/')) {
            return Err(Invalid::new(
                "endpoints",
                "host names of push services (`*.push.apple.com` for sub-domains)",
            ));
        }
        if s.delay_threshold_min == 0 {
            return Err(Invalid::new("delay_threshold_min", "at least 1"));
        }
        if s.max_per_hour == 0 {
            return Err(Invalid::new("max_per_hour", "at least 1"));
        }
        if !(0.1..=3600.0).contains(&s.check_s) {
            return Err(Invalid::new("check_s", "between 0.1 and 3600"));
        }
        if s.keep_days == 0 {
            return Err(Invalid::new("keep_days", "at least 1"));
        }
        let quiet_hours = s
            .quiet_hours
            .as_deref()
            .map(|q| {
                parse_quiet(q)
                    .ok_or_else(|| Invalid::new("quiet_hours", "two times of day, \"HH:MM-HH:MM\""))
            })
            .transpose()?;
        let timezone = s
            .timezone
            .as_deref()
            .map(|tz| {
                tz.parse::<chrono_tz::Tz>()
                    .map_err(|_| Invalid::new("timezone", "an IANA time zone (Europe/Paris)"))
            })
            .transpose()?;
        Ok(Some(PushSettings {
            contact,
            endpoints: s.endpoints,
            delay_threshold_s: i64::from(s.delay_threshold_min) * 60,
            max_per_hour: s.max_per_hour,
            quiet_hours,
            timezone,
            check: std::time::Duration::from_secs_f64(s.check_s),
            keep: chrono::Duration::days(i64::from(s.keep_days)),
        }))
    }

    /// Whether a push may go to `host` over `scheme`: a listed host, over
    /// https; plain http only to a listed loopback address (a test's own
    /// push service).
    pub fn allows(&self, scheme: &str, host: &str) -> bool {
        let listed = self
            .endpoints
            .iter()
            .any(|pattern| match pattern.strip_prefix("*.") {
                Some(domain) => host
                    .strip_suffix(domain)
                    .is_some_and(|sub| sub.ends_with('.') && sub.len() > 1),
                None => host.eq_ignore_ascii_case(pattern),
            });
        let loopback = host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
        listed && (scheme == "https" || (scheme == "http" && loopback))
    }
}

fn parse_quiet(text: &str) -> Option<QuietHours> {
    let (a, b) = text.split_once('-')?;
    let minute = |t: &str| {
        let (h, m) = t.trim().split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60 && t.trim().len() == 5).then_some(h * 60 + m)
    };
    let (start, end) = (minute(a)?, minute(b)?);
    (start != end).then_some(QuietHours { start, end })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(endpoints: &[&str]) -> PushSettings {
        PushSettings::from_file(PushSection {
            contact: Some("mailto:info@example.org".into()),
            endpoints: endpoints.iter().map(|s| s.to_string()).collect(),
            ..PushSection::default()
        })
        .unwrap()
        .unwrap()
    }

    #[test]
    fn only_listed_push_services_over_https_or_the_loopback_over_http() {
        let s = settings(PUSH_SERVICES);
        assert!(s.allows("https", "fcm.googleapis.com"));
        assert!(s.allows("https", "web.push.apple.com"));
        assert!(!s.allows("https", "push.apple.com.evil.example"));
        assert!(!s.allows("https", "evilpush.apple.com"));
        assert!(!s.allows("http", "fcm.googleapis.com"));
        assert!(!s.allows("https", "169.254.169.254"));
        let t = settings(&["127.0.0.1"]);
        assert!(t.allows("http", "127.0.0.1"));
        assert!(!t.allows("http", "localhost"));
    }

    #[test]
    fn quiet_hours_may_cross_midnight() {
        let q = parse_quiet("22:00-06:30").unwrap();
        assert!(q.contains(23 * 60) && q.contains(0) && q.contains(6 * 60 + 29));
        assert!(!q.contains(6 * 60 + 30) && !q.contains(12 * 60));
        let day = parse_quiet("12:00-14:00").unwrap();
        assert!(day.contains(13 * 60) && !day.contains(14 * 60));
        assert_eq!(parse_quiet("25:00-06:00"), None);
        assert_eq!(parse_quiet("7:00-06:00"), None);
        assert_eq!(parse_quiet("06:00-06:00"), None);
    }

    #[test]
    fn off_without_a_contact() {
        assert_eq!(PushSettings::from_file(PushSection::default()), Ok(None));
        let bad = PushSettings::from_file(PushSection {
            contact: Some("info@example.org".into()),
            ..PushSection::default()
        });
        assert!(bad.is_err());
    }
}
