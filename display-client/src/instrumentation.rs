//! Instrumentation: how long a board takes from its message's arrival to a
//! rendered frame, in the log (`RUST_LOG=display_client=debug`; figures in
//! docs/benchmarks.md). A plugin of its own because nothing depends on it: it
//! only reads how many times the panels drew ([`Drawn::builds`]) and asks for
//! one more frame, so it can be left out or changed without touching them.

use std::time::Instant;

use bevy::prelude::*;
use bevy::window::RequestRedraw;

use crate::ScreenSet;
use crate::network::Live;
use crate::panel::Drawn;

/// The change waiting to be reported.
#[derive(Resource, Debug, Default)]
struct Latency {
    /// When the message behind the last change arrived: reported once the frame
    /// showing it has been rendered.
    pending_arrival: Option<Instant>,
    /// [`Drawn::builds`] when last looked at.
    builds_seen: usize,
}

pub fn plugin(app: &mut App) {
    app.init_resource::<Latency>()
        .add_systems(Update, note_arrival.in_set(ScreenSet::Finish))
        .add_systems(First, report_latency);
}

/// After a board changed what is drawn, asks for one more update at once: its
/// start marks the frame as rendered.
fn note_arrival(
    mut live: ResMut<Live>,
    drawn: Res<Drawn>,
    mut latency: ResMut<Latency>,
    mut redraw: MessageWriter<RequestRedraw>,
) {
    if drawn.builds == latency.builds_seen {
        return;
    }
    latency.builds_seen = drawn.builds;
    if let Some(arrived) = live.arrived.take() {
        latency.pending_arrival = Some(arrived);
        redraw.write(RequestRedraw);
    }
}

/// Logs how long the last change took to reach the screen.
fn report_latency(mut latency: ResMut<Latency>) {
    if let Some(arrived) = latency.pending_arrival.take() {
        debug!(
            latency_ms = arrived.elapsed().as_secs_f64() * 1000.0,
            "board on screen"
        );
    }
}
