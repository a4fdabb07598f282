//! The kiosk on screen: the view's title and summary up top, the QR code to
//! go on on a phone beside them, the view's rows in the reach band (a page
//! at a time), and the buttons under them. Each control is a Bevy UI
//! `Button` (touch and mouse alike, through `Interaction`) marked with a
//! [`Control`]: its name and what it does.
//!
//! [`Shown`] is worked out once a frame from the kiosk's state, the board and
//! the REST answers; the panels are drawn from it, the keyboard moves along
//! its controls, Listen says its sentences.

use bevy::prelude::*;
use quai_protocol::RouteRef;

use super::api::{Answers, request};
use super::views::{Ink, Row, Screenful, screenful, tr, wants};
use super::{Action, Kiosk, Page, api::Api};
use crate::ScreenSet;
use crate::contrast::{parse_hex, readable_text};
use crate::fonts::Fonts;
use crate::layout::{Kiosk as KioskLayout, Layout};
use crate::network::{Endpoint, Live};
use crate::panel::{Panel, PanelInputs, Redraw, Texts};
use crate::widgets::{colour, label, one_line, place};

pub fn plugin(app: &mut App) {
    app.init_resource::<Shown>()
        .add_systems(
            Update,
            compose
                .after(super::speak_in_kiosk_language)
                .in_set(ScreenSet::Compose),
        )
        .add_systems(
            Update,
            (title, qr, content, nav, pressed_look).in_set(ScreenSet::Draw),
        );
}

/// A control on screen.
#[derive(Component, Debug, Clone)]
pub struct Control {
    pub name: String,
    pub action: Action,
}

/// What the kiosk shows this frame.
#[derive(Resource, Debug, Default, Clone, Hash)]
pub struct Shown {
    pub screenful: Screenful,
    /// The rows on the page shown.
    pub rows: Vec<Row>,
    pub page: usize,
    pub pages: usize,
    /// The buttons, in order.
    pub buttons: Vec<(String, Action, String, String)>,
    /// Every control, in the order Tab goes through them.
    pub controls: Vec<(String, Action)>,
    /// What Listen says.
    pub spoken: Vec<String>,
    /// The deep link encoded in the QR code.
    pub qr: Option<String>,
    /// The REST answers the view waits for are all in.
    pub settled: bool,
    pub large: bool,
    pub focus: Option<String>,
}

/// The widths of a row's columns (times the text scale for badge and time).
const MARK_W: f32 = 48.0;
const BADGE_W: f32 = 120.0;
const TIME_W: f32 = 150.0;

/// How large the text is: 1, or 1.3 when asked.
pub fn scale(large: bool) -> f32 {
    if large { 1.3 } else { 1.0 }
}

/// The height a row takes, in px, in a content region `width` px wide.
fn row_height(row: &Row, l: &Layout, k: &KioskLayout, large: bool) -> f32 {
    let s = scale(large);
    let (big, small) = (l.theme.sizes.row * s, l.theme.sizes.small * s);
    // Characters per line, for text of `size` px in what is left beside the
    // mark, the badge and the time (and the gaps, the padding).
    let beside = if row.badge.is_some() {
        BADGE_W * s + 16.0
    } else {
        0.0
    } + if row.time.is_empty() {
        0.0
    } else {
        TIME_W * s + MARK_W + 32.0
    };
    let lines = |text: &str, size: f32| {
        let per_line = ((k.content.width - beside - 48.0) / (size * 0.6)).max(8.0);
        (text.chars().count() as f32 / per_line).ceil().max(1.0)
    };
    if row.heading {
        return lines(&row.text, big * 1.05) * big * 1.05 * 1.25 + 24.0;
    }
    let mut h = lines(&row.text, big) * big * 1.25 + 20.0;
    if !row.detail.is_empty() {
        h += lines(&row.detail, small) * small * 1.25;
    }
    if !row.kicker.is_empty() {
        h += small * 1.2;
    }
    if !row.time_note.is_empty() {
        h = h.max(big * 0.9 * 1.25 + small + 24.0);
    }
    if row.control.is_some() {
        h = h.max(k.target_px);
    }
    h + 8.0
}

/// Splits `rows` into pages of the content region (the page controls take
/// the last target's height when there is more than one page).
fn pages(rows: &[Row], l: &Layout, k: &KioskLayout, large: bool) -> Vec<std::ops::Range<usize>> {
    let fits = |budget: f32| {
        let mut pages = Vec::new();
        let (mut start, mut used) = (0, 0.0);
        for (i, r) in rows.iter().enumerate() {
            let h = row_height(r, l, k, large);
            if used + h > budget && i > start {
                // A section's title goes with its first row.
                let cut = if rows[i - 1].heading && i - 1 > start {
                    i - 1
                } else {
                    i
                };
                pages.push(start..cut);
                used = rows[cut..i]
                    .iter()
                    .map(|r| row_height(r, l, k, large))
                    .sum();
                start = cut;
            }
            used += h;
        }
        pages.push(start..rows.len());
        pages
    };
    let whole = fits(k.content.height - 16.0);
    if whole.len() <= 1 {
        return whole;
    }
    fits(k.content.height - 16.0 - k.target_px - 12.0)
}

/// The buttons of a view: (name, action, label, what it does in words).
fn buttons(kiosk: &Kiosk) -> Vec<(String, Action, String, String)> {
    let lang = kiosk.lang.as_str();
    let b = |name: &str, action: Action, text: &str, hint: &str| {
        (name.to_string(), action, text.to_string(), hint.to_string())
    };
    let mut v = Vec::new();
    if kiosk.page == Page::Home {
        v.push(b(
            "lines",
            Action::Open(Page::Lines),
            tr(lang, "Lignes", "Lines"),
            "",
        ));
        v.push(b(
            "disruptions",
            Action::Open(Page::Disruptions),
            tr(lang, "Perturbations", "Disruptions"),
            "",
        ));
        v.push(b(
            "parking",
            Action::Open(Page::Parking),
            tr(lang, "Stationnement & covoiturage", "Parking & carpool"),
            "",
        ));
    } else {
        v.push(b("back", Action::Back, tr(lang, "← Retour", "← Back"), ""));
        v.push(b("home", Action::Home, tr(lang, "Accueil", "Home"), ""));
        v.push(b(
            "disruptions",
            Action::Open(Page::Disruptions),
            tr(lang, "Perturbations", "Disruptions"),
            "",
        ));
    }
    v.push(b(
        "listen",
        Action::Listen,
        tr(lang, "Écouter", "Listen"),
        tr(lang, "lit cette page à voix haute", "reads this page aloud"),
    ));
    v.push(b(
        "language",
        Action::Language,
        "FR | EN",
        tr(lang, "English", "Français"),
    ));
    v.push(b(
        "text_size",
        Action::TextSize,
        if kiosk.large { "A−" } else { "A+" },
        if kiosk.large {
            tr(lang, "texte normal", "normal text")
        } else {
            tr(lang, "texte plus grand", "larger text")
        },
    ));
    v
}

/// The portal's address for the same view.
fn deep_link(portal: &str, station: &str, link: &str) -> String {
    let sep = if portal.contains('?') { '&' } else { '?' };
    format!("{portal}{sep}station={station}&{link}")
}

#[allow(clippy::too_many_arguments)]
fn compose(
    kiosk: Res<Kiosk>,
    live: Res<Live>,
    endpoint: Res<Endpoint>,
    layout: Res<crate::canvas::CurrentLayout>,
    api: Option<Res<Api>>,
    mut answers: ResMut<Answers>,
    mut shown: ResMut<Shown>,
) {
    let l = &layout.layout;
    let Some(k) = &l.kiosk else { return };
    let needed = wants(&kiosk.page, &answers);
    if let Some(api) = &api {
        request(api, &mut answers, &needed);
    }
    let board = live.board.as_ref();
    let s = screenful(&kiosk.page, &kiosk.lang, board, &answers);
    let ranges = pages(&s.rows, l, k, kiosk.large);
    let page = kiosk.list_page.min(ranges.len() - 1);
    let rows = s.rows[ranges[page].clone()].to_vec();
    let buttons = buttons(&kiosk);
    let mut controls: Vec<(String, Action)> = rows
        .iter()
        .filter_map(|r| r.control.clone().zip(r.action.clone()))
        .collect();
    if ranges.len() > 1 {
        if page > 0 {
            controls.push(("previous_page".into(), Action::Turn(-1)));
        }
        if page + 1 < ranges.len() {
            controls.push(("next_page".into(), Action::Turn(1)));
        }
    }
    controls.extend(buttons.iter().map(|(n, a, _, _)| (n.clone(), a.clone())));
    let portal = board
        .and_then(|b| b.wifi.as_ref())
        .and_then(|w| w.portal_url.as_deref());
    let next = Shown {
        spoken: s.spoken(),
        qr: portal.map(|p| deep_link(p, &endpoint.station, &s.link)),
        settled: answers.settled(&needed),
        screenful: s,
        rows,
        page,
        pages: ranges.len(),
        buttons,
        controls,
        large: kiosk.large,
        focus: kiosk.focus.clone(),
    };
    // Written only when it changes: the panels' keys hash it anyway, and an
    // unchanged resource keeps the frame cheap.
    if shown.controls != next.controls
        || shown.screenful != next.screenful
        || shown.rows != next.rows
        || shown.focus != next.focus
        || shown.settled != next.settled
        || shown.qr != next.qr
        || shown.large != next.large
        || shown.pages != next.pages
    {
        *shown = next;
    }
}

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

/// A line's badge in its colours (the text colour corrected when unreadable).
fn badge(route: &RouteRef, size: f32, fonts: &Fonts, texts: &mut Texts) -> impl Bundle + use<> {
    let bg = parse_hex(&route.color).unwrap_or([255, 255, 255]);
    let fg = readable_text(bg, parse_hex(&route.text_color).unwrap_or([0, 0, 0]));
    let name = route
        .short_name
        .clone()
        .or_else(|| route.long_name.clone())
        .unwrap_or_default();
    (
        Node {
            padding: UiRect::axes(Val::Px(12.0), Val::Px(4.0)),
            min_width: Val::Px(size * 2.0),
            justify_content: JustifyContent::Center,
            flex_shrink: 0.0,
            // A white edge: a badge as dark as the background still shows.
            border: UiRect::all(Val::Px(2.0)),
            ..default()
        },
        BorderColor::all(Color::WHITE),
        BackgroundColor(Color::srgb_u8(bg[0], bg[1], bg[2])),
        children![one_line(
            texts.note("kiosk_line", name),
            fonts.style(true, size),
            Color::srgb_u8(fg[0], fg[1], fg[2]),
        )],
    )
}

/// The look every control shares: a framed box (its edge says "button"
/// without colour), the focus ring when the keyboard is on it.
fn control_node(l: &Layout, focused: bool, node: Node) -> impl Bundle + use<> {
    let t = &l.theme;
    (
        Button,
        Node {
            border: UiRect::all(Val::Px(3.0)),
            ..node
        },
        BorderColor::all(colour(&t.muted)),
        BackgroundColor(colour(&t.background).lighter(0.1)),
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
            .map(|r| badge(r, t.sizes.header * sc, &p.fonts, texts));
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
    let key = (&shown.qr, &lang);
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
            p.fonts.style(true, t.sizes.small),
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
            p.fonts.style(false, t.sizes.small * 0.75),
            colour(&t.muted),
        );
        Some((
            Node {
                align_items: AlignItems::Center,
                padding: UiRect::all(Val::Px(16.0)),
                row_gap: Val::Px(12.0),
                ..place(k.qr)
            },
            BackgroundColor(colour(&t.background).lighter(0.08)),
            Children::spawn((Spawn(caption), SpawnIter(code.into_iter()), Spawn(how))),
        ))
    });
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

fn content(p: PanelInputs, shown: Res<Shown>, mut redraw: Redraw) {
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
        Some((
            Node {
                row_gap: Val::Px(8.0),
                padding: UiRect::vertical(Val::Px(8.0)),
                ..place(k.content)
            },
            BackgroundColor(colour(&l.theme.background).lighter(0.03)),
            Children::spawn((SpawnIter(rows.into_iter()), SpawnIter(turn.into_iter()))),
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
                    one_line(
                        texts.note("kiosk_control", hint.clone()),
                        p.fonts.style(false, t.sizes.small * 0.8),
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
                            p.fonts.style(true, t.sizes.small * 1.1),
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
    let t = &layout.layout.theme;
    for (interaction, mut bg) in &mut controls {
        bg.0 = match interaction {
            Interaction::Pressed => colour(&t.accent).darker(0.2),
            _ => colour(&t.background).lighter(0.1),
        };
    }
}
