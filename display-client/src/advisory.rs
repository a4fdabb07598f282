//! The weather advisory panel: the first advisory's headline and its advice lines
//! (heatwave, storm...), in the language shown.

use std::collections::BTreeMap;

use bevy::prelude::*;

use crate::ScreenSet;
use crate::panel::{Panel, PanelInputs, Redraw};
use crate::widgets::{colour, label, place};

pub fn plugin(app: &mut App) {
    app.add_systems(Update, draw.in_set(ScreenSet::Draw));
}

/// The version in `lang`, else the first there is: advice in another language
/// is better than none.
fn in_language<'a, T>(versions: &'a BTreeMap<String, T>, lang: &str) -> Option<&'a T> {
    versions.get(lang).or_else(|| versions.values().next())
}

fn draw(p: PanelInputs, mut redraw: Redraw) {
    let (l, lang) = (&p.layout.layout, &p.view.lang);
    let advisory = p.live.board.as_ref().and_then(|b| b.advisories.first());
    let content = l.advisory.zip(advisory).map(|(region, a)| {
        let headline = in_language(&a.headline, lang).cloned();
        let lines = in_language(&a.advice, lang).cloned();
        (
            region,
            headline.unwrap_or_default(),
            lines.unwrap_or_default(),
        )
    });
    let key = content.as_ref().map(|(_, h, lines)| (h, lines));
    redraw.panel(Panel::Advisory, key, |texts| {
        let (region, headline, lines) = content.as_ref()?;
        let theme = &l.theme;
        let headline = label(
            texts.note("advisory", headline.clone()),
            p.fonts.style(true, theme.sizes.small),
            Color::WHITE,
        );
        let lines: Vec<_> = lines
            .iter()
            .map(|line| {
                label(
                    texts.note("advisory", format!("• {line}")),
                    p.fonts.style(false, theme.sizes.fine()),
                    Color::WHITE,
                )
            })
            .collect();
        Some((
            Node {
                padding: UiRect::all(Val::Px(16.0)),
                row_gap: Val::Px(8.0),
                ..place(*region)
            },
            BackgroundColor(colour(&theme.warning).darker(0.25)),
            Children::spawn((Spawn(headline), SpawnIter(lines.into_iter()))),
        ))
    });
}
