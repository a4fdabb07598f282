//! The station screen as one Bevy plugin, [`ScreenPlugin`], built from the
//! settings that `main.rs` parses from the command line. `main.rs` only adds
//! Bevy's own plugins (a window, or offscreen) before it, so tests can build the
//! same [`App`] without a window.
//!
//! One plugin per concern, one per file, as in `bevy_new_2d`:
//! - the inputs: [`network`] (the live stream; [`arrivals`] turns its rows
//!   into arrivals for an arrivals board), [`states`] (starting, live, not
//!   live, no service), [`layout_watch`] (the layout file re-applied when edited);
//! - the frame: [`fonts`] (loaded before anything is drawn), [`canvas`] (the
//!   layout in force and its background), [`view`] (what every panel draws from
//!   this frame) and [`panel`] (the redraw-when-changed rule every panel follows),
//!   with [`widgets`] (the pieces panels are made of);
//! - the panels: [`clock`] (the header), [`departures`], [`ticker`],
//!   [`advisory`], [`facilities`] and [`wifi`], and [`takeover`] (an emergency, alone on screen);
//! - the voice: [`speech`] (what is shown, read aloud);
//! - around them: [`instrumentation`] (latency in the log), [`screenshot`]
//!   and [`report`] (what the screen shows, told to the fleet), and
//!   [`renderer`] (Bevy's renderer kept to what Bevy UI needs).
//!
//! The order of a frame is the order of [`ScreenSet`], defined and configured
//! here, so that no module has to reach into another for it.

mod advisory;
mod arrivals;
mod canvas;
mod clock;
mod contrast;
mod departures;
mod facilities;
mod fonts;
mod instrumentation;
mod kept;
pub mod kiosk;
mod layout;
mod layout_watch;
pub mod names;
mod network;
mod panel;
mod qr;
pub mod renderer;
pub mod report;
mod screenshot;
pub mod speech;
mod states;
mod takeover;
mod ticker;
mod view;
mod wake;
mod widgets;
mod wifi;
mod wording;

use std::path::PathBuf;

use bevy::prelude::*;

pub use kept::default_dir as default_state_dir;
pub use layout::Layout;
pub use network::Endpoint;
pub use screenshot::{Shot, WaitFor};

/// The order of the screen's work in [`Update`]: each set runs after the one
/// before it. (Receiving the stream is earlier, in `PreUpdate`; the picture is
/// taken later, in `Last`.)
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScreenSet {
    /// What the frame is made from: the screen's state followed, the layout
    /// file looked at (a new layout and its fonts are then in place for the
    /// frame that draws them).
    Inputs,
    /// The canvas, and the [`view::View`] every panel draws from.
    Compose,
    /// The panels, each redrawn only when what it shows changed; not before the
    /// fonts are loaded, or a panel would count as drawn (for `--screenshot`,
    /// which waits a few frames after the last change) without its text.
    Draw,
    /// After the panels: the change noted for the latency log.
    Finish,
}

/// The cameras' multisampling: none. A screen is boxes and text whose glyphs
/// are smoothed already, so Bevy's default of 4 samples a pixel changes no
/// pixel worth seeing, yet on software rendering (lavapipe) it multiplies the
/// cost of every frame and adds two full-size multisampled textures.
pub const CAMERA_MSAA: Msaa = Msaa::Off;

/// What the client is: a screen one looks at, or a kiosk one touches.
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Screen,
    /// `--mode kiosk`: the views of [`kiosk`], driven by touch, keys or
    /// `--input-script`; the layout must have a `kiosk` section.
    Kiosk,
}

/// Whether the client runs as a kiosk (the board's own panels then give way
/// to the kiosk's views).
pub fn is_kiosk(mode: Res<Mode>) -> bool {
    *mode == Mode::Kiosk
}

/// The screen: everything but Bevy's own plugins (window or offscreen
/// rendering, assets), which the caller adds first.
#[derive(Debug, Clone)]
pub struct ScreenPlugin {
    /// The layout in force at start (its languages already overridden by
    /// `languages`, if given).
    pub layout: Layout,
    /// The file `layout` came from, watched for edits.
    pub layout_file: PathBuf,
    /// Languages given on the command line: they win over the layout's, also
    /// after the file is edited.
    pub languages: Option<Vec<String>>,
    /// The live stream, the station, and where its last board is kept.
    pub endpoint: Endpoint,
    /// `--screenshot`: what to capture, when, and whether to exit after it.
    pub shot: Option<Shot>,
    /// `--speak-to`, `--dump-speech`, `--speech-input`, `--mute`.
    pub speech: speech::SpeechOptions,
    /// `--mode`.
    pub mode: Mode,
    /// `--input-script` (kiosk mode).
    pub script: Option<kiosk::Script>,
    /// `--screen-id` and its token: the screen reports to the fleet.
    pub identity: Option<report::Identity>,
}

impl Plugin for ScreenPlugin {
    fn build(&self, app: &mut App) {
        if let Some(shot) = &self.shot {
            app.insert_resource(shot.clone())
                .add_plugins(screenshot::plugin);
        }
        app.insert_resource(canvas::CurrentLayout::new(self.layout.clone()))
            .insert_resource(layout_watch::LayoutFile::new(
                self.layout_file.clone(),
                self.languages.clone(),
            ))
            .insert_resource(self.endpoint.clone())
            .insert_resource(self.speech.clone())
            .insert_resource(self.mode)
            .configure_sets(
                Update,
                (
                    ScreenSet::Inputs,
                    ScreenSet::Compose,
                    ScreenSet::Draw.run_if(fonts::fonts_ready),
                    ScreenSet::Finish,
                )
                    .chain(),
            )
            .add_plugins((
                network::plugin,
                states::plugin,
                layout_watch::plugin,
                fonts::plugin,
                canvas::plugin,
                view::plugin,
                panel::plugin,
                clock::plugin,
                departures::plugin,
                ticker::plugin,
                advisory::plugin,
                wifi::plugin,
                takeover::plugin,
                instrumentation::plugin,
                wake::plugin,
            ))
            .add_plugins((
                renderer::plugin,
                facilities::plugin,
                speech::plugin,
                names::plugin,
                arrivals::plugin,
            ));
        if let Some(identity) = &self.identity {
            app.insert_resource(identity.clone())
                .add_plugins(report::plugin);
        }
        if self.mode == Mode::Kiosk {
            app.add_plugins(kiosk::plugin);
            if let Some(script) = &self.script {
                app.insert_resource(script.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::{Duration, Instant, SystemTime};

    use bevy::text::FontLoader;
    use bevy::window::RequestRedraw;

    use super::*;

    /// The screen's App as `main.rs` builds it, without a window or a renderer.
    /// With a font that does not load, nothing is drawn; once the layout file is
    /// edited to name one that does, every panel is (in the starting state: no
    /// server answers).
    #[test]
    fn nothing_is_drawn_before_the_fonts_are_loaded() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let good = std::fs::read_to_string(root.join("layouts/platform-sign.ron")).expect("layout");
        let missing = good.replacen("fonts/DejaVuSans.ttf", "fonts/missing.ttf", 1);
        assert_ne!(missing, good, "the sign's regular font");
        let dir = tempfile::tempdir().expect("tempdir");
        let layout_file = dir.path().join("sign.ron");
        std::fs::write(&layout_file, &missing).expect("write");
        let mut app = App::new();
        app.add_plugins((
            MinimalPlugins,
            AssetPlugin {
                file_path: root.join("assets").to_string_lossy().into_owned(),
                ..default()
            },
        ))
        // What the screen takes from Bevy's text, image and window plugins.
        .init_asset::<Font>()
        .init_asset_loader::<FontLoader>()
        .init_asset::<Image>()
        .add_message::<RequestRedraw>()
        .add_plugins(ScreenPlugin {
            layout: Layout::load(&layout_file).expect("valid layout"),
            layout_file: layout_file.clone(),
            languages: Some(vec!["fr".into()]),
            endpoint: Endpoint {
                url: "ws://127.0.0.1:9/v1/stream".into(),
                station: "caudry".into(),
                kept_dir: dir.path().join("state"),
            },
            shot: None,
            speech: speech::SpeechOptions {
                mute: true,
                ..Default::default()
            },
            mode: Mode::Screen,
            script: None,
            identity: None,
        });
        let frame = |app: &mut App| {
            app.update();
            std::thread::sleep(Duration::from_millis(10));
            app.world().resource::<panel::Drawn>().builds
        };
        for _ in 0..30 {
            assert_eq!(frame(&mut app), 0, "drawn without its font");
        }

        // The layout edited on disk (modification times can be coarse: moved on
        // by hand), applied within a second.
        std::fs::write(&layout_file, &good).expect("write");
        std::fs::File::options()
            .write(true)
            .open(&layout_file)
            .and_then(|f| f.set_modified(SystemTime::now() + Duration::from_secs(10)))
            .expect("set mtime");
        let deadline = Instant::now() + Duration::from_secs(30);
        while frame(&mut app) == 0 {
            assert!(Instant::now() < deadline, "never drawn");
        }
        let status: Vec<String> = app
            .world()
            .resource::<panel::Drawn>()
            .texts()
            .into_iter()
            .filter(|t| t.region == "status")
            .map(|t| t.text)
            .collect();
        assert_eq!(status, vec!["Démarrage…".to_string()]);
    }
}
