//! The notices ticker: the published notices' screen text (else their header).
//!
//! - `Paged` (the default): one notice at a time, the next every
//!   `seconds_per_item`. Cheap: the screen changes once every few seconds.
//! - `Scroll`: all notices on one line moving right to left at `speed` pixels a
//!   second. Smooth motion needs a frame every refresh (about 65 % of a core on
//!   software rendering, see docs/design-notes.md): for screens with a real GPU.
//!
//! A severe notice takes the whole bar as a banner in the alert colour; the
//! others wait until it ends.

use bevy::prelude::*;
use quai_protocol::{Notice, Severity};

use crate::ScreenSet;
use crate::layout::TickerMode;
use crate::panel::{Panel, PanelInputs, Redraw};
use crate::view::View;
use crate::widgets::{colour, label, one_line, place};

pub fn plugin(app: &mut App) {
    app.add_systems(Update, (draw, scroll).chain().in_set(ScreenSet::Draw));
}

/// The moving line of a scrolling ticker, and the width of its bar.
#[derive(Component, Debug)]
struct Scrolling {
    bar_width: f32,
    speed: f32,
}

fn text_of(n: &Notice, lang: &str) -> String {
    crate::wording::pick(&n.screen_text, lang)
        .or_else(|| crate::wording::pick(&n.header, lang))
        .unwrap_or_default()
        .to_string()
}

/// The Wi-Fi page's address of notice `n` in full, when the bar cannot hold
/// all of it (it has a description, or its line is longer than the bar):
/// a QR code beside the item (`/portal/notices/{id}`).
fn full_text_link(
    n: &Notice,
    shown: &str,
    lang: &str,
    portal: Option<&str>,
    bar_width: f32,
    size: f32,
) -> Option<String> {
    let portal = portal?;
    let more = crate::wording::pick(&n.description, lang).is_some_and(|d| !d.trim().is_empty())
        || shown.chars().count() as f32 * size * 0.55 > bar_width - 48.0;
    more.then(|| {
        let id = quai_protocol::encode_id(&n.id);
        format!("{}/notices/{id}", portal.trim_end_matches('/'))
    })
}

fn has_severe(notices: &[Notice]) -> bool {
    notices.iter().any(|n| n.severity == Severity::Severe)
}

fn draw(p: PanelInputs, mut images: ResMut<Assets<Image>>, mut redraw: Redraw) {
    let (l, view) = (&p.layout.layout, &*p.view);
    let notices = p.live.board.as_ref().map_or(&[][..], |b| &b.notices[..]);
    // A lift out of service stays on the bar beside severe notices: who
    // needs step-free access needs it then too.
    let severe: Vec<&Notice> = notices
        .iter()
        .filter(|n| n.severity == Severity::Severe || (n.accessibility && has_severe(notices)))
        .collect();
    let (mut items, banner) = if severe.is_empty() {
        (notices.iter().collect::<Vec<_>>(), false)
    } else {
        (severe, true)
    };
    // A lift or an escalator out of service first, marked ♿ (after the
    // severe notices when they hold the bar).
    if banner {
        items.sort_by_key(|n| n.severity != Severity::Severe);
    } else {
        items.sort_by_key(|n| !n.accessibility);
    }
    // No bar without a ticker in the layout or a notice to show.
    let shown = l
        .ticker
        .as_ref()
        .filter(|_| !items.is_empty())
        .map(|ticker| {
            let texts_now: Vec<String> = items
                .iter()
                .map(|n| {
                    let text = text_of(n, &view.lang);
                    if n.accessibility {
                        format!("♿ {text}")
                    } else {
                        text
                    }
                })
                .collect();
            match ticker.mode {
                TickerMode::Paged => {
                    let i = ((view.elapsed_s / f64::from(ticker.seconds_per_item.max(1.0)))
                        as usize)
                        % items.len();
                    let portal = p
                        .live
                        .board
                        .as_ref()
                        .and_then(|b| b.wifi.as_ref())
                        .and_then(|w| w.portal_url.as_deref());
                    let link = full_text_link(
                        items[i],
                        &texts_now[i],
                        &view.lang,
                        portal,
                        ticker.region.width - ticker.region.height,
                        l.theme.sizes.ticker,
                    );
                    (ticker, texts_now[i].clone(), i, link)
                }
                TickerMode::Scroll => (ticker, texts_now.join("   •   "), 0, None),
            }
        });
    let key = shown
        .as_ref()
        .map(|(_, text, index, link)| (text, index, banner, link));
    redraw.panel(Panel::Ticker, key, |texts| {
        let (ticker, shown, _, link) = shown.as_ref()?;
        let theme = &l.theme;
        let (region_name, text, background, foreground) = if banner {
            (
                "banner",
                // (A lift's item is marked ♿ already.)
                if shown.starts_with('♿') {
                    shown.clone()
                } else {
                    format!("⚠ {shown}")
                },
                colour(&theme.alert),
                Color::BLACK,
            )
        } else {
            ("ticker", shown.clone(), Color::BLACK, colour(&theme.accent))
        };
        let text = texts.note(region_name, text);
        let font = p.fonts.style(true, theme.sizes.ticker);
        // One notice at a time, or all of them moving in from the right.
        let (paged, scrolling) = match ticker.mode {
            TickerMode::Paged => (Some(label(text, font, foreground)), None),
            TickerMode::Scroll => (
                None,
                Some((
                    Scrolling {
                        bar_width: ticker.region.width,
                        speed: ticker.speed.max(1.0),
                    },
                    Node {
                        position_type: PositionType::Absolute,
                        left: Val::Px(ticker.region.width),
                        ..default()
                    },
                    one_line(text, font, foreground),
                )),
            ),
        };
        // The rest of it on a phone: a QR code at the bar's right end.
        let side = (ticker.region.height - 8.0).max(8.0);
        let qr = link.as_ref().and_then(|link| {
            let image = crate::qr::image(link)?;
            texts.note("ticker_qr", link.clone());
            Some((
                ImageNode::new(images.add(image)),
                Node {
                    position_type: PositionType::Absolute,
                    right: Val::Px(4.0),
                    top: Val::Px(4.0),
                    width: Val::Px(side),
                    height: Val::Px(side),
                    ..default()
                },
            ))
        });
        let padding_right = if qr.is_some() { side + 16.0 } else { 24.0 };
        Some((
            Node {
                justify_content: JustifyContent::Center,
                padding: UiRect {
                    left: Val::Px(24.0),
                    right: Val::Px(padding_right),
                    ..default()
                },
                ..place(ticker.region)
            },
            BackgroundColor(background),
            Children::spawn((
                SpawnIter(paged.into_iter()),
                SpawnIter(scrolling.into_iter()),
                SpawnIter(qr.into_iter()),
            )),
        ))
    });
}

/// Moves a scrolling line on, from the bar's right edge until it has left by
/// the left one, then again; asks for the next frame at once.
fn scroll(
    view: Res<View>,
    mut lines: Query<(&Scrolling, &ComputedNode, &mut Node)>,
    mut redraw: MessageWriter<bevy::window::RequestRedraw>,
) {
    for (line, computed, mut node) in &mut lines {
        let width = computed.size().x * computed.inverse_scale_factor();
        let lap = f64::from(line.bar_width + width.max(1.0));
        let x =
            f64::from(line.bar_width) - (view.elapsed_s * f64::from(line.speed)).rem_euclid(lap);
        node.left = Val::Px(x as f32);
        redraw.write(bevy::window::RequestRedraw);
    }
}
