//! The weather advisory panel: the first advisory's headline and its advice lines
//! (heatwave, storm...), in the language shown.

use bevy::prelude::*;

use crate::ScreenSet;
use crate::panel::{Panel, PanelContext, Texts, mount, unmount};
use crate::widgets::{colour, place};

pub fn plugin(app: &mut App) {
    app.add_systems(Update, draw.in_set(ScreenSet::Draw));
}

fn draw(p: PanelContext) {
    let PanelContext {
        mut commands,
        layout,
        fonts,
        view,
        live,
        mut drawn,
        old,
    } = p;
    let l = &layout.layout;
    let advisory = live.board.as_ref().and_then(|b| b.advisories.first());
    let content = l.advisory.zip(advisory).map(|(region, a)| {
        let headline = a
            .headline
            .get(&view.lang)
            .or_else(|| a.headline.values().next())
            .cloned()
            .unwrap_or_default();
        let lines = a
            .advice
            .get(&view.lang)
            .or_else(|| a.advice.values().next())
            .cloned()
            .unwrap_or_default();
        (region, headline, lines)
    });
    let key = (
        view.generation,
        content
            .as_ref()
            .map(|(_, h, lines)| (h.clone(), lines.clone())),
    );
    if !drawn.needs(Panel::Advisory, &key) {
        return;
    }
    let mut texts = Texts::default();
    let Some((region, headline, lines)) = content else {
        unmount(&mut commands, &old, Panel::Advisory);
        drawn.drew(Panel::Advisory, &key, texts);
        return;
    };
    let theme = &l.theme;
    let panel = commands
        .spawn((
            Node {
                padding: UiRect::all(Val::Px(16.0)),
                row_gap: Val::Px(8.0),
                ..place(region)
            },
            BackgroundColor(colour(&theme.warning).darker(0.25)),
        ))
        .with_children(|p| {
            p.spawn((
                Text::new(texts.note("advisory", headline)),
                fonts.style(true, theme.sizes.small * 1.1),
                TextColor(Color::WHITE),
            ));
            for line in lines {
                p.spawn((
                    Text::new(texts.note("advisory", format!("• {line}"))),
                    fonts.style(false, theme.sizes.small * 0.8),
                    TextColor(Color::WHITE),
                ));
            }
        })
        .id();
    mount(&mut commands, &view, &old, Panel::Advisory, panel);
    drawn.drew(Panel::Advisory, &key, texts);
}
