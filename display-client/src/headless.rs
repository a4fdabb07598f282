//! `--headless --screenshot OUT.png`: render offscreen (no window, no display
//! server), wait for the asked condition, write the PNG (and `--dump-text`), exit.
//! A timeout exits non-zero with the reason.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bevy::camera::RenderTarget;
use bevy::prelude::*;
use bevy::render::render_resource::TextureFormat;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured, save_to_disk};

use crate::network::Live;
use crate::screen::Drawn;

/// When to take the picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitFor {
    /// The first board.
    Snapshot,
    /// This many boards after the first one.
    Deltas(usize),
    /// Right away (whatever the screen shows: starting, or the board kept on disk).
    Nothing,
}

#[derive(Resource, Debug, Clone)]
pub struct Shot {
    pub png: PathBuf,
    pub dump_text: Option<PathBuf>,
    pub wait_for: WaitFor,
    pub timeout: Duration,
    pub width: u32,
    pub height: u32,
}

#[derive(Resource, Default)]
struct Progress {
    started: Option<Instant>,
    requested: bool,
}

#[derive(Resource)]
struct Target(Handle<Image>);

pub fn plugin(app: &mut App) {
    app.init_resource::<Progress>()
        .add_systems(Startup, camera)
        .add_systems(Last, take)
        .add_observer(done);
}

fn camera(mut commands: Commands, mut images: ResMut<Assets<Image>>, shot: Res<Shot>) {
    let image =
        Image::new_target_texture(shot.width, shot.height, TextureFormat::Rgba8UnormSrgb, None);
    let handle = images.add(image);
    // Without IsDefaultUiCamera the UI would not render into the image.
    commands.spawn((
        Camera2d,
        RenderTarget::Image(handle.clone().into()),
        IsDefaultUiCamera,
    ));
    commands.insert_resource(Target(handle));
}

fn take(
    mut commands: Commands,
    shot: Res<Shot>,
    target: Res<Target>,
    live: Res<Live>,
    drawn: Res<Drawn>,
    mut progress: ResMut<Progress>,
    mut exit: MessageWriter<AppExit>,
) {
    let started = *progress.started.get_or_insert_with(Instant::now);
    if progress.requested {
        return;
    }
    if started.elapsed() > shot.timeout {
        error!(
            "timed out after {:?} waiting for {:?} (boards received: {})",
            shot.timeout, shot.wait_for, live.updates
        );
        exit.write(AppExit::error());
        return;
    }
    let ready = match shot.wait_for {
        WaitFor::Snapshot => live.updates >= 1,
        WaitFor::Deltas(n) => live.updates > n,
        WaitFor::Nothing => true,
    };
    // A frame needs a few more frames after it is built to reach the image.
    if !ready || drawn.builds == 0 || drawn.frames_since_build < 6 {
        return;
    }
    if let Some(path) = &shot.dump_text {
        let json = serde_json::json!({
            "connected": live.connected,
            "seq": live.board.as_ref().map(|b| b.seq),
            "texts": drawn.texts,
        });
        if let Err(e) = std::fs::write(path, json.to_string()) {
            error!("cannot write {}: {e}", path.display());
        }
    }
    commands
        .spawn(Screenshot::image(target.0.clone()))
        .observe(save_to_disk(shot.png.clone()));
    progress.requested = true;
}

fn done(_: On<ScreenshotCaptured>, mut exit: MessageWriter<AppExit>) {
    exit.write(AppExit::Success);
}
