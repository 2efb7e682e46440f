//! Pure assignment plans (no I/O).

use mmo_world::{CellId, WorldGeometry, ZoneId};

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
    fn one_zone_owns_everything_and_no_zone_owns_nothing() {
        let g = WorldGeometry::default();
        assert!(initial(&g, &[ZoneId(9)]).iter().all(|(_, z)| *z == ZoneId(9)));
        assert!(initial(&g, &[]).is_empty());
    }
}
