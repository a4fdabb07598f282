//! The header: station name, the live indicator ("●", or "horaires théoriques"
//! when not live) and the clock (HH:MM in the station's time zone), redrawn when
//! the minute turns.

use bevy::prelude::*;
use quai_protocol::Board;

use crate::ScreenSet;
use crate::panel::{Panel, PanelInputs, Redraw};
use crate::states::ScreenState;
use crate::view::station_now;
use crate::widgets::{colour, label, place};
use crate::wording::{clock_time, phrase};

pub fn plugin(app: &mut App) {
    app.add_systems(Update, draw.in_set(ScreenSet::Draw));
}

/// The clock shown, in the station's time zone.
pub fn clock(board: Option<&Board>, received: Option<std::time::Instant>) -> String {
    let Some(board) = board else {
        return String::new();
    };
    let Some(now) = station_now(board, received) else {
        return clock_time(&board.generated_at);
    };
    let tz: chrono_tz::Tz = board.station.timezone.parse().unwrap_or(chrono_tz::UTC);
    now.with_timezone(&tz).format("%H:%M").to_string()
}

fn draw(p: PanelInputs, state: Res<ScreenState>, mut redraw: Redraw) {
    let board = p.live.board.as_ref();
    let station = board.map(|b| b.station.name.clone()).unwrap_or_default();
    // An arrivals board says so first, in the language of the moment.
    let station = if crate::arrivals::shown(&p.layout.layout) {
        format!("{} · {station}", phrase(&p.view.lang, "arrivals"))
    } else {
        station
    };
    let status = match *state {
        ScreenState::Starting => phrase(&p.view.lang, "starting").to_string(),
        ScreenState::Live | ScreenState::NoService => "●".to_string(),
        ScreenState::NotLive => phrase(&p.view.lang, "not_live").to_string(),
    };
    let minute = clock(board, p.live.received);
    let key = (&station, &status, &minute);
    redraw.panel(Panel::Header, key, |texts| {
        let theme = &p.layout.layout.theme;
        let warning = *state == ScreenState::NotLive || *state == ScreenState::Starting;
        let status_ink = colour(if warning {
            &theme.warning
        } else {
            &theme.accent
        });
        let (big, small) = (theme.sizes.header, theme.sizes.small);
        Some((
            Node {
                flex_direction: FlexDirection::Row,
                justify_content: JustifyContent::SpaceBetween,
                align_items: AlignItems::Center,
                padding: UiRect::horizontal(Val::Px(24.0)),
                ..place(p.layout.layout.header)
            },
            children![
                label(
                    texts.note("header", station.clone()),
                    p.fonts.style(true, big),
                    colour(&theme.text),
                ),
                label(
                    texts.note("status", status.clone()),
                    p.fonts.style(false, small),
                    status_ink,
                ),
                label(
                    texts.note("clock", minute.clone()),
                    p.fonts.style(true, big),
                    colour(&theme.text),
                ),
            ],
        ))
    });
}
