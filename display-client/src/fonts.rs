//! The layout's two fonts, loaded at start-up (and again when an edited layout
//! names others). Nothing is drawn before they are loaded: a text laid out with
//! a font still loading would stay blank until something else changed it.

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

/// The run condition of everything that draws: the fonts in force are loaded.
/// (Assets finish loading in `PreUpdate`, so the answer holds for the whole
/// `Update`: the canvas and the panels agree on it.)
pub fn fonts_ready(fonts: Option<Res<Fonts>>, assets: Res<AssetServer>) -> bool {
    fonts.is_some_and(|f| {
        assets.is_loaded_with_dependencies(&f.regular)
            && assets.is_loaded_with_dependencies(&f.bold)
    })
}
