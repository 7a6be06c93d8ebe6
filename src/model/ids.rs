//! Typed ids for the plan's units, indicators and projects.
//!
//! The plan holds each list in an [`IdVec`], indexed only by its own id
//! type, so a unit's index can never be used to look up an indicator, and
//! a `(UnitId, IndicatorId)` pair says what it is.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Index, IndexMut};

use serde::{Serialize, Serializer};

/// An id: a position in the plan's list of its kind.
pub trait Id: Copy + Eq + Ord + std::hash::Hash + fmt::Debug {
    fn new(index: usize) -> Self;
    fn index(self) -> usize;
}

macro_rules! id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u32);

        impl Id for $name {
            fn new(index: usize) -> Self {
                $name(u32::try_from(index).expect("fewer than 4 billion entries in a plan"))
            }
            fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl $name {
            /// The id as a number, for tables (polars columns).
            pub fn as_u32(self) -> u32 {
                self.0
            }

            /// The id of a number read back from a table.
            pub fn from_u32(v: u32) -> Self {
                $name(v)
            }
        }
    };
}

id!(
    /// A unit (填报单位) of the plan.
    UnitId
);
id!(
    /// An indicator (指标) of the plan.
    IndicatorId
);
id!(
    /// A key project (重点项目) of the plan.
    ProjectId
);

/// One task of the plan: a unit's target for an indicator.
pub type TaskKey = (UnitId, IndicatorId);

/// A list indexed by its own id type.
#[derive(Clone, PartialEq)]
pub struct IdVec<I, T> {
    items: Vec<T>,
    _id: PhantomData<fn(I)>,
}

impl<I: Id, T> IdVec<I, T> {
    pub fn new() -> Self {
        IdVec {
            items: Vec::new(),
            _id: PhantomData,
        }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Adds an item; returns its id.
    pub fn push(&mut self, item: T) -> I {
        self.items.push(item);
        I::new(self.items.len() - 1)
    }

    pub fn get(&self, id: I) -> Option<&T> {
        self.items.get(id.index())
    }

    pub fn get_mut(&mut self, id: I) -> Option<&mut T> {
        self.items.get_mut(id.index())
    }

    /// Every id, in order.
    pub fn ids(&self) -> impl DoubleEndedIterator<Item = I> + ExactSizeIterator + use<I, T> {
        (0..self.items.len()).map(I::new)
    }

    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    /// Every item with its id.
    pub fn iter_enumerated(&self) -> impl DoubleEndedIterator<Item = (I, &T)> + ExactSizeIterator {
        self.items.iter().enumerate().map(|(k, t)| (I::new(k), t))
    }

    pub fn first(&self) -> Option<&T> {
        self.items.first()
    }

    pub fn as_slice(&self) -> &[T] {
        &self.items
    }
}

impl<I: Id, T> Default for IdVec<I, T> {
    fn default() -> Self {
        IdVec::new()
    }
}

impl<I: Id, T> From<Vec<T>> for IdVec<I, T> {
    fn from(items: Vec<T>) -> Self {
        IdVec {
            items,
            _id: PhantomData,
        }
    }
}

impl<I: Id, T> FromIterator<T> for IdVec<I, T> {
    fn from_iter<It: IntoIterator<Item = T>>(iter: It) -> Self {
        IdVec::from(iter.into_iter().collect::<Vec<T>>())
    }
}

impl<I: Id, T> Index<I> for IdVec<I, T> {
    type Output = T;
    fn index(&self, id: I) -> &T {
        &self.items[id.index()]
    }
}

impl<I: Id, T> IndexMut<I> for IdVec<I, T> {
    fn index_mut(&mut self, id: I) -> &mut T {
        &mut self.items[id.index()]
    }
}

impl<'a, I: Id, T> IntoIterator for &'a IdVec<I, T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl<I: Id, T> IntoIterator for IdVec<I, T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<I, T: fmt::Debug> fmt::Debug for IdVec<I, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.items.fmt(f)
    }
}

/// A unit as an issue or a submission names it: its id, for the stages
/// that follow, and its name, for people (what CSV and JSON show).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRef {
    pub id: UnitId,
    pub name: String,
}

impl Serialize for UnitRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_index_only_their_own_list() {
        let mut units: IdVec<UnitId, &str> = IdVec::new();
        let a = units.push("清泉镇");
        let b = units.push("大马营镇");
        assert_eq!((a.index(), b.index()), (0, 1));
        assert_eq!(units[b], "大马营镇");
        assert_eq!(units.ids().collect::<Vec<_>>(), vec![a, b]);
        assert_eq!(
            units.iter_enumerated().map(|(id, n)| (id, *n)).next_back(),
            Some((b, "大马营镇"))
        );
    }
}
