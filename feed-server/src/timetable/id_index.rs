//! Lookups by GTFS id without a second copy of every id: the positions of a
//! table's rows, sorted by their id, searched by bisection.
//!
//! A hash map of ids would hold each trip id twice (TER: 33,000 of them), and
//! would have to be rebuilt, string by string, whenever a compiled timetable is
//! read back from the cache; this index is a plain array of positions, stored and
//! read back as it is.

use std::marker::PhantomData;

use super::Idx;

/// Positions of rows sorted by id; for ids that appear more than once, only the
/// last row (what a later line of the file means: it replaces the earlier one).
#[derive(Debug, Clone)]
pub struct IdIndex<I> {
    sorted: Vec<u32>,
    _index: PhantomData<fn(I)>,
}

impl<I> Default for IdIndex<I> {
    fn default() -> Self {
        IdIndex {
            sorted: Vec::new(),
            _index: PhantomData,
        }
    }
}

impl<I: Idx> IdIndex<I> {
    /// The index of `ids` (the id of each row, in row order).
    pub fn build(ids: &[&str]) -> IdIndex<I> {
        let mut sorted: Vec<u32> = (0..ids.len() as u32).collect();
        // Stable: equal ids stay in row order, and the last of each run is kept.
        sorted.sort_by(|&a, &b| ids[a as usize].cmp(ids[b as usize]));
        let mut kept: Vec<u32> = Vec::with_capacity(sorted.len());
        for position in sorted {
            match kept.last_mut() {
                Some(last) if ids[*last as usize] == ids[position as usize] => *last = position,
                _ => kept.push(position),
            }
        }
        IdIndex {
            sorted: kept,
            _index: PhantomData,
        }
    }

    /// The row whose id is `key`; `id` gives a row's id.
    pub fn find<'t>(&self, key: &str, id: impl Fn(I) -> &'t str) -> Option<I> {
        self.sorted
            .binary_search_by(|&p| id(I::new(p as usize)).cmp(key))
            .ok()
            .map(|i| I::new(self.sorted[i] as usize))
    }

    /// The sorted positions, for the cache.
    pub(super) fn positions(&self) -> &[u32] {
        &self.sorted
    }

    /// An index from positions stored by [`IdIndex::positions`], checked: every
    /// position below `rows` and ids strictly increasing.
    pub(super) fn from_positions<'t>(
        sorted: Vec<u32>,
        rows: usize,
        id: impl Fn(I) -> &'t str,
    ) -> Result<IdIndex<I>, String> {
        if let Some(&p) = sorted.iter().find(|&&p| p as usize >= rows) {
            return Err(format!("position {p} of {rows}"));
        }
        if sorted
            .windows(2)
            .any(|w| id(I::new(w[0] as usize)) >= id(I::new(w[1] as usize)))
        {
            return Err("ids out of order".into());
        }
        Ok(IdIndex {
            sorted,
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
        assert!(IdIndex::<TripIdx>::from_positions(stored.clone(), 5, id).is_ok());
        assert!(IdIndex::<TripIdx>::from_positions(stored, 4, id).is_err());
        assert!(IdIndex::<TripIdx>::from_positions(vec![2, 0], 5, id).is_err());
    }
}
