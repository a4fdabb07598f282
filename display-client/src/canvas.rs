//! The layout in force and the canvas it gives: a node of the layout's size in
//! its background colour, parent of every panel. The canvas (and so every panel)
//! is built again when the layout or its fonts change.

use bevy::prelude::*;

use crate::ScreenSet;
use crate::fonts::{Fonts, fonts_ready};
use crate::layout::Layout;
use crate::view::View;
use crate::widgets::colour;

/// The layout in force, and how many times it was replaced (the canvas is built
/// again when it changes).
#[derive(Resource, Debug, Clone)]
pub struct CurrentLayout {
    pub layout: Layout,
    pub generation: u64,
}

impl CurrentLayout {
    pub fn new(layout: Layout) -> Self {
        CurrentLayout {
            layout,
            generation: 0,
        }
    }

    /// Puts `layout` in force: everything is drawn again.
    pub fn replace(&mut self, layout: Layout) {
        self.layout = layout;
        self.generation += 1;
    }
}

/// The canvas: background colour, parent of every panel.
#[derive(Component, Debug)]
struct Canvas;

pub fn plugin(app: &mut App) {
    app.add_systems(
        Update,
        // Before the view is composed: the panels find the canvas in it.
        canvas
            .run_if(fonts_ready)
            .before(crate::view::compose)
            .in_set(ScreenSet::Compose),
    );
}

/// The canvas, built again with its background when the layout changes, or its
/// fonts: new ones (a layout edited on disk) are seen changed once they have
/// loaded, since a system skipped by its run condition keeps the tick of its
/// last run.
fn canvas(
    mut commands: Commands,
    layout: Res<CurrentLayout>,
    fonts: Res<Fonts>,
    canvases: Query<Entity, With<Canvas>>,
    mut built_for: Local<Option<u64>>,
    mut view: ResMut<View>,
) {
    if *built_for == Some(layout.generation) && !fonts.is_changed() {
        return;
    }
    for canvas in &canvases {
        commands.entity(canvas).despawn();
    }
    let l = &layout.layout;
    let canvas = commands
        .spawn((
            Canvas,
            Node {
                width: Val::Px(l.canvas.width as f32),
                height: Val::Px(l.canvas.height as f32),
                ..default()
            },
            BackgroundColor(colour(&l.theme.background)),
        ))
        .id();
    view.canvas = Some(canvas);
    view.generation += 1;
    *built_for = Some(layout.generation);
}
