//! Typed positions in a compiled feed: a [`StopIdx`] can only index stops, a
//! [`TripIdx`] only trips, and so on, so that a stop's position cannot be used
//! as a trip's by mistake. [`Table`] is a vector indexed by one of them.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Index;

/// A position in a [`Table`].
pub trait Idx: Copy {
    fn new(position: usize) -> Self;
    fn position(self) -> usize;
}

macro_rules! idx {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(u32);

        impl Idx for $name {
            fn new(position: usize) -> Self {
                // Tables are built from files of at most a few million rows.
                $name(u32::try_from(position).unwrap_or(u32::MAX))
            }
            fn position(self) -> usize {
                self.0 as usize
            }
        }
    };
}

idx!(
    /// A stop, platform or station of one feed.
    StopIdx
);
idx!(
    /// A trip of one feed.
    TripIdx
);
idx!(
    /// A route (line) of one feed.
    RouteIdx
);
idx!(
    /// A service (calendar) of one feed.
    ServiceIdx
);
idx!(
    /// One call of a trip at a stop, in the feed's ordered stop times.
    StopTimeIdx
);

/// Rows addressed by their typed position.
pub struct Table<I, T> {
    rows: Vec<T>,
    _index: PhantomData<fn(I)>,
}

impl<I: Idx, T> Table<I, T> {
    /// Appends a row and returns its position.
    pub fn push(&mut self, row: T) -> I {
        self.rows.push(row);
        I::new(self.rows.len() - 1)
    }

    pub fn get(&self, i: I) -> Option<&T> {
        self.rows.get(i.position())
    }

    pub fn get_mut(&mut self, i: I) -> Option<&mut T> {
        self.rows.get_mut(i.position())
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.rows.iter()
    }

    /// Rows with their positions.
    pub fn enumerate(&self) -> impl Iterator<Item = (I, &T)> {
        self.rows.iter().enumerate().map(|(i, r)| (I::new(i), r))
    }

    /// The rows from `start` (inclusive) to `end` (exclusive).
    pub fn slice(&self, start: I, end: I) -> &[T] {
        &self.rows[start.position()..end.position()]
    }

    /// The position the next row will get.
    pub fn next_index(&self) -> I {
        I::new(self.rows.len())
    }

    pub fn with_capacity(n: usize) -> Self {
        Table {
            rows: Vec::with_capacity(n),
            _index: PhantomData,
        }
    }
}

impl<I, T> Default for Table<I, T> {
    fn default() -> Self {
        Table {
            rows: Vec::new(),
            _index: PhantomData,
        }
    }
}

impl<I: Idx, T> Index<I> for Table<I, T> {
    type Output = T;
    fn index(&self, i: I) -> &T {
        &self.rows[i.position()]
    }
}

impl<I, T> FromIterator<T> for Table<I, T> {
    fn from_iter<It: IntoIterator<Item = T>>(iter: It) -> Self {
        Table {
            rows: iter.into_iter().collect(),
            _index: PhantomData,
        }
    }
}

impl<I, T: PartialEq> PartialEq for Table<I, T> {
    fn eq(&self, other: &Self) -> bool {
        self.rows == other.rows
    }
}

impl<I, T: Eq> Eq for Table<I, T> {}

/// A table is stored as its rows (the compiled-timetable cache).
impl<I, T: serde::Serialize> serde::Serialize for Table<I, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.rows.serialize(serializer)
    }
}

impl<'de, I, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Table<I, T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Table {
            rows: Vec::deserialize(deserializer)?,
            _index: PhantomData,
        })
    }
}

impl<I, T: fmt::Debug> fmt::Debug for Table<I, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Table({} rows)", self.rows.len())
    }
}
