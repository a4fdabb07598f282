//! What the kiosk shows this frame ([`Shown`]), worked out once a frame
//! from the kiosk's state, the board and the REST answers: the view, its
//! rows cut into pages of the content region, its buttons, every control in
//! the order the keyboard goes through them, what Listen says, the QR code's
//! link. The panels are drawn from it ([`super::draw`], [`super::rows`]).

use bevy::prelude::*;

use super::api::{Answers, Api, encode, request};
use super::views::{Row, Screenful, screenful, tr, wants};
use super::{Action, Kiosk, Page};
use crate::ScreenSet;
use crate::layout::{Kiosk as KioskLayout, Layout};
use crate::network::{Endpoint, Live};
use crate::view::View;

pub fn plugin(app: &mut App) {
    app.init_resource::<Shown>().add_systems(
        Update,
        compose
            .after(super::speak_in_kiosk_language)
            .in_set(ScreenSet::Compose),
    );
}

/// What the kiosk shows this frame.
#[derive(Resource, Debug, Default, Clone, PartialEq, Hash)]
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
pub(super) const MARK_W: f32 = 48.0;
pub(super) const BADGE_W: f32 = 120.0;
pub(super) const TIME_W: f32 = 150.0;

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
    format!("{portal}{sep}station={}&{link}", encode(station))
}

#[allow(clippy::too_many_arguments)]
fn compose(
    mut kiosk: ResMut<Kiosk>,
    live: Res<Live>,
    view: Res<View>,
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
    let s = screenful(&kiosk.page, &kiosk.lang, board, &view, &answers);
    let ranges = pages(&s.rows, l, k, kiosk.large);
    // Fewer pages than before (rows gone, larger text): the last one.
    let page = kiosk.list_page.min(ranges.len() - 1);
    if kiosk.list_page != page {
        kiosk.list_page = page;
    }
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
    // The focused control gone (the last page has no "next", a departure
    // left the board): the focus goes to the first control, never nowhere.
    let lost = kiosk
        .focus
        .as_ref()
        .is_some_and(|f| !controls.iter().any(|(name, _)| name == f));
    if lost {
        kiosk.focus = controls.first().map(|(name, _)| name.clone());
    }
    let portal = board
        .and_then(|b| b.wifi.as_ref())
        .and_then(|w| w.portal_url.as_deref());
    let next = Shown {
        spoken: s.spoken(&kiosk.lang),
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
    // Written only when it changes: an unchanged resource keeps the frame
    // cheap (the panels' keys would hash it the same anyway).
    if *shown != next {
        *shown = next;
    }
}
