//! The demo's carpool area: sensor-equipped places beside the hub, whose
//! cars come and go with the day (few at night, nearly full on weekday
//! working hours). A task plays their network server: every few seconds it
//! posts ChirpStack v4 uplink events (Nwave status frames) for the places
//! whose state changed to the server's own `/v1/sensors/{integration}`,
//! through the real endpoint and its token, as a real ChirpStack would.
//!
//! Enabled by `simulate_with_token` on a `[[sensor_integrations]]` (the
//! embedded demo's): a token written in clear in the configuration, which a
//! real deployment never does.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Datelike as _, Timelike as _, Utc};
use chrono_tz::Tz;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;

/// What the simulator needs: where to post, with which token, which devices.
#[derive(Debug, Clone)]
pub struct Simulator {
    pub url: String,
    pub token: String,
    /// Device EUIs, in the order their places fill.
    pub devices: Vec<String>,
    pub timezone: Tz,
    pub clock: Clock,
    pub every: Duration,
}

/// The share of places taken at a local time: 15 % at night, 85–90 % on
/// weekday working hours, 40 % on weekend days.
pub fn demand(local: chrono::DateTime<Tz>) -> f64 {
    let hour = f64::from(local.hour()) + f64::from(local.minute()) / 60.0;
    let weekend = local.weekday().number_from_monday() >= 6;
    let day = if weekend { 0.4 } else { 0.88 };
    let night = 0.15;
    // Cars arrive 6:30–9:00 and leave 16:30–19:30.
    let ramp = |from: f64, to: f64| ((hour - from) / (to - from)).clamp(0.0, 1.0);
    night + (day - night) * (ramp(6.5, 9.0) - ramp(16.5, 19.5))
}

/// Whether place `i` of `n` is taken at `now`: each place has its own
/// threshold, and a slow wobble moves a few of them every few minutes.
pub fn occupied(i: usize, n: usize, now: DateTime<Utc>, tz: Tz) -> bool {
    let local = now.with_timezone(&tz);
    // A fixed shuffle of the places: 23 has no common factor with the demo's
    // 40, so each place gets its own rank.
    let n = n.max(1);
    let rank = ((i * 23 + 7) % n) as f64 / n as f64;
    let slot = now.timestamp() / 300;
    let wobble = (((i as i64 * 7919 + slot) % 11) as f64 - 5.0) / 100.0;
    rank < demand(local) + wobble
}

/// A ChirpStack v4 uplink event of an Nwave status frame.
pub fn uplink(dev_eui: &str, f_cnt: u32, taken: bool, at: DateTime<Utc>) -> serde_json::Value {
    serde_json::json!({
        "deviceInfo": {
            "deviceName": format!("demo-{dev_eui}"),
            "devEui": dev_eui,
            "applicationName": "Quai demo",
        },
        "fCnt": f_cnt,
        "fPort": 1,
        "data": base64::engine::general_purpose::STANDARD.encode([u8::from(taken)]),
        "time": at.to_rfc3339(),
    })
}

/// How often each place's sensor says it is still there (a heartbeat),
/// well within the facility's `stale_after_s`.
const HEARTBEAT: chrono::Duration = chrono::Duration::hours(6);

/// Posts the places' changes, and each place's heartbeat, until `cancel`.
/// A refusal that says the configuration is wrong (401, 403, 404) stops it,
/// said once in the log; anything else is tried again at the next tick.
pub async fn run(sim: Simulator, cancel: CancellationToken) {
    let client = match crate::sources::http::client(Duration::from_secs(5)) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("demo sensors: no HTTP client: {e}");
            return;
        }
    };
    // Per device: the state last posted, its frame counter, when.
    let mut sent: HashMap<String, (bool, u32, DateTime<Utc>)> = HashMap::new();
    let mut tick = tokio::time::interval(sim.every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let now = sim.clock.now();
        let n = sim.devices.len();
        for (i, dev) in sim.devices.iter().enumerate() {
            if cancel.is_cancelled() {
                return;
            }
            let taken = occupied(i, n, now, sim.timezone);
            let last = sent.get(dev).copied();
            let due = last.is_none_or(|(state, _, at)| state != taken || now - at >= HEARTBEAT);
            if !due {
                continue;
            }
            let f_cnt = last.map_or(1, |(_, c, _)| c + 1);
            let answer = client
                .post(&sim.url)
                .bearer_auth(&sim.token)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(uplink(dev, f_cnt, taken, now).to_string())
                .send()
                .await;
            match answer {
                Ok(r) if r.status().is_success() => {
                    sent.insert(dev.clone(), (taken, f_cnt, now));
                }
                Ok(r) if matches!(r.status().as_u16(), 401 | 403 | 404) => {
                    tracing::error!(status = %r.status(), "demo sensors: refused, simulation stopped");
                    return;
                }
                Ok(r) => tracing::debug!(status = %r.status(), "demo sensors: try again"),
                Err(e) => tracing::debug!("demo sensors: {e}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_area_fills_in_the_morning_and_empties_at_night() {
        let tz = chrono_tz::Europe::Paris;
        let at = |s: &str| DateTime::parse_from_rfc3339(s).expect("t").to_utc();
        let taken = |t: &str| (0..40).filter(|&i| occupied(i, 40, at(t), tz)).count();
        // Monday 9 March 2026.
        let night = taken("2026-03-09T03:00:00+01:00");
        let morning = taken("2026-03-09T10:00:00+01:00");
        let evening = taken("2026-03-09T21:00:00+01:00");
        assert!(night <= 10, "{night}");
        assert!((30..40).contains(&morning), "{morning}");
        assert!(evening <= 10, "{evening}");
        // Sunday: fewer.
        assert!(taken("2026-03-08T10:00:00+01:00") < morning);
    }
}
