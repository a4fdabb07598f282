//! The Wi-Fi panel: "Wi-Fi gratuit / Free Wi-Fi", the QR code of the board's
//! `wifi.qr_payload` (joins the network when scanned), the network name and the
//! captive portal's address.

use bevy::prelude::*;

use crate::ScreenSet;
use crate::panel::{Panel, PanelContext, Texts, mount, unmount};
use crate::widgets::{colour, place};
use crate::wording::label;

pub fn plugin(app: &mut App) {
    app.add_systems(Update, draw.in_set(ScreenSet::Draw));
}

fn draw(p: PanelContext, mut images: ResMut<Assets<Image>>) {
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
    let wifi = live.board.as_ref().and_then(|b| b.wifi.as_ref());
    let content = l.wifi.zip(wifi);
    // The QR code is drawn again only when the network changes, not per board.
    let key = (
        view.generation,
        label(&view.lang, "wifi"),
        content.map(|(_, w)| (&w.ssid, &w.qr_payload, &w.portal_url)),
    );
    if !drawn.needs(Panel::Wifi, &key) {
        return;
    }
    let mut texts = Texts::default();
    let Some((region, wifi)) = content else {
        unmount(&mut commands, &old, Panel::Wifi);
        drawn.drew(Panel::Wifi, &key, texts);
        return;
    };
    let theme = &l.theme;
    let qr = crate::qr::image(&wifi.qr_payload).map(|i| images.add(i));
    let side = (region.height * 0.6).min(region.width * 0.6);
    let panel = commands
        .spawn((
            Node {
                align_items: AlignItems::Center,
                padding: UiRect::all(Val::Px(12.0)),
                row_gap: Val::Px(6.0),
                ..place(region)
            },
            BackgroundColor(colour(&theme.background).lighter(0.08)),
        ))
        .with_children(|p| {
            p.spawn((
                Text::new(texts.note("wifi", label(&view.lang, "wifi"))),
                fonts.style(true, theme.sizes.small),
                TextColor(colour(&theme.text)),
            ));
            if let Some(qr) = qr {
                p.spawn((
                    ImageNode::new(qr),
                    Node {
                        width: Val::Px(side),
                        height: Val::Px(side),
                        ..default()
                    },
                ));
            }
            p.spawn((
                Text::new(texts.note("wifi", wifi.ssid.clone())),
                fonts.style(false, theme.sizes.small * 0.8),
                TextColor(colour(&theme.text)),
            ));
            if let Some(url) = &wifi.portal_url {
                p.spawn((
                    Text::new(texts.note("wifi", url.clone())),
                    fonts.style(false, theme.sizes.small * 0.6),
                    TextColor(colour(&theme.muted)),
                ));
            }
        })
        .id();
    mount(&mut commands, &view, &old, Panel::Wifi, panel);
    drawn.drew(Panel::Wifi, &key, texts);
}
