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
    Wifi,
}

/// The root node of one panel.
#[derive(Component, Debug)]
pub struct PanelRoot(pub Panel);

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
    /// Whether `panel` must be drawn again to show `key` (what it depends on).
    pub fn needs(&self, panel: Panel, key: &impl Hash) -> bool {
        self.keys.get(&panel) != Some(&digest(key))
    }

    /// `panel` was drawn for `key` with these texts.
    pub fn drew(&mut self, panel: Panel, key: &impl Hash, texts: Texts) {
        self.keys.insert(panel, digest(key));
        self.texts.insert(panel, texts.0);
        self.frames_since_build = 0;
        self.builds += 1;
    }

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

/// What every panel's system reads and writes, in one parameter.
#[derive(SystemParam)]
pub struct PanelContext<'w, 's> {
    pub commands: Commands<'w, 's>,
    pub layout: Res<'w, CurrentLayout>,
    pub fonts: Res<'w, Fonts>,
    pub view: Res<'w, View>,
    pub live: Res<'w, Live>,
    pub drawn: ResMut<'w, Drawn>,
    pub old: Query<'w, 's, (Entity, &'static PanelRoot)>,
}

/// Replaces `panel`'s node by `node` (spawned by the caller) under the canvas.
pub fn mount(
    commands: &mut Commands,
    view: &View,
    old: &Query<(Entity, &PanelRoot)>,
    panel: Panel,
    node: Entity,
) {
    unmount(commands, old, panel);
    commands.entity(node).insert(PanelRoot(panel));
    if let Some(canvas) = view.canvas {
        commands.entity(canvas).add_child(node);
    }
}

/// Takes `panel` off the screen.
pub fn unmount(commands: &mut Commands, old: &Query<(Entity, &PanelRoot)>, panel: Panel) {
    for (entity, root) in old {
        if root.0 == panel {
            commands.entity(entity).despawn();
        }
    }
}
