//! The cell grid: the world is `width_cells x height_cells` square cells of `cell_tiles` tiles.
//!
//! Positions are fixed-point: one tile is [`SUB`] sub-units; y grows downwards.

use crate::physics::SUB_SHIFT;
use glam::IVec2;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A tile coordinate (whole tiles, world-global).
pub type TilePos = IVec2;

/// A cell of the grid. `depth` is 0 for the grid's cells; a later quadtree split gives a cell's
/// four quarters `depth + 1` and coordinates in a grid twice as fine.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
pub struct CellId {
    pub x: u16,
    pub y: u16,
    pub depth: u8,
}

impl CellId {
    pub const fn new(x: u16, y: u16) -> Self {
        CellId { x, y, depth: 0 }
    }
}

impl fmt::Debug for CellId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.depth == 0 {
            write!(f, "c{}.{}", self.x, self.y)
        } else {
            write!(f, "c{}.{}/{}", self.x, self.y, self.depth)
        }
    }
}

impl fmt::Display for CellId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// The shape of the world.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorldGeometry {
    pub width_cells: u16,
    pub height_cells: u16,
    pub cell_tiles: u16,
}

impl Default for WorldGeometry {
    fn default() -> Self {
        WorldGeometry { width_cells: 4, height_cells: 2, cell_tiles: 128 }
    }
}

impl WorldGeometry {
    pub fn width_tiles(&self) -> i32 {
        i32::from(self.width_cells) * i32::from(self.cell_tiles)
    }

    pub fn height_tiles(&self) -> i32 {
        i32::from(self.height_cells) * i32::from(self.cell_tiles)
    }

    pub fn cell_count(&self) -> usize {
        usize::from(self.width_cells) * usize::from(self.height_cells)
    }

    /// Every cell, row by row.
    pub fn cells(&self) -> impl Iterator<Item = CellId> + '_ {
        (0..self.height_cells).flat_map(move |y| (0..self.width_cells).map(move |x| CellId::new(x, y)))
    }

    pub fn contains_tile(&self, tile: TilePos) -> bool {
        tile.x >= 0 && tile.y >= 0 && tile.x < self.width_tiles() && tile.y < self.height_tiles()
    }

    /// The cell holding a tile, `None` outside the world.
    pub fn cell_of_tile(&self, tile: TilePos) -> Option<CellId> {
        if !self.contains_tile(tile) {
            return None;
        }
        let size = i32::from(self.cell_tiles);
        Some(CellId::new((tile.x / size) as u16, (tile.y / size) as u16))
    }

    /// The cell holding a fixed-point position, clamped into the world so that an entity
    /// always belongs to some cell.
    pub fn cell_of_pos(&self, pos: IVec2) -> CellId {
        let tile = IVec2::new(pos.x >> SUB_SHIFT, (pos.y - 1) >> SUB_SHIFT);
        let clamped = tile.clamp(IVec2::ZERO, IVec2::new(self.width_tiles() - 1, self.height_tiles() - 1));
        self.cell_of_tile(clamped).expect("clamped into the world")
    }

    /// Top-left tile of a cell (of any depth).
    pub fn cell_origin(&self, cell: CellId) -> TilePos {
        IVec2::new(i32::from(cell.x), i32::from(cell.y)) * self.tiles_at(cell.depth)
    }

    pub fn contains_cell(&self, cell: CellId) -> bool {
        cell.depth == 0 && cell.x < self.width_cells && cell.y < self.height_cells
    }

    /// Cells overlapping the tile rectangle `[min, max]` (inclusive), clipped to the world.
    pub fn cells_in_rect(&self, min: TilePos, max: TilePos) -> Vec<CellId> {
        let size = i32::from(self.cell_tiles);
        let lo = min.max(IVec2::ZERO) / size;
        let hi = max.min(IVec2::new(self.width_tiles() - 1, self.height_tiles() - 1)) / size;
        let mut cells = Vec::new();
        for y in lo.y..=hi.y {
            for x in lo.x..=hi.x {
                cells.push(CellId::new(x as u16, y as u16));
            }
        }
        cells
    }

    /// The cell and its up to 8 neighbours inside the world; for a quarter (of any depth), the
    /// grid's cells within one cell's width of it.
    pub fn neighbourhood(&self, cell: CellId) -> Vec<CellId> {
        let origin = self.cell_origin(cell);
        let reach = i32::from(self.cell_tiles);
        self.cells_in_rect(origin - reach, origin + self.tiles_at(cell.depth) - 1 + reach)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::physics::SUB;

    #[test]
    fn positions_map_to_cells() {
        let g = WorldGeometry { width_cells: 4, height_cells: 2, cell_tiles: 128 };
        assert_eq!(g.cell_of_tile(IVec2::new(0, 0)), Some(CellId::new(0, 0)));
        assert_eq!(g.cell_of_tile(IVec2::new(128, 127)), Some(CellId::new(1, 0)));
        assert_eq!(g.cell_of_tile(IVec2::new(511, 255)), Some(CellId::new(3, 1)));
        assert_eq!(g.cell_of_tile(IVec2::new(512, 0)), None);
        assert_eq!(g.cell_of_tile(IVec2::new(-1, 0)), None);
        // Feet exactly on the top edge of row 128 still stand in the cell above.
        assert_eq!(g.cell_of_pos(IVec2::new(10 * SUB, 128 * SUB)), CellId::new(0, 0));
        assert_eq!(g.cell_of_pos(IVec2::new(10 * SUB, 128 * SUB + 1)), CellId::new(0, 1));
        assert_eq!(g.cell_of_pos(IVec2::new(-5, -5)), CellId::new(0, 0));
    }

    #[test]
    fn neighbourhood_is_clipped_to_the_world() {
        let g = WorldGeometry::default();
        assert_eq!(g.neighbourhood(CellId::new(0, 0)).len(), 4);
        assert_eq!(g.neighbourhood(CellId::new(1, 0)).len(), 6);
        assert_eq!(g.cells().count(), 8);
    }
}
