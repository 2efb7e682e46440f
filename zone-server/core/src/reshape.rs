//! Splits and merges ([`mmo_world::quadtree`]): the registry replaces a cell by its quarters, or
//! four quarters by their parent, all owned by one zone, in one write. For that zone nothing
//! moves: its entities and items stay where they are and are published in the frames of the new
//! cells from the next tick on (each entity in the cell its feet are in), the new cells are
//! checkpointed at the end of that tick, and their later moves to other zones are ordinary
//! migrations. Other zones only learn the new layout: where an entity crossing a border goes,
//! and which cells' frames make their ghosts.

use super::ZoneCore;
use mmo_world::{CellId, Epoch, Layout, ZoneId};
use std::collections::BTreeMap;

impl ZoneCore {
    /// Follows the registry's assignment table (each cell with its owner and epoch): the
    /// world's layout, the cells of this zone that it split or merged, and every cell's owner
    /// ([`ZoneCore::set_owner`]). A cell this zone owns stays a cell of its layout until a
    /// newer write replaces it (the table read may lag behind a quarter handed over here).
    pub fn follow_table(&mut self, table: &[(CellId, ZoneId, Epoch)]) {
        let mut layout = match Layout::implied(self.config.geometry, table.iter().map(|r| r.0)) {
            Ok(layout) => layout,
            Err(error) => {
                tracing::warn!(zone = %self.config.zone, %error, "the assignment table is no layout of the world; ignored");
                return;
            }
        };
        let rows: BTreeMap<CellId, (ZoneId, Epoch)> = table.iter().map(|&(c, z, e)| (c, (z, e))).collect();
        let me = self.config.zone;
        let owned: Vec<(CellId, Epoch)> = self.owned.iter().collect();
        for (cell, epoch) in owned {
            if layout.is_leaf(cell) {
                continue;
            }
            // The table has other cells where this one is: those that cover it or lie in it.
            let overlapping: Vec<(CellId, ZoneId, Epoch)> = rows
                .iter()
                .filter(|(c, _)| c.covers(cell) || cell.covers(**c))
                .map(|(c, (z, e))| (*c, *z, *e))
                .collect();
            let newer = !overlapping.is_empty() && overlapping.iter().all(|(_, _, e)| *e > epoch);
            // Split (maybe again, maybe with quarters moved on since: this zone read several
            // writes at once), or merged by this zone.
            let split = overlapping.iter().all(|(c, _, _)| cell.covers(*c));
            if newer && (split || overlapping.iter().all(|(_, z, _)| *z == me)) {
                self.reshaped(cell, epoch, &overlapping);
            } else if !newer {
                let _ = layout.make_leaf(cell); // the table lags behind this zone's own cell
            }
            // Else merged into a cell of another zone, which is not done (the policy merges
            // only one zone's quarters): the cell stays a leaf here, and set_owner's owner.
        }
        // Cells the reshapes made here stay leaves too (a merge replaces four owned cells).
        for (cell, _) in self.owned.iter() {
            if !layout.is_leaf(cell) {
                let _ = layout.make_leaf(cell);
            }
        }
        self.owners.retain(|c| layout.is_leaf(*c));
        self.layout = layout;
        for &(cell, zone, epoch) in table {
            if self.layout.is_leaf(cell) {
                self.set_owner(cell, zone, epoch);
            }
        }
    }

    /// Owned `cell` (at `epoch`) was replaced by `made` (its quarters, or the parent it merged
    /// into). Each is this zone's: at its own epoch if the table still gives it here, else at
    /// `epoch`, so that the table's newer owner takes it by an ordinary handover (a quarter moved
    /// on after the split, both read at once).
    fn reshaped(&mut self, cell: CellId, epoch: Epoch, made: &[(CellId, ZoneId, Epoch)]) {
        let me = self.config.zone;
        self.owned.remove(cell);
        for &(new, zone, at) in made {
            let at = if zone == me { at } else { epoch };
            if self.owned.insert(new, at) {
                tracing::info!(zone = %me, from = %cell, to = %new, epoch = %at, "cell reshaped");
                self.ghosts.forget(new);
            }
            self.owners.set(new, me, at);
            self.items.dirty.insert(new); // checkpointed at the end of the next tick
        }
    }

    /// Makes `cell` a cell of this zone's layout before the table says so (it was handed a
    /// quarter, or a merged cell, by a zone that read the table first).
    pub(crate) fn reshape_to(&mut self, cell: CellId) {
        if let Err(error) = self.layout.make_leaf(cell) {
            tracing::warn!(zone = %self.config.zone, %cell, %error, "cannot make the cell one of the layout");
        }
    }

    /// The world's cells as this zone knows them.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }
}
