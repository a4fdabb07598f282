//! Which control is under a point: the one a finger sees there, as Bevy UI
//! itself finds it for `Interaction` (the topmost node drawn, only where no
//! parent clips it), so that a row scrolled under the page bar or cut off by
//! the list's edge is never touched through what covers it.

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy::ui::{
    ComputedNode, ComputedStackIndex, OverrideClip, UiGlobalTransform, clip_check_recursive,
};

use super::draw::Control;

/// A control, where it is drawn, whether it shows, and in which order.
type Placed = (
    Entity,
    &'static Control,
    &'static ComputedNode,
    &'static UiGlobalTransform,
    &'static InheritedVisibility,
    Option<&'static ComputedStackIndex>,
);

/// The controls on screen, and what may clip them.
#[derive(SystemParam)]
pub struct Controls<'w, 's> {
    controls: Query<'w, 's, Placed>,
    clipping: Query<
        'w,
        's,
        (
            &'static ComputedNode,
            &'static UiGlobalTransform,
            &'static Node,
        ),
    >,
    parents: Query<'w, 's, &'static ChildOf, Without<OverrideClip>>,
}

impl Controls<'_, '_> {
    /// The visible control at `point` (the UI's physical pixels, which are
    /// the window's: the screen's camera draws the whole window, with no
    /// viewport to offset), the topmost where several are.
    pub fn at(&self, point: Vec2) -> Option<&Control> {
        self.controls
            .iter()
            .filter(|(entity, _, node, at, visible, _)| {
                visible.get()
                    && node.contains_point(**at, point)
                    && clip_check_recursive(point, *entity, &self.clipping, &self.parents)
            })
            .max_by_key(|(.., stack)| stack.map_or(0, |s| s.0))
            .map(|(_, control, ..)| control)
    }
}
