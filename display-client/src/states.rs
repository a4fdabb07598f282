//! What the screen is honest about: whether the times on it are live.
//!
//! - **Starting**: no board yet (none from the server, none kept on disk).
//! - **Live**: connected, and every feed behind the board fresh.
//! - **Not live**: connection lost, a feed stale, or the board read from disk at
//!   start. The last board stays, marked "horaires théoriques / scheduled times".
//! - **No service**: live, and nothing in the horizon: a calm "service resumes at
//!   HH:MM".
//!
//! A plain resource rather than Bevy's `States`: nothing is scheduled per state
//! (every panel draws in all of them), and it spares the `bevy_state` feature.

use bevy::prelude::*;

use crate::ScreenSet;
use crate::network::Live;

#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ScreenState {
    #[default]
    Starting,
    Live,
    NotLive,
    NoService,
}

impl ScreenState {
    pub fn of(live: &Live) -> ScreenState {
        let Some(board) = &live.board else {
            return ScreenState::Starting;
        };
        let stale = board.feeds.iter().any(|f| f.stale);
        if !live.connected || live.kept || stale {
            ScreenState::NotLive
        } else if board.departures.is_empty() {
            ScreenState::NoService
        } else {
            ScreenState::Live
        }
    }
}

pub fn plugin(app: &mut App) {
    app.init_resource::<ScreenState>()
        .add_systems(Update, follow.in_set(ScreenSet::Inputs));
}

fn follow(live: Res<Live>, mut state: ResMut<ScreenState>) {
    let now = ScreenState::of(&live);
    if *state != now {
        info!("screen: {:?} -> {:?}", *state, now);
        *state = now;
    }
}
