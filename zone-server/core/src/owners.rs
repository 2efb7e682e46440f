//! Who owns each cell of the world (cells of the layout, of any depth), as far as this zone
//! knows (from the registry), with the ownership epoch: where entities leaving the zone's cells
//! go, and when a cell of its own has been given to another zone.

use mmo_world::{CellId, Epoch, ZoneId};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default)]
pub(crate) struct Owners {
    table: BTreeMap<CellId, (ZoneId, Epoch)>,
}

impl Owners {
    /// The owner of `cell`; for a quarter nobody was named for yet (a split this zone has not
    /// read yet), the owner of the cell it lies in.
    pub fn get(&self, cell: CellId) -> Option<(ZoneId, Epoch)> {
        let mut at = Some(cell);
        while let Some(c) = at {
            if let Some(&owner) = self.table.get(&c) {
                return Some(owner);
            }
            at = c.parent();
        }
        None
    }

    /// Records an assignment unless an assignment with a newer epoch is known; true if recorded.
    pub fn set(&mut self, cell: CellId, zone: ZoneId, epoch: Epoch) -> bool {
        if self.table.get(&cell).is_some_and(|(_, known)| *known > epoch) {
            return false;
        }
        self.table.insert(cell, (zone, epoch));
        true
    }

    /// Keeps the cells `keep` says are still cells of the world (a split or a merge replaced
    /// the others).
    pub fn retain(&mut self, keep: impl Fn(&CellId) -> bool) {
        self.table.retain(|c, _| keep(c));
    }
}
