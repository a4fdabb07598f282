//! One utterance at a time, most important first: an emergency interrupts
//! whatever is being said; what matters now (a platform change, a
//! cancellation, a new severe notice) comes next, with a chime; then what a
//! passenger or an operator asked for; the scheduled reading last, and never
//! in the quiet hours. Asking again for what is already waiting adds nothing.

use chrono::NaiveTime;

/// Why something is said, from the most to the least important.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The scheduled reading of the board.
    Periodic,
    /// A key, a touch, the remote's receiver, an operator's `announce`.
    OnDemand,
    /// A platform change or a cancellation soon, a new severe notice.
    Urgent,
    /// An emergency takeover's message.
    Emergency,
}

/// A span of the day in station time, which may run past midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hours {
    pub from: NaiveTime,
    pub until: NaiveTime,
}

impl Hours {
    /// From "HH:MM" texts.
    pub fn parse(from: &str, until: &str) -> Result<Hours, String> {
        let t = |s: &str| {
            NaiveTime::parse_from_str(s, "%H:%M").map_err(|_| format!("`{s}`: write HH:MM"))
        };
        Ok(Hours {
            from: t(from)?,
            until: t(until)?,
        })
    }

    pub fn contains(&self, t: NaiveTime) -> bool {
        if self.from <= self.until {
            self.from <= t && t < self.until
        } else {
            t >= self.from || t < self.until
        }
    }
}

/// What waits to be said.
#[derive(Debug, Clone, PartialEq)]
pub struct Request<T> {
    pub reason: Reason,
    pub content: T,
}

/// The queue: at most one request per reason waits (a newer one replaces
/// it: what is said is what the screen shows when it is said).
#[derive(Debug)]
pub struct Queue<T> {
    waiting: Vec<Request<T>>,
    quiet: Option<Hours>,
}

/// What [`Queue::push`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    Queued,
    /// Interrupt what is being said (an emergency).
    Interrupt,
    /// Dropped: a scheduled reading in the quiet hours.
    Quiet,
}

impl<T> Queue<T> {
    pub fn new(quiet: Option<Hours>) -> Queue<T> {
        Queue {
            waiting: Vec::new(),
            quiet,
        }
    }

    pub fn push(&mut self, request: Request<T>, now: NaiveTime) -> Pushed {
        if request.reason == Reason::Periodic && self.quiet.is_some_and(|q| q.contains(now)) {
            return Pushed::Quiet;
        }
        let reason = request.reason;
        self.waiting.retain(|r| r.reason != reason);
        self.waiting.push(request);
        if reason == Reason::Emergency {
            Pushed::Interrupt
        } else {
            Pushed::Queued
        }
    }

    /// The most important request waiting.
    pub fn pop(&mut self) -> Option<Request<T>> {
        let best = self
            .waiting
            .iter()
            .enumerate()
            .max_by_key(|(_, r)| r.reason)
            .map(|(i, _)| i)?;
        Some(self.waiting.remove(best))
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
}

/// The volume at `now`: the night level in the night hours, else the day's.
pub fn volume(day: f32, night: f32, night_hours: Hours, now: NaiveTime) -> f32 {
    if night_hours.contains(now) {
        night
    } else {
        day
    }
    .clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveTime {
        NaiveTime::parse_from_str(s, "%H:%M").expect("time")
    }

    #[test]
    fn the_most_important_goes_first_and_an_emergency_interrupts() {
        let mut q = Queue::new(None);
        let req = |reason, content: &str| Request {
            reason,
            content: content.to_string(),
        };
        assert_eq!(
            q.push(req(Reason::Periodic, "p"), at("12:00")),
            Pushed::Queued
        );
        assert_eq!(
            q.push(req(Reason::OnDemand, "a"), at("12:00")),
            Pushed::Queued
        );
        assert_eq!(
            q.push(req(Reason::Urgent, "u"), at("12:00")),
            Pushed::Queued
        );
        assert_eq!(
            q.push(req(Reason::OnDemand, "b"), at("12:00")),
            Pushed::Queued
        );
        assert_eq!(
            q.push(req(Reason::Emergency, "e"), at("12:00")),
            Pushed::Interrupt
        );
        let order: Vec<String> = std::iter::from_fn(|| q.pop().map(|r| r.content)).collect();
        // The second on-demand request replaced the first.
        assert_eq!(order, ["e", "u", "b", "p"]);
        assert!(q.is_empty());
    }

    #[test]
    fn quiet_hours_silence_the_schedule_only() {
        let quiet = Hours::parse("22:00", "06:30").expect("hours");
        let mut q = Queue::new(Some(quiet));
        let periodic = || Request {
            reason: Reason::Periodic,
            content: (),
        };
        assert_eq!(q.push(periodic(), at("23:10")), Pushed::Quiet);
        assert_eq!(q.push(periodic(), at("05:00")), Pushed::Quiet);
        assert_eq!(q.push(periodic(), at("06:30")), Pushed::Queued);
        let key = Request {
            reason: Reason::OnDemand,
            content: (),
        };
        assert_eq!(q.push(key, at("23:10")), Pushed::Queued);
    }

    #[test]
    fn night_volume_in_the_night_hours() {
        let night = Hours::parse("21:00", "07:00").expect("hours");
        assert_eq!(volume(0.9, 0.4, night, at("12:00")), 0.9);
        assert_eq!(volume(0.9, 0.4, night, at("21:00")), 0.4);
        assert_eq!(volume(0.9, 0.4, night, at("06:59")), 0.4);
        assert_eq!(volume(1.5, 0.4, night, at("12:00")), 1.0);
    }
}
