//! Tiles and the deterministic terrain generator.
//!
//! A tile is a pure function of `(seed, x, y)`, so a zone can generate the cells it owns and
//! their neighbours independently and every border matches. Clients never run the generator:
//! they receive [`CellTerrain`] run-length encoded over the control stream.

use crate::geometry::{CellId, TilePos, WorldGeometry};
use crate::rng::hash3;
use glam::IVec2;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// What occupies one tile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum Tile {
    Empty = 0,
    /// Blocks from every side.
    Solid = 1,
    /// One-way: blocks only a body coming down onto it from above.
    Platform = 2,
}

impl Tile {
    pub fn from_u8(v: u8) -> Option<Tile> {
        match v {
            0 => Some(Tile::Empty),
            1 => Some(Tile::Solid),
            2 => Some(Tile::Platform),
            _ => None,
        }
    }
}

/// Anything the physics can ask for tiles. Outside what it knows it must answer `Solid`.
pub trait TileSource {
    fn tile(&self, x: i32, y: i32) -> Tile;
}

/// Errors reading terrain from the wire.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum TerrainError {
    #[error("run-length data decodes to {got} tiles, expected {expected}")]
    WrongLength { got: usize, expected: usize },
    #[error("unknown tile value {0}")]
    UnknownTile(u8),
    #[error("run-length data has an odd number of bytes")]
    Truncated,
}

/// The terrain generator of one world.
#[derive(Clone, Copy, Debug)]
pub struct Terrain {
    pub seed: u64,
    pub geometry: WorldGeometry,
}

const SALT_SURFACE: u64 = 1;
const SALT_CAVE: u64 = 2;
const SALT_PLATFORM: u64 = 3;
/// Horizontal distance between surface control points, in tiles.
const SURFACE_STEP: i32 = 16;
/// Vertical spacing of platform rows: less than a jump's height, so they can be climbed.
const PLATFORM_ROW: i32 = 4;
const PLATFORM_SEGMENT: i32 = 14;
const CAVE_GRID: i32 = 12;

impl Terrain {
    pub fn new(seed: u64, geometry: WorldGeometry) -> Self {
        Terrain { seed, geometry }
    }

    /// The ground row (first solid tile from the top) of column `x`, ignoring caves.
    pub fn surface(&self, x: i32) -> i32 {
        let base = self.geometry.height_tiles() * 5 / 8;
        let control = |i: i32| base + (hash3(self.seed, SALT_SURFACE, i.into(), 0) % 25) as i32 - 12;
        let i = x.div_euclid(SURFACE_STEP);
        let f = x.rem_euclid(SURFACE_STEP);
        let (a, b) = (control(i), control(i + 1));
        a + (b - a) * f / SURFACE_STEP
    }

    /// Where a player entering the world near column `x` stands: on the ground, feet on top.
    pub fn spawn_point(&self, x: i32) -> IVec2 {
        let x = x.clamp(2, self.geometry.width_tiles() - 3);
        IVec2::new(x * crate::physics::SUB + crate::physics::SUB / 2, self.surface(x) * crate::physics::SUB)
    }

    /// The tile at `(x, y)`. Outside the world everything is solid.
    pub fn tile(&self, x: i32, y: i32) -> Tile {
        let (w, h) = (self.geometry.width_tiles(), self.geometry.height_tiles());
        if x <= 0 || y <= 0 || x >= w - 1 || y >= h - 2 {
            return Tile::Solid;
        }
        let surface = self.surface(x);
        if y >= surface {
            if y > surface + 5 && self.cave(x, y) {
                return Tile::Empty;
            }
            return Tile::Solid;
        }
        if y % PLATFORM_ROW == 0 && y < surface - 3 && y > 6 && self.platform(x, y) {
            return Tile::Platform;
        }
        Tile::Empty
    }

    fn cave(&self, x: i32, y: i32) -> bool {
        // Value noise on a coarse grid, bilinearly blended in integers.
        let (gx, gy) = (x.div_euclid(CAVE_GRID), y.div_euclid(CAVE_GRID));
        let (fx, fy) = (x.rem_euclid(CAVE_GRID), y.rem_euclid(CAVE_GRID));
        let v = |i: i32, j: i32| (hash3(self.seed, SALT_CAVE, i.into(), j.into()) % 256) as i32;
        let top = v(gx, gy) * (CAVE_GRID - fx) + v(gx + 1, gy) * fx;
        let bottom = v(gx, gy + 1) * (CAVE_GRID - fx) + v(gx + 1, gy + 1) * fx;
        let value = (top * (CAVE_GRID - fy) + bottom * fy) / (CAVE_GRID * CAVE_GRID);
        value > 170
    }

    fn platform(&self, x: i32, y: i32) -> bool {
        let segment = x.div_euclid(PLATFORM_SEGMENT);
        let h = hash3(self.seed, SALT_PLATFORM, segment.into(), (y / PLATFORM_ROW).into());
        if h % 100 >= 45 {
            return false;
        }
        let start = ((h >> 8) % 6) as i32;
        let len = 4 + ((h >> 16) % 7) as i32;
        let at = x.rem_euclid(PLATFORM_SEGMENT);
        at >= start && at < start + len
    }

    /// Generates every tile of one cell.
    pub fn generate_cell(&self, cell: CellId) -> CellTerrain {
        let size = i32::from(self.geometry.cell_tiles);
        let origin = self.geometry.cell_origin(cell);
        let mut tiles = Vec::with_capacity((size * size) as usize);
        for y in 0..size {
            for x in 0..size {
                tiles.push(self.tile(origin.x + x, origin.y + y));
            }
        }
        CellTerrain { cell, origin, size, tiles: tiles.into() }
    }
}

impl TileSource for Terrain {
    fn tile(&self, x: i32, y: i32) -> Tile {
        Terrain::tile(self, x, y)
    }
}

/// The tiles of one cell, row by row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellTerrain {
    pub cell: CellId,
    pub origin: TilePos,
    pub size: i32,
    pub tiles: Box<[Tile]>,
}

impl CellTerrain {
    pub fn get(&self, x: i32, y: i32) -> Option<Tile> {
        let (lx, ly) = (x - self.origin.x, y - self.origin.y);
        if lx < 0 || ly < 0 || lx >= self.size || ly >= self.size {
            return None;
        }
        Some(self.tiles[(ly * self.size + lx) as usize])
    }

    /// Run-length encodes the tiles as `(tile, run)` byte pairs, runs of 1 to 255.
    pub fn to_rle(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut iter = self.tiles.iter().copied().peekable();
        while let Some(tile) = iter.next() {
            let mut run = 1u8;
            while run < u8::MAX && iter.peek() == Some(&tile) {
                iter.next();
                run += 1;
            }
            out.push(tile as u8);
            out.push(run);
        }
        out
    }

    /// Decodes [`CellTerrain::to_rle`] output for `cell`.
    pub fn from_rle(geometry: &WorldGeometry, cell: CellId, rle: &[u8]) -> Result<Self, TerrainError> {
        if !rle.len().is_multiple_of(2) {
            return Err(TerrainError::Truncated);
        }
        let size = i32::from(geometry.cell_tiles);
        let expected = (size * size) as usize;
        let mut tiles = Vec::with_capacity(expected);
        for pair in rle.chunks_exact(2) {
            let tile = Tile::from_u8(pair[0]).ok_or(TerrainError::UnknownTile(pair[0]))?;
            if tiles.len() + usize::from(pair[1]) > expected {
                return Err(TerrainError::WrongLength { got: tiles.len() + usize::from(pair[1]), expected });
            }
            tiles.extend(std::iter::repeat_n(tile, usize::from(pair[1])));
        }
        if tiles.len() != expected {
            return Err(TerrainError::WrongLength { got: tiles.len(), expected });
        }
        Ok(CellTerrain { cell, origin: geometry.cell_origin(cell), size, tiles: tiles.into() })
    }
}

/// The cells of terrain a process holds (a zone: what it owns and its neighbours).
/// Tiles of cells it does not hold read as solid.
#[derive(Clone, Debug, Default)]
pub struct TerrainMap {
    cell_tiles: i32,
    cells: HashMap<CellId, Arc<CellTerrain>>,
}

impl TerrainMap {
    pub fn new(geometry: &WorldGeometry) -> Self {
        TerrainMap { cell_tiles: i32::from(geometry.cell_tiles), cells: HashMap::new() }
    }

    pub fn insert(&mut self, cell: Arc<CellTerrain>) {
        self.cells.insert(cell.cell, cell);
    }

    pub fn contains(&self, cell: CellId) -> bool {
        self.cells.contains_key(&cell)
    }

    pub fn get(&self, cell: CellId) -> Option<&Arc<CellTerrain>> {
        self.cells.get(&cell)
    }
}

impl TileSource for TerrainMap {
    fn tile(&self, x: i32, y: i32) -> Tile {
        if x < 0 || y < 0 {
            return Tile::Solid;
        }
        let cell = CellId::new((x / self.cell_tiles) as u16, (y / self.cell_tiles) as u16);
        self.cells.get(&cell).and_then(|c| c.get(x, y)).unwrap_or(Tile::Solid)
    }
}

/// A small hand-drawn map (`#` solid, `=` platform, anything else empty) with its top-left
/// tile at the origin. Used by tests and the physics golden vectors.
#[derive(Clone, Debug)]
pub struct TileGrid {
    pub rows: Vec<String>,
}

impl TileSource for TileGrid {
    fn tile(&self, x: i32, y: i32) -> Tile {
        if x < 0 || y < 0 {
            return Tile::Solid;
        }
        match self.rows.get(y as usize).and_then(|r| r.as_bytes().get(x as usize)) {
            Some(b'#') | None => Tile::Solid,
            Some(b'=') => Tile::Platform,
            Some(_) => Tile::Empty,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terrain() -> Terrain {
        Terrain::new(42, WorldGeometry::default())
    }

    #[test]
    fn generation_is_deterministic_and_borders_match() {
        let t = terrain();
        let a = t.generate_cell(CellId::new(1, 1));
        assert_eq!(a, t.generate_cell(CellId::new(1, 1)));
        // The tile just across a border is what the neighbour cell generates on its own.
        let b = t.generate_cell(CellId::new(2, 1));
        assert_eq!(b.get(256, 160), Some(t.tile(256, 160)));
        assert_eq!(a.get(255, 160), Some(t.tile(255, 160)));
        assert_ne!(t.generate_cell(CellId::new(1, 1)), Terrain::new(43, t.geometry).generate_cell(CellId::new(1, 1)));
    }

    #[test]
    fn world_has_ground_sky_and_platforms() {
        let t = terrain();
        let mut platforms = 0;
        for x in 1..t.geometry.width_tiles() - 1 {
            let s = t.surface(x);
            assert_eq!(t.tile(x, s), Tile::Solid, "ground at column {x}");
            assert_eq!(t.tile(x, s - 1), Tile::Empty, "air above the ground at column {x}");
            platforms += (0..s).filter(|&y| t.tile(x, y) == Tile::Platform).count();
        }
        assert!(platforms > 100, "only {platforms} platform tiles");
        assert_eq!(t.tile(0, 10), Tile::Solid, "world edge is a wall");
    }

    #[test]
    fn rle_round_trips_and_rejects_bad_data() {
        let t = terrain();
        let cell = t.generate_cell(CellId::new(0, 1));
        let rle = cell.to_rle();
        assert!(rle.len() < 4096, "rle of a cell is {} bytes", rle.len());
        assert_eq!(CellTerrain::from_rle(&t.geometry, cell.cell, &rle).unwrap(), cell);
        assert_eq!(CellTerrain::from_rle(&t.geometry, cell.cell, &rle[1..]), Err(TerrainError::Truncated));
        assert!(matches!(
            CellTerrain::from_rle(&t.geometry, cell.cell, &rle[2..]),
            Err(TerrainError::WrongLength { .. })
        ));
        assert_eq!(CellTerrain::from_rle(&t.geometry, cell.cell, &[9, 1]), Err(TerrainError::UnknownTile(9)));
    }

    #[test]
    fn terrain_map_reads_loaded_cells_and_solid_elsewhere() {
        let t = terrain();
        let mut map = TerrainMap::new(&t.geometry);
        map.insert(Arc::new(t.generate_cell(CellId::new(0, 0))));
        assert_eq!(map.tile(5, 5), t.tile(5, 5));
        assert_eq!(map.tile(200, 5), Tile::Solid, "unloaded cell reads solid");
    }
}
