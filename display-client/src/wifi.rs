//! The Wi-Fi panel: "Wi-Fi gratuit / Free Wi-Fi", the QR code of the board's
//! `wifi.qr_payload` (joins the network when scanned), the network name and the
//! captive portal's address.

use bevy::prelude::*;

use crate::ScreenSet;
use crate::names::Measure;
use crate::panel::{Panel, PanelInputs, Redraw};
use crate::widgets::{colour, label, place};
use crate::wording::phrase;

pub fn plugin(app: &mut App) {
    app.add_systems(Update, draw.in_set(ScreenSet::Draw));
}

/// The panel's padding and the gap between its lines, in px.
const PADDING: f32 = 12.0;
const GAP: f32 = 6.0;
/// Bevy's line height, as a share of the text's size.
const LINE: f32 = 1.2;

/// The QR code's side in a `region`: at most 60 % of either side, and no more
/// than the height leaves under the title and above the network's two lines.
fn qr_side(region: &crate::layout::Region, sizes: &crate::layout::Sizes) -> f32 {
    let text = LINE * (sizes.small + 2.0 * sizes.fine()) + 3.0 * GAP + 2.0 * PADDING;
    (region.height * 0.6)
        .min(region.width * 0.6)
        .min(region.height - text)
        .max(0.0)
}

/// The portal's address in fine print, or smaller where a long one would
/// not fit the panel's width on one line (an address has nowhere to break).
fn portal_size(url: &str, width: f32, fine: f32, measure: Option<&Measure<'_>>) -> f32 {
    let room = width - 2.0 * PADDING;
    match measure.map(|m| m.width(url, fine)) {
        Some(wide) if wide > room => (fine * room / wide).floor(),
        _ => fine,
    }
}

fn draw(
    p: PanelInputs,
    fonts: Res<Assets<Font>>,
    mut images: ResMut<Assets<Image>>,
    mut redraw: Redraw,
) {
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
        let side = qr_side(&region, &theme.sizes);
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
        let measure = fonts
            .get(&p.fonts.regular)
            .and_then(|f| Measure::new(f.data.data()));
        let portal = wifi.portal_url.as_ref().map(|url| {
            let size = portal_size(url, region.width, theme.sizes.fine(), measure.as_ref());
            label(
                texts.note("wifi", url.clone()),
                p.fonts.style(false, size),
                colour(&theme.muted),
            )
        });
        Some((
            Node {
                align_items: AlignItems::Center,
                padding: UiRect::all(Val::Px(PADDING)),
                row_gap: Val::Px(GAP),
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::Layout;

    fn shipped_layouts() -> Vec<Layout> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../layouts");
        let mut layouts = Vec::new();
        for entry in std::fs::read_dir(dir).expect("layouts/") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            // Beside the layouts: the voice's lexicon and the abbreviations.
            if name.ends_with(".ron") && !["lexicon.ron", "abbreviations.ron"].contains(&name) {
                layouts.push(Layout::load(&path).expect("a shipped layout loads"));
            }
        }
        layouts
    }

    /// In every shipped layout with a Wi-Fi panel, the title, the QR code and
    /// the network's two lines stand within the panel's height.
    #[test]
    fn the_panel_holds_its_code_and_its_lines() {
        let mut panels = 0;
        for l in shipped_layouts() {
            let Some(region) = l.wifi else { continue };
            panels += 1;
            let s = &l.theme.sizes;
            let side = qr_side(&region, s);
            let column = 2.0 * PADDING + LINE * (s.small + 2.0 * s.fine()) + side + 3.0 * GAP;
            assert!(side >= 100.0, "{}: a code {side} px wide", l.name);
            assert!(column <= region.height + 0.01, "{}: {column} px", l.name);
        }
        assert!(panels >= 2, "the hall layouts have one");
    }

    /// A portal's address stays on one line within the panel: in fine print
    /// when it fits, smaller when it is long.
    #[test]
    fn a_long_portal_address_is_set_smaller_to_fit() {
        let data = crate::names::tests::font();
        let m = Measure::new(&data).expect("a font");
        let fine = 22.4;
        let short = "http://127.0.0.1:8080/portal";
        assert_eq!(portal_size(short, 460.0, fine, Some(&m)), fine);
        let long = "https://wifi.gare-de-caudry.example/portal";
        assert!(m.width(long, fine) > 460.0 - 2.0 * PADDING);
        let size = portal_size(long, 460.0, fine, Some(&m));
        assert!(size < fine && size >= 16.0, "{size}");
        assert!(m.width(long, size) <= 460.0 - 2.0 * PADDING);
        // Without the font's measures (not loaded yet), fine print.
        assert_eq!(portal_size(long, 460.0, fine, None), fine);
    }
}
