//! `--screenshot OUT.png`: wait for the asked condition, write the PNG (and
//! `--dump-text`), exit.
//!
//! With `--headless` the screen is rendered offscreen into an image (no window, no
//! display server); without it the window itself is captured, which is how the
//! window mode is tested under Xvfb. A timeout exits non-zero with the reason.
//! With `--keep-running` the client does not exit after the first picture: it
//! writes the picture and the texts again each time the screen changes, so a
//! test can watch it go from live to not live and back.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bevy::camera::RenderTarget;
use bevy::prelude::*;
use bevy::render::render_resource::TextureFormat;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured, save_to_disk};

use crate::network::Live;
use crate::panel::Drawn;

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
    /// Offscreen, at this size; `None`: the window.
    pub offscreen: Option<(u32, u32)>,
    pub keep_running: bool,
    /// An `--input-script` takes the pictures (one per step), not this module.
    pub scripted: bool,
}

#[derive(Resource, Default)]
struct Progress {
    started: Option<Instant>,
    /// The build count of the last picture taken.
    taken: Option<usize>,
    /// A picture was asked for and has not been written yet.
    in_flight: bool,
}

/// The offscreen image the camera renders into (`--headless`).
#[derive(Resource)]
pub(crate) struct Target(pub(crate) Handle<Image>);

pub fn plugin(app: &mut App) {
    app.init_resource::<Progress>()
        .add_systems(Startup, camera)
        .add_systems(Last, (take, idle).chain())
        .add_observer(done);
}

/// Offscreen and left running, with no picture pending: rest 200 ms before the
/// next frame. Offscreen frames come from a fixed 16 ms loop, and 60 software-
/// rendered frames a second for nobody took more than a core (seen in the soak's
/// screen, `quai-load --screen`). A new board is picked up within 200 ms, then
/// drawn and written at the full rate, since a picture is pending until then.
fn idle(shot: Res<Shot>, progress: Res<Progress>, drawn: Res<Drawn>) {
    let settled = !progress.in_flight && progress.taken == Some(drawn.builds);
    if shot.keep_running && shot.offscreen.is_some() && settled {
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn camera(mut commands: Commands, mut images: ResMut<Assets<Image>>, shot: Res<Shot>) {
    let Some((width, height)) = shot.offscreen else {
        return;
    };
    let image = Image::new_target_texture(width, height, TextureFormat::Rgba8UnormSrgb, None);
    let handle = images.add(image);
    // Without IsDefaultUiCamera the UI would not render into the image.
    commands.spawn((
        Camera2d,
        crate::CAMERA_MSAA,
        RenderTarget::Image(handle.clone().into()),
        IsDefaultUiCamera,
    ));
    commands.insert_resource(Target(handle));
}

/// A picture of the offscreen image (`--headless`), else of the window.
pub(crate) fn picture(target: Option<&Target>) -> Screenshot {
    match target {
        Some(target) => Screenshot::image(target.0.clone()),
        None => Screenshot::primary_window(),
    }
}

/// Writes `contents` to `path` through a temporary file and a rename, so a reader
/// never sees half of it.
pub(crate) fn write_whole(path: &Path, contents: &str) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, contents)?;
    std::fs::rename(&tmp, path)
}

#[allow(clippy::too_many_arguments)]
fn take(
    mut commands: Commands,
    shot: Res<Shot>,
    target: Option<Res<Target>>,
    live: Res<Live>,
    drawn: Res<Drawn>,
    mut progress: ResMut<Progress>,
    mut exit: MessageWriter<AppExit>,
    mut redraw: MessageWriter<bevy::window::RequestRedraw>,
) {
    if shot.scripted {
        return;
    }
    let started = *progress.started.get_or_insert_with(Instant::now);
    if progress.in_flight || progress.taken == Some(drawn.builds) {
        return;
    }
    // A window sleeps between changes (reactive): keep it awake while waiting.
    redraw.write(bevy::window::RequestRedraw);
    let ready = match shot.wait_for {
        WaitFor::Snapshot => live.updates >= 1,
        WaitFor::Deltas(n) => live.updates > n,
        WaitFor::Nothing => true,
    };
    if !ready && progress.taken.is_none() && started.elapsed() > shot.timeout {
        error!(
            "timed out after {:?} waiting for {:?} (boards received: {})",
            shot.timeout, shot.wait_for, live.updates
        );
        exit.write(AppExit::error());
        return;
    }
    // A frame needs a few more frames after it is built to reach the picture.
    if !ready || drawn.builds == 0 || drawn.frames_since_build < 6 {
        return;
    }
    if let Some(path) = &shot.dump_text {
        let json = serde_json::json!({
            "connected": live.connected,
            "seq": live.board.as_ref().map(|b| b.seq),
            "builds": drawn.builds,
            "texts": drawn.texts(),
        });
        if let Err(e) = write_whole(path, &json.to_string()) {
            error!("cannot write {}: {e}", path.display());
        }
    }
    commands
        .spawn(picture(target.as_deref()))
        .observe(save_to_disk(shot.png.clone()));
    progress.taken = Some(drawn.builds);
    progress.in_flight = true;
}

fn done(
    _: On<ScreenshotCaptured>,
    shot: Res<Shot>,
    mut progress: ResMut<Progress>,
    mut exit: MessageWriter<AppExit>,
) {
    progress.in_flight = false;
    if !shot.keep_running && !shot.scripted {
        exit.write(AppExit::Success);
    }
}
