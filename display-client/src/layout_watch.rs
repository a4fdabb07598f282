//! A layout edited on disk is applied without a restart: the file's modification
//! time is looked at once a second, by a thread of its own that wakes the window
//! when it changed (the window sleeps until something on screen changes, see
//! `wake`; a frame only to look at a file would cost ~90 ms of CPU on software
//! rendering). A layout with an error is refused with its file, line and column
//! in the log, and the screen keeps the last good one.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use bevy::prelude::*;

use crate::ScreenSet;
use crate::canvas::CurrentLayout;
use crate::fonts::Fonts;
use crate::layout::{Layout, LayoutError};

/// How often the file is looked at.
const EVERY: Duration = Duration::from_secs(1);

/// The layout file being watched.
#[derive(Resource, Debug)]
pub struct LayoutFile {
    pub path: PathBuf,
    /// Languages given on the command line win over the file's.
    pub languages: Option<Vec<String>>,
    modified: Option<SystemTime>,
    checked: Option<Instant>,
}

impl LayoutFile {
    pub fn new(path: PathBuf, languages: Option<Vec<String>>) -> Self {
        let modified = modified(&path);
        Self {
            path,
            languages,
            modified,
            checked: None,
        }
    }
}

/// What a look at the file found.
#[derive(Debug)]
pub enum Reload {
    Unchanged,
    Applied(Box<Layout>),
    Refused(LayoutError),
}

fn modified(path: &std::path::Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Reads the layout again if the file changed since the last look.
pub fn look(file: &mut LayoutFile) -> Reload {
    let now = modified(&file.path);
    if now == file.modified {
        return Reload::Unchanged;
    }
    file.modified = now;
    match Layout::load(&file.path) {
        Ok(mut layout) => {
            if let Some(langs) = &file.languages {
                layout.languages = langs.clone();
            }
            Reload::Applied(Box::new(layout))
        }
        Err(e) => Reload::Refused(e),
    }
}

pub fn plugin(app: &mut App) {
    // Before the screen is composed, so that a new layout and its fonts are in
    // place for the frame that draws them.
    app.add_systems(Startup, start_watcher)
        .add_systems(Update, watch.in_set(ScreenSet::Inputs));
}

/// Raised by the watcher thread when the file's modification time moved.
#[derive(Resource, Debug)]
struct Nudge(Arc<AtomicBool>);

/// With a window: a thread looks at the file once a second and wakes the
/// window when it changed. Headless, frames come anyway.
fn start_watcher(
    mut commands: Commands,
    file: Option<Res<LayoutFile>>,
    event_loop: Option<Res<bevy::winit::EventLoopProxyWrapper>>,
) {
    let (Some(file), Some(proxy)) = (file, event_loop) else {
        return;
    };
    let proxy = (**proxy).clone();
    let path = file.path.clone();
    let nudge = Arc::new(AtomicBool::new(false));
    let raised = nudge.clone();
    let mut last = modified(&path);
    std::thread::Builder::new()
        .name("quai-layout-watch".into())
        .spawn(move || {
            loop {
                std::thread::sleep(EVERY);
                let now = modified(&path);
                if now != last {
                    last = now;
                    raised.store(true, Ordering::Relaxed);
                    let _ = proxy.send_event(bevy::winit::WinitUserEvent::WakeUp);
                }
            }
        })
        .map_err(|e| error!("cannot watch the layout file: {e}"))
        .ok();
    commands.insert_resource(Nudge(nudge));
}

fn watch(
    file: Option<ResMut<LayoutFile>>,
    mut current: ResMut<CurrentLayout>,
    mut commands: Commands,
    assets: Res<AssetServer>,
    nudge: Option<Res<Nudge>>,
) {
    let Some(mut file) = file else { return };
    // With a window, the watcher thread has looked already: only its nudge
    // sends us to the file. Headless, look at most once a second.
    let due = match nudge {
        Some(n) => n.0.swap(false, Ordering::Relaxed),
        None => file.checked.is_none_or(|t| t.elapsed() >= EVERY),
    };
    if !due {
        return;
    }
    file.checked = Some(Instant::now());
    match look(&mut file) {
        Reload::Unchanged => {}
        Reload::Applied(layout) => {
            info!("layout {} changed on disk: applied", file.path.display());
            let fonts_changed = layout.theme.font != current.layout.theme.font
                || layout.theme.font_bold != current.layout.theme.font_bold;
            if fonts_changed {
                commands.insert_resource(Fonts::load(&assets, &layout));
            }
            current.replace(*layout);
        }
        Reload::Refused(e) => {
            error!("layout changed on disk but refused, keeping the last good one: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edited_layout_is_applied_and_a_broken_one_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sign.ron");
        let good = include_str!("../../layouts/platform-sign.ron");
        std::fs::write(&path, good).expect("write");
        let mut file = LayoutFile::new(path.clone(), None);
        assert!(matches!(look(&mut file), Reload::Unchanged));

        // Modification times can be coarse: move them on by hand.
        let later = |s: u64| SystemTime::now() + Duration::from_secs(s);
        let touch = |t: SystemTime| {
            std::fs::File::options()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_modified(t))
                .expect("set mtime")
        };
        std::fs::write(&path, good.replace("rows_per_page: 3", "rows_per_page: 2")).expect("w");
        touch(later(10));
        match look(&mut file) {
            Reload::Applied(l) => assert_eq!(l.departures.rows_per_page, 2),
            other => panic!("{other:?}"),
        }
        assert!(matches!(look(&mut file), Reload::Unchanged));

        std::fs::write(
            &path,
            good.replace("rows_per_page: 3", "rows_per_page: two"),
        )
        .expect("w");
        touch(later(20));
        match look(&mut file) {
            Reload::Refused(e) => assert!(e.to_string().contains("sign.ron:19:"), "{e}"),
            other => panic!("{other:?}"),
        }

        // Languages from the command line survive a reload.
        let mut file = LayoutFile::new(path.clone(), Some(vec!["en".into()]));
        std::fs::write(&path, good).expect("w");
        touch(later(30));
        match look(&mut file) {
            Reload::Applied(l) => assert_eq!(l.languages, vec!["en".to_string()]),
            other => panic!("{other:?}"),
        }
    }
}
