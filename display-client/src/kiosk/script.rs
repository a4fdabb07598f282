//! `--input-script FILE`: drives the kiosk without a finger, for tests and
//! for the README's pictures. The file is a RON list of steps:
//!
//! ```ron
//! [
//!     Tap("lines"),          // a control by name (`--dump-text` lists them)
//!     Tap("line#0"),         // the first control named `line:…`
//!     TapAt(540, 1700),      // whatever control is at these pixels
//!     Key("Tab"),            // Tab, Shift+Tab, Enter, Space, Escape, arrows
//!     Wait(3.5),             // seconds, the kiosk left alone
//! ]
//! ```
//!
//! Before the first step and after each one, once the view's data is in and
//! drawn, the picture and the texts are written: `--screenshot OUT.png` gives
//! `OUT-00.png`, `OUT-01.png`…, `--dump-text OUT.json` gives `OUT-00.json`…
//! (the texts, the view, the language, the focus, and every control with its
//! rectangle). The client exits after the last step's picture, or with
//! status 2 when a step names no control or a view never settles.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bevy::prelude::*;
use bevy::render::view::screenshot::{ScreenshotCaptured, save_to_disk};
use bevy::ui::{ComputedNode, UiGlobalTransform};
use serde::Deserialize;

use super::draw::Control;
use super::hit::Controls;
use super::input::Press;
use super::shown::Shown;
use super::{Act, Kiosk};
use crate::ScreenSet;
use crate::network::Live;
use crate::panel::Drawn;

/// One step of a script.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub enum Step {
    Tap(String),
    TapAt(f32, f32),
    Key(String),
    Wait(f32),
}

/// The script and where its pictures go.
#[derive(Resource, Debug, Clone)]
pub struct Script {
    pub steps: Vec<Step>,
    pub png: PathBuf,
    pub dump_text: Option<PathBuf>,
    /// How long a step may take to settle.
    pub timeout: Duration,
}

impl Script {
    /// Reads a script; the error names the line and column.
    pub fn load(path: &Path) -> Result<Vec<Step>, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let steps: Vec<Step> = ron::from_str(&text).map_err(|e| {
            format!(
                "{}:{}:{}: {}",
                path.display(),
                e.span.start.line,
                e.span.start.col,
                e.code
            )
        })?;
        for step in &steps {
            if let Step::Wait(s) = step
                && !(0.0..=3600.0).contains(s)
            {
                return Err(format!(
                    "{}: Wait({s}): seconds, from 0 to 3600",
                    path.display()
                ));
            }
            if let Step::Key(k) = step
                && key(k).is_none()
            {
                return Err(format!(
                    "{}: Key(\"{k}\"): write Tab, Shift+Tab, Enter, Space, Escape, Backspace or an arrow (ArrowUp…)",
                    path.display()
                ));
            }
        }
        Ok(steps)
    }
}

/// A key's name in a script.
fn key(name: &str) -> Option<Press> {
    let (shift, name) = match name.strip_prefix("Shift+") {
        Some(rest) => (true, rest),
        None => (false, name),
    };
    let key = match name {
        "Tab" => KeyCode::Tab,
        "Enter" => KeyCode::Enter,
        "Space" => KeyCode::Space,
        "Escape" => KeyCode::Escape,
        "Backspace" => KeyCode::Backspace,
        "ArrowUp" => KeyCode::ArrowUp,
        "ArrowDown" => KeyCode::ArrowDown,
        "ArrowLeft" => KeyCode::ArrowLeft,
        "ArrowRight" => KeyCode::ArrowRight,
        _ => return None,
    };
    Some(Press { key, shift })
}

/// `OUT.png` → `OUT-07.png`.
fn numbered(path: &Path, n: usize) -> PathBuf {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("kiosk");
    let ext = path.extension().and_then(|s| s.to_str()).unwrap_or("png");
    path.with_file_name(format!("{stem}-{n:02}.{ext}"))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// Step `n` done (0: none yet): waiting for the view to settle.
    Settling { n: usize, since: Instant },
    /// The picture of step `n` is being written.
    Shooting { n: usize },
    /// Step `n` is a wait, until then.
    Waiting { n: usize, until: Instant },
}

#[derive(Resource, Debug)]
struct Run(Phase);

/// The picture of step `n` is written.
#[derive(Resource, Debug, Default)]
struct Captured(Option<usize>);

pub fn plugin(app: &mut App) {
    app.add_message::<Press>()
        .init_resource::<Captured>()
        .insert_resource(Run(Phase::Settling {
            n: 0,
            since: Instant::now(),
        }))
        .add_systems(
            Update,
            step.run_if(resource_exists::<Script>)
                .before(super::input::window_inputs)
                .in_set(ScreenSet::Inputs),
        )
        .add_systems(Last, shoot.run_if(resource_exists::<Script>));
}

/// The control named by `Tap(name)`: exactly, or `kind#n` for the n-th
/// control named `kind:…`.
fn find<'a>(shown: &'a Shown, name: &str) -> Option<&'a super::Action> {
    if let Some((kind, n)) = name.split_once('#')
        && let Ok(n) = n.parse::<usize>()
    {
        let prefix = format!("{kind}:");
        return shown
            .controls
            .iter()
            .filter(|(c, _)| c.starts_with(&prefix))
            .nth(n)
            .map(|(_, a)| a);
    }
    shown
        .controls
        .iter()
        .find(|(c, _)| c == name)
        .map(|(_, a)| a)
}

/// Runs the next step once the last one's picture is written.
#[allow(clippy::too_many_arguments)]
fn step(
    script: Res<Script>,
    mut run: ResMut<Run>,
    mut captured: ResMut<Captured>,
    shown: Res<Shown>,
    controls: Controls,
    mut kiosk: ResMut<Kiosk>,
    mut acts: MessageWriter<Act>,
    mut presses: MessageWriter<Press>,
    mut exit: MessageWriter<AppExit>,
) {
    let n = match run.0 {
        Phase::Shooting { n } if captured.0 == Some(n) => n,
        Phase::Waiting { n, until } if Instant::now() >= until => {
            run.0 = Phase::Settling {
                n,
                since: Instant::now(),
            };
            return;
        }
        _ => return,
    };
    captured.0 = None;
    let Some(next) = script.steps.get(n) else {
        info!("input script: {n} step(s) done");
        exit.write(AppExit::Success);
        return;
    };
    info!("input script: step {}: {next:?}", n + 1);
    let settle = Phase::Settling {
        n: n + 1,
        since: Instant::now(),
    };
    match next {
        Step::Tap(name) => match find(&shown, name) {
            Some(action) => {
                acts.write(Act(action.clone()));
            }
            None => {
                let names: Vec<&str> = shown.controls.iter().map(|(c, _)| c.as_str()).collect();
                error!(
                    "input script: step {}: no control `{name}` on this view ({}); there are: {}",
                    n + 1,
                    kiosk.page.name(),
                    names.join(", ")
                );
                exit.write(AppExit::error());
                return;
            }
        },
        Step::TapAt(x, y) => {
            kiosk.last_input = Instant::now();
            let point = Vec2::new(*x, *y);
            match controls.at(point) {
                Some(control) => {
                    acts.write(Act(control.action.clone()));
                }
                None => info!("input script: nothing to tap at ({x}, {y})"),
            }
        }
        Step::Key(name) => {
            if let Some(press) = key(name) {
                presses.write(press);
            }
        }
        Step::Wait(s) => {
            run.0 = Phase::Waiting {
                n: n + 1,
                until: Instant::now() + Duration::try_from_secs_f32(*s).unwrap_or(Duration::ZERO),
            };
            return;
        }
    }
    run.0 = settle;
}

/// Once the view is settled and drawn: the texts and the picture of the step.
#[allow(clippy::too_many_arguments)]
fn shoot(
    mut commands: Commands,
    script: Res<Script>,
    mut run: ResMut<Run>,
    live: Res<Live>,
    shown: Res<Shown>,
    drawn: Res<Drawn>,
    kiosk: Res<Kiosk>,
    target: Option<Res<crate::screenshot::Target>>,
    controls: Query<(&Control, &ComputedNode, &UiGlobalTransform)>,
    mut exit: MessageWriter<AppExit>,
) {
    let Phase::Settling { n, since } = run.0 else {
        return;
    };
    let ready = live.board.is_some()
        && shown.settled
        && drawn.builds > 0
        && drawn.frames_since_build >= 6
        && since.elapsed() >= Duration::from_millis(150);
    if !ready {
        if since.elapsed() > script.timeout {
            error!(
                "input script: step {n}: the view ({}) did not settle in {:?} (board: {}, data: {})",
                kiosk.page.name(),
                script.timeout,
                live.board.is_some(),
                shown.settled
            );
            exit.write(AppExit::error());
        }
        return;
    }
    let rects: Vec<serde_json::Value> = shown
        .controls
        .iter()
        .filter_map(|(name, _)| {
            let (_, node, at) = controls.iter().find(|(c, _, _)| c.name == *name)?;
            let size = node.size();
            let centre = at.translation;
            Some(serde_json::json!({
                "name": name,
                "x": centre.x - size.x / 2.0,
                "y": centre.y - size.y / 2.0,
                "width": size.x,
                "height": size.y,
            }))
        })
        .collect();
    if let Some(path) = &script.dump_text {
        let json = serde_json::json!({
            "step": n,
            "view": kiosk.page.name(),
            "lang": kiosk.lang,
            "large": kiosk.large,
            "focus": kiosk.focus,
            "list_page": shown.page,
            "pages": shown.pages,
            "resets": kiosk.resets,
            "qr": shown.qr,
            "spoken": shown.spoken,
            "controls": rects,
            "control_names": shown.controls.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            "texts": drawn.texts(),
        });
        let path = numbered(path, n);
        if let Err(e) = crate::screenshot::write_whole(&path, &json.to_string()) {
            error!("cannot write {}: {e}", path.display());
        }
    }
    commands
        .spawn(crate::screenshot::picture(target.as_deref()))
        .observe(save_to_disk(numbered(&script.png, n)))
        .observe(
            move |_: On<ScreenshotCaptured>, mut captured: ResMut<Captured>| {
                captured.0 = Some(n);
            },
        );
    run.0 = Phase::Shooting { n };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_name_their_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("walk.ron");
        std::fs::write(
            &path,
            "[Tap(\"lines\"), TapAt(540, 1700), Key(\"Shift+Tab\"), Wait(0.5)]",
        )
        .unwrap();
        let steps = Script::load(&path).expect("valid");
        assert_eq!(steps.len(), 4);
        assert_eq!(steps[1], Step::TapAt(540.0, 1700.0));
        std::fs::write(&path, "[Wait(1e30)]").unwrap();
        assert!(Script::load(&path).unwrap_err().contains("0 to 3600"));
        std::fs::write(&path, "[Key(\"F13\")]").unwrap();
        assert!(Script::load(&path).unwrap_err().contains("Shift+Tab"));
        std::fs::write(&path, "[\n  Tap(lines)]").unwrap();
        let e = Script::load(&path).unwrap_err();
        assert!(e.contains("walk.ron:2:"), "{e}");
        assert_eq!(
            numbered(Path::new("/tmp/k/kiosk.png"), 7),
            PathBuf::from("/tmp/k/kiosk-07.png")
        );
    }
}
