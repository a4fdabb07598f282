//! Instrumentation: how long a board takes from its message's arrival to a
//! rendered frame, in the log (`RUST_LOG=display_client=debug`; figures in
//! docs/benchmarks.md). A plugin of its own because nothing depends on it: it
//! only reads how many times the panels drew ([`Drawn::builds`]), so it can be
//! left out or changed without touching them.
//!
//! The frame is marked rendered at the end of the render world's own
//! schedule, in the same update (this build renders without a pipelined
//! render thread), so measuring costs no frame: on software rendering an
//! extra frame per board, as this once asked for, costs ~90 ms of CPU.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use bevy::prelude::*;
use bevy::render::{Render, RenderApp, RenderSystems};

use crate::ScreenSet;
use crate::network::Live;
use crate::panel::Drawn;

/// When the message behind the last change drawn arrived, until the frame
/// showing it has been rendered: set by the main world, taken by the render
/// world at the end of that frame.
#[derive(Resource, Debug, Clone, Default)]
struct Pending(Arc<Mutex<Option<Instant>>>);

/// [`Drawn::builds`] when last looked at.
#[derive(Resource, Debug, Default)]
struct BuildsSeen(usize);

pub fn plugin(app: &mut App) {
    let pending = Pending::default();
    // Without a renderer (unit tests' minimal apps) nothing is measured.
    let Some(render) = app.get_sub_app_mut(RenderApp) else {
        return;
    };
    render
        .insert_resource(pending.clone())
        .add_systems(Render, report_latency.in_set(RenderSystems::Cleanup));
    app.insert_resource(pending)
        .init_resource::<BuildsSeen>()
        .add_systems(Update, note_arrival.in_set(ScreenSet::Finish));
}

/// After a board changed what is drawn: the frame being made shows it.
fn note_arrival(
    mut live: ResMut<Live>,
    drawn: Res<Drawn>,
    mut seen: ResMut<BuildsSeen>,
    pending: Res<Pending>,
) {
    if drawn.builds == seen.0 {
        return;
    }
    seen.0 = drawn.builds;
    if let Some(arrived) = live.arrived.take()
        && let Ok(mut p) = pending.0.lock()
    {
        *p = Some(arrived);
    }
}

/// Logs how long the last change took to reach the screen, once its frame
/// is rendered.
fn report_latency(pending: Res<Pending>) {
    let arrived = pending.0.lock().ok().and_then(|mut p| p.take());
    if let Some(arrived) = arrived {
        debug!(
            latency_ms = arrived.elapsed().as_secs_f64() * 1000.0,
            "board on screen"
        );
    }
}
