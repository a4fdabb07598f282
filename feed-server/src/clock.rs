//! The server's notion of "now".
//!
//! Boards depend on the time, and tests and replays of old real feeds need a server that
//! believes it is another day: `--now` either freezes the clock at an instant or starts
//! it there and lets it run. Every component asks this clock, never the system directly.

use chrono::{DateTime, Duration, FixedOffset, Utc};

/// How the server reads the time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The system clock.
    System,
    /// Always the same instant (`--now T`): deterministic boards for tests.
    Fixed(DateTime<Utc>),
    /// The system clock moved by a constant offset (`--now T --clock running`): time
    /// passes normally, starting from T at start-up.
    Shifted(Duration),
}

impl Clock {
    /// A clock that starts at `start` and keeps running from there.
    pub fn running_from(start: DateTime<FixedOffset>) -> Clock {
        Clock::Shifted(start.with_timezone(&Utc) - Utc::now())
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(t) => *t,
            Clock::Shifted(offset) => Utc::now() + *offset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_clock_starts_at_the_given_instant_and_moves_on() {
        let start = DateTime::parse_from_rfc3339("2025-02-03T07:30:00+01:00").unwrap();
        let clock = Clock::running_from(start);
        let drift = clock.now() - start.with_timezone(&Utc);
        assert!(drift >= Duration::zero() && drift < Duration::seconds(5));
        let fixed = Clock::Fixed(start.with_timezone(&Utc));
        assert_eq!(fixed.now(), fixed.now());
    }
}
