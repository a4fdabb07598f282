//! The emergency takeover: while the board carries one, the whole canvas is
//! its message, large, yellow on black (the highest contrast a screen has),
//! in each of the layout's languages in turn; every other panel is off the
//! screen ([`crate::panel::Redraw::panel`]). When it ends, the board returns.

use bevy::prelude::*;

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

/// The takeover the screen shows now: the board's, unless past its end by
/// the station's clock (a screen cut off from its server, or started on a
/// kept board, must not stay taken over).
pub fn active(
    board: Option<&quai_protocol::Board>,
    now: Option<chrono::DateTime<chrono::FixedOffset>>,
) -> Option<&quai_protocol::Emergency> {
    let e = board?.emergency.as_ref()?;
    let ends = chrono::DateTime::parse_from_rfc3339(&e.ends_at).ok();
    match (now, ends) {
        (Some(now), Some(ends)) if now >= ends => None,
        _ => Some(e),
    }
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
    let emergency = active(p.live.board.as_ref(), view.now);
    let message = emergency.and_then(|e| crate::wording::pick(&e.screen_text, &view.lang));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_takeover_past_its_end_is_not_shown() {
        let board: quai_protocol::Board = serde_json::from_value(serde_json::json!({
            "station": {"id": "caudry", "name": "Caudry", "timezone": "Europe/Paris"},
            "generated_at": "2026-07-01T07:30:00+02:00", "seq": 1,
            "departures": [], "notices": [], "advisories": [], "wifi": null, "feeds": [],
            "emergency": {"id": "e-1", "screen_text": {"fr": "Évacuation"}, "tts_text": {"fr": "Évacuation"},
                          "started_at": "2026-07-01T07:00:00+02:00", "ends_at": "2026-07-01T08:00:00+02:00", "repeat_s": 60}
        }))
        .expect("board");
        let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
        assert!(active(Some(&board), at("2026-07-01T07:59:59+02:00")).is_some());
        assert!(active(Some(&board), at("2026-07-01T06:00:00Z")).is_none());
        // Without a clock, the board is believed.
        assert!(active(Some(&board), None).is_some());
        assert!(active(None, None).is_none());
    }
}
