//! The station screen as one Bevy plugin, [`ScreenPlugin`], built from the
//! settings that `main.rs` parses from the command line. `main.rs` only adds
//! Bevy's own plugins (a window, or offscreen) before it, so tests can build the
//! same [`App`] without a window.
//!
//! One plugin per concern, one per file, as in `bevy_new_2d`:
//! - the inputs: [`network`] (the live stream), [`states`] (starting, live, not
//!   live, no service), [`layout_watch`] (the layout file re-applied when edited);
//! - the frame: [`fonts`] (loaded before anything is drawn), [`canvas`] (the
//!   layout in force and its background), [`view`] (what every panel draws from
//!   this frame) and [`panel`] (the redraw-when-changed rule every panel follows),
//!   with [`widgets`] (the pieces panels are made of);
//! - the panels: [`clock`] (the header), [`departures`], [`ticker`],
//!   [`advisory`] and [`wifi`];
//! - around them: [`instrumentation`] (latency in the log) and [`screenshot`].
//!
//! The order of a frame is the order of [`ScreenSet`], defined and configured
//! here, so that no module has to reach into another for it.

mod advisory;
mod canvas;
mod clock;
mod contrast;
mod departures;
mod fonts;
mod instrumentation;
mod kept;
mod layout;
mod layout_watch;
mod network;
mod panel;
mod qr;
mod screenshot;
mod states;
mod ticker;
mod view;
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
    /// fonts are loaded (a text drawn with a missing font would stay blank).
    Draw,
    /// After the panels: the change noted for the latency log.
    Finish,
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
    pub endpoint: Endpoint,
    /// `--screenshot`: what to capture, when, and whether to exit after it.
    pub shot: Option<Shot>,
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
                instrumentation::plugin,
            ));
    }
}
