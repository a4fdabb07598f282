//! Talking to the service manager (systemd's `sd_notify` protocol), so that the
//! packaged unit can be `Type=notify` with a watchdog.
//!
//! - **Ready**: systemd counts the server as started only once it listens and
//!   its boards are built (a large GTFS takes seconds to load; units ordered
//!   after it, and `systemctl start`, wait for that, not for the process).
//! - **Watchdog**: with `WatchdogSec=` set, systemd kills and restarts a server
//!   that stops pinging. A ping is sent only while the board publisher is
//!   alive: its loop runs every second and goes through the hub, so a stuck
//!   runtime, a deadlocked hub or a publisher that ended all stop the pings,
//!   and the screens' frozen boards are fixed by a restart rather than left.
//! - **Stopping** and a one-line status for `systemctl status`.
//!
//! Without `$NOTIFY_SOCKET` (not under systemd, tests) every call does nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sd_notify::NotifyState;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The publisher's heartbeat: how many rounds its loop has made. A cheap
/// handle; the publisher counts, the watchdog reads.
#[derive(Debug, Clone, Default)]
pub struct Pulse(Arc<AtomicU64>);

impl Pulse {
    /// One more round of the publisher.
    pub fn beat(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// Beats once a second until `cancel` fires: an edge node, which builds
    /// no boards, proves only that its runtime still turns.
    pub async fn beat_every_second(self, cancel: CancellationToken) {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                _ = tick.tick() => self.beat(),
            }
        }
    }

    fn rounds(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Tells the service manager the server is serving, with `status` for
/// `systemctl status`.
pub fn ready(status: &str) {
    send(&[NotifyState::Ready, NotifyState::Status(status)]);
}

/// Tells the service manager the server is stopping (requests in flight finish).
pub fn stopping() {
    send(&[
        NotifyState::Stopping,
        NotifyState::Status("stopping: finishing requests in flight"),
    ]);
}

/// Pings the watchdog until `cancel` fires, as long as `pulse` moves; returns
/// at once when the service manager asked for no watchdog.
pub async fn watchdog(pulse: Pulse, cancel: CancellationToken) {
    let Some(timeout) = sd_notify::watchdog_enabled() else {
        return;
    };
    // Pinging at a quarter of the timeout leaves room for a late wake-up; the
    // publisher must have moved within half of it (it moves every second).
    let every = (timeout / 4).max(Duration::from_millis(100));
    let stale_after = (timeout / 2).max(Duration::from_secs(3));
    tracing::info!(timeout_s = timeout.as_secs_f64(), "systemd watchdog on");
    keep_alive(
        &pulse,
        every,
        stale_after,
        || send(&[NotifyState::Watchdog]),
        &cancel,
    )
    .await;
}

/// Calls `ping` every `every` while `pulse` moved within `stale_after`, until
/// `cancel` fires.
async fn keep_alive(
    pulse: &Pulse,
    every: Duration,
    stale_after: Duration,
    ping: impl Fn(),
    cancel: &CancellationToken,
) {
    let mut seen = pulse.rounds();
    let mut moved_at = Instant::now();
    let mut warned = false;
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let rounds = pulse.rounds();
        if rounds != seen {
            seen = rounds;
            moved_at = Instant::now();
            warned = false;
        }
        if moved_at.elapsed() <= stale_after {
            ping();
        } else if !warned {
            warned = true;
            tracing::error!(
                stalled_s = moved_at.elapsed().as_secs(),
                "the board publisher has stalled: no more watchdog pings (systemd will restart the server)"
            );
        }
    }
}

fn send(states: &[NotifyState]) {
    if let Err(e) = sd_notify::notify(states) {
        tracing::warn!("cannot notify the service manager: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// Pings follow the publisher: they stop once it stalls and come back
    /// when it moves again.
    #[tokio::test]
    async fn pings_only_while_the_publisher_moves() {
        let pulse = Pulse::default();
        let pings = Arc::new(AtomicUsize::new(0));
        let cancel = CancellationToken::new();
        let task = tokio::spawn({
            let (pulse, pings, cancel) = (pulse.clone(), pings.clone(), cancel.clone());
            async move {
                let ping = || {
                    pings.fetch_add(1, Ordering::Relaxed);
                };
                keep_alive(
                    &pulse,
                    Duration::from_millis(10),
                    Duration::from_millis(150),
                    ping,
                    &cancel,
                )
                .await;
            }
        });
        let count = || pings.load(Ordering::Relaxed);
        for _ in 0..20 {
            pulse.beat();
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let while_alive = count();
        assert!(while_alive >= 5, "{while_alive} pings in 200 ms of beats");
        // Stalled: past stale_after, no more pings.
        tokio::time::sleep(Duration::from_millis(250)).await;
        let stalled = count();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(count(), stalled, "pinged while the publisher had stalled");
        // Alive again.
        pulse.beat();
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(count() > stalled, "no ping once the publisher moved again");
        cancel.cancel();
        task.await.expect("the watchdog task ends on cancel");
    }
}
