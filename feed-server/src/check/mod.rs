//! `feed-server check`: load everything, then say what was found, so that a
//! technician knows before going live that the right stops matched.

use std::fmt::Write as _;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::deployment::Deployment;
use crate::feed::LoadProgress;
use crate::id::FeedId;

pub mod realtime;
pub mod siri;

/// Progress bars on stderr (hidden when stderr is not a terminal).
pub struct Bars {
    multi: MultiProgress,
    current: Mutex<Option<ProgressBar>>,
}

impl Bars {
    pub fn new() -> Bars {
        Bars {
            multi: MultiProgress::new(),
            current: Mutex::new(None),
        }
    }

    fn with_current(&self, f: impl FnOnce(&ProgressBar)) {
        if let Ok(guard) = self.current.lock()
            && let Some(bar) = guard.as_ref()
        {
            f(bar);
        }
    }
}

impl Default for Bars {
    fn default() -> Self {
        Bars::new()
    }
}

impl LoadProgress for Bars {
    fn feed_started(&self, feed: &FeedId) {
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {prefix:12} {msg} [{bar:30}] {bytes}/{total_bytes}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_prefix(feed.to_string());
        bar.set_message("reading");
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        if let Ok(mut current) = self.current.lock() {
            *current = Some(bar);
        }
    }

    fn compiling(&self, _feed: &FeedId, done: u64, total: u64) {
        self.with_current(|bar| {
            bar.set_message("stop_times");
            bar.set_length(total);
            bar.set_position(done);
        });
    }

    fn feed_done(&self, _feed: &FeedId) {
        self.with_current(|bar| bar.finish_with_message("done"));
    }
}

/// The summary printed by `check`.
pub fn summary(d: &Deployment, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "configuration: {}", d.origin);
    for f in d.feeds.iter() {
        let (feed, load) = (&f.timetable, &f.load);
        let range = feed
            .services
            .range()
            .map(|(a, b)| format!("{a} to {b}"))
            .unwrap_or_else(|| "no service day".into());
        let _ = writeln!(
            out,
            "feed {}: {} agencies, {} routes, {} trips, {} stop_times, {} stops; timezone {}; service days {}; loaded in {:.2} s",
            f.id,
            feed.agencies,
            feed.routes.len(),
            feed.trips.len(),
            feed.stop_times.len(),
            feed.stops.len(),
            feed.timezone.name(),
            range,
            load.duration.as_secs_f64(),
        );
        let today = now.with_timezone(&feed.timezone).date_naive();
        match feed.services.range() {
            Some((_, last)) if last < today => {
                let _ = writeln!(
                    out,
                    "  warning: its service days end on {last}, before today ({today}): it gives no departure until a newer timetable is loaded"
                );
            }
            Some((first, _)) if first > today => {
                let _ = writeln!(
                    out,
                    "  warning: its service days start on {first}, after today ({today}): no departure from it before then"
                );
            }
            _ => {}
        }
        if feed.warning_count > 0 {
            let _ = writeln!(out, "  {} warnings, first ones:", feed.warning_count);
            for w in &feed.warnings {
                let _ = writeln!(out, "  - {w}");
            }
        }
    }
    for station in &d.stations {
        let today = now.with_timezone(&station.timezone).date_naive();
        let _ = writeln!(
            out,
            "station {} ({}): {} stops matched; {} departures on service day {}",
            station.id,
            station.name,
            station.stops.len(),
            station.departures_on(&d.feeds, today),
            today
        );
    }
    out
}
