//! The screen as a whole: the layout in force, its fonts (loaded before anything is
//! drawn), the canvas with its background, and the [`View`] every panel draws from
//! (language, page, the station's clock, the departures still worth showing).
//!
//! Each panel (header and clock, departures, ticker, advisory, Wi-Fi) is its own
//! plugin and rebuilds its part of the tree only when what it shows changes: a
//! new board that changes nothing on the advisory panel leaves it alone, and
//! between boards the screen is not touched at all except by the clock's minute.
//! Every text drawn is recorded with its region, for `--dump-text`.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::time::Instant;

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use quai_protocol::{Board, Departure};
use serde::Serialize;

use crate::ScreenSet;
use crate::contrast::parse_hex;
use crate::layout::{Layout, Region};
use crate::network::Live;
use crate::states::ScreenState;
use crate::wording::page;

/// The layout in force, and how many times it was replaced (panels redraw when
/// it changes).
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

/// The fonts, loaded at start-up; nothing is drawn before they are.
#[derive(Resource, Debug, Clone)]
pub struct Fonts {
    pub regular: Handle<Font>,
    pub bold: Handle<Font>,
}

impl Fonts {
    pub fn load(assets: &AssetServer, layout: &Layout) -> Self {
        Fonts {
            regular: assets.load(layout.theme.font.clone()),
            bold: assets.load(layout.theme.font_bold.clone()),
        }
    }

    pub fn style(&self, bold: bool, size: f32) -> TextFont {
        TextFont {
            font: if bold { &self.bold } else { &self.regular }.clone().into(),
            font_size: bevy::text::FontSize::Px(size),
            ..default()
        }
    }
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

/// The canvas: background colour, parent of every panel.
#[derive(Component, Debug)]
struct Canvas;

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
    /// When the message behind the last change arrived: reported once the frame
    /// showing it has been rendered.
    pending_arrival: Option<Instant>,
    builds_seen: usize,
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

/// The origin of paging, language rotation and the ticker: start-up, then again
/// when the first board is there (kept on disk or received), so that passengers
/// (and a screenshot) see page 1 of it in the first language for a full period,
/// however long the screen took to start and connect. It moves only once: a
/// reconnection does not send the screen back to page 1.
#[derive(Resource, Debug)]
pub struct Started {
    at: Instant,
    first_board: bool,
}

impl Started {
    pub fn new(now: Instant) -> Started {
        Started {
            at: now,
            first_board: false,
        }
    }

    /// Seconds since the origin at `now`; the origin moves to `now` the first time
    /// there is a board.
    pub fn elapsed_s(&mut self, has_board: bool, now: Instant) -> f64 {
        if has_board && !self.first_board {
            *self = Started {
                at: now,
                first_board: true,
            };
        }
        now.saturating_duration_since(self.at).as_secs_f64()
    }
}

/// What every panel draws from, worked out once per frame.
#[derive(Resource, Debug, Default)]
pub struct View {
    /// Fonts loaded and canvas up: panels may draw.
    pub ready: bool,
    pub canvas: Option<Entity>,
    /// How many times the canvas was built (a new layout, new fonts): every panel
    /// draws again when it changes.
    pub generation: u64,
    layout_generation: u64,
    fonts_changed: bool,
    /// Seconds since [`Started`] (the first board), in f64: a screen runs for
    /// years, and an f32 loses the second after a few months (paging and scrolling
    /// would stutter).
    pub elapsed_s: f64,
    pub lang: String,
    pub lang_index: usize,
    pub live: bool,
    /// The station's time now (see [`station_now`]).
    pub now: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Indexes in the board's departures of those shown (all of them when live;
    /// those not yet gone by the screen's clock when not).
    pub shown: Vec<usize>,
    pub page: usize,
    pub pages: usize,
}

impl View {
    pub fn departures<'a>(&'a self, board: &'a Board) -> impl Iterator<Item = &'a Departure> {
        self.shown.iter().filter_map(|&i| board.departures.get(i))
    }
}

pub fn plugin(app: &mut App) {
    app.init_resource::<Drawn>()
        .init_resource::<View>()
        .insert_resource(Started::new(Instant::now()))
        .add_systems(Startup, load_fonts)
        .add_systems(Update, (canvas, compose).chain().in_set(ScreenSet::Compose))
        .add_systems(Update, note_arrival.in_set(ScreenSet::Finish))
        .add_systems(First, report_latency);
}

fn load_fonts(mut commands: Commands, assets: Res<AssetServer>, layout: Res<CurrentLayout>) {
    commands.insert_resource(Fonts::load(&assets, &layout.layout));
}

pub fn colour(hex: &str) -> Color {
    let [r, g, b] = parse_hex(hex).unwrap_or([255, 255, 255]);
    Color::srgb_u8(r, g, b)
}

/// A node placed at a layout region.
pub fn place(r: Region) -> Node {
    Node {
        position_type: PositionType::Absolute,
        left: Val::Px(r.x),
        top: Val::Px(r.y),
        width: Val::Px(r.width),
        height: Val::Px(r.height),
        flex_direction: FlexDirection::Column,
        overflow: Overflow::clip(),
        ..default()
    }
}

/// What every panel's system reads and writes, in one parameter.
#[derive(SystemParam)]
pub struct PanelContext<'w, 's> {
    pub commands: Commands<'w, 's>,
    pub layout: Res<'w, CurrentLayout>,
    pub fonts: Option<Res<'w, Fonts>>,
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

/// The canvas, drawn again with its background when the layout changes.
fn canvas(
    mut commands: Commands,
    layout: Res<CurrentLayout>,
    fonts: Option<Res<Fonts>>,
    assets: Res<AssetServer>,
    canvases: Query<Entity, With<Canvas>>,
    mut view: ResMut<View>,
) {
    let Some(fonts) = fonts else {
        view.ready = false;
        return;
    };
    // New fonts (a layout edited on disk): everything is drawn again once they
    // have loaded.
    if fonts.is_changed() && view.canvas.is_some() {
        view.fonts_changed = true;
    }
    if !assets.is_loaded_with_dependencies(&fonts.regular)
        || !assets.is_loaded_with_dependencies(&fonts.bold)
    {
        view.ready = false;
        return;
    }
    if view.canvas.is_some() && view.layout_generation == layout.generation && !view.fonts_changed {
        view.ready = true;
        return;
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
            BackgroundColor(colour(&l.theme.background)),
        ))
        .id();
    view.canvas = Some(canvas);
    view.generation += 1;
    view.layout_generation = layout.generation;
    view.fonts_changed = false;
    view.ready = true;
}

/// Works out the [`View`] of this frame.
fn compose(
    layout: Res<CurrentLayout>,
    live: Res<Live>,
    state: Res<ScreenState>,
    mut started: ResMut<Started>,
    mut view: ResMut<View>,
    mut drawn: ResMut<Drawn>,
) {
    drawn.frames_since_build = drawn.frames_since_build.saturating_add(1);
    let l = &layout.layout;
    let elapsed = started.elapsed_s(live.board.is_some(), Instant::now());
    let lang_index =
        ((elapsed / f64::from(l.language_rotation_s.max(1.0))) as usize) % l.languages.len();
    view.elapsed_s = elapsed;
    view.lang_index = lang_index;
    view.lang = l.languages[lang_index].clone();
    view.live = *state == ScreenState::Live || *state == ScreenState::NoService;
    let board = live.board.as_ref();
    view.now = board.and_then(|b| station_now(b, live.received));
    // Not live, the board ages: drop what has left by the screen's clock (a minute
    // of grace), so a kept board never lists buses long gone.
    let (is_live, now) = (view.live, view.now);
    view.shown = board.map_or_else(Vec::new, |b| {
        b.departures
            .iter()
            .enumerate()
            .filter(|(_, d)| {
                is_live
                    || now.is_none_or(|n| {
                        let when = d.expected.as_deref().unwrap_or(&d.scheduled);
                        chrono::DateTime::parse_from_rfc3339(when)
                            .map_or(true, |w| w >= n - chrono::Duration::seconds(60))
                    })
            })
            .map(|(i, _)| i)
            .collect()
    });
    let (page, pages) = page(
        view.shown.len(),
        l.departures.rows_per_page,
        l.departures.paging_s,
        elapsed,
    );
    view.page = page;
    view.pages = pages;
}

/// The station's time now: the server's time (from the board) moved on by the
/// time since the board arrived. Clock, countdowns and the pruning of a kept
/// board all read it, so they agree.
pub fn station_now(
    board: &Board,
    received: Option<Instant>,
) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    // A board kept from an earlier run has no arrival here: the screen's own
    // clock is all there is.
    let Some(received) = received else {
        return Some(chrono::Utc::now().fixed_offset());
    };
    let generated = chrono::DateTime::parse_from_rfc3339(&board.generated_at).ok()?;
    Some(generated + chrono::Duration::from_std(received.elapsed()).unwrap_or_default())
}

/// After a board changed what is drawn, asks for one more update at once: its
/// start marks the frame as rendered (for the latency in the log).
fn note_arrival(
    mut live: ResMut<Live>,
    mut drawn: ResMut<Drawn>,
    mut redraw: MessageWriter<bevy::window::RequestRedraw>,
) {
    if drawn.builds == drawn.builds_seen {
        return;
    }
    drawn.builds_seen = drawn.builds;
    if let Some(arrived) = live.arrived.take() {
        drawn.pending_arrival = Some(arrived);
        redraw.write(bevy::window::RequestRedraw);
    }
}

/// Logs how long a board took from its message's arrival to a rendered frame
/// (`RUST_LOG=display_client=debug`; figures in docs/benchmarks.md).
fn report_latency(mut drawn: ResMut<Drawn>) {
    if let Some(arrived) = drawn.pending_arrival.take() {
        debug!(
            latency_ms = arrived.elapsed().as_secs_f64() * 1000.0,
            "board on screen"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn turns_start_with_the_first_board_and_only_then() {
        let boot = Instant::now();
        let mut started = Started::new(boot);
        // No board for 100 s: the "starting" screen still takes its turns.
        let t = boot + Duration::from_secs(100);
        assert_eq!(started.elapsed_s(false, t), 100.0);
        // The first board: page 1, first language, from now.
        assert_eq!(started.elapsed_s(true, t), 0.0);
        let later = t + Duration::from_secs(9);
        assert_eq!(started.elapsed_s(true, later), 9.0);
        // The board lost (not live, reconnecting) and back: no jump back to page 1.
        assert_eq!(started.elapsed_s(false, later), 9.0);
        let again = later + Duration::from_secs(3);
        assert_eq!(started.elapsed_s(true, again), 12.0);
    }
}
