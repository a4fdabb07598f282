//! The layout's two fonts, loaded at start-up (and again when an edited layout
//! names others), and [`fonts_ready`], the condition of everything that draws.

use bevy::prelude::*;
use bevy::text::FontSize;

use crate::canvas::CurrentLayout;
use crate::layout::Layout;

/// The fonts of the layout in force.
#[derive(Resource, Debug, Clone)]
pub struct Fonts {
    pub regular: Handle<Font>,
    pub bold: Handle<Font>,
}

impl Fonts {
    pub fn load(assets: &AssetServer, layout: &Layout) -> Self {
        Fonts {
            regular: assets.load(layout.theme.font.clone()),
            bold: assets.load(layout.theme.font_bold.clone()),
        }
    }

    /// The bold or the regular face at `size` pixels.
    pub fn style(&self, bold: bool, size: f32) -> TextFont {
        TextFont {
            font: if bold { &self.bold } else { &self.regular }.clone().into(),
            font_size: FontSize::Px(size),
            ..default()
        }
    }
}

pub fn plugin(app: &mut App) {
    app.add_systems(Startup, load);
}

fn load(mut commands: Commands, assets: Res<AssetServer>, layout: Res<CurrentLayout>) {
    commands.insert_resource(Fonts::load(&assets, &layout.layout));
}

/// The run condition of the canvas and of `ScreenSet::Draw`: the fonts in force
/// are loaded. A panel drawn before would count as drawn (a picture is taken a
/// few frames after the last change) with its text not yet on screen. Assets
/// finish loading in `PreUpdate`, so the answer holds for the whole of `Update`:
/// the canvas and the panels agree on it.
pub fn fonts_ready(fonts: Option<Res<Fonts>>, assets: Res<AssetServer>) -> bool {
    fonts.is_some_and(|f| {
        assets.is_loaded_with_dependencies(&f.regular)
            && assets.is_loaded_with_dependencies(&f.bold)
    })
}
