//! The emergency takeover: while the board carries one, the whole canvas is
//! its message, large, yellow on black (the highest contrast a screen has),
//! in each of the layout's languages in turn; every other panel is off the
//! screen ([`crate::panel::Redraw::panel`]). When it ends, the board returns.

use bevy::prelude::*;
use quai_protocol::Translated;

use crate::ScreenSet;
use crate::layout::Region;
use crate::panel::{Panel, PanelInputs, Redraw};
use crate::widgets::{label, place};

/// Yellow on black: 17.4:1, past every contrast rule, and the colours of
/// warnings everywhere.
const INK: Color = Color::srgb(1.0, 0.835, 0.0);
const GROUND: Color = Color::BLACK;

pub fn plugin(app: &mut App) {
    app.add_systems(Update, draw.in_set(ScreenSet::Draw));
}

/// The text in `lang`, else French, else any.
pub fn pick<'a>(t: &'a Translated, lang: &str) -> Option<&'a str> {
    t.get(lang)
        .or_else(|| t.get("fr"))
        .or_else(|| t.values().next())
        .map(String::as_str)
}

/// The heading above the message.
fn heading(lang: &str) -> &'static str {
    if lang == "fr" {
        "⚠ URGENCE"
    } else {
        "⚠ EMERGENCY"
    }
}

fn draw(p: PanelInputs, mut redraw: Redraw) {
    let (l, view) = (&p.layout.layout, &*p.view);
    let emergency = p.live.board.as_ref().and_then(|b| b.emergency.as_ref());
    let message = emergency.and_then(|e| pick(&e.screen_text, &view.lang));
    let key = message.map(|m| (m.to_string(), view.lang.clone()));
    redraw.panel(Panel::Takeover, key, |texts| {
        let message = message?;
        let canvas = Region {
            x: 0.0,
            y: 0.0,
            width: l.canvas.width as f32,
            height: l.canvas.height as f32,
        };
        // Sized for the canvas: the heading as tall as a header, the message
        // twice a row (a sign's rows are small, a hall's large).
        let big = l.theme.sizes.row * 1.6;
        let heading = texts.note("takeover", heading(&view.lang));
        let message = texts.note("takeover", message);
        Some((
            Node {
                justify_content: JustifyContent::Center,
                align_items: AlignItems::Center,
                row_gap: Val::Px(big * 0.6),
                padding: UiRect::all(Val::Px(big)),
                ..place(canvas)
            },
            BackgroundColor(GROUND),
            Outline::new(Val::Px(12.0), Val::ZERO, INK),
            GlobalZIndex(100),
            children![
                label(
                    heading,
                    p.fonts.style(true, l.theme.sizes.header * 1.4),
                    INK
                ),
                (
                    label(message, p.fonts.style(true, big), INK),
                    TextLayout::justify(Justify::Center),
                ),
            ],
        ))
    });
}
