//! What a zone does when the assignment table gives it cells: a cell whose previous owner lives
//! is handed over by that owner (a migration: the zone waits for the transfer); a cell that had
//! no owner, or whose owner is gone, nobody will hand over, so the zone takes it itself (from
//! the cell's checkpoint, or afresh), and the dead owner is declared lost. Pure: the zone host
//! and the whole-cluster simulation (`mmo-sim`) both decide with it.

use crate::registry::Assignment;
use mmo_world::{CellId, Epoch, ZoneId};
use std::collections::{BTreeMap, BTreeSet};

/// A cell newly assigned to the zone, with its previous owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gained {
    pub cell: CellId,
    pub epoch: Epoch,
    pub previous: Option<ZoneId>,
}

/// The cells `table` gives `me` that `before` did not, in cell order.
pub fn gained(before: &BTreeMap<CellId, Assignment>, table: &BTreeMap<CellId, Assignment>, me: ZoneId) -> Vec<Gained> {
    table
        .iter()
        .filter(|(_, a)| a.zone == me)
        .map(|(cell, a)| Gained { cell: *cell, epoch: a.epoch, previous: before.get(cell).map(|b| b.zone) })
        .filter(|g| g.previous != Some(me))
        .collect()
}

/// Whether deciding about `gained` needs to know which zones live (some cell had an owner).
pub fn needs_membership(gained: &[Gained]) -> bool {
    gained.iter().any(|g| g.previous.is_some())
}

/// The cells to take and the previous owners found dead.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Takeover {
    pub take: Vec<Gained>,
    pub dead: BTreeSet<ZoneId>,
}

/// Decides about `gained`, given the zones that live.
pub fn takeover(gained: &[Gained], alive: &BTreeSet<ZoneId>) -> Takeover {
    let mut out = Takeover::default();
    for g in gained {
        match g.previous {
            Some(prev) if alive.contains(&prev) => {} // its owner hands it over
            Some(prev) => {
                out.dead.insert(prev);
                out.take.push(*g);
            }
            None => out.take.push(*g),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[(u16, u32, u64)]) -> BTreeMap<CellId, Assignment> {
        rows.iter().map(|&(x, z, e)| (CellId::new(x, 0), Assignment { zone: ZoneId(z), epoch: Epoch(e) })).collect()
    }

    #[test]
    fn a_zone_takes_cells_nobody_hands_over_and_waits_for_the_others() {
        let before = table(&[(0, 1, 1), (1, 2, 2), (2, 3, 3)]);
        let after = table(&[(0, 1, 1), (1, 1, 4), (2, 1, 5), (3, 1, 6)]);
        let gained = gained(&before, &after, ZoneId(1));
        assert_eq!(gained.iter().map(|g| g.cell.x).collect::<Vec<_>>(), [1, 2, 3], "cell 0 was ours already");
        assert!(needs_membership(&gained));
        // Zone 2 lives (it hands cell 1 over); zone 3 is gone; cell 3 had no owner.
        let t = takeover(&gained, &BTreeSet::from([ZoneId(1), ZoneId(2)]));
        assert_eq!(t.take.iter().map(|g| (g.cell.x, g.epoch)).collect::<Vec<_>>(), [(2, Epoch(5)), (3, Epoch(6))]);
        assert_eq!(t.dead, BTreeSet::from([ZoneId(3)]));
        assert!(!needs_membership(&gained[2..]));
    }
}
