//! Pure assignment plans (no I/O).

use mmo_cluster::Assignment;
use mmo_world::{CellId, WorldGeometry, ZoneId};
use std::collections::BTreeMap;

/// Why a cell move was refused before anything was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoveRefused {
    #[error("{0} has no owner to move it from")]
    NoOwner(CellId),
    #[error("{cell} is owned by {zone} already")]
    AlreadyThere { cell: CellId, zone: ZoneId },
}

/// Checks a move of `cell` to `to` against the current table; returns the zone it moves from.
pub fn migration(table: &BTreeMap<CellId, Assignment>, cell: CellId, to: ZoneId) -> Result<ZoneId, MoveRefused> {
    match table.get(&cell) {
        None => Err(MoveRefused::NoOwner(cell)),
        Some(a) if a.zone == to => Err(MoveRefused::AlreadyThere { cell, zone: to }),
        Some(a) => Ok(a.zone),
    }
}

/// Splits the world into one block of whole columns per zone, as even as possible, so each
/// zone's cells are contiguous and borders between zones are few.
pub fn initial(geometry: &WorldGeometry, zones: &[ZoneId]) -> Vec<(CellId, ZoneId)> {
    if zones.is_empty() {
        return Vec::new();
    }
    let width = usize::from(geometry.width_cells);
    geometry
        .cells()
        .map(|cell| {
            // Column x goes to zone floor(x * n / width): blocks differ by at most one column.
            let zone = zones[usize::from(cell.x) * zones.len() / width];
            (cell, zone)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn every_cell_once_in_even_contiguous_blocks() {
        let g = WorldGeometry { width_cells: 8, height_cells: 3, cell_tiles: 128 };
        let zones = [ZoneId(1), ZoneId(2), ZoneId(3)];
        let plan = initial(&g, &zones);
        assert_eq!(plan.len(), 24);
        let mut counts: HashMap<ZoneId, usize> = HashMap::new();
        for (_, z) in &plan {
            *counts.entry(*z).or_default() += 1;
        }
        let (min, max) = (counts.values().min().unwrap(), counts.values().max().unwrap());
        assert!(max - min <= 3, "one column of 3 cells at most between zones: {counts:?}");
        // Owners never go back to an earlier zone moving right: blocks are contiguous.
        for y in 0..3 {
            let owners: Vec<ZoneId> = plan.iter().filter(|(c, _)| c.y == y).map(|(_, z)| *z).collect();
            assert!(owners.windows(2).all(|w| w[0] <= w[1]));
        }
    }

    #[test]
    fn a_move_needs_an_owner_and_another_zone() {
        use mmo_world::Epoch;
        let cell = CellId::new(1, 0);
        let mut table = BTreeMap::new();
        assert_eq!(migration(&table, cell, ZoneId(2)), Err(MoveRefused::NoOwner(cell)));
        table.insert(cell, Assignment::new(ZoneId(1), Epoch(3), None));
        assert_eq!(migration(&table, cell, ZoneId(1)), Err(MoveRefused::AlreadyThere { cell, zone: ZoneId(1) }));
        assert_eq!(migration(&table, cell, ZoneId(2)), Ok(ZoneId(1)));
    }

    #[test]
    fn one_zone_owns_everything_and_no_zone_owns_nothing() {
        let g = WorldGeometry::default();
        assert!(initial(&g, &[ZoneId(9)]).iter().all(|(_, z)| *z == ZoneId(9)));
        assert!(initial(&g, &[]).is_empty());
    }
}
