//! The window's inputs: a touch or a click on a control, as an [`Act`]; a
//! key, as a [`Press`] ([`super::focus`] says what each key does).
//! Nothing happens on hover: a kiosk has no pointer resting on it; a control
//! acts when the finger lifts over the control it went down on, so a finger
//! slid off cancels (WCAG 2.2, 2.5.2).
//!
//! The window's events are read one by one, in the order they happened
//! (Bevy's `WindowEvent`), not as the state of the buttons at the end of a
//! frame: on a busy kiosk several events land in one frame, and a press on
//! one control, a slide off, a lift and a tap elsewhere must stay four
//! things, not one click where the pointer ended. After an input that acts,
//! the rest wait for the next frame, to land on the view it leads to.

use std::collections::VecDeque;

use bevy::ecs::message::MessageCursor;
use bevy::input::ButtonState;
use bevy::input::keyboard::KeyboardInput;
use bevy::input::mouse::MouseButtonInput;
use bevy::input::touch::{TouchInput, TouchPhase};
use bevy::prelude::*;
use bevy::window::{PrimaryWindow, RequestRedraw, WindowEvent, WindowFocused};

use super::hit::Controls;
use super::{Act, Kiosk};

/// A key, from the keyboard or from a script.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Press {
    pub key: KeyCode,
    pub shift: bool,
}

/// What points: the mouse, or one finger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pointer {
    Mouse,
    Finger(u64),
}

/// The window's inputs between frames.
#[derive(Default)]
pub struct Inputs {
    read: MessageCursor<WindowEvent>,
    /// Where the mouse is, in the UI's (physical) pixels.
    cursor: Option<Vec2>,
    /// What went down, and the name of the control under it (none: it went
    /// down beside every control, and nothing acts when it lifts).
    down: Option<(Pointer, Option<String>)>,
    /// Left and right Shift, held.
    shift: [bool; 2],
    /// Events after one that acted, for the next frame.
    waiting: VecDeque<WindowEvent>,
}

/// The window's pointer and key events, in order, as [`Act`]s and
/// [`Press`]es.
#[allow(clippy::too_many_arguments)]
pub fn window_inputs(
    events: Option<Res<Messages<WindowEvent>>>,
    controls: Controls,
    windows: Query<&Window, With<PrimaryWindow>>,
    mut inputs: Local<Inputs>,
    mut kiosk: ResMut<Kiosk>,
    mut acts: MessageWriter<Act>,
    mut presses: MessageWriter<Press>,
    mut redraw: MessageWriter<RequestRedraw>,
) {
    let inputs = &mut *inputs;
    let mut queue = std::mem::take(&mut inputs.waiting);
    if let Some(events) = events {
        queue.extend(inputs.read.read(&events).cloned());
    }
    let scale = windows.iter().next().map_or(1.0, Window::scale_factor);
    while let Some(event) = queue.pop_front() {
        // A pointer going down or lifting, and where.
        let (by, state, at) = match event {
            WindowEvent::CursorMoved(moved) => {
                inputs.cursor = Some(moved.position * scale);
                continue;
            }
            WindowEvent::CursorLeft(_) => {
                // Lifted outside the window: nothing acts.
                inputs.cursor = None;
                inputs.down.take_if(|(p, _)| *p == Pointer::Mouse);
                continue;
            }
            WindowEvent::MouseButtonInput(MouseButtonInput { button, state, .. }) => {
                if button != MouseButton::Left {
                    if state == ButtonState::Pressed {
                        kiosk.last_input = std::time::Instant::now();
                    }
                    continue;
                }
                (Pointer::Mouse, state, inputs.cursor)
            }
            WindowEvent::TouchInput(TouchInput {
                phase,
                position,
                id,
                ..
            }) => {
                let by = Pointer::Finger(id);
                let state = match phase {
                    TouchPhase::Started => ButtonState::Pressed,
                    TouchPhase::Ended => ButtonState::Released,
                    TouchPhase::Canceled => {
                        inputs.down.take_if(|(p, _)| *p == by);
                        continue;
                    }
                    TouchPhase::Moved => continue,
                };
                (by, state, Some(position * scale))
            }
            WindowEvent::KeyboardInput(key) => {
                if keyboard(inputs, &key, &mut presses) {
                    wait(inputs, queue, &mut redraw);
                    return;
                }
                continue;
            }
            // The window let go (another took the input): nothing held is
            // held any more, and a press whose lift never comes does not
            // linger.
            WindowEvent::KeyboardFocusLost(_)
            | WindowEvent::WindowFocused(WindowFocused { focused: false, .. }) => {
                inputs.shift = [false; 2];
                inputs.down = None;
                continue;
            }
            _ => continue,
        };
        let under = at.and_then(|at| controls.at(at));
        match state {
            ButtonState::Pressed => {
                kiosk.last_input = std::time::Instant::now();
                // The latest press is the one a lift answers (a finger whose
                // lift never came does not hold the kiosk).
                inputs.down = Some((by, under.map(|c| c.name.clone())));
            }
            ButtonState::Released => {
                // By name: the control may have been drawn again (a new
                // board) between the press and the lift; it is the same one.
                let pressed = inputs.down.take_if(|(p, _)| *p == by).and_then(|(_, c)| c);
                if let Some(control) = under.filter(|c| pressed.as_ref() == Some(&c.name)) {
                    acts.write(Act(control.action.clone()));
                    wait(inputs, queue, &mut redraw);
                    return;
                }
            }
        }
    }
}

/// Events kept for the next frames, at most: a panel gone wrong that sends
/// taps faster than one a frame loses its oldest, not the kiosk its memory.
const WAITING_AT_MOST: usize = 64;

/// The events after one that acted wait for the next frame, which is asked
/// for (the newest [`WAITING_AT_MOST`] of them).
fn wait(
    inputs: &mut Inputs,
    mut queue: VecDeque<WindowEvent>,
    redraw: &mut MessageWriter<RequestRedraw>,
) {
    if queue.len() > WAITING_AT_MOST {
        let dropped = queue.len() - WAITING_AT_MOST;
        queue.drain(..dropped);
        warn!("kiosk: {dropped} input event(s) dropped, more than one tap a frame");
    }
    if !queue.is_empty() {
        inputs.waiting = queue;
        redraw.write(RequestRedraw);
    }
}

/// A key going down, as a [`Press`] (Shift held is remembered; a key held
/// down does not repeat: a switch held a little long moves the focus once).
/// Whether it pressed one.
fn keyboard(inputs: &mut Inputs, key: &KeyboardInput, presses: &mut MessageWriter<Press>) -> bool {
    let shift = match key.key_code {
        KeyCode::ShiftLeft => Some(0),
        KeyCode::ShiftRight => Some(1),
        _ => None,
    };
    match (key.state, shift) {
        (state, Some(side)) => inputs.shift[side] = state == ButtonState::Pressed,
        (ButtonState::Pressed, None) if !key.repeat => {
            presses.write(Press {
                key: key.key_code,
                shift: inputs.shift.contains(&true),
            });
            return true;
        }
        _ => {}
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kiosk::draw::Control;
    use crate::kiosk::{Action, Page};
    use bevy::input::keyboard::Key;
    use bevy::ui::{ComputedNode, ComputedStackIndex, UiGlobalTransform};

    /// The kiosk's inputs alone, with two buttons side by side as on the
    /// portrait kiosk's lower band: Lines (x 16-355) and Disruptions
    /// (x 371-710), y 1616-1747.
    fn kiosk() -> App {
        let mut app = App::new();
        app.add_message::<WindowEvent>()
            .add_message::<Act>()
            .add_message::<Press>()
            .add_message::<RequestRedraw>()
            .init_resource::<Kiosk>()
            .add_systems(Update, window_inputs);
        button(&mut app, "lines", Action::Open(Page::Lines), 185.5);
        button(
            &mut app,
            "disruptions",
            Action::Open(Page::Disruptions),
            540.5,
        );
        app
    }

    fn button(app: &mut App, name: &str, action: Action, x: f32) -> Entity {
        app.world_mut()
            .spawn((
                Control {
                    name: name.into(),
                    action,
                },
                ComputedNode {
                    size: Vec2::new(339.0, 131.0),
                    ..default()
                },
                UiGlobalTransform::from_translation(Vec2::new(x, 1681.5)),
                InheritedVisibility::VISIBLE,
            ))
            .id()
    }

    fn despawn(app: &mut App, name: &str) {
        let entity = app
            .world_mut()
            .query::<(Entity, &Control)>()
            .iter(app.world())
            .find(|(_, c)| c.name == name)
            .map(|(e, _)| e)
            .expect("the button");
        app.world_mut().despawn(entity);
    }

    fn send(app: &mut App, events: impl IntoIterator<Item = WindowEvent>) {
        let mut messages = app.world_mut().resource_mut::<Messages<WindowEvent>>();
        for event in events {
            messages.write(event);
        }
    }

    fn to(x: f32, y: f32) -> WindowEvent {
        WindowEvent::CursorMoved(CursorMoved {
            window: Entity::PLACEHOLDER,
            position: Vec2::new(x, y),
            delta: None,
        })
    }

    fn mouse(state: ButtonState) -> WindowEvent {
        WindowEvent::MouseButtonInput(MouseButtonInput {
            button: MouseButton::Left,
            state,
            window: Entity::PLACEHOLDER,
        })
    }

    /// The mouse moved to (`x`, `y`), pressed and let go.
    fn click(x: f32, y: f32) -> [WindowEvent; 3] {
        [
            to(x, y),
            mouse(ButtonState::Pressed),
            mouse(ButtonState::Released),
        ]
    }

    fn finger(phase: TouchPhase, x: f32, y: f32) -> WindowEvent {
        WindowEvent::TouchInput(TouchInput {
            phase,
            position: Vec2::new(x, y),
            window: Entity::PLACEHOLDER,
            force: None,
            id: 7,
        })
    }

    fn key(key_code: KeyCode, state: ButtonState, repeat: bool) -> WindowEvent {
        WindowEvent::KeyboardInput(KeyboardInput {
            key_code,
            logical_key: Key::Tab,
            state,
            text: None,
            repeat,
            window: Entity::PLACEHOLDER,
        })
    }

    /// One frame; what it did.
    fn frame(app: &mut App) -> (Vec<Action>, Vec<Press>, bool) {
        app.update();
        let world = app.world_mut();
        let acts = world
            .resource_mut::<Messages<Act>>()
            .drain()
            .map(|a| a.0)
            .collect();
        let presses = world.resource_mut::<Messages<Press>>().drain().collect();
        let redraw = world
            .resource_mut::<Messages<RequestRedraw>>()
            .drain()
            .count()
            > 0;
        (acts, presses, redraw)
    }

    /// What a busy kiosk got in one frame in CI: down on Lines, slid off,
    /// lifted, then a click on Disruptions. Read as the buttons' state at
    /// the end of the frame, that was a click on Disruptions and then a
    /// second click (the real one) on whatever the next view had there.
    #[test]
    fn a_cancelled_press_and_a_tap_in_one_frame_stay_apart() {
        let mut app = kiosk();
        send(
            &mut app,
            [
                to(180.0, 1680.0),
                mouse(ButtonState::Pressed),
                to(300.0, 300.0),
                mouse(ButtonState::Released),
                to(540.0, 1680.0),
                mouse(ButtonState::Pressed),
                mouse(ButtonState::Released),
            ],
        );
        assert_eq!(frame(&mut app).0, [Action::Open(Page::Disruptions)]);
        assert_eq!(frame(&mut app).0, []);
    }

    /// Two taps in one frame: the second waits for the next frame (the view
    /// the first leads to), and the kiosk asks for that frame.
    #[test]
    fn the_input_after_one_that_acts_waits_for_the_next_frame() {
        let mut app = kiosk();
        send(
            &mut app,
            click(180.0, 1680.0).into_iter().chain(click(540.0, 1680.0)),
        );
        assert_eq!(
            frame(&mut app),
            (vec![Action::Open(Page::Lines)], vec![], true)
        );
        // The view the first tap opened, drawn: another button there.
        despawn(&mut app, "disruptions");
        button(&mut app, "home", Action::Home, 540.5);
        assert_eq!(frame(&mut app), (vec![Action::Home], vec![], false));
    }

    /// A press outside every control does nothing when it lifts on one, nor
    /// does a finger lifted off the control it went down on; a control drawn
    /// again between the press and the lift (a new board) still acts.
    #[test]
    fn only_a_lift_over_the_pressed_control_acts() {
        let mut app = kiosk();
        send(
            &mut app,
            [
                to(900.0, 300.0),
                mouse(ButtonState::Pressed),
                to(180.0, 1680.0),
                mouse(ButtonState::Released),
                finger(TouchPhase::Started, 180.0, 1680.0),
                finger(TouchPhase::Moved, 540.0, 1680.0),
                finger(TouchPhase::Ended, 540.0, 1680.0),
                finger(TouchPhase::Started, 540.0, 1680.0),
            ],
        );
        assert_eq!(frame(&mut app).0, []);
        despawn(&mut app, "disruptions");
        button(
            &mut app,
            "disruptions",
            Action::Open(Page::Disruptions),
            540.5,
        );
        send(&mut app, [finger(TouchPhase::Ended, 541.0, 1690.0)]);
        assert_eq!(frame(&mut app).0, [Action::Open(Page::Disruptions)]);
    }

    /// A flood of taps (a panel gone wrong) keeps only the newest waiting.
    #[test]
    fn a_flood_of_taps_waits_bounded() {
        let mut app = kiosk();
        let flood: Vec<WindowEvent> = (0..200).flat_map(|_| click(180.0, 1680.0)).collect();
        send(&mut app, flood);
        let mut opened = 0;
        for _ in 0..100 {
            opened += frame(&mut app).0.len();
        }
        // The first tap, then the whole taps among the newest 64 events.
        assert_eq!(opened, 1 + WAITING_AT_MOST / 3);
    }

    /// A finger whose lift never came (a panel that lost it) does not hold
    /// the kiosk: the next press is the one that counts.
    #[test]
    fn a_lost_lift_does_not_hold_the_kiosk() {
        let mut app = kiosk();
        send(
            &mut app,
            [
                finger(TouchPhase::Started, 180.0, 1680.0),
                to(540.0, 1680.0),
                mouse(ButtonState::Pressed),
                mouse(ButtonState::Released),
                finger(TouchPhase::Ended, 180.0, 1680.0),
            ],
        );
        assert_eq!(frame(&mut app).0, [Action::Open(Page::Disruptions)]);
        assert_eq!(frame(&mut app).0, []);
    }

    /// Only what shows is touched: the topmost control where two overlap
    /// (a page bar over the list), nothing where a parent clips a control
    /// (a row below the list's edge).
    #[test]
    fn a_covered_or_clipped_control_is_not_touched() {
        let mut app = kiosk();
        // Over Disruptions' right half, drawn later.
        let bar = button(&mut app, "next_page", Action::Turn(1), 700.0);
        app.world_mut()
            .entity_mut(bar)
            .insert(ComputedStackIndex(9));
        // A list from y 1000 to 1200 clipping its row, which runs to 1300.
        let list = app
            .world_mut()
            .spawn((
                Node {
                    overflow: Overflow::clip(),
                    ..default()
                },
                ComputedNode {
                    size: Vec2::new(1000.0, 200.0),
                    ..default()
                },
                UiGlobalTransform::from_translation(Vec2::new(540.0, 1100.0)),
            ))
            .id();
        let row = app
            .world_mut()
            .spawn((
                Control {
                    name: "departure:x".into(),
                    action: Action::Home,
                },
                ComputedNode {
                    size: Vec2::new(1000.0, 200.0),
                    ..default()
                },
                UiGlobalTransform::from_translation(Vec2::new(540.0, 1200.0)),
                InheritedVisibility::VISIBLE,
                ChildOf(list),
            ))
            .id();
        send(&mut app, click(600.0, 1680.0));
        assert_eq!(frame(&mut app).0, [Action::Turn(1)]);
        send(&mut app, click(450.0, 1680.0));
        assert_eq!(frame(&mut app).0, [Action::Open(Page::Disruptions)]);
        send(&mut app, click(540.0, 1250.0));
        assert_eq!(frame(&mut app).0, []);
        send(&mut app, click(540.0, 1150.0));
        assert_eq!(frame(&mut app).0, [Action::Home]);
        // The same row, unclipped, is touched below the list too.
        app.world_mut().entity_mut(row).remove::<ChildOf>();
        send(&mut app, click(540.0, 1250.0));
        assert_eq!(frame(&mut app).0, [Action::Home]);
    }

    /// On a screen at twice the scale (logical pixels in the events, physical
    /// ones in the layout) the same button is touched.
    #[test]
    fn the_window_scale_is_applied() {
        let mut app = kiosk();
        let mut window = Window::default();
        window.resolution.set_scale_factor_override(Some(2.0));
        app.world_mut().spawn((window, PrimaryWindow));
        send(
            &mut app,
            [
                to(270.0, 840.0),
                mouse(ButtonState::Pressed),
                mouse(ButtonState::Released),
                finger(TouchPhase::Started, 90.0, 840.0),
                finger(TouchPhase::Ended, 90.0, 840.0),
            ],
        );
        assert_eq!(frame(&mut app).0, [Action::Open(Page::Disruptions)]);
        assert_eq!(frame(&mut app).0, [Action::Open(Page::Lines)]);
    }

    /// Keys in order, each in its frame: Shift+Tab (the left Shift still
    /// held when the right one is let go) then Tab; a held key does not
    /// repeat.
    #[test]
    fn keys_keep_their_order_and_shift() {
        let mut app = kiosk();
        send(
            &mut app,
            [
                key(KeyCode::ShiftLeft, ButtonState::Pressed, false),
                key(KeyCode::ShiftRight, ButtonState::Pressed, false),
                key(KeyCode::ShiftRight, ButtonState::Released, false),
                key(KeyCode::Tab, ButtonState::Pressed, false),
                key(KeyCode::Tab, ButtonState::Pressed, true),
                key(KeyCode::ShiftLeft, ButtonState::Released, false),
                key(KeyCode::Tab, ButtonState::Released, false),
                key(KeyCode::Tab, ButtonState::Pressed, false),
            ],
        );
        let tab = |shift| Press {
            key: KeyCode::Tab,
            shift,
        };
        assert_eq!(frame(&mut app).1, [tab(true)]);
        assert_eq!(frame(&mut app).1, [tab(false)]);
        assert_eq!(frame(&mut app), (vec![], vec![], false));
    }
}
