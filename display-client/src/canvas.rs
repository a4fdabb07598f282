//! The layout in force and the canvas it gives: a node of the layout's size,
//! parent of every panel. The canvas (and so every panel) is built again when
//! the layout or its fonts change. In a window, the canvas is scaled to fit it
//! whole.
//!
//! The layout's background is the camera's clear colour, not a colour of the
//! canvas node: a clear fills the picture at the cost of a memory fill, while
//! a node the size of the screen is shaded pixel by pixel at every frame. On
//! software rendering, that quad and the header's (of the same colour) were
//! about 40 % of the screen's CPU (docs/benchmarks.md).

use bevy::prelude::*;
use bevy::window::PrimaryWindow;

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

/// The canvas: parent of every panel (its background is the clear colour).
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
    )
    .add_systems(Startup, clear_colour)
    .add_systems(Update, fit_to_window);
}

/// The layout's background, as the colour every frame starts from (in a
/// window, also the bands beside a canvas scaled to fit; offscreen, under
/// the canvas): set at start, then with each new canvas, so that a layout
/// edited on disk changes it in the frame that draws its panels, once its
/// fonts have loaded, as the canvas's own colour did.
fn clear_colour(layout: Res<CurrentLayout>, clear: Option<ResMut<ClearColor>>) {
    if let Some(mut clear) = clear {
        set_clear_colour(&layout.layout, &mut clear);
    }
}

fn set_clear_colour(layout: &Layout, clear: &mut ResMut<ClearColor>) {
    let background = colour(&layout.theme.background);
    if clear.0 != background {
        clear.0 = background;
    }
}

/// A screen's panel rarely has the layout's exact size: a 1366×768 TV, a 4K
/// panel, whatever mode a kiosk compositor such as cage gives the window. The
/// canvas is scaled to fit the window whole (never cut off) and centred in
/// it, and the bands left beside it show the layout's background (the clear
/// colour). A window of the layout's own size keeps scale 1, pixel for
/// pixel. (Offscreen rendering has no window: its picture is the canvas, from
/// its top left.)
fn fit_to_window(
    windows: Query<&Window, With<PrimaryWindow>>,
    layout: Res<CurrentLayout>,
    mut canvases: Query<&mut Node, With<Canvas>>,
    ui_scale: Option<ResMut<UiScale>>,
) {
    let (Some(window), Some(mut ui_scale)) = (windows.iter().next(), ui_scale) else {
        return;
    };
    let centred = UiRect::all(Val::Auto);
    for mut node in &mut canvases {
        if node.margin != centred {
            node.margin = centred;
        }
    }
    let canvas = &layout.layout.canvas;
    let scale = fit_scale(
        (window.width(), window.height()),
        (canvas.width as f32, canvas.height as f32),
    );
    if ui_scale.0 != scale {
        ui_scale.0 = scale;
    }
}

/// The scale that fits `canvas` whole in `window` (logical pixels), 1 when
/// they (nearly) match or when either is empty.
fn fit_scale(window: (f32, f32), canvas: (f32, f32)) -> f32 {
    if window.0 < 1.0 || window.1 < 1.0 || canvas.0 < 1.0 || canvas.1 < 1.0 {
        return 1.0;
    }
    let scale = (window.0 / canvas.0).min(window.1 / canvas.1);
    if (scale - 1.0).abs() < 0.002 {
        1.0
    } else {
        scale
    }
}

/// The canvas, built again when the layout changes, or its fonts: new ones (a
/// layout edited on disk) are seen changed once they have loaded, since a
/// system skipped by its run condition keeps the tick of its last run.
fn canvas(
    mut commands: Commands,
    layout: Res<CurrentLayout>,
    fonts: Res<Fonts>,
    canvases: Query<Entity, With<Canvas>>,
    mut built_for: Local<Option<u64>>,
    mut view: ResMut<View>,
    clear: Option<ResMut<ClearColor>>,
) {
    if *built_for == Some(layout.generation) && !fonts.is_changed() {
        return;
    }
    if let Some(mut clear) = clear {
        set_clear_colour(&layout.layout, &mut clear);
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
        ))
        .id();
    view.canvas = Some(canvas);
    view.generation += 1;
    *built_for = Some(layout.generation);
}

#[cfg(test)]
mod tests {
    use super::fit_scale;

    #[test]
    fn the_canvas_fits_the_window_whole() {
        // The layout's own size: pixel for pixel.
        assert_eq!(fit_scale((1920.0, 1080.0), (1920.0, 1080.0)), 1.0);
        // A 720p output (cage's headless one): two thirds.
        assert!((fit_scale((1280.0, 720.0), (1920.0, 1080.0)) - 2.0 / 3.0).abs() < 1e-6);
        // A 4K panel: twice as large.
        assert_eq!(fit_scale((3840.0, 2160.0), (1920.0, 1080.0)), 2.0);
        // 1366×768 (wider than 16:9): the height decides, bands at the sides.
        assert!((fit_scale((1366.0, 768.0), (1920.0, 1080.0)) - 768.0 / 1080.0).abs() < 1e-6);
        // A portrait layout on a landscape panel: whole, smaller.
        assert!((fit_scale((1920.0, 1080.0), (1080.0, 1920.0)) - 1080.0 / 1920.0).abs() < 1e-6);
        // A minimised window changes nothing.
        assert_eq!(fit_scale((0.0, 0.0), (1920.0, 1080.0)), 1.0);
    }
}
