//! Lookups by GTFS id without a second copy of every id: an open-addressing hash
//! table that holds row positions only, and compares the key with the row's own id.
//!
//! A `HashMap<String, _>` would hold each trip id twice (TER: 33,000 of them) and
//! would have to be rebuilt, string by string, whenever a compiled timetable is
//! read back from the cache; this table is a plain array of positions, stored and
//! read back as it is. (A sorted array searched by bisection was tried first: it
//! made attaching a 5,000-trip realtime message 1.8 times slower, TER trip ids
//! sharing long prefixes.)

use std::marker::PhantomData;

use super::Idx;

/// An empty slot.
const EMPTY: u32 = u32::MAX;

/// Row positions by the hash of their id; for ids that appear more than once, only
/// the last row (what a later line of the file means: it replaces the earlier one).
#[derive(Debug, Clone)]
pub struct IdIndex<I> {
    /// A power of two long, at most half full (so that every probe ends).
    slots: Vec<u32>,
    _index: PhantomData<fn(I)>,
}

impl<I> Default for IdIndex<I> {
    fn default() -> Self {
        IdIndex {
            slots: Vec::new(),
            _index: PhantomData,
        }
    }
}

/// FNV-1a: stable from run to run (the table is stored) and quick on short ids.
fn hash(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl<I: Idx> IdIndex<I> {
    /// The index of `ids` (the id of each row, in row order).
    pub fn build(ids: &[&str]) -> IdIndex<I> {
        let len = (ids.len() * 2).next_power_of_two().max(2);
        let mut slots = vec![EMPTY; len];
        let mask = len - 1;
        for (position, id) in ids.iter().enumerate() {
            let mut at = hash(id) as usize & mask;
            loop {
                let slot = slots[at];
                if slot == EMPTY || ids[slot as usize] == *id {
                    slots[at] = position as u32;
                    break;
                }
                at = (at + 1) & mask;
            }
        }
        IdIndex {
            slots,
            _index: PhantomData,
        }
    }

    /// The row whose id is `key`; `id` gives a row's id.
    pub fn find<'t>(&self, key: &str, id: impl Fn(I) -> &'t str) -> Option<I> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut at = hash(key) as usize & mask;
        // Bounded even for a table that is not as `build` makes them.
        for _ in 0..self.slots.len() {
            let slot = self.slots[at];
            if slot == EMPTY {
                return None;
            }
            let row = I::new(slot as usize);
            if id(row) == key {
                return Some(row);
            }
            at = (at + 1) & mask;
        }
        None
    }

    /// The table, for the cache.
    pub(super) fn positions(&self) -> &[u32] {
        &self.slots
    }

    /// An index from a table stored by [`IdIndex::positions`], checked: a power of
    /// two long, with an empty slot, every position below `rows`. (A table that
    /// passes but is wrong can only miss ids, never give another row: `find`
    /// compares ids.)
    pub(super) fn from_positions(slots: Vec<u32>, rows: usize) -> Result<IdIndex<I>, String> {
        if !slots.is_empty() && !slots.len().is_power_of_two() {
            return Err(format!("an id table of {} slots", slots.len()));
        }
        if !slots.is_empty() && !slots.contains(&EMPTY) {
            return Err("a full id table".into());
        }
        if let Some(&p) = slots.iter().find(|&&p| p != EMPTY && p as usize >= rows) {
            return Err(format!("position {p} of {rows}"));
        }
        Ok(IdIndex {
            slots,
            _index: PhantomData,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timetable::TripIdx;

    #[test]
    fn finds_every_id_and_the_last_of_duplicates() {
        let ids = ["b", "a", "c", "a", "d"];
        let index = IdIndex::<TripIdx>::build(&ids);
        let id = |i: TripIdx| ids[i.position()];
        assert_eq!(index.find("a", id), Some(TripIdx::new(3)));
        assert_eq!(index.find("c", id), Some(TripIdx::new(2)));
        assert_eq!(index.find("d", id), Some(TripIdx::new(4)));
        assert_eq!(index.find("e", id), None);
        assert_eq!(index.find("", id), None);
        let stored = index.positions().to_vec();
        assert!(IdIndex::<TripIdx>::from_positions(stored.clone(), 5).is_ok());
        assert!(IdIndex::<TripIdx>::from_positions(stored, 4).is_err());
        assert!(IdIndex::<TripIdx>::from_positions(vec![0, 1, 2], 5).is_err());
        assert!(IdIndex::<TripIdx>::from_positions(vec![0, 1], 5).is_err());
        // A full table (not one `build` makes) still answers, and ends.
        let full = IdIndex::<TripIdx> {
            slots: vec![0, 1],
            _index: PhantomData,
        };
        assert_eq!(full.find("zz", id), None);
        assert_eq!(IdIndex::<TripIdx>::default().find("a", id), None);
    }

    #[test]
    fn many_ids_sharing_long_prefixes() {
        let ids: Vec<String> = (0..20_000)
            .map(|i| format!("OCESN{i:06}F3798765:2025-01-22T00:42:25Z"))
            .collect();
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let index = IdIndex::<TripIdx>::build(&refs);
        let id = |i: TripIdx| refs[i.position()];
        for (i, key) in refs.iter().enumerate() {
            assert_eq!(index.find(key, id), Some(TripIdx::new(i)));
        }
        assert_eq!(
            index.find("OCESN020000F3798765:2025-01-22T00:42:25Z", id),
            None
        );
    }
}
