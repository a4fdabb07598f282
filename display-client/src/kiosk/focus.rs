//! Keys for people who cannot use touch: Tab and Shift+Tab or the arrows
//! move the focus along the view's controls, Enter or Space activates the
//! focused one, Escape (or Backspace) goes back. A switch interface sends
//! the same keys; so does an `--input-script`.

use bevy::prelude::*;

use super::input::Press;
use super::shown::Shown;
use super::{Act, Action, Kiosk};

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
