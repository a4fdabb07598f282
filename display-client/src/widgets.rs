//! The pieces panels are built from, as functions returning bundles (the
//! widgets of `bevy_new_2d`): one place decides how a text or a box looks.

use bevy::prelude::*;

use quai_protocol::RouteRef;

use crate::contrast::{parse_hex, readable_text};
use crate::layout::Region;

/// A theme colour (`#RRGGBB`); white if the layout's is unreadable (a layout
/// is checked when loaded, so only a bug gets here).
pub fn colour(hex: &str) -> Color {
    let [r, g, b] = parse_hex(hex).unwrap_or([255, 255, 255]);
    Color::srgb_u8(r, g, b)
}

/// A node placed at a layout region.
pub fn place(r: Region) -> Node {
    Node {
        position_type: PositionType::Absolute,
        left: Val::Px(r.x),
        top: Val::Px(r.y),
        width: Val::Px(r.width),
        height: Val::Px(r.height),
        flex_direction: FlexDirection::Column,
        overflow: Overflow::clip(),
        ..default()
    }
}

/// A text in `font` (see [`Fonts::style`](crate::fonts::Fonts::style)) and
/// `ink`; it wraps at its parent's width.
pub fn label(text: String, font: TextFont, ink: Color) -> impl Bundle {
    (Text::new(text), font, TextColor(ink))
}

/// A text kept on one line: a long one is clipped by its parent (a table cell,
/// the ticker's bar) rather than pushed onto a second line.
pub fn one_line(text: String, font: TextFont, ink: Color) -> impl Bundle {
    (label(text, font, ink), TextLayout::no_wrap())
}

/// A line's badge: `name` in the route's colours, the text colour corrected
/// when the feed's pair is not readable. `framed` draws a white edge round it
/// (a kiosk's badges sit on controls, where one as dark as the page must
/// still show).
pub fn line_badge(
    route: &RouteRef,
    name: String,
    font: TextFont,
    framed: bool,
) -> impl Bundle + use<> {
    let size = match font.font_size {
        bevy::text::FontSize::Px(px) => px,
        _ => 40.0,
    };
    let bg = parse_hex(&route.color).unwrap_or([255, 255, 255]);
    let fg = readable_text(bg, parse_hex(&route.text_color).unwrap_or([0, 0, 0]));
    (
        Node {
            padding: UiRect::axes(Val::Px(10.0), Val::Px(2.0)),
            min_width: Val::Px(size * 1.6),
            justify_content: JustifyContent::Center,
            flex_shrink: 0.0,
            border: UiRect::all(Val::Px(if framed { 2.0 } else { 0.0 })),
            ..default()
        },
        BorderColor::all(Color::WHITE),
        BackgroundColor(Color::srgb_u8(bg[0], bg[1], bg[2])),
        children![one_line(name, font, Color::srgb_u8(fg[0], fg[1], fg[2]))],
    )
}
