//! The kiosk on screen: the view's title and summary up top, the QR code to
//! go on on a phone beside them, the view's rows in the reach band (a page
//! at a time), and the buttons under them. Each control is a Bevy UI
//! `Button` marked with a [`Control`]: its name and what it does (what a
//! touch or a click lands on is found by [`super::hit`]; Bevy's
//! `Interaction` only lights the control up while it is pressed).
//!
//! [`Shown`] is worked out once a frame from the kiosk's state, the board and
//! the REST answers; the panels are drawn from it, the keyboard moves along
//! its controls, Listen says its sentences.

use bevy::prelude::*;

use super::Action;
use super::shown::{Shown, scale};
use super::views::tr;
use crate::ScreenSet;
use crate::contrast::{lighten, parse_hex};
use crate::layout::Layout;
use crate::panel::{Panel, PanelInputs, Redraw};
use crate::widgets::{colour, label, place};

pub fn plugin(app: &mut App) {
    app.add_systems(
        Update,
        (title, qr, super::rows::content, nav, pressed_look).in_set(ScreenSet::Draw),
    );
}

/// A control on screen.
#[derive(Component, Debug, Clone)]
pub struct Control {
    pub name: String,
    pub action: Action,
}

/// How much lighter than the page a control is.
const SURFACE: f64 = 0.08;

/// The background of a control and of the QR code's panel.
pub fn surface(l: &Layout) -> Color {
    let [r, g, b] = lighten(parse_hex(&l.theme.background).unwrap_or([0, 0, 0]), SURFACE);
    Color::srgb_u8(r, g, b)
}

/// The look every control shares: a framed box (its edge says "button"
/// without colour), the focus ring when the keyboard is on it.
pub(super) fn control_node(l: &Layout, focused: bool, node: Node) -> impl Bundle + use<> {
    let t = &l.theme;
    (
        Button,
        Node {
            border: UiRect::all(Val::Px(3.0)),
            ..node
        },
        BorderColor::all(colour(&t.muted)),
        BackgroundColor(surface(l)),
        Outline {
            width: Val::Px(if focused { 8.0 } else { 0.0 }),
            offset: Val::Px(2.0),
            color: colour(&t.accent),
        },
    )
}

fn title(p: PanelInputs, shown: Res<Shown>, mut redraw: Redraw) {
    let l = &p.layout.layout;
    let Some(k) = &l.kiosk else { return };
    let s = &shown.screenful;
    let key = (&s.title, &s.badge, &s.summary, shown.large);
    redraw.panel(Panel::KioskTitle, key, |texts| {
        let sc = scale(shown.large);
        let t = &l.theme;
        let badge = s
            .badge
            .as_ref()
            .map(|r| super::rows::badge(r, t.sizes.header * sc, &p.fonts, texts));
        let heading = label(
            texts.note("kiosk_title", s.title.clone()),
            p.fonts.style(true, t.sizes.header * sc),
            colour(&t.text),
        );
        let summary: Vec<_> = s
            .summary
            .iter()
            .map(|line| {
                label(
                    texts.note("kiosk_summary", line.clone()),
                    p.fonts.style(false, t.sizes.row * 0.9 * sc),
                    colour(&t.text),
                )
            })
            .collect();
        Some((
            Node {
                padding: UiRect::all(Val::Px(28.0)),
                row_gap: Val::Px(18.0),
                ..place(k.title)
            },
            Children::spawn((
                Spawn((
                    Node {
                        flex_direction: FlexDirection::Row,
                        column_gap: Val::Px(20.0),
                        align_items: AlignItems::Center,
                        ..default()
                    },
                    Children::spawn((SpawnIter(badge.into_iter()), Spawn(heading))),
                )),
                SpawnIter(summary.into_iter()),
            )),
        ))
    });
}

fn qr(p: PanelInputs, shown: Res<Shown>, mut images: ResMut<Assets<Image>>, mut redraw: Redraw) {
    let l = &p.layout.layout;
    let Some(k) = &l.kiosk else { return };
    let lang = p.view.lang.clone();
    let key = (&shown.qr, &lang, shown.large);
    redraw.panel(Panel::KioskQr, key, |texts| {
        let link = shown.qr.as_ref()?;
        let t = &l.theme;
        let side = (k.qr.width - 40.0).min(k.qr.height * 0.6);
        let code = crate::qr::image(link).map(|i| {
            (
                ImageNode::new(images.add(i)),
                Node {
                    width: Val::Px(side),
                    height: Val::Px(side),
                    ..default()
                },
            )
        });
        let caption = label(
            texts.note(
                "kiosk_qr",
                tr(
                    &lang,
                    "Continuer sur votre téléphone",
                    "Continue on your phone",
                ),
            ),
            p.fonts.style(true, t.sizes.small * scale(shown.large)),
            colour(&t.text),
        );
        let how = label(
            texts.note(
                "kiosk_qr",
                tr(
                    &lang,
                    "Scannez : la même page s'ouvre sur le Wi-Fi gratuit.",
                    "Scan: the same page opens on the free Wi-Fi.",
                ),
            ),
            p.fonts
                .style(false, t.sizes.small * 0.75 * scale(shown.large)),
            colour(&t.muted),
        );
        Some((
            Node {
                align_items: AlignItems::Center,
                padding: UiRect::all(Val::Px(16.0)),
                row_gap: Val::Px(12.0),
                ..place(k.qr)
            },
            BackgroundColor(surface(l)),
            Children::spawn((Spawn(caption), SpawnIter(code.into_iter()), Spawn(how))),
        ))
    });
}

/// The buttons, three to a line, as wide as the screen allows.
fn nav(p: PanelInputs, shown: Res<Shown>, mut redraw: Redraw) {
    let l = &p.layout.layout;
    let Some(k) = &l.kiosk else { return };
    let key = (&shown.buttons, shown.large, &shown.focus);
    redraw.panel(Panel::KioskNav, key, |texts| {
        let t = &l.theme;
        let gap = 16.0;
        let width = (k.nav.width - 4.0 * gap) / 3.0;
        let buttons: Vec<_> = shown
            .buttons
            .iter()
            .map(|(name, action, text, hint)| {
                let focused = shown.focus.as_ref() == Some(name);
                let hint = (!hint.is_empty()).then(|| {
                    label(
                        texts.note("kiosk_control", hint.clone()),
                        p.fonts
                            .style(false, t.sizes.small * 0.8 * scale(shown.large)),
                        colour(&t.muted),
                    )
                });
                (
                    control_node(
                        l,
                        focused,
                        Node {
                            width: Val::Px(width),
                            min_height: Val::Px(k.target_px.max((k.nav.height - 3.0 * gap) / 2.0)),
                            flex_direction: FlexDirection::Column,
                            justify_content: JustifyContent::Center,
                            align_items: AlignItems::Center,
                            overflow: Overflow::clip(),
                            ..default()
                        },
                    ),
                    Control {
                        name: name.clone(),
                        action: action.clone(),
                    },
                    Children::spawn((
                        Spawn(label(
                            texts.note("kiosk_control", text.clone()),
                            p.fonts
                                .style(true, t.sizes.small * 1.1 * scale(shown.large)),
                            colour(&t.text),
                        )),
                        SpawnIter(hint.into_iter()),
                    )),
                )
            })
            .collect();
        Some((
            Node {
                flex_direction: FlexDirection::Row,
                flex_wrap: FlexWrap::Wrap,
                column_gap: Val::Px(gap),
                row_gap: Val::Px(gap),
                padding: UiRect::all(Val::Px(gap)),
                align_content: AlignContent::FlexStart,
                ..place(k.nav)
            },
            Children::spawn(SpawnIter(buttons.into_iter())),
        ))
    });
}

/// Controls whose interaction changed this frame.
type PressedControl = (Changed<Interaction>, With<Control>);

/// A pressed control lights up (the accent) while the finger is on it.
fn pressed_look(
    layout: Res<crate::canvas::CurrentLayout>,
    mut controls: Query<(&Interaction, &mut BackgroundColor), PressedControl>,
) {
    let l = &layout.layout;
    for (interaction, mut bg) in &mut controls {
        bg.0 = match interaction {
            Interaction::Pressed => colour(&l.theme.muted).darker(0.3),
            _ => surface(l),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every text colour of the shipped kiosk layout reads at 4.5:1 (WCAG AA)
    /// or better on the page and on the controls' surface.
    #[test]
    fn the_kiosk_colours_contrast() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../layouts/kiosk-portrait-1080x1920.ron");
        let l = Layout::load(&path).expect("layout");
        let t = &l.theme;
        let page = parse_hex(&t.background).expect("background");
        let surface = lighten(page, SURFACE);
        for ink in [&t.text, &t.muted, &t.accent, &t.warning, &t.alert] {
            let ink = parse_hex(ink).expect("colour");
            for under in [page, surface] {
                let r = crate::contrast::ratio(ink, under);
                assert!(r >= 4.5, "{ink:?} on {under:?}: {r:.1}");
            }
        }
    }
}
