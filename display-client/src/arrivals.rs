//! An arrivals board (`departures.show: Arrivals` in the layout): the
//! station's arrivals (`Board.arrivals`, listed when the station has
//! `arrivals = true`) take the place of its departures, so that the table,
//! paging, the one-bay filters, the screen's states and the voice all work on
//! them as they are. Each row's destination column says where the vehicle
//! comes from; the header says « Arrivées ».

use bevy::prelude::*;
use quai_protocol::{Arrival, Departure};

use crate::canvas::CurrentLayout;
use crate::layout::Shown;
use crate::network::Live;

pub fn plugin(app: &mut App) {
    app.add_systems(PreUpdate, show.after(crate::network::receive));
}

/// The departures of the board in `Live` as they came, kept while its rows
/// are arrivals (a layout switched back shows them again).
#[derive(Default)]
struct Shows {
    /// The board (`Live::updates`) and the kind its rows are.
    of: Option<(usize, Shown)>,
    departures: Vec<Departure>,
}

/// Whether the screen's layout shows arrivals.
pub fn shown(layout: &crate::layout::Layout) -> bool {
    layout.departures.show == Shown::Arrivals
}

fn show(layout: Option<Res<CurrentLayout>>, mut live: ResMut<Live>, mut shows: Local<Shows>) {
    let Some(layout) = layout else { return };
    let want = layout.layout.departures.show;
    let updates = live.updates;
    let Some(board) = live.bypass_change_detection().board.as_mut() else {
        return;
    };
    let new_board = shows.of.is_none_or(|(u, _)| u != updates);
    if !new_board && shows.of.is_some_and(|(_, kind)| kind == want) {
        return;
    }
    if new_board {
        shows.departures = board.departures.clone();
    }
    board.departures = match want {
        Shown::Departures => shows.departures.clone(),
        Shown::Arrivals => board.arrivals.iter().map(row).collect(),
    };
    shows.of = Some((updates, want));
    live.set_changed();
}

/// An arrival as a row of the table: the origin where a departure has its
/// destination, arrival times where it has departure times.
fn row(a: &Arrival) -> Departure {
    Departure {
        id: a.id.clone(),
        mode: a.mode,
        route: a.route.clone(),
        headsign: a.origin.clone(),
        trip_number: a.trip_number.clone(),
        stop_id: a.stop_id.clone(),
        platform: a.platform.clone(),
        platform_changed: a.platform_changed,
        scheduled: a.scheduled.clone(),
        expected: a.expected.clone(),
        delay_s: a.delay_s,
        status: a.status,
        realtime: a.realtime,
        uncertainty_s: a.uncertainty_s,
        boarding: a.at_stop,
        occupancy: a.occupancy,
        notice_ids: a.notice_ids.clone(),
    }
}
