//! What the screen asks of Bevy's renderer: boxes, text and pictures through
//! Bevy UI, and nothing else. Bevy's defaults are made for games; each part
//! below costs memory on every screen (on software rendering, where "GPU
//! memory" is the process's own, several mebibytes each; measured in
//! docs/benchmarks.md) and draws nothing here:
//!
//! - the sprite renderer: a quad mesh made at start-up whether or not a sprite
//!   is ever shown, and with it the mesh allocator's two slabs. It is left out
//!   ([`bevy_plugins`]); the one thing of it Bevy UI uses, the list of
//!   pictures changed this frame (so a glyph atlas that grew is bound again),
//!   is kept ([`plugin`]).
//! - GPU occlusion culling: four compute pipelines compiled at start-up (on
//!   lavapipe, by LLVM, whose work stays in memory). The device is asked
//!   without indirect first-instance draws, which Bevy needs for culling and
//!   Bevy UI does not use.
//! - the 2D scene's passes: a depth texture the size of the window, cleared at
//!   every frame for sprites there are none of. The 2D phases of every view
//!   are dropped once extracted, so neither the depth texture nor the passes
//!   are made; the window is cleared to the layout's background by a pass of
//!   its own instead ([`clear`]), before Bevy UI draws.

use bevy::app::PluginGroupBuilder;
use bevy::core_pipeline::core_2d::{AlphaMask2d, Opaque2d, Transparent2d};
use bevy::core_pipeline::schedule::{Core2d, Core2dSystems};
use bevy::prelude::*;
use bevy::render::render_phase::{ViewBinnedRenderPhases, ViewSortedRenderPhases};
use bevy::render::render_resource::RenderPassDescriptor;
use bevy::render::renderer::{RenderContext, ViewQuery};
use bevy::render::settings::{RenderCreation, WgpuFeatures, WgpuSettings};
use bevy::render::view::ViewTarget;
use bevy::render::{ExtractSchedule, RenderApp, RenderPlugin};
use bevy::sprite_render::{SpriteAssetEvents, SpriteRenderPlugin, extract_sprite_events};

/// Bevy's default plugins as the screen uses them (see the module's doc);
/// the caller still sets the window and the assets.
pub fn bevy_plugins() -> PluginGroupBuilder {
    DefaultPlugins
        .build()
        .disable::<SpriteRenderPlugin>()
        .set(RenderPlugin {
            render_creation: RenderCreation::Automatic(Box::new(WgpuSettings {
                disabled_features: Some(WgpuFeatures::INDIRECT_FIRST_INSTANCE),
                ..default()
            })),
            ..default()
        })
}

/// The render world's side (nothing without a renderer, as in tests).
pub(crate) fn plugin(app: &mut App) {
    let sprites = app.is_plugin_added::<SpriteRenderPlugin>();
    let Some(render_app) = app.get_sub_app_mut(RenderApp) else {
        return;
    };
    if !sprites {
        // What the sprite renderer would have done for Bevy UI: without it a
        // glyph atlas given a new glyph would stay bound as it was.
        render_app
            .init_resource::<SpriteAssetEvents>()
            .add_systems(ExtractSchedule, extract_sprite_events);
    }
    render_app
        .add_systems(
            ExtractSchedule,
            no_2d_scene.after(bevy::core_pipeline::core_2d::extract_core_2d_camera_phases),
        )
        .add_systems(Core2d, clear.in_set(Core2dSystems::MainPass));
}

/// Drops the 2D scene's phases of every view: the screen has no sprite or
/// mesh to put in them, and a view without them gets no depth texture and no
/// 2D pass (Bevy UI has phases of its own).
fn no_2d_scene(
    mut opaque: ResMut<ViewBinnedRenderPhases<Opaque2d>>,
    mut alpha_mask: ResMut<ViewBinnedRenderPhases<AlphaMask2d>>,
    mut transparent: ResMut<ViewSortedRenderPhases<Transparent2d>>,
) {
    opaque.clear();
    alpha_mask.clear();
    transparent.clear();
}

/// Clears the view to its camera's clear colour (the layout's background): the
/// 2D pass did it before, and Bevy UI's own pass draws nothing, so clears
/// nothing, in a frame without a single node to show (while fonts load).
fn clear(view: ViewQuery<&ViewTarget>, mut ctx: RenderContext) {
    let target = view.into_inner();
    let _pass = ctx.begin_tracked_render_pass(RenderPassDescriptor {
        label: Some("screen_clear"),
        color_attachments: &[Some(target.get_color_attachment())],
        depth_stencil_attachment: None,
        timestamp_writes: None,
        occlusion_query_set: None,
        multiview_mask: None,
    });
}
