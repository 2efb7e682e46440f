//! What a zone does when the assignment table gives it cells: a cell whose previous owner lives
//! is handed over by that owner (a migration: the zone waits for the transfer); a cell that had
//! no owner, or whose owner is gone, nobody will hand over, so the zone takes it itself (from
//! the cell's checkpoint, or afresh), and the dead owner is declared lost. A cell it waits for
//! whose owner dies before handing it over is taken when that owner is declared lost
//! ([`Awaiting`]): the coordinator gave it away while the owner still looked alive (its lease
//! had not expired), so no recovery will come for it (the whole-cluster simulation found such
//! cells simulated by nobody for good). A previous owner started again under its id is not the
//! run that held the cell when its new run registered after the cell was moved away (the
//! registry's registration revisions and the cells' epochs are one order): the cell is taken,
//! as from a dead owner (the simulation found such cells waited for for good when a zone came
//! back right after its lease expired). Pure: the zone host and the whole-cluster simulation
//! (`mmo-sim`) both decide with it.

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

/// The cells `table` gives `me` that `before` did not, in cell order, each with the owner it
/// was taken from: as the registry recorded it with the write ([`Assignment::previous`]), for
/// `before` may have skipped writes (a zone that stalled, a watch that coalesced changes); else
/// the owner in `before`. A cell a split or a merge made (its parent, or its quarters, in
/// `before`) had the owner of those: a zone's own cell reshaped is not gained (the core
/// reshapes it in place).
pub fn gained(before: &BTreeMap<CellId, Assignment>, table: &BTreeMap<CellId, Assignment>, me: ZoneId) -> Vec<Gained> {
    let seen = |cell: &CellId| {
        let overlapping = || before.iter().find(|(c, _)| c.covers(*cell) || cell.covers(**c)).map(|(_, a)| a);
        before.get(cell).or_else(overlapping).map(|a| a.zone)
    };
    table
        .iter()
        .filter(|(cell, a)| a.zone == me && before.get(cell) != Some(a))
        .map(|(cell, a)| {
            // A reshape records its own zone: whether the zone reshaped its own cell is its own
            // table's to say (a zone started again has none, and takes the cell).
            let recorded = a.previous.filter(|p| *p != a.zone);
            Gained { cell: *cell, epoch: a.epoch, previous: recorded.or_else(|| seen(cell)) }
        })
        .filter(|g| g.previous != Some(me))
        .collect()
}

/// Whether deciding about `gained` needs to know which zones live (some cell had an owner).
pub fn needs_membership(gained: &[Gained]) -> bool {
    gained.iter().any(|g| g.previous.is_some())
}

/// The cells to take, the previous owners found dead, and the cells to wait for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Takeover {
    pub take: Vec<Gained>,
    pub dead: BTreeSet<ZoneId>,
    /// Handed over by their live previous owners.
    pub wait: Vec<Gained>,
}

/// Decides about `gained`, given the zones that live and the revision each one's run
/// registered at ([`crate::Registry::zone_runs`]), `me` among them.
pub fn takeover(gained: &[Gained], runs: &BTreeMap<ZoneId, Epoch>, me: ZoneId) -> Takeover {
    let mut out = Takeover::default();
    let registered = runs.get(&me).copied();
    for g in gained {
        if registered.is_some_and(|r| g.epoch < r) {
            // Given to an earlier run of this zone, which is gone: nobody hands it over.
            out.take.push(*g);
            continue;
        }
        match g.previous.map(|prev| (prev, runs.get(&prev))) {
            // The run that held it lives and hands it over.
            Some((_, Some(registered))) if *registered < g.epoch => out.wait.push(*g),
            // Started again since the cell was moved away: nobody holds it.
            Some((_, Some(_))) => out.take.push(*g),
            Some((prev, None)) => {
                out.dead.insert(prev);
                out.take.push(*g);
            }
            None => out.take.push(*g),
        }
    }
    out
}

/// The cells a zone waits to be handed over, by the owner that is to hand them over.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Awaiting {
    cells: BTreeMap<CellId, Gained>,
}

impl Awaiting {
    /// After a new table: forgets the cells it no longer gives `me` at the epoch waited for,
    /// and waits for `wait` too.
    pub fn update(&mut self, table: &BTreeMap<CellId, Assignment>, me: ZoneId, wait: &[Gained]) {
        self.cells.retain(|cell, g| table.get(cell).is_some_and(|a| a.zone == me && a.epoch == g.epoch));
        self.cells.extend(wait.iter().map(|g| (g.cell, *g)));
    }

    /// Zone `gone` is lost: the cells it was to hand over, which the zone takes now (taking a
    /// cell it already holds, its handover done, changes nothing).
    pub fn lost(&mut self, gone: ZoneId) -> Vec<Gained> {
        let orphans: Vec<Gained> = self.cells.values().filter(|g| g.previous == Some(gone)).copied().collect();
        self.cells.retain(|_, g| g.previous != Some(gone));
        orphans
    }

    /// The zones live now, with their runs' registrations: the cells waited for from a run that
    /// is no more (its zone registered again after the cell was moved here), which the zone
    /// takes now. A zone that is gone altogether is told by [`Awaiting::lost`].
    pub fn restarted(&mut self, runs: &BTreeMap<ZoneId, Epoch>) -> Vec<Gained> {
        let from_old_run = |g: &Gained| g.previous.and_then(|p| runs.get(&p)).is_some_and(|r| *r > g.epoch);
        let orphans: Vec<Gained> = self.cells.values().filter(|g| from_old_run(g)).copied().collect();
        self.cells.retain(|_, g| !from_old_run(g));
        orphans
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[(u16, u32, u64)]) -> BTreeMap<CellId, Assignment> {
        rows.iter().map(|&(x, z, e)| (CellId::new(x, 0), Assignment::new(ZoneId(z), Epoch(e), None))).collect()
    }

    /// Live zones and the revisions their runs registered at.
    fn runs(rows: &[(u32, u64)]) -> BTreeMap<ZoneId, Epoch> {
        rows.iter().map(|&(z, r)| (ZoneId(z), Epoch(r))).collect()
    }

    /// The simulation's seeds 4863, 5209, 7439: a zone stalled while a cell moved from z2 to
    /// z1 (dead, its lease not expired yet) and then, recovered, to it. Its own table says z2
    /// had the cell, but z2 handed it to z1 and took back only its entities when z1 was lost:
    /// the registry's record names z1, which is gone, so the cell is taken.
    #[test]
    fn the_owner_the_registry_recorded_counts_not_the_one_a_lagging_table_shows() {
        let before = table(&[(0, 2, 7)]);
        let mut after = table(&[(0, 3, 25)]);
        after.get_mut(&CellId::new(0, 0)).unwrap().previous = Some(ZoneId(1));
        let gained = gained(&before, &after, ZoneId(3));
        assert_eq!(gained, [Gained { cell: CellId::new(0, 0), epoch: Epoch(25), previous: Some(ZoneId(1)) }]);
        let t = takeover(&gained, &runs(&[(2, 0), (3, 0)]), ZoneId(3));
        assert_eq!((t.take.len(), t.dead.iter().copied().collect::<Vec<_>>()), (1, vec![ZoneId(1)]));
        // Read again, unchanged: nothing gained, whoever it was taken from.
        assert!(super::gained(&after, &after, ZoneId(3)).is_empty());
        // z3 started again, its lease expired before the cell was recovered: the cell was
        // given to its earlier run, so nobody hands it over, though z1's record names z2 alive.
        let mut earlier = table(&[(0, 3, 22), (1, 3, 24)]);
        earlier.get_mut(&CellId::new(0, 0)).unwrap().previous = Some(ZoneId(2));
        // Cell 1: a quarter of its own split, the split recorded as taken from itself.
        earlier.get_mut(&CellId::new(1, 0)).unwrap().previous = Some(ZoneId(3));
        let restarted = super::gained(&BTreeMap::new(), &earlier, ZoneId(3));
        assert_eq!(restarted.len(), 2, "{restarted:?}");
        let t = takeover(&restarted, &runs(&[(2, 0), (3, 30)]), ZoneId(3));
        assert_eq!(t.take.len(), 2, "{t:?}");
    }

    #[test]
    fn a_cell_moved_away_from_a_run_that_is_no_more_is_taken_not_waited_for() {
        let before = table(&[(0, 2, 1), (1, 2, 2)]);
        let after = table(&[(0, 1, 4), (1, 1, 5)]);
        let gained = gained(&before, &after, ZoneId(1));
        // Zone 2 crashed, its lease expired and it registered again at revision 6: after both
        // moves, so the run that held the cells is gone. Zone 2 itself is alive, not lost.
        let t = takeover(&gained, &runs(&[(1, 0), (2, 6)]), ZoneId(1));
        assert_eq!(t.take.iter().map(|g| g.cell.x).collect::<Vec<_>>(), [0, 1]);
        assert!(t.dead.is_empty() && t.wait.is_empty(), "{t:?}");
        // Registered at 3, between the writes that gave it cell 0 and the moves: it holds them.
        let t = takeover(&gained, &runs(&[(1, 0), (2, 3)]), ZoneId(1));
        assert_eq!(t.wait.len(), 2);
        // Waited for, then zone 2 comes back as a new run: the cells are taken then.
        let mut awaiting = Awaiting::default();
        awaiting.update(&after, ZoneId(1), &t.wait);
        assert!(awaiting.restarted(&runs(&[(1, 0), (2, 3)])).is_empty(), "the same run");
        let orphans = awaiting.restarted(&runs(&[(1, 0), (2, 9)]));
        assert_eq!(orphans.iter().map(|g| (g.cell.x, g.epoch)).collect::<Vec<_>>(), [(0, Epoch(4)), (1, Epoch(5))]);
        assert!(awaiting.lost(ZoneId(2)).is_empty(), "taken once");
    }

    #[test]
    fn a_zone_takes_cells_nobody_hands_over_and_waits_for_the_others() {
        let before = table(&[(0, 1, 1), (1, 2, 2), (2, 3, 3)]);
        let after = table(&[(0, 1, 1), (1, 1, 4), (2, 1, 5), (3, 1, 6)]);
        let gained = gained(&before, &after, ZoneId(1));
        assert_eq!(gained.iter().map(|g| g.cell.x).collect::<Vec<_>>(), [1, 2, 3], "cell 0 was ours already");
        assert!(needs_membership(&gained));
        // Zone 2 lives (it hands cell 1 over); zone 3 is gone; cell 3 had no owner.
        let t = takeover(&gained, &runs(&[(1, 0), (2, 0)]), ZoneId(1));
        assert_eq!(t.take.iter().map(|g| (g.cell.x, g.epoch)).collect::<Vec<_>>(), [(2, Epoch(5)), (3, Epoch(6))]);
        assert_eq!(t.dead, BTreeSet::from([ZoneId(3)]));
        assert_eq!(t.wait.iter().map(|g| g.cell.x).collect::<Vec<_>>(), [1]);
        assert!(!needs_membership(&gained[2..]));
    }

    #[test]
    fn a_zones_own_cell_split_or_merged_is_not_gained_but_a_quarter_moved_here_is() {
        let c = CellId::new(1, 0);
        let q = c.quarters();
        let at = |cell: CellId, zone: u32, epoch: u64| (cell, Assignment::new(ZoneId(zone), Epoch(epoch), None));
        let before: BTreeMap<_, _> = [at(CellId::new(0, 0), 2, 1), at(c, 1, 2)].into();
        let split: BTreeMap<_, _> =
            [at(CellId::new(0, 0), 2, 1), at(q[0], 1, 3), at(q[1], 1, 3), at(q[2], 1, 3), at(q[3], 1, 3)].into();
        assert!(gained(&before, &split, ZoneId(1)).is_empty(), "its own cell, split");
        let moved: BTreeMap<_, _> = split
            .iter()
            .map(|(k, v)| (*k, if *k == q[1] { Assignment::new(ZoneId(2), Epoch(4), None) } else { *v }))
            .collect();
        assert_eq!(
            gained(&split, &moved, ZoneId(2)),
            [Gained { cell: q[1], epoch: Epoch(4), previous: Some(ZoneId(1)) }]
        );
        let merged: BTreeMap<_, _> = [at(CellId::new(0, 0), 2, 1), at(c, 1, 5)].into();
        assert!(gained(&split, &merged, ZoneId(1)).is_empty(), "its own quarters, merged");
    }

    #[test]
    fn a_cell_whose_owner_dies_before_handing_it_over_is_taken_when_that_owner_is_lost() {
        let before = table(&[(0, 2, 1), (1, 2, 2), (2, 3, 3)]);
        let after = table(&[(0, 1, 4), (1, 1, 5), (2, 1, 6)]);
        let gained = gained(&before, &after, ZoneId(1));
        let t = takeover(&gained, &runs(&[(1, 0), (2, 0), (3, 0)]), ZoneId(1));
        assert!(t.take.is_empty(), "all three have live owners to hand them over");
        let mut awaiting = Awaiting::default();
        awaiting.update(&after, ZoneId(1), &t.wait);
        // Cell 1 is given to zone 4 before zone 2 dies: not ours to take any more.
        let later = table(&[(0, 1, 4), (1, 4, 7), (2, 1, 6)]);
        awaiting.update(&later, ZoneId(1), &[]);
        let orphans = awaiting.lost(ZoneId(2));
        assert_eq!(orphans.iter().map(|g| (g.cell.x, g.epoch)).collect::<Vec<_>>(), [(0, Epoch(4))]);
        assert!(awaiting.lost(ZoneId(2)).is_empty(), "taken once");
        assert_eq!(awaiting.lost(ZoneId(3)).len(), 1, "cell 2 waits for zone 3");
    }
}
