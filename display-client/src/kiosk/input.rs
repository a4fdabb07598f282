//! Inputs, all turned into [`Act`]s: a touch or a click on a control (Bevy
//! UI's `Interaction`, which follows the mouse and touches alike), and keys
//! for people who cannot use touch: Tab and Shift+Tab or the arrows move the
//! focus along the view's controls, Enter or Space activates the focused one,
//! Escape goes back. A switch interface sends the same keys. Nothing happens
//! on hover: a kiosk has no pointer resting on it; a control acts when the
//! finger lifts over it, so a finger slid off cancels.

use bevy::prelude::*;
use bevy::ui::{ComputedNode, UiGlobalTransform};
use bevy::window::PrimaryWindow;

use super::draw::Control;
use super::shown::Shown;
use super::{Act, Action, Kiosk};

/// A key, from the keyboard or from a script.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Press {
    pub key: KeyCode,
    pub shift: bool,
}

/// Keyboard keys, as [`Press`]es.
pub fn keyboard(keys: Option<Res<ButtonInput<KeyCode>>>, mut presses: MessageWriter<Press>) {
    let Some(keys) = keys else { return };
    let shift = keys.any_pressed([KeyCode::ShiftLeft, KeyCode::ShiftRight]);
    for key in keys.get_just_pressed() {
        presses.write(Press { key: *key, shift });
    }
}

/// Controls whose interaction changed this frame.
type ChangedControl = (Changed<Interaction>, With<Control>);

/// The control a finger (or the mouse button) went down on, until it lifts.
#[derive(Default)]
pub struct Down(Option<Entity>);

/// A control activated when the finger lifts over the control it went down
/// on (WCAG 2.2, 2.5.2 pointer cancellation: sliding off before lifting
/// cancels); any touch counts as someone there.
#[allow(clippy::too_many_arguments)]
pub fn touched(
    changed: Query<(Entity, &Interaction), ChangedControl>,
    controls: Query<(&Control, &ComputedNode, &UiGlobalTransform)>,
    windows: Query<&Window, With<PrimaryWindow>>,
    mouse: Option<Res<ButtonInput<MouseButton>>>,
    touches: Option<Res<Touches>>,
    mut down: Local<Down>,
    mut kiosk: ResMut<Kiosk>,
    mut acts: MessageWriter<Act>,
) {
    let pressed_now = mouse
        .as_ref()
        .is_some_and(|m| m.get_just_pressed().next().is_some())
        || touches.as_ref().is_some_and(|t| t.any_just_pressed());
    if pressed_now {
        kiosk.last_input = std::time::Instant::now();
    }
    for (entity, interaction) in &changed {
        if *interaction == Interaction::Pressed {
            down.0 = Some(entity);
        }
    }
    // Where the pointer was lifted, in the UI's (physical) pixels.
    let window = windows.iter().next();
    let scale = window.map_or(1.0, Window::scale_factor);
    let lifted = touches
        .as_ref()
        .and_then(|t| t.iter_just_released().next().map(|t| t.position() * scale))
        .or_else(|| {
            mouse
                .as_ref()
                .is_some_and(|m| m.just_released(MouseButton::Left))
                .then(|| window.and_then(Window::physical_cursor_position))
                .flatten()
        });
    let released = lifted.is_some()
        || mouse.is_some_and(|m| m.just_released(MouseButton::Left))
        || touches.is_some_and(|t| t.any_just_released());
    if !released {
        return;
    }
    let Some(entity) = down.0.take() else { return };
    let Some(point) = lifted else { return };
    if let Ok((control, node, at)) = controls.get(entity)
        && node.contains_point(*at, point)
    {
        acts.write(Act(control.action.clone()));
    }
}

/// Where the focus goes from `focus` by `step` along `controls` (wrapping);
/// the first step from nowhere lands on the first (or last) control.
pub fn move_focus(
    controls: &[(String, Action)],
    focus: Option<&str>,
    step: isize,
) -> Option<String> {
    if controls.is_empty() {
        return None;
    }
    let n = controls.len() as isize;
    let at = focus.and_then(|f| controls.iter().position(|(name, _)| name == f));
    let next = match at {
        Some(i) => (i as isize + step).rem_euclid(n),
        None if step >= 0 => 0,
        None => n - 1,
    };
    Some(controls[next as usize].0.clone())
}

/// Keys: focus, activation, back.
pub fn keys(
    mut presses: MessageReader<Press>,
    shown: Res<Shown>,
    mut kiosk: ResMut<Kiosk>,
    mut acts: MessageWriter<Act>,
) {
    for press in presses.read() {
        kiosk.last_input = std::time::Instant::now();
        let step = match press.key {
            KeyCode::Tab if press.shift => -1,
            KeyCode::Tab | KeyCode::ArrowDown | KeyCode::ArrowRight => 1,
            KeyCode::ArrowUp | KeyCode::ArrowLeft => -1,
            KeyCode::Enter | KeyCode::NumpadEnter | KeyCode::Space => {
                let focused = kiosk
                    .focus
                    .as_ref()
                    .and_then(|f| shown.controls.iter().find(|(name, _)| name == f));
                match focused {
                    Some((_, action)) => acts.write(Act(action.clone())),
                    // Nothing focused yet: the first press shows where the focus is.
                    None => {
                        kiosk.focus = move_focus(&shown.controls, None, 1);
                        continue;
                    }
                };
                continue;
            }
            KeyCode::Escape | KeyCode::Backspace => {
                acts.write(Act(Action::Back));
                continue;
            }
            _ => continue,
        };
        kiosk.focus = move_focus(&shown.controls, kiosk.focus.as_deref(), step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_focus_goes_round_the_controls() {
        let controls: Vec<(String, Action)> = ["a", "b", "c"]
            .iter()
            .map(|n| (n.to_string(), Action::Home))
            .collect();
        assert_eq!(move_focus(&controls, None, 1).as_deref(), Some("a"));
        assert_eq!(move_focus(&controls, None, -1).as_deref(), Some("c"));
        assert_eq!(move_focus(&controls, Some("c"), 1).as_deref(), Some("a"));
        assert_eq!(move_focus(&controls, Some("a"), -1).as_deref(), Some("c"));
        // A control gone from the view (another page): start again.
        assert_eq!(move_focus(&controls, Some("zz"), 1).as_deref(), Some("a"));
        assert_eq!(move_focus(&[], Some("a"), 1), None);
    }
}
