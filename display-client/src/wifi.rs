//! The Wi-Fi panel: "Wi-Fi gratuit / Free Wi-Fi", the QR code of the board's
//! `wifi.qr_payload` (joins the network when scanned), the network name and the
//! captive portal's address.

use bevy::prelude::*;

use crate::ScreenSet;
use crate::panel::{Panel, PanelInputs, Redraw};
use crate::widgets::{colour, label, place};
use crate::wording::phrase;

pub fn plugin(app: &mut App) {
    app.add_systems(Update, draw.in_set(ScreenSet::Draw));
}

fn draw(p: PanelInputs, mut images: ResMut<Assets<Image>>, mut redraw: Redraw) {
    let (l, lang) = (&p.layout.layout, &p.view.lang);
    let wifi = p.live.board.as_ref().and_then(|b| b.wifi.as_ref());
    let content = l.wifi.zip(wifi);
    // The QR code is drawn again only when the network changes, not per board.
    let key = (
        phrase(lang, "wifi"),
        content.map(|(_, w)| (&w.ssid, &w.qr_payload, &w.portal_url)),
    );
    redraw.panel(Panel::Wifi, key, |texts| {
        let (region, wifi) = content?;
        let theme = &l.theme;
        let side = (region.height * 0.6).min(region.width * 0.6);
        let qr = crate::qr::image(&wifi.qr_payload).map(|i| {
            (
                ImageNode::new(images.add(i)),
                Node {
                    width: Val::Px(side),
                    height: Val::Px(side),
                    ..default()
                },
            )
        });
        let small = theme.sizes.small;
        let title = label(
            texts.note("wifi", phrase(lang, "wifi")),
            p.fonts.style(true, small),
            colour(&theme.text),
        );
        let ssid = label(
            texts.note("wifi", wifi.ssid.clone()),
            p.fonts.style(false, theme.sizes.fine()),
            colour(&theme.text),
        );
        let portal = wifi.portal_url.as_ref().map(|url| {
            label(
                texts.note("wifi", url.clone()),
                p.fonts.style(false, theme.sizes.fine()),
                colour(&theme.muted),
            )
        });
        Some((
            Node {
                align_items: AlignItems::Center,
                padding: UiRect::all(Val::Px(12.0)),
                row_gap: Val::Px(6.0),
                ..place(region)
            },
            BackgroundColor(colour(&theme.background).lighter(0.08)),
            Children::spawn((
                Spawn(title),
                SpawnIter(qr.into_iter()),
                Spawn(ssid),
                SpawnIter(portal.into_iter()),
            )),
        ))
    });
}
