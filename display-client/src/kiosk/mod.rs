//! The kiosk (`display-client --mode kiosk`): the same screen, touched.
//!
//! A passenger opens views from the home view (the station's board): the
//! lines serving the hub, a line, a trip, every disruption in full, the car
//! parks and carpool areas; has the view read aloud; switches French and
//! English; makes the text larger; goes on on a phone with the QR code. After
//! `kiosk.idle_reset_s` without a touch or a key, the kiosk forgets it all and
//! goes back home, in French.
//!
//! Every input ends up as an [`Act`]: a touch or a click on a control
//! ([`input`]), a key (Tab, arrows, Enter, Escape: [`focus`]), or a step of an
//! `--input-script` ([`script`]). [`views`] says what each view shows, from
//! the board and the REST answers ([`api`]); [`draw`] puts it on screen.

pub mod api;
mod draw;
mod focus;
mod hit;
mod input;
mod journey;
mod rows;
pub mod script;
mod shown;
mod views;

use std::time::{Duration, Instant};

use bevy::prelude::*;

use crate::ScreenSet;
use crate::canvas::CurrentLayout;
use crate::speech::Say;
use crate::view::View;

pub use script::Script;

/// A line, `{feed}:{route_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RouteId(pub String);

/// A departure (a call of a trip), `{feed}:{trip}:{YYYYMMDD}:{sequence}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DepartureId(pub String);

/// The kiosk's views.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Page {
    /// The station's board, and the buttons to the other views.
    #[default]
    Home,
    /// The lines serving the hub.
    Lines,
    Line(RouteId),
    Trip(DepartureId),
    Disruptions,
    Parking,
}

impl Page {
    /// The view's name, as `--dump-text` and the portal's deep links say it.
    pub fn name(&self) -> &'static str {
        match self {
            Page::Home => "home",
            Page::Lines => "lines",
            Page::Line(_) => "line",
            Page::Trip(_) => "trip",
            Page::Disruptions => "disruptions",
            Page::Parking => "parking",
        }
    }
}

/// What a control (or a key) does.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Action {
    Open(Page),
    Back,
    Home,
    /// Reads the view aloud.
    Listen,
    /// French ↔ English.
    Language,
    /// Normal ↔ large text.
    TextSize,
    /// The next (+1) or previous (−1) page of the view's rows.
    Turn(i8),
}

/// An input, from a touch, a key or a script.
#[derive(Message, Debug, Clone)]
pub struct Act(pub Action);

/// The kiosk's state: what one passenger did since the last reset.
#[derive(Resource, Debug)]
pub struct Kiosk {
    pub page: Page,
    /// The views before this one, each with its page of rows and the control
    /// that had the focus (Back returns to the last, the focus where it was).
    pub history: Vec<(Page, usize, Option<String>)>,
    pub lang: String,
    pub large: bool,
    /// The page of the view's rows shown.
    pub list_page: usize,
    /// The control with the keyboard's focus (its name), once a key moved it.
    pub focus: Option<String>,
    pub last_input: Instant,
    /// How many idle resets happened.
    pub resets: u64,
}

impl Default for Kiosk {
    fn default() -> Kiosk {
        Kiosk {
            page: Page::Home,
            history: Vec::new(),
            lang: "fr".into(),
            large: false,
            list_page: 0,
            focus: None,
            last_input: Instant::now(),
            resets: 0,
        }
    }
}

impl Kiosk {
    /// As a passenger who just walked up finds it.
    fn is_fresh(&self) -> bool {
        self.page == Page::Home
            && self.history.is_empty()
            && self.lang == "fr"
            && !self.large
            && self.list_page == 0
            && self.focus.is_none()
    }

    /// Applies one action; `Listen` is the caller's (it needs the view).
    fn apply(&mut self, action: &Action) {
        match action {
            Action::Open(page) if *page != self.page => {
                let from = std::mem::replace(&mut self.page, page.clone());
                self.history.push((from, self.list_page, self.focus.take()));
                self.list_page = 0;
            }
            Action::Open(_) | Action::Listen => {}
            Action::Back => {
                if let Some((page, list_page, focus)) = self.history.pop() {
                    self.page = page;
                    self.list_page = list_page;
                    self.focus = focus;
                }
            }
            Action::Home => {
                self.page = Page::Home;
                self.history.clear();
                self.list_page = 0;
                self.focus = None;
            }
            Action::Language => {
                self.lang = if self.lang == "fr" { "en" } else { "fr" }.into();
            }
            Action::TextSize => {
                self.large = !self.large;
                self.list_page = 0;
            }
            Action::Turn(by) => {
                self.list_page = self.list_page.saturating_add_signed(isize::from(*by));
            }
        }
    }
}

/// The kiosk's parts, added by [`crate::ScreenPlugin`] in kiosk mode.
pub fn plugin(app: &mut App) {
    app.init_resource::<Kiosk>()
        .init_resource::<api::Answers>()
        .add_message::<Act>()
        .add_systems(Startup, api::start)
        .add_systems(PreUpdate, api::receive)
        .add_systems(
            Update,
            (
                (input::window_inputs, focus::keys, act, idle_reset)
                    .chain()
                    .in_set(ScreenSet::Inputs),
                speak_in_kiosk_language
                    .after(crate::view::compose)
                    .in_set(ScreenSet::Compose),
            ),
        )
        .add_plugins((shown::plugin, draw::plugin, script::plugin));
}

/// Applies the inputs of this frame; none while an emergency takeover hides
/// the controls.
fn act(
    mut acts: MessageReader<Act>,
    mut kiosk: ResMut<Kiosk>,
    mut say: MessageWriter<Say>,
    shown: Res<shown::Shown>,
    live: Res<crate::network::Live>,
    view: Res<View>,
) {
    let taken_over = crate::takeover::active(live.board.as_ref(), view.now).is_some();
    for Act(action) in acts.read() {
        kiosk.last_input = Instant::now();
        if taken_over {
            continue;
        }
        info!(page = kiosk.page.name(), "kiosk: {action:?}");
        if *action == Action::Listen {
            say.write(Say {
                trigger: "listen".into(),
                lang: kiosk.lang.clone(),
                sentences: shown.spoken.clone(),
            });
        }
        kiosk.apply(action);
    }
}

/// Back home and French after `idle_reset_s` without an input, with nothing kept.
fn idle_reset(
    mut kiosk: ResMut<Kiosk>,
    mut answers: ResMut<api::Answers>,
    layout: Res<CurrentLayout>,
) {
    let idle = layout
        .layout
        .kiosk
        .as_ref()
        .map_or(90.0, |k| k.idle_reset_s);
    let idle = Duration::try_from_secs_f32(idle).unwrap_or(Duration::from_secs(90));
    if kiosk.last_input.elapsed() < idle || (kiosk.is_fresh() && answers.is_empty()) {
        return;
    }
    info!("kiosk: {idle:?} without a touch: back home");
    let resets = kiosk.resets + 1;
    *kiosk = Kiosk {
        resets,
        ..Kiosk::default()
    };
    answers.clear();
}

/// The kiosk's language is the passenger's choice: it does not turn.
fn speak_in_kiosk_language(kiosk: Res<Kiosk>, layout: Res<CurrentLayout>, mut view: ResMut<View>) {
    if view.lang != kiosk.lang {
        view.lang = kiosk.lang.clone();
    }
    let index = layout
        .layout
        .languages
        .iter()
        .position(|l| *l == kiosk.lang)
        .unwrap_or(0);
    if view.lang_index != index {
        view.lang_index = index;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_returns_and_home_forgets() {
        let mut k = Kiosk::default();
        assert!(k.is_fresh());
        k.apply(&Action::Open(Page::Lines));
        k.apply(&Action::Open(Page::Line(RouteId("demo:1".into()))));
        k.apply(&Action::Open(Page::Trip(DepartureId(
            "demo:T:20260701:1".into(),
        ))));
        // Tapping the view one is on does not stack it twice.
        k.apply(&Action::Open(Page::Trip(DepartureId(
            "demo:T:20260701:1".into(),
        ))));
        assert_eq!(k.history.len(), 3);
        k.apply(&Action::Back);
        assert_eq!(k.page, Page::Line(RouteId("demo:1".into())));
        // Back where one was: the page of rows and the focused control.
        k.list_page = 2;
        k.focus = Some("departure:x".into());
        k.apply(&Action::Open(Page::Disruptions));
        assert_eq!((k.list_page, k.focus.as_deref()), (0, None));
        k.apply(&Action::Back);
        assert_eq!((k.list_page, k.focus.as_deref()), (2, Some("departure:x")));
        k.list_page = 0;
        k.apply(&Action::Turn(1));
        k.apply(&Action::Language);
        assert_eq!((k.list_page, k.lang.as_str()), (1, "en"));
        k.apply(&Action::Home);
        assert_eq!(k.page, Page::Home);
        assert!(k.history.is_empty());
        assert!(!k.is_fresh(), "still in English");
        k.apply(&Action::Back);
        assert_eq!(k.page, Page::Home, "nothing before home");
    }
}
