//! Cells split into quarters: each cell of the grid is the root of a quadtree, [`MAX_DEPTH`]
//! levels deep, and the world's cells at any time are the leaves of those trees (the
//! [`Layout`]). A hot cell is split into its four quarters, which different zones may own; four
//! quarters owned by one zone merge back into their parent. A cell of depth `d` has coordinates
//! in a grid `2^d` times as fine as the grid of cells (see [`CellId`]).
//!
//! Everyone derives the layout from the assignment table, whose keys are exactly the leaves
//! ([`Layout::from_leaves`]): a split or a merge is one write that replaces a cell by its
//! quarters or the quarters by their parent, so owners and layout never disagree.

use crate::geometry::{CellId, TilePos, WorldGeometry};
use crate::physics::SUB_SHIFT;
use glam::IVec2;
use std::collections::BTreeSet;
use thiserror::Error;

/// How many times a cell of the grid may be split: a cell of 128 tiles ends in quarters of 64,
/// then of 32 tiles.
pub const MAX_DEPTH: u8 = 2;

/// Why a split, a merge or a set of leaves was refused.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum LayoutError {
    #[error("cell {0} is not in the world")]
    OutOfWorld(CellId),
    #[error("cell {0} is not a cell of the layout (already split, or inside a cell not split)")]
    NotALeaf(CellId),
    #[error("cell {0} is at the deepest level and cannot be split")]
    TooDeep(CellId),
    #[error("cell {0} is not split into four cells of the layout, so it cannot be merged")]
    NotMergeable(CellId),
    #[error("the cells do not cover the world exactly once (first problem at cell {0})")]
    NotATiling(CellId),
}

impl CellId {
    /// The cell one level down, `quarter` 0..4 in reading order (top left, top right, bottom
    /// left, bottom right).
    pub const fn quarter(self, quarter: u8) -> CellId {
        CellId { x: self.x * 2 + (quarter & 1) as u16, y: self.y * 2 + (quarter >> 1) as u16, depth: self.depth + 1 }
    }

    /// The four quarters, in reading order.
    pub const fn quarters(self) -> [CellId; 4] {
        [self.quarter(0), self.quarter(1), self.quarter(2), self.quarter(3)]
    }

    /// The cell this one is a quarter of (`None` for a cell of the grid).
    pub const fn parent(self) -> Option<CellId> {
        match self.depth {
            0 => None,
            d => Some(CellId { x: self.x / 2, y: self.y / 2, depth: d - 1 }),
        }
    }

    /// The cell of the grid this one lies in.
    pub const fn root(self) -> CellId {
        CellId::new(self.x >> self.depth, self.y >> self.depth)
    }

    /// Whether `other` lies in this cell (or is it).
    pub const fn covers(self, other: CellId) -> bool {
        other.depth >= self.depth
            && other.x >> (other.depth - self.depth) == self.x
            && other.y >> (other.depth - self.depth) == self.y
    }
}

impl WorldGeometry {
    /// Width in tiles of a cell of `depth`.
    pub fn tiles_at(&self, depth: u8) -> i32 {
        i32::from(self.cell_tiles) >> depth
    }

    /// Top-left tile and width in tiles of a cell of any depth.
    pub fn cell_square(&self, cell: CellId) -> (TilePos, i32) {
        let size = self.tiles_at(cell.depth);
        (IVec2::new(i32::from(cell.x), i32::from(cell.y)) * size, size)
    }

    /// Whether a cell of any depth up to [`MAX_DEPTH`] lies in the world.
    pub fn holds(&self, cell: CellId) -> bool {
        cell.depth <= MAX_DEPTH && self.contains_cell(cell.root())
    }
}

/// The world's cells: the grid, with some cells split (recursively) into quarters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    geometry: WorldGeometry,
    /// [`MAX_DEPTH`], or less for cells whose width in tiles does not halve that often.
    max_depth: u8,
    /// The cells split into quarters (never leaves themselves).
    split: BTreeSet<CellId>,
}

impl Layout {
    /// The grid with no cell split.
    pub fn new(geometry: WorldGeometry) -> Layout {
        let max_depth = (0..=MAX_DEPTH).rev().find(|d| geometry.cell_tiles.is_multiple_of(1 << d)).unwrap_or(0);
        Layout { geometry, max_depth, split: BTreeSet::new() }
    }

    /// Whether `cell` (of any depth) lies in the world and is no deeper than this world's cells
    /// split.
    fn holds(&self, cell: CellId) -> bool {
        cell.depth <= self.max_depth && self.geometry.holds(cell)
    }

    /// The layout whose leaves are `leaves` (an assignment table's keys), which must cover the
    /// world exactly once.
    pub fn from_leaves(
        geometry: WorldGeometry,
        leaves: impl IntoIterator<Item = CellId>,
    ) -> Result<Layout, LayoutError> {
        let leaves: BTreeSet<CellId> = leaves.into_iter().collect();
        let layout = Layout::implied(geometry, leaves.iter().copied())?;
        // Each split cell's quarters are split or leaves; each grid cell is one or the other.
        let tiles = |cell: CellId| leaves.contains(&cell) != layout.split.contains(&cell);
        if let Some(bad) = geometry.cells().find(|c| !tiles(*c)) {
            return Err(LayoutError::NotATiling(bad));
        }
        if let Some(bad) = layout.split.iter().flat_map(|c| c.quarters()).find(|q| !tiles(*q)) {
            return Err(LayoutError::NotATiling(bad));
        }
        Ok(layout)
    }

    /// The layout in which each of `cells` (an assignment table's keys, some of the world's
    /// cells maybe missing: not assigned yet) is a leaf: the cells above them are split. Refused
    /// if one of them lies in another.
    pub fn implied(geometry: WorldGeometry, cells: impl IntoIterator<Item = CellId>) -> Result<Layout, LayoutError> {
        let mut layout = Layout::new(geometry);
        let cells: BTreeSet<CellId> = cells.into_iter().collect();
        for &cell in &cells {
            if !layout.holds(cell) {
                return Err(LayoutError::OutOfWorld(cell));
            }
            let mut up = cell.parent();
            while let Some(above) = up {
                layout.split.insert(above);
                up = above.parent();
            }
        }
        match cells.iter().find(|c| layout.split.contains(c)) {
            Some(&both) => Err(LayoutError::NotATiling(both)),
            None => Ok(layout),
        }
    }

    pub fn geometry(&self) -> &WorldGeometry {
        &self.geometry
    }

    /// Whether no cell is split.
    pub fn is_grid(&self) -> bool {
        self.split.is_empty()
    }

    /// Whether `cell` is one of the world's cells now.
    pub fn is_leaf(&self, cell: CellId) -> bool {
        self.holds(cell) && !self.split.contains(&cell) && cell.parent().is_none_or(|p| self.split.contains(&p))
    }

    /// Every cell of the layout: the grid's cells in reading order, each replaced by its leaves.
    pub fn leaves(&self) -> Vec<CellId> {
        let mut out = Vec::with_capacity(self.geometry.cell_count() + 3 * self.split.len());
        for root in self.geometry.cells() {
            self.push_leaves(root, &mut out);
        }
        out
    }

    fn push_leaves(&self, cell: CellId, out: &mut Vec<CellId>) {
        if self.split.contains(&cell) {
            for q in cell.quarters() {
                self.push_leaves(q, out);
            }
        } else {
            out.push(cell);
        }
    }

    /// The cell holding a tile (clamped into the world).
    pub fn cell_of_tile(&self, tile: TilePos) -> CellId {
        let g = &self.geometry;
        let tile = tile.clamp(IVec2::ZERO, IVec2::new(g.width_tiles() - 1, g.height_tiles() - 1));
        let mut cell = g.cell_of_tile(tile).expect("clamped into the world");
        while self.split.contains(&cell) {
            let (origin, size) = g.cell_square(cell);
            let half = size / 2;
            let inner = tile - origin;
            cell = cell.quarter(u8::from(inner.x >= half) + 2 * u8::from(inner.y >= half));
        }
        cell
    }

    /// The cell holding a fixed-point position (feet on a cell's top edge stand in the cell
    /// above, as in [`WorldGeometry::cell_of_pos`]).
    pub fn cell_of_pos(&self, pos: IVec2) -> CellId {
        if self.split.is_empty() {
            return self.geometry.cell_of_pos(pos);
        }
        self.cell_of_tile(IVec2::new(pos.x >> SUB_SHIFT, (pos.y - 1) >> SUB_SHIFT))
    }

    /// The cells overlapping the tile rectangle `[min, max]` (inclusive), clipped to the world.
    pub fn cells_in_rect(&self, min: TilePos, max: TilePos) -> Vec<CellId> {
        let mut out = Vec::new();
        for root in self.geometry.cells_in_rect(min, max) {
            self.push_overlapping(root, min, max, &mut out);
        }
        out
    }

    fn push_overlapping(&self, cell: CellId, min: TilePos, max: TilePos, out: &mut Vec<CellId>) {
        let (origin, size) = self.geometry.cell_square(cell);
        let far = origin + IVec2::splat(size - 1);
        if far.x < min.x || far.y < min.y || origin.x > max.x || origin.y > max.y {
            return;
        }
        if self.split.contains(&cell) {
            for q in cell.quarters() {
                self.push_overlapping(q, min, max, out);
            }
        } else {
            out.push(cell);
        }
    }

    /// The cells of the layout within one grid cell's width of `cell` (any cell, of any depth),
    /// `cell`'s own among them: for a cell of the grid in a grid with nothing split, the cell and
    /// its up to 8 neighbours ([`WorldGeometry::neighbourhood`]); for a quarter, as far around.
    pub fn around(&self, cell: CellId) -> Vec<CellId> {
        let (origin, size) = self.geometry.cell_square(cell);
        let reach = i32::from(self.geometry.cell_tiles);
        self.cells_in_rect(origin - IVec2::splat(reach), origin + IVec2::splat(size - 1 + reach))
    }

    /// The cells sharing an edge with `cell` (a cell of the layout), in cell order.
    pub fn edge_neighbours(&self, cell: CellId) -> Vec<CellId> {
        let (origin, size) = self.geometry.cell_square(cell);
        let far = origin + IVec2::splat(size - 1);
        let sides = [
            (IVec2::new(origin.x - 1, origin.y), IVec2::new(origin.x - 1, far.y)),
            (IVec2::new(far.x + 1, origin.y), IVec2::new(far.x + 1, far.y)),
            (IVec2::new(origin.x, origin.y - 1), IVec2::new(far.x, origin.y - 1)),
            (IVec2::new(origin.x, far.y + 1), IVec2::new(far.x, far.y + 1)),
        ];
        let g = &self.geometry;
        let inside = |t: IVec2| t.x >= 0 && t.y >= 0 && t.x < g.width_tiles() && t.y < g.height_tiles();
        let found: BTreeSet<CellId> = sides
            .into_iter()
            .filter(|(a, b)| inside(*a) || inside(*b))
            .flat_map(|(a, b)| self.cells_in_rect(a, b))
            .collect();
        found.into_iter().collect()
    }

    /// Makes `cell` a cell of the layout, whatever the layout was: the cells above it are split
    /// (their other quarters become cells) and the cells below it merged. What a zone does when
    /// it is handed a quarter before it has read the split that made it.
    pub fn make_leaf(&mut self, cell: CellId) -> Result<(), LayoutError> {
        if !self.holds(cell) {
            return Err(LayoutError::OutOfWorld(cell));
        }
        self.split.retain(|c| !cell.covers(*c));
        let mut up = cell.parent();
        while let Some(above) = up {
            self.split.insert(above);
            up = above.parent();
        }
        Ok(())
    }

    /// Whether `cell` is a cell of the layout that may be split (not at the deepest level).
    pub fn can_split(&self, cell: CellId) -> bool {
        self.is_leaf(cell) && cell.depth < self.max_depth
    }

    /// Splits leaf `cell` into its quarters.
    pub fn split(&mut self, cell: CellId) -> Result<[CellId; 4], LayoutError> {
        if !self.holds(cell) {
            return Err(LayoutError::OutOfWorld(cell));
        }
        if !self.is_leaf(cell) {
            return Err(LayoutError::NotALeaf(cell));
        }
        if cell.depth >= self.max_depth {
            return Err(LayoutError::TooDeep(cell));
        }
        self.split.insert(cell);
        Ok(cell.quarters())
    }

    /// Merges the four quarters of `cell`, all leaves, back into it.
    pub fn merge(&mut self, cell: CellId) -> Result<(), LayoutError> {
        if !self.holds(cell) {
            return Err(LayoutError::OutOfWorld(cell));
        }
        if !self.split.contains(&cell) || cell.quarters().iter().any(|q| self.split.contains(q)) {
            return Err(LayoutError::NotMergeable(cell));
        }
        self.split.remove(&cell);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::physics::SUB;
    use proptest::prelude::*;

    fn world() -> WorldGeometry {
        WorldGeometry { width_cells: 4, height_cells: 2, cell_tiles: 128 }
    }

    #[test]
    fn a_split_cell_hands_each_quarter_of_its_area_to_one_quarter() {
        let mut layout = Layout::new(world());
        let c = CellId::new(1, 0);
        let quarters = layout.split(c).unwrap();
        assert_eq!(quarters.map(|q| (q.x, q.y, q.depth)), [(2, 0, 1), (3, 0, 1), (2, 1, 1), (3, 1, 1)]);
        assert_eq!(layout.cell_of_tile(IVec2::new(128, 0)), quarters[0]);
        assert_eq!(layout.cell_of_tile(IVec2::new(255, 63)), quarters[1]);
        assert_eq!(layout.cell_of_tile(IVec2::new(191, 64)), quarters[2]);
        assert_eq!(layout.cell_of_tile(IVec2::new(192, 127)), quarters[3]);
        assert_eq!(layout.cell_of_tile(IVec2::new(127, 5)), CellId::new(0, 0), "the cell beside is whole");
        // Feet on the top edge of row 64 stand in the quarter above.
        assert_eq!(layout.cell_of_pos(IVec2::new(130 * SUB, 64 * SUB)), quarters[0]);
        assert_eq!(layout.cell_of_pos(IVec2::new(130 * SUB, 64 * SUB + 1)), quarters[2]);
        assert_eq!(layout.split(c), Err(LayoutError::NotALeaf(c)));
        let deeper = layout.split(quarters[3]).unwrap();
        assert_eq!(layout.split(deeper[0]), Err(LayoutError::TooDeep(deeper[0])));
        assert_eq!(layout.merge(c), Err(LayoutError::NotMergeable(c)), "a quarter is split still");
        layout.merge(quarters[3]).unwrap();
        layout.merge(c).unwrap();
        assert!(layout.is_grid());
    }

    #[test]
    fn quarters_know_their_parent_root_and_cover() {
        let c = CellId::new(3, 1);
        for q in c.quarters() {
            assert_eq!(q.parent(), Some(c));
            assert_eq!(q.root(), c);
            for qq in q.quarters() {
                assert_eq!(qq.root(), c);
                assert!(c.covers(qq) && q.covers(qq) && !qq.covers(q));
            }
        }
        assert!(!c.covers(CellId::new(2, 1).quarter(3)));
        assert_eq!(c.parent(), None);
    }

    #[test]
    fn neighbours_across_levels_share_an_edge() {
        let mut layout = Layout::new(world());
        let q = layout.split(CellId::new(1, 0)).unwrap();
        let sorted = |mut cells: Vec<CellId>| {
            cells.sort();
            cells
        };
        // The top-left quarter: the whole cell to its left, its two sibling quarters.
        assert_eq!(layout.edge_neighbours(q[0]), sorted(vec![CellId::new(0, 0), q[1], q[2]]));
        // The whole cell left of the split one borders two of its quarters.
        assert_eq!(layout.edge_neighbours(CellId::new(0, 0)), sorted(vec![CellId::new(0, 1), q[0], q[2]]));
        assert_eq!(layout.edge_neighbours(q[3]), sorted(vec![CellId::new(2, 0), CellId::new(1, 1), q[1], q[2]]));
    }

    #[test]
    fn around_a_cell_is_its_neighbourhood_and_around_a_quarter_reaches_as_far() {
        let g = world();
        let mut layout = Layout::new(g);
        for c in g.cells() {
            assert_eq!(layout.around(c), g.neighbourhood(c));
        }
        let q = layout.split(CellId::new(1, 0)).unwrap();
        // Around the split cell's top-left quarter (tiles 128..191 across, 0..63 down): one
        // cell's width each way reaches cells 0 and 2 of both rows, the cell below, and every
        // quarter.
        let mut around = layout.around(q[0]);
        around.sort();
        let mut expected =
            vec![CellId::new(0, 0), CellId::new(0, 1), CellId::new(1, 1), CellId::new(2, 0), CellId::new(2, 1)];
        expected.extend(q);
        expected.sort();
        assert_eq!(around, expected);
    }

    #[test]
    fn any_cell_can_be_made_a_cell_of_the_layout() {
        let mut layout = Layout::new(world());
        let c = CellId::new(1, 0);
        let deep = c.quarter(2).quarter(1);
        layout.make_leaf(deep).unwrap();
        assert!(layout.is_leaf(deep) && layout.is_leaf(c.quarter(0)) && layout.is_leaf(c.quarter(2).quarter(0)));
        layout.make_leaf(c).unwrap();
        assert!(layout.is_grid());
        assert_eq!(Layout::from_leaves(world(), layout.leaves()).unwrap(), layout);
    }

    #[test]
    fn a_set_of_cells_that_does_not_tile_the_world_is_no_layout() {
        let g = world();
        let mut cells: Vec<CellId> = g.cells().collect();
        assert!(Layout::from_leaves(g, cells.clone()).unwrap().is_grid());
        let c = cells.remove(1);
        assert_eq!(Layout::from_leaves(g, cells.clone()), Err(LayoutError::NotATiling(c)));
        cells.extend(&c.quarters()[..3]);
        assert_eq!(Layout::from_leaves(g, cells.clone()), Err(LayoutError::NotATiling(c.quarter(3))));
        cells.push(c.quarter(3));
        assert_eq!(Layout::from_leaves(g, cells.clone()).unwrap().leaves().len(), 11);
        cells.push(c);
        assert_eq!(Layout::from_leaves(g, cells), Err(LayoutError::NotATiling(c)), "a cell and its quarters");
        // Cells of 126 tiles halve once only.
        let mut odd = Layout::new(WorldGeometry { cell_tiles: 126, ..g });
        let q = odd.split(CellId::new(0, 0)).unwrap();
        assert_eq!(odd.split(q[0]), Err(LayoutError::TooDeep(q[0])));
    }

    proptest! {
        /// After any splits and merges, the leaves cover every tile exactly once, each tile's
        /// cell is the leaf whose square holds it, and the leaves rebuild the same layout.
        #[test]
        fn leaves_always_tile_the_world(ops in proptest::collection::vec((any::<bool>(), 0usize..64), 0..40)) {
            let g = world();
            let mut layout = Layout::new(g);
            for (split, pick) in ops {
                if split {
                    let leaves = layout.leaves();
                    let _ = layout.split(leaves[pick % leaves.len()]);
                } else if let Some(&c) = layout.split.iter().nth(pick % layout.split.len().max(1)) {
                    let _ = layout.merge(c);
                }
            }
            let leaves = layout.leaves();
            let mut covered = vec![0u8; (g.width_tiles() * g.height_tiles()) as usize];
            for &leaf in &leaves {
                prop_assert!(layout.is_leaf(leaf));
                let (origin, size) = g.cell_square(leaf);
                for y in origin.y..origin.y + size {
                    for x in origin.x..origin.x + size {
                        covered[(y * g.width_tiles() + x) as usize] += 1;
                        if (x + y) % 17 == 0 {
                            prop_assert_eq!(layout.cell_of_tile(IVec2::new(x, y)), leaf);
                        }
                    }
                }
            }
            prop_assert!(covered.iter().all(|n| *n == 1));
            prop_assert_eq!(Layout::from_leaves(g, leaves).unwrap(), layout);
        }
    }
}
