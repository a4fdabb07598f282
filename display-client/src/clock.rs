//! The header: station name, the live indicator ("●", or "horaires théoriques"
//! when not live) and the clock (HH:MM in the station's time zone), redrawn when
//! the minute turns.

use bevy::prelude::*;
use quai_protocol::Board;

use crate::ScreenSet;
use crate::panel::{Panel, PanelContext, Texts, mount};
use crate::states::ScreenState;
use crate::view::station_now;
use crate::widgets::{colour, place};
use crate::wording::{clock_time, label};

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

fn draw(p: PanelContext, state: Res<ScreenState>) {
    let PanelContext {
        mut commands,
        layout,
        fonts,
        view,
        live,
        mut drawn,
        old,
    } = p;
    let board = live.board.as_ref();
    let station = board.map(|b| b.station.name.clone()).unwrap_or_default();
    let status = match *state {
        ScreenState::Starting => label(&view.lang, "starting").to_string(),
        ScreenState::Live | ScreenState::NoService => "●".to_string(),
        ScreenState::NotLive => label(&view.lang, "not_live").to_string(),
    };
    let minute = clock(board, live.received);
    let key = (view.generation, &station, &status, &minute);
    if !drawn.needs(Panel::Header, &key) {
        return;
    }
    let l = &layout.layout;
    let theme = &l.theme;
    let mut texts = Texts::default();
    let warning = *state == ScreenState::NotLive || *state == ScreenState::Starting;
    let header = commands
        .spawn((
            Node {
                flex_direction: FlexDirection::Row,
                justify_content: JustifyContent::SpaceBetween,
                align_items: AlignItems::Center,
                padding: UiRect::horizontal(Val::Px(24.0)),
                ..place(l.header)
            },
            BackgroundColor(colour(&theme.background)),
        ))
        .with_children(|h| {
            h.spawn((
                Text::new(texts.note("header", station.clone())),
                fonts.style(true, theme.sizes.header),
                TextColor(colour(&theme.text)),
            ));
            h.spawn((
                Text::new(texts.note("status", status.clone())),
                fonts.style(false, theme.sizes.small),
                TextColor(colour(if warning {
                    &theme.warning
                } else {
                    &theme.accent
                })),
            ));
            h.spawn((
                Text::new(texts.note("clock", minute.clone())),
                fonts.style(true, theme.sizes.header),
                TextColor(colour(&theme.text)),
            ));
        })
        .id();
    mount(&mut commands, &view, &old, Panel::Header, header);
    drawn.drew(Panel::Header, &key, texts);
}
