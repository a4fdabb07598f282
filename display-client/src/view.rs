//! What every panel draws from, worked out once a frame: the language, the page,
//! the station's clock, the departures still worth showing, and how long the
//! board has been up (paging, language rotation and the ticker turn from it).

use std::time::Instant;

use bevy::prelude::*;
use quai_protocol::{Board, Departure};

use crate::ScreenSet;
use crate::canvas::CurrentLayout;
use crate::network::Live;
use crate::states::ScreenState;
use crate::wording::page;

pub fn plugin(app: &mut App) {
    app.init_resource::<View>()
        .insert_resource(Started::new(Instant::now()))
        // Every frame, fonts or not: the first board moves the origin of the
        // turns when it comes, not when it is first drawn.
        .add_systems(Update, compose.in_set(ScreenSet::Compose));
}

/// The origin of paging, language rotation and the ticker: start-up, then again
/// when the first board is there (kept on disk or received), so that passengers
/// (and a screenshot) see page 1 of it in the first language for a full period,
/// however long the screen took to start and connect. It moves only once: a
/// reconnection does not send the screen back to page 1.
#[derive(Resource, Debug)]
pub struct Started {
    at: Instant,
    first_board: bool,
}

impl Started {
    pub fn new(now: Instant) -> Started {
        Started {
            at: now,
            first_board: false,
        }
    }

    /// Seconds since the origin at `now`; the origin moves to `now` the first time
    /// there is a board.
    pub fn elapsed_s(&mut self, has_board: bool, now: Instant) -> f64 {
        if has_board && !self.first_board {
            *self = Started {
                at: now,
                first_board: true,
            };
        }
        now.saturating_duration_since(self.at).as_secs_f64()
    }
}

/// What every panel draws from, worked out once per frame.
#[derive(Resource, Debug, Default)]
pub struct View {
    /// The canvas the panels are mounted on, once it is built.
    pub canvas: Option<Entity>,
    /// How many times the canvas was built (a new layout, new fonts): every panel
    /// draws again when it changes.
    pub generation: u64,
    /// Seconds since [`Started`] (the first board), in f64: a screen runs for
    /// years, and an f32 loses the second after a few months (paging and scrolling
    /// would stutter).
    pub elapsed_s: f64,
    pub lang: String,
    pub lang_index: usize,
    pub live: bool,
    /// The station's time now (see [`station_now`]).
    pub now: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Indexes in the board's departures of those shown (all of them when live;
    /// those not yet gone by the screen's clock when not).
    pub shown: Vec<usize>,
    pub page: usize,
    pub pages: usize,
}

impl View {
    pub fn departures<'a>(&'a self, board: &'a Board) -> impl Iterator<Item = &'a Departure> {
        self.shown.iter().filter_map(|&i| board.departures.get(i))
    }
}

/// Works out the [`View`] of this frame.
pub fn compose(
    layout: Res<CurrentLayout>,
    live: Res<Live>,
    state: Res<ScreenState>,
    mut started: ResMut<Started>,
    mut view: ResMut<View>,
) {
    let l = &layout.layout;
    let elapsed = started.elapsed_s(live.board.is_some(), Instant::now());
    let lang_index =
        ((elapsed / f64::from(l.language_rotation_s.max(1.0))) as usize) % l.languages.len();
    view.elapsed_s = elapsed;
    view.lang_index = lang_index;
    view.lang = l.languages[lang_index].clone();
    view.live = *state == ScreenState::Live || *state == ScreenState::NoService;
    let board = live.board.as_ref();
    view.now = board.and_then(|b| station_now(b, live.received));
    // Not live, the board ages: drop what has left by the screen's clock (a minute
    // of grace), so a kept board never lists buses long gone.
    let (is_live, now) = (view.live, view.now);
    let (platforms, stops) = (&l.departures.platforms, &l.departures.stops);

    view.shown = board.map_or_else(Vec::new, |b| {
        b.departures
            .iter()
            .enumerate()
            // A one-bay sign: its bay's departures only.
            .filter(|(_, d)| {
                (platforms.is_empty() || d.platform.as_ref().is_some_and(|p| platforms.contains(p)))
                    && (stops.is_empty() || stops.contains(&d.stop_id))
            })
            // Walking times: what one can no longer reach on foot is gone (a
            // cancelled one stays, struck, until its time: that is news too).
            .filter(|(_, d)| {
                let walk = l.departures.walk_s(&d.stop_id);
                walk == 0
                    || crate::departures::struck(d)
                    || now.is_none_or(|n| {
                        let when = d.expected.as_deref().unwrap_or(&d.scheduled);
                        chrono::DateTime::parse_from_rfc3339(when)
                            .map_or(true, |w| w >= n + chrono::Duration::seconds(walk))
                    })
            })
            .filter(|(_, d)| {
                is_live
                    || now.is_none_or(|n| {
                        let when = d.expected.as_deref().unwrap_or(&d.scheduled);
                        chrono::DateTime::parse_from_rfc3339(when)
                            .map_or(true, |w| w >= n - chrono::Duration::seconds(60))
                    })
            })
            .map(|(i, _)| i)
            .collect()
    });
    let (page, pages) = page(
        view.shown.len(),
        l.departures.rows_per_page,
        l.departures.paging_s,
        elapsed,
    );
    view.page = page;
    view.pages = pages;
}

/// The station's time now: the server's time (from the board) moved on by the
/// time since the board arrived. Clock, countdowns and the pruning of a kept
/// board all read it, so they agree.
pub fn station_now(
    board: &Board,
    received: Option<Instant>,
) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    // A board kept from an earlier run has no arrival here: the screen's own
    // clock is all there is.
    let Some(received) = received else {
        return Some(chrono::Utc::now().fixed_offset());
    };
    let generated = chrono::DateTime::parse_from_rfc3339(&board.generated_at).ok()?;
    Some(generated + chrono::Duration::from_std(received.elapsed()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn turns_start_with_the_first_board_and_only_then() {
        let boot = Instant::now();
        let mut started = Started::new(boot);
        // No board for 100 s: the "starting" screen still takes its turns.
        let t = boot + Duration::from_secs(100);
        assert_eq!(started.elapsed_s(false, t), 100.0);
        // The first board: page 1, first language, from now.
        assert_eq!(started.elapsed_s(true, t), 0.0);
        let later = t + Duration::from_secs(9);
        assert_eq!(started.elapsed_s(true, later), 9.0);
        // The board lost (not live, reconnecting) and back: no jump back to page 1.
        assert_eq!(started.elapsed_s(false, later), 9.0);
        let again = later + Duration::from_secs(3);
        assert_eq!(started.elapsed_s(true, again), 12.0);
    }
}
