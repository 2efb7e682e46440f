//! Where things can stand: spawn positions for NPCs and players.

use glam::IVec2;
use mmo_world::physics::SUB;
use mmo_world::{CellId, Tile, TileSource, WorldGeometry};

/// Every place in `cell` where a body can stand: a solid or platform tile with two free
/// tiles above it, the feet (the free tile's row) inside the cell, away from the world's edge
/// walls. Positions are feet positions in the middle of the column, column by column, top to
/// bottom (a deterministic order to pick from with the zone's RNG).
pub fn standing_spots(tiles: &impl TileSource, geometry: &WorldGeometry, cell: CellId) -> Vec<IVec2> {
    let (origin, size) = geometry.cell_square(cell);
    let (x0, x1) = (origin.x.max(2), (origin.x + size).min(geometry.width_tiles() - 2));
    let mut spots = Vec::new();
    for x in x0..x1 {
        let mut above = [tiles.tile(x, origin.y - 1), tiles.tile(x, origin.y)];
        for y in origin.y + 1..=origin.y + size {
            let here = tiles.tile(x, y);
            if here != Tile::Empty && above == [Tile::Empty, Tile::Empty] {
                spots.push(IVec2::new(x * SUB + SUB / 2, y * SUB));
            }
            above = [above[1], here];
        }
    }
    spots
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmo_world::terrain::TileGrid;

    #[test]
    fn spots_have_ground_below_and_room_above() {
        let g = WorldGeometry { width_cells: 1, height_cells: 1, cell_tiles: 8 };
        let tiles = TileGrid {
            rows: ["########", "#......#", "#..==..#", "#......#", "#....#.#", "#......#", "#......#", "########"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        };
        let spots: Vec<(i32, i32)> =
            standing_spots(&tiles, &g, CellId::new(0, 0)).iter().map(|p| (p.x / SUB, p.y / SUB)).collect();
        // Columns 2..6: the floor (row 7) everywhere, the platform (row 2) has only one free
        // row above it, and the block at (5, 4) has two.
        assert_eq!(spots, [(2, 7), (3, 7), (4, 7), (5, 4), (5, 7)]);
    }
}
