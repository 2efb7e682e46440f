//! The entities of a view, by handle: a table indexed by handle. Handles are small integers
//! (the gateway gives the smallest free one), so the table is dense; copying a view, which
//! both ends do every tick, is one allocation and a copy.

use super::{Handle, Known};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Handles a view may use: a spawn naming a larger one is refused, so a hostile snapshot
/// cannot make the receiver's table large. The gateway gives handles smallest first and never
/// holds this many entities for one client.
pub const MAX_HANDLES: usize = 1 << 12;

/// The entities of a view, by handle. Travels (in golden files) as a map from handle to entity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "BTreeMap<Handle, Known>", into = "BTreeMap<Handle, Known>")]
pub struct Entities {
    /// Slot `h` holds the entity of handle `h`; the last slot is always taken.
    slots: Vec<Option<Known>>,
}

impl Entities {
    pub fn get(&self, handle: &Handle) -> Option<&Known> {
        self.slots.get(usize::from(*handle)).and_then(Option::as_ref)
    }

    pub fn get_mut(&mut self, handle: &Handle) -> Option<&mut Known> {
        self.slots.get_mut(usize::from(*handle)).and_then(Option::as_mut)
    }

    /// Puts `known` under `handle`, returning what was there. A handle of [`MAX_HANDLES`] or
    /// more is the caller's to refuse.
    pub fn insert(&mut self, handle: Handle, known: Known) -> Option<Known> {
        let i = usize::from(handle);
        if self.slots.len() <= i {
            self.slots.resize(i + 1, None);
        }
        self.slots[i].replace(known)
    }

    pub fn remove(&mut self, handle: &Handle) -> Option<Known> {
        let old = self.slots.get_mut(usize::from(*handle))?.take();
        while self.slots.last().is_some_and(Option::is_none) {
            self.slots.pop();
        }
        old
    }

    pub fn len(&self) -> usize {
        self.values().count()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The entities in handle order.
    pub fn iter(&self) -> impl Iterator<Item = (Handle, &Known)> {
        self.slots.iter().enumerate().filter_map(|(h, k)| Some((h as Handle, k.as_ref()?)))
    }

    pub fn keys(&self) -> impl Iterator<Item = Handle> + '_ {
        self.iter().map(|(h, _)| h)
    }

    pub fn values(&self) -> impl Iterator<Item = &Known> {
        self.slots.iter().flatten()
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Known> {
        self.slots.iter_mut().flatten()
    }
}

impl From<BTreeMap<Handle, Known>> for Entities {
    fn from(map: BTreeMap<Handle, Known>) -> Self {
        let mut entities = Entities::default();
        for (h, k) in map {
            entities.insert(h, k);
        }
        entities
    }
}

impl From<Entities> for BTreeMap<Handle, Known> {
    fn from(entities: Entities) -> Self {
        entities.slots.into_iter().enumerate().filter_map(|(h, k)| Some((h as Handle, k?))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cell::EntityKind;

    fn known(id: u64) -> Known {
        Known {
            id: mmo_world::EntityId(id),
            kind: EntityKind::Npc { species: 0 },
            max_hp: 1,
            motion: Default::default(),
            hp: 1,
            pose: 0,
        }
    }

    #[test]
    fn behaves_as_a_map_and_equal_contents_are_equal() {
        let mut a = Entities::default();
        assert_eq!(a.insert(3, known(30)), None);
        assert_eq!(a.insert(1, known(10)), None);
        assert_eq!(a.insert(1, known(11)), Some(known(10)));
        assert_eq!((a.len(), a.keys().collect::<Vec<_>>()), (2, vec![1, 3]));
        assert_eq!(a.remove(&3), Some(known(30)));
        assert_eq!(a.remove(&3), None);
        assert_eq!(a.get(&1), Some(&known(11)));
        let mut b = Entities::default();
        b.insert(1, known(11));
        assert_eq!(a, b, "a table that held more is equal to one that never did");
        let map: BTreeMap<Handle, Known> = a.clone().into();
        assert_eq!(Entities::from(map), a);
    }
}
