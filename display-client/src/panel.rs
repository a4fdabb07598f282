//! The rule every panel follows: it draws its part of the screen again only
//! when what it shows changes (a hash of its inputs), so a board that moves one
//! departure leaves the Wi-Fi QR code and the advisory alone, and between boards
//! nothing is touched but the clock's minute. Every text drawn is recorded with
//! its region, for `--dump-text`.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use serde::Serialize;

use crate::ScreenSet;
use crate::canvas::CurrentLayout;
use crate::fonts::Fonts;
use crate::network::Live;
use crate::view::View;

pub fn plugin(app: &mut App) {
    app.init_resource::<Drawn>()
        .add_systems(Update, count_frame.in_set(ScreenSet::Compose));
}

/// The parts of the screen, each drawn by its own plugin, in the order their
/// texts are listed by `--dump-text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Panel {
    Header,
    Departures,
    Ticker,
    Advisory,
    Facilities,
    Wifi,
    /// The kiosk's view: its title and summary, the QR code to the same view
    /// on a phone, its rows, its buttons.
    KioskTitle,
    KioskQr,
    KioskContent,
    KioskNav,
    /// An emergency takeover: while it runs, it is the only panel on screen.
    Takeover,
}

/// The root node of one panel.
#[derive(Component, Debug)]
struct PanelRoot(Panel);

/// One text on screen.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DrawnText {
    pub region: &'static str,
    pub text: String,
}

/// Collects the texts of a panel while it is built.
#[derive(Debug, Default)]
pub struct Texts(Vec<DrawnText>);

impl Texts {
    /// Records `text` in `region` and hands it back, to be put in a `Text`.
    pub fn note(&mut self, region: &'static str, text: impl Into<String>) -> String {
        let text = text.into();
        self.0.push(DrawnText {
            region,
            text: text.clone(),
        });
        text
    }
}

/// What the screen shows now: each panel's texts and the state it was drawn for.
#[derive(Resource, Debug, Default)]
pub struct Drawn {
    texts: BTreeMap<Panel, Vec<DrawnText>>,
    keys: BTreeMap<Panel, u64>,
    /// Frames rendered since the last change.
    pub frames_since_build: u32,
    /// How many times a panel was drawn.
    pub builds: usize,
}

impl Drawn {
    /// Every text on screen, panel by panel.
    pub fn texts(&self) -> Vec<DrawnText> {
        self.texts.values().flatten().cloned().collect()
    }
}

fn digest(key: &impl Hash) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

/// One more frame since the last change (a picture waits for a few).
fn count_frame(mut drawn: ResMut<Drawn>) {
    drawn.frames_since_build = drawn.frames_since_build.saturating_add(1);
}

/// What the panels draw from. Their systems run only once the fonts are loaded
/// (`ScreenSet::Draw` has the `fonts_ready` condition), so the fonts are there.
#[derive(SystemParam)]
pub struct PanelInputs<'w> {
    pub layout: Res<'w, CurrentLayout>,
    pub fonts: Res<'w, Fonts>,
    pub view: Res<'w, View>,
    pub live: Res<'w, Live>,
}

/// Puts panels on the canvas, through [`Redraw::panel`].
#[derive(SystemParam)]
pub struct Redraw<'w, 's> {
    commands: Commands<'w, 's>,
    drawn: ResMut<'w, Drawn>,
    roots: Query<'w, 's, (Entity, &'static PanelRoot)>,
    view: Res<'w, View>,
    live: Res<'w, Live>,
}

impl Redraw<'_, '_> {
    /// Draws `panel` again if `key` (everything it shows, hashed) changed since
    /// it was last drawn, or the canvas was built again. `build` gives the
    /// panel's root node with its children, noting its texts in `Texts`; `None`
    /// takes the panel off the screen. The one place where a panel is replaced,
    /// so every panel follows the same rule. While an emergency takeover runs,
    /// every other panel is off the screen.
    pub fn panel<B: Bundle>(
        &mut self,
        panel: Panel,
        key: impl Hash,
        build: impl FnOnce(&mut Texts) -> Option<B>,
    ) {
        let taken_over = panel != Panel::Takeover
            && crate::takeover::active(self.live.board.as_ref(), self.view.now).is_some();
        let key = if taken_over {
            digest(&(self.view.generation, "taken over"))
        } else {
            digest(&(self.view.generation, key))
        };
        if self.drawn.keys.get(&panel) == Some(&key) {
            return;
        }
        for (entity, root) in &self.roots {
            if root.0 == panel {
                self.commands.entity(entity).despawn();
            }
        }
        let mut texts = Texts::default();
        if let Some(node) = (!taken_over).then(|| build(&mut texts)).flatten() {
            let mut root = self.commands.spawn((node, PanelRoot(panel)));
            if let Some(canvas) = self.view.canvas {
                root.insert(ChildOf(canvas));
            }
        }
        let drawn = &mut *self.drawn;
        drawn.keys.insert(panel, key);
        drawn.texts.insert(panel, texts.0);
        drawn.frames_since_build = 0;
        drawn.builds += 1;
    }
}
