//! Realtime changes for the demo timetable: GTFS-Realtime TripUpdates messages with
//! delays and cancellations drawn from a seeded generator, so that a test or a load
//! run replays the same "random" sequence.

use crate::gtfs_rt::{self, stop, trip_update};

/// Departures from Caudry on weekday mornings in the demo: (trip, stop_sequence).
pub const TRIPS: [(&str, u32); 9] = [
    ("CA2C:1:WD:0:0750", 1),
    ("CA2C:1:WD:0:0820", 1),
    ("CA2C:2:WD:0:0815", 1),
    ("CA2C:3:WD:0:0810", 1),
    ("CA2C:5:WD:0:0730", 4),
    ("CA2C:5:WD:1:0720", 3),
    ("TER:843800:WD", 6),
    ("TER:843840:WD", 7),
    ("TER:843856:WD", 3),
];

/// The service day of [`TRIPS`] (a Monday).
pub const SERVICE_DAY: &str = "20260309";

/// A small deterministic generator (xorshift).
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// A TripUpdates message dated `ts` (POSIX seconds): each of [`TRIPS`] randomly
/// untouched (30 %), delayed or early (60 %), or cancelled (10 %).
pub fn random_updates(rng: &mut Rng, ts: i64) -> Vec<u8> {
    let entities: Vec<_> = TRIPS
        .iter()
        .filter_map(|(trip, seq)| {
            let roll = rng.next_u64() % 10;
            if roll < 3 {
                return None;
            }
            let cancelled = roll == 9;
            let delay = (rng.next_u64() % 20) as i32 * 60 - 120;
            let update = trip_update(trip, SERVICE_DAY);
            let update = if cancelled {
                update.cancelled()
            } else {
                update.scheduled()
            };
            Some(update.stop(stop(*seq).delay(delay)))
        })
        .collect();
    gtfs_rt::encode(ts, entities)
}
