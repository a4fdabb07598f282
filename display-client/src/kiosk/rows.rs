//! The kiosk's rows on screen: a page of the view's rows in the content
//! region, each one a control when it can be tapped (a departure, a line),
//! with its mark, its line's badge, its time (the planned one under it when
//! they differ), its text and its detail; and the page controls under them.

use bevy::prelude::*;

use super::Action;
use super::draw::{Control, control_node};
use super::shown::{BADGE_W, MARK_W, Shown, TIME_W, scale};
use super::views::{Ink, Row, tr};
use crate::fonts::Fonts;
use crate::layout::{Kiosk as KioskLayout, Layout};
use crate::panel::{Panel, PanelInputs, Redraw, Texts};
use crate::widgets::{colour, label, line_badge, one_line, place};

fn ink(l: &Layout, ink: Ink) -> Color {
    let t = &l.theme;
    colour(match ink {
        Ink::Text => &t.text,
        Ink::Muted => &t.muted,
        Ink::Accent => &t.accent,
        Ink::Warning => &t.warning,
        Ink::Alert => &t.alert,
    })
}

/// One row; a control when it can be tapped.
fn row(
    l: &Layout,
    k: &KioskLayout,
    fonts: &Fonts,
    r: &Row,
    large: bool,
    focus: Option<&String>,
    texts: &mut Texts,
) -> impl Bundle + use<> {
    let t = &l.theme;
    let sc = scale(large);
    let (big, small) = (t.sizes.row * sc, t.sizes.small * sc);
    let ink_of = ink(l, r.ink);
    // A column for the marks (✓ ● ▼ ◆) in lists of calls, kept when a row
    // has none so that the times line up.
    let marker = (r.badge.is_none() && !r.heading && !r.time.is_empty()).then(|| {
        let mark = (!r.marker.is_empty()).then(|| {
            label(
                texts.note("kiosk_marker", r.marker.clone()),
                fonts.style(true, small),
                ink_of,
            )
        });
        (
            Node {
                width: Val::Px(MARK_W),
                flex_shrink: 0.0,
                ..default()
            },
            Children::spawn(SpawnIter(mark.into_iter())),
        )
    });
    // Badges in a box of one width: the times beside them line up.
    let badge = r.badge.as_ref().map(|b| {
        (
            Node {
                width: Val::Px(BADGE_W * sc),
                flex_shrink: 0.0,
                ..default()
            },
            children![badge(b, big, fonts, texts)],
        )
    });
    let time = (!r.time.is_empty()).then(|| {
        let note = (!r.time_note.is_empty()).then(|| {
            one_line(
                texts.note("kiosk_time_note", r.time_note.clone()),
                fonts.style(false, small * 0.8),
                colour(&t.muted),
            )
        });
        (
            Node {
                width: Val::Px(TIME_W * sc),
                flex_shrink: 0.0,
                flex_direction: FlexDirection::Column,
                ..default()
            },
            Children::spawn((
                Spawn(one_line(
                    texts.note("kiosk_time", r.time.clone()),
                    fonts.style(true, big * 0.9),
                    if r.struck { colour(&t.muted) } else { ink_of },
                )),
                SpawnIter(note.into_iter()),
            )),
        )
    });
    let kicker = (!r.kicker.is_empty()).then(|| {
        one_line(
            texts.note("kiosk_kicker", r.kicker.clone()),
            fonts.style(true, small * 0.9),
            ink_of,
        )
    });
    let text = label(
        texts.note(
            if r.heading {
                "kiosk_heading"
            } else {
                "kiosk_row"
            },
            r.text.clone(),
        ),
        fonts.style(
            r.heading || r.control.is_some(),
            if r.heading { big * 1.05 } else { big },
        ),
        if r.heading {
            ink_of
        } else if r.struck {
            colour(&t.muted)
        } else {
            colour(&t.text)
        },
    );
    let detail = (!r.detail.is_empty()).then(|| {
        label(
            texts.note("kiosk_detail", r.detail.clone()),
            fonts.style(false, small),
            if r.heading { colour(&t.muted) } else { ink_of },
        )
    });
    let strike = r.struck.then(|| {
        (
            Node {
                position_type: PositionType::Absolute,
                left: Val::Px(0.0),
                right: Val::Px(0.0),
                top: Val::Px(big * 0.62),
                height: Val::Px(3.0),
                ..default()
            },
            BackgroundColor(colour(&t.muted)),
        )
    });
    let words = (
        Node {
            flex_direction: FlexDirection::Column,
            flex_grow: 1.0,
            flex_shrink: 1.0,
            ..default()
        },
        Children::spawn((
            SpawnIter(kicker.into_iter()),
            Spawn(text),
            SpawnIter(detail.into_iter()),
            SpawnIter(strike.into_iter()),
        )),
    );
    let node = Node {
        flex_direction: FlexDirection::Row,
        align_items: AlignItems::Center,
        column_gap: Val::Px(16.0),
        width: Val::Percent(100.0),
        min_height: Val::Px(if r.control.is_some() {
            k.target_px
        } else {
            0.0
        }),
        padding: UiRect::axes(Val::Px(16.0), Val::Px(8.0)),
        flex_shrink: 0.0,
        ..default()
    };
    let children = Children::spawn((
        SpawnIter(marker.into_iter()),
        SpawnIter(badge.into_iter()),
        SpawnIter(time.into_iter()),
        Spawn(words),
    ));
    // The row itself is the control when it can be tapped.
    let (control, plain) = match r.control.clone().zip(r.action.clone()) {
        Some((name, action)) => {
            let focused = focus == Some(&name);
            let frame = control_node(l, focused, node);
            (Some((frame, Control { name, action }, children)), None)
        }
        None => (None, Some((node, children))),
    };
    (
        Node {
            width: Val::Percent(100.0),
            flex_shrink: 0.0,
            ..default()
        },
        Children::spawn((SpawnIter(control.into_iter()), SpawnIter(plain.into_iter()))),
    )
}

pub(super) fn content(p: PanelInputs, shown: Res<Shown>, mut redraw: Redraw) {
    let l = &p.layout.layout;
    let Some(k) = &l.kiosk else { return };
    let key = (
        &shown.rows,
        shown.page,
        shown.pages,
        shown.large,
        &shown.focus,
        &p.view.lang,
    );
    redraw.panel(Panel::KioskContent, key, |texts| {
        let focus = shown.focus.as_ref();
        let rows: Vec<_> = shown
            .rows
            .iter()
            .map(|r| row(l, k, &p.fonts, r, shown.large, focus, texts))
            .collect();
        let lang = &p.view.lang;
        let turn = (shown.pages > 1).then(|| {
            let t = &l.theme;
            let sc = scale(shown.large);
            let button = |name: &str, action: Action, text: String, texts: &mut Texts| {
                (
                    control_node(
                        l,
                        focus.is_some_and(|f| f == name),
                        Node {
                            min_width: Val::Px(k.target_px * 2.5),
                            min_height: Val::Px(k.target_px),
                            justify_content: JustifyContent::Center,
                            align_items: AlignItems::Center,
                            ..default()
                        },
                    ),
                    Control {
                        name: name.into(),
                        action,
                    },
                    children![one_line(
                        texts.note("kiosk_control", text),
                        p.fonts.style(true, t.sizes.small * sc),
                        colour(&t.text),
                    )],
                )
            };
            let previous = (shown.page > 0).then(|| {
                button(
                    "previous_page",
                    Action::Turn(-1),
                    tr(lang, "▲ Précédent", "▲ Previous").into(),
                    texts,
                )
            });
            let count = label(
                texts.note(
                    "kiosk_page",
                    format!(
                        "{} {}/{}",
                        tr(lang, "page", "page"),
                        shown.page + 1,
                        shown.pages
                    ),
                ),
                p.fonts.style(false, t.sizes.small * sc),
                colour(&t.text),
            );
            let next = (shown.page + 1 < shown.pages).then(|| {
                button(
                    "next_page",
                    Action::Turn(1),
                    tr(lang, "▼ Suivant", "▼ Next").into(),
                    texts,
                )
            });
            (
                Node {
                    position_type: PositionType::Absolute,
                    bottom: Val::Px(8.0),
                    left: Val::Px(16.0),
                    right: Val::Px(16.0),
                    flex_direction: FlexDirection::Row,
                    justify_content: JustifyContent::SpaceBetween,
                    align_items: AlignItems::Center,
                    ..default()
                },
                Children::spawn((
                    SpawnIter(previous.into_iter()),
                    Spawn(count),
                    SpawnIter(next.into_iter()),
                )),
            )
        });
        // The rows above the page controls, clipped there: a row longer than
        // the estimate never runs under them or into the buttons.
        let bar = if shown.pages > 1 {
            k.target_px + 16.0
        } else {
            0.0
        };
        let list = (
            Node {
                flex_direction: FlexDirection::Column,
                row_gap: Val::Px(8.0),
                height: Val::Px(k.content.height - 16.0 - bar),
                overflow: Overflow::clip(),
                ..default()
            },
            Children::spawn(SpawnIter(rows.into_iter())),
        );
        Some((
            Node {
                padding: UiRect::vertical(Val::Px(8.0)),
                ..place(k.content)
            },
            Children::spawn((Spawn(list), SpawnIter(turn.into_iter()))),
        ))
    });
}

/// A line's badge on the kiosk: framed, its short name (else its long name).
pub fn badge(
    route: &quai_protocol::RouteRef,
    size: f32,
    fonts: &Fonts,
    texts: &mut Texts,
) -> impl Bundle + use<> {
    let name = route
        .short_name
        .clone()
        .or_else(|| route.long_name.clone())
        .unwrap_or_default();
    line_badge(
        route,
        texts.note("kiosk_line", name),
        fonts.style(true, size),
        true,
    )
}
