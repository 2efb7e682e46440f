//! The area around the player: what is in view, and the terrain sent ahead of it. Sans-IO.

use glam::IVec2;
use mmo_world::physics::SUB_SHIFT;
use mmo_world::CellId;
use std::collections::HashSet;

/// Half the size of the area a client sees, in tiles (the viewport is about 80 x 45).
pub(super) const VIEW_HALF: IVec2 = IVec2::new(48, 30);
/// Half the size of the area whose terrain the client is sent ahead of time.
pub(super) const TERRAIN_HALF: IVec2 = IVec2::new(110, 70);

/// The tile a fixed-point position lies in.
pub(super) fn tile_of(pos: IVec2) -> IVec2 {
    IVec2::new(pos.x >> SUB_SHIFT, pos.y >> SUB_SHIFT)
}

/// Whether the fixed-point `pos` lies within view of a player standing on `tile`.
pub(super) fn in_view(tile: IVec2, pos: IVec2) -> bool {
    let d = tile_of(pos) - tile;
    d.x.abs() <= VIEW_HALF.x && d.y.abs() <= VIEW_HALF.y
}

/// The cells whose terrain the client has been sent (each is sent once).
#[derive(Debug, Default)]
pub(super) struct TerrainSent {
    cells: HashSet<CellId>,
}

impl TerrainSent {
    /// The cells of `around` not sent yet, in the order given; they count as sent from now on.
    pub(super) fn new_cells(&mut self, around: impl IntoIterator<Item = CellId>) -> Vec<CellId> {
        around.into_iter().filter(|cell| self.cells.insert(*cell)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TILE: i32 = 1 << SUB_SHIFT;

    #[test]
    fn view_is_the_rectangle_of_half_sizes_around_the_tile() {
        let tile = IVec2::new(100, 100);
        let at = |x: i32, y: i32| IVec2::new(x * TILE, y * TILE);
        assert!(in_view(tile, at(100 + 48, 100 - 30)));
        assert!(!in_view(tile, at(100 + 49, 100)));
        assert!(!in_view(tile, at(100, 100 + 31)));
        // Anywhere inside the tile counts as the tile.
        assert!(in_view(tile, at(100 - 48, 100) + IVec2::new(TILE - 1, TILE - 1)));
    }

    #[test]
    fn terrain_of_a_cell_is_sent_once() {
        let mut sent = TerrainSent::default();
        let cells = |xs: &[u16]| xs.iter().map(|&x| CellId::new(x, 0)).collect::<Vec<_>>();
        assert_eq!(sent.new_cells(cells(&[0, 1, 2])), cells(&[0, 1, 2]));
        // The player walked one cell right: only the new cell goes out.
        assert_eq!(sent.new_cells(cells(&[1, 2, 3])), cells(&[3]));
        assert_eq!(sent.new_cells(cells(&[0, 1, 2, 3])), cells(&[]));
    }
}
