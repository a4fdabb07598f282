//! The pieces panels are built from, as functions returning bundles (the
//! widgets of `bevy_new_2d`): one place decides how a text or a box looks.

use bevy::prelude::*;

use crate::contrast::parse_hex;
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
