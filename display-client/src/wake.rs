//! When the screen needs its next frame. A frame costs the same whether
//! anything changed or not (on software rendering at 1920×1080, ~90 ms of CPU),
//! so the window sleeps until the next thing passengers would see change: the
//! clock's minute, a countdown's minute (each departure turns at its own
//! second; only where the rows follow the clock: a countdown column, walking
//! times, a board no longer live), a page turn (departures, facilities), a
//! language turn, a ticker step. What does not follow
//! the clock wakes the window itself: a stream message (the network thread), an
//! edited layout file (its watcher), a scrolling ticker (every frame).

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use bevy::prelude::*;
use quai_protocol::Board;

use crate::ScreenSet;
use crate::canvas::CurrentLayout;
use crate::departures::{on_page, rows_follow_the_clock};
use crate::fonts::fonts_ready;
use crate::layout::{Layout, TickerMode};
use crate::network::Live;
use crate::view::View;

/// Longest sleep: nothing on the screen stays unchanged longer than a
/// minute, and a wake-up a minute costs nothing (the window's own wait,
/// `WinitSettings` in main.rs, is the same minute).
const LONGEST: Duration = Duration::from_secs(60);

/// While the fonts load (nothing wakes the window when they are in).
const LOADING: Duration = Duration::from_millis(200);

/// Woken this much after a change is due, so that the frame finds it done.
const MARGIN: Duration = Duration::from_millis(30);

pub fn plugin(app: &mut App) {
    app.add_systems(Startup, start)
        .add_systems(Update, plan.in_set(ScreenSet::Finish));
}

/// When the alarm thread wakes the window next.
#[derive(Resource, Clone)]
struct Alarm(Arc<(Mutex<Option<Instant>>, Condvar)>);

/// With a window: a thread that wakes it at the instant `plan` sets. Bevy's
/// own wait (`WinitSettings`) cannot be used for this: every change of it
/// forces an update at once, and the time left changes at every update.
fn start(mut commands: Commands, event_loop: Option<Res<bevy::winit::EventLoopProxyWrapper>>) {
    let Some(proxy) = event_loop else { return };
    let proxy = (**proxy).clone();
    let alarm = Alarm(Arc::new((Mutex::new(None), Condvar::new())));
    let shared = alarm.0.clone();
    std::thread::Builder::new()
        .name("quai-wake".into())
        .spawn(move || {
            let (lock, changed) = &*shared;
            let Ok(mut due) = lock.lock() else { return };
            loop {
                match *due {
                    Some(at) if at <= Instant::now() => {
                        *due = None;
                        let _ = proxy.send_event(bevy::winit::WinitUserEvent::WakeUp);
                    }
                    Some(at) => {
                        let Ok((next, _)) = changed.wait_timeout(due, at - Instant::now()) else {
                            return;
                        };
                        due = next;
                    }
                    None => {
                        let Ok(next) = changed.wait(due) else { return };
                        due = next;
                    }
                }
            }
        })
        .map_err(|e| error!("cannot start the wake-up thread: {e}"))
        .ok();
    commands.insert_resource(alarm);
}

fn plan(
    view: Res<View>,
    layout: Res<CurrentLayout>,
    live: Res<Live>,
    fonts: Option<Res<crate::fonts::Fonts>>,
    assets: Res<AssetServer>,
    alarm: Option<Res<Alarm>>,
) {
    // Headless (tests, screenshots): the schedule runner loops by itself.
    let Some(alarm) = alarm else { return };
    let wait = if fonts_ready(fonts, assets) {
        until_next_change(&view, &layout.layout, live.board.as_ref())
    } else {
        LOADING
    };
    let (lock, changed) = &*alarm.0;
    if let Ok(mut due) = lock.lock() {
        *due = Some(Instant::now() + wait);
        changed.notify_one();
    }
}

/// How long until something drawn from the clock changes.
pub fn until_next_change(view: &View, layout: &Layout, board: Option<&Board>) -> Duration {
    let mut next = LONGEST.as_secs_f64();
    // Seconds until `elapsed_s` next crosses a multiple of `period`.
    let turn = |period: f64| period - view.elapsed_s.rem_euclid(period);
    if let Some(now) = view.now {
        let into_minute = f64::from(chrono::Timelike::second(&now))
            + f64::from(chrono::Timelike::nanosecond(&now)) / 1e9;
        next = next.min(60.0 - into_minute);
        if let Some(board) = board.filter(|_| rows_follow_the_clock(layout, view)) {
            for d in on_page(view, board, layout.departures.rows_per_page) {
                let when = d.expected.as_deref().unwrap_or(&d.scheduled);
                if let Ok(when) = chrono::DateTime::parse_from_rfc3339(when) {
                    // A countdown turns at its minutes before one must leave
                    // (the walk to its stop, which may be half a minute).
                    let walk = chrono::Duration::seconds(layout.departures.walk_s(&d.stop_id));
                    let left = (when - walk - now).num_milliseconds() as f64 / 1000.0;
                    let to_turn = left.rem_euclid(60.0);
                    next = next.min(if to_turn > 0.0 { to_turn } else { 60.0 });
                }
            }
        }
        // A takeover ends at its time, even with nothing from the server.
        if let Some(ends) = crate::takeover::active(board, Some(now))
            .and_then(|e| chrono::DateTime::parse_from_rfc3339(&e.ends_at).ok())
        {
            let left = (ends - now).num_milliseconds() as f64 / 1000.0;
            next = next.min(left.max(0.0));
        }
    }
    if view.pages > 1 && layout.departures.paging_s > 0.0 {
        next = next.min(turn(f64::from(layout.departures.paging_s)));
    }
    if layout.languages.len() > 1 {
        next = next.min(turn(f64::from(layout.language_rotation_s.max(1.0))));
    }
    if board.is_some_and(|b| crate::facilities::turning(layout, &b.facilities)) {
        next = next.min(turn(crate::facilities::page_s(layout)));
    }
    if let Some(ticker) = &layout.ticker
        && ticker.mode == TickerMode::Paged
        && board.is_some_and(|b| b.notices.len() > 1)
    {
        next = next.min(turn(f64::from(ticker.seconds_per_item.max(1.0))));
    }
    Duration::from_secs_f64(next.max(0.0)) + MARGIN
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board(departures: &[&str]) -> Board {
        let departures: Vec<serde_json::Value> = departures
            .iter()
            .enumerate()
            .map(|(i, when)| {
                serde_json::json!({
                    "id": format!("d{i}"), "mode": "bus",
                    "route": {"id": "r", "short_name": "1", "long_name": null, "color": "#FFFFFF", "text_color": "#000000"},
                    "headsign": "Cambrai", "stop_id": "s", "platform": null,
                    "scheduled": when, "expected": null, "delay_s": null,
                    "status": "scheduled", "realtime": false, "notice_ids": []
                })
            })
            .collect();
        serde_json::from_value(serde_json::json!({
            "station": {"id": "caudry", "name": "Caudry", "timezone": "Europe/Paris"},
            "generated_at": "2026-03-09T07:30:00+01:00",
            "departures": departures, "notices": [], "advisories": [],
            "wifi": null, "feeds": [], "next_service": null, "seq": 1
        }))
        .expect("a board")
    }

    fn view(now: &str, shown: usize, elapsed_s: f64) -> View {
        View {
            now: chrono::DateTime::parse_from_rfc3339(now).ok(),
            shown: (0..shown).collect(),
            pages: 1,
            elapsed_s,
            ..View::default()
        }
    }

    fn one_language() -> Layout {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../layouts/hall-1080p.ron");
        let mut layout = Layout::load(&path).expect("the hall layout");
        layout.languages = vec!["fr".into()];
        layout.ticker = None;
        layout
    }

    #[test]
    fn the_clock_wakes_the_screen_at_the_minute() {
        let b = board(&[]);
        let wait = until_next_change(
            &view("2026-03-09T07:30:45.500+01:00", 0, 100.0),
            &one_language(),
            Some(&b),
        );
        assert_eq!(wait, Duration::from_millis(14_500) + MARGIN);
    }

    #[test]
    fn a_countdown_turns_at_its_own_second() {
        // Leaves in 4 min 10 s: "4 min" becomes "3 min" in 10 s.
        let b = board(&["2026-03-09T07:34:50+01:00"]);
        let wait = until_next_change(
            &view("2026-03-09T07:30:40+01:00", 1, 100.0),
            &one_language(),
            Some(&b),
        );
        assert_eq!(wait, Duration::from_secs(10) + MARGIN);
    }

    #[test]
    fn times_without_countdowns_wait_for_the_clock() {
        // The hall layout writes times, not countdowns: live, a departure's
        // minute turning (in 10 s) changes nothing drawn; the clock's
        // minute (in 20 s) does.
        let b = board(&["2026-03-09T07:34:50+01:00"]);
        let mut live = view("2026-03-09T07:30:40+01:00", 1, 100.0);
        live.live = true;
        let wait = until_next_change(&live, &one_language(), Some(&b));
        assert_eq!(wait, Duration::from_secs(20) + MARGIN);
        // Not live, the same departure leaves the page by the clock.
        live.live = false;
        let wait = until_next_change(&live, &one_language(), Some(&b));
        assert_eq!(wait, Duration::from_secs(10) + MARGIN);
    }

    #[test]
    fn a_walk_moves_the_countdown_turn_and_a_takeover_ends_on_time() {
        // 2.5 minutes' walk: leaving at 07:34:50 means going at 07:32:20,
        // so "leave in 1 min" turns at 07:31:20, in 40 s (not in 10 s).
        let b = board(&["2026-03-09T07:34:50+01:00"]);
        let mut layout = one_language();
        layout.departures.walk_min.insert("*".into(), 2.5);
        let mut live = view("2026-03-09T07:30:40+01:00", 1, 100.0);
        live.live = true;
        let wait = until_next_change(&live, &layout, Some(&b));
        assert_eq!(
            wait,
            Duration::from_secs(20) + MARGIN,
            "the clock comes first"
        );
        let live = view("2026-03-09T07:31:05+01:00", 1, 100.0);
        let wait = until_next_change(&live, &layout, Some(&b));
        assert_eq!(wait, Duration::from_secs(15) + MARGIN);
        // A takeover ending at 07:30:52 wakes the screen then.
        let mut taken: Board = b.clone();
        taken.emergency = serde_json::from_value(serde_json::json!({
            "id": "e1", "started_at": "2026-03-09T07:00:00+01:00",
            "ends_at": "2026-03-09T07:30:52+01:00", "repeat_s": 60,
            "screen_text": {"fr": "Évacuation"}, "tts_text": {"fr": "Évacuation"}
        }))
        .expect("an emergency");
        let mut live = view("2026-03-09T07:30:40+01:00", 0, 100.0);
        live.live = true;
        let wait = until_next_change(&live, &one_language(), Some(&taken));
        assert_eq!(wait, Duration::from_secs(12) + MARGIN);
    }

    #[test]
    fn pages_and_languages_turn_on_their_periods() {
        let b = board(&[]);
        let mut layout = one_language();
        layout.languages = vec!["fr".into(), "en".into()];
        layout.language_rotation_s = 8.0;
        // 100 s since the first board: the next language turn is at 104 s.
        let wait = until_next_change(
            &view("2026-03-09T07:30:00+01:00", 0, 100.0),
            &layout,
            Some(&b),
        );
        assert_eq!(wait, Duration::from_secs(4) + MARGIN);
        let mut paged = view("2026-03-09T07:30:00+01:00", 0, 100.0);
        paged.pages = 3;
        layout.languages = vec!["fr".into()];
        layout.departures.paging_s = 7.0;
        // 105 is the next multiple of 7 after 100.
        let wait = until_next_change(&paged, &layout, Some(&b));
        assert_eq!(wait, Duration::from_secs(5) + MARGIN);
    }

    #[test]
    fn nothing_on_the_clock_means_a_minute() {
        let wait = until_next_change(&View::default(), &one_language(), None);
        assert_eq!(wait, LONGEST + MARGIN);
    }
}
