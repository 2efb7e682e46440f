//! Tiles and the deterministic terrain generator.
//!
//! A tile is a pure function of `(seed, x, y)`, so a zone can generate the cells it owns and
//! their neighbours independently and every border matches.
//!
//! Columns are a height map: open air above the surface, ground below, with platforms in the
//! air and caves carved into the ground. A cave is entered by a shaft: 3 tiles wide from the
//! surface down into the cave, closed by a trapdoor (a platform in the surface row: walked over,
//! dropped through by holding down) and climbed by rungs (platforms every 4 rows, a jump
//! apart) down to the cave's floor. Clients never run the generator:
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

/// What one column of the world is made of.
#[derive(Clone, Copy, Debug)]
struct Column {
    /// Its ground row (see [`Terrain::surface`]).
    surface: i32,
    /// If a cave's shaft goes down it: the first row of the cave.
    shaft: Option<i32>,
}

/// A cave's entrance: a shaft [`SHAFT_WIDTH`] wide from column `left`, under level ground at
/// row `ground`, down to the cave that starts at row `bottom` (under its middle column).
#[derive(Clone, Copy, Debug)]
struct Shaft {
    left: i32,
    ground: i32,
    bottom: i32,
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
const SALT_SHAFT: u64 = 4;
/// Horizontal distance between surface control points, in tiles.
const SURFACE_STEP: i32 = 16;
/// Vertical spacing of platform rows: less than a jump's height, so they can be climbed.
const PLATFORM_ROW: i32 = 4;
const PLATFORM_SEGMENT: i32 = 14;
const CAVE_GRID: i32 = 12;
/// Columns per stretch of ground that may hold one cave entrance.
const SHAFT_SPACING: i32 = 48;
/// A shaft's width in tiles (a trapdoor wider than a body, to drop through).
pub const SHAFT_WIDTH: i32 = 3;
/// How far below the ground's top a shaft looks for the cave it leads into.
const SHAFT_REACH: i32 = 40;
/// Places tried in a stretch, in turn, for a shaft with a cave under it.
const SHAFT_TRIES: i64 = 8;

impl Terrain {
    pub fn new(seed: u64, geometry: WorldGeometry) -> Self {
        Terrain { seed, geometry }
    }

    /// The ground row (first solid tile from the top) of column `x`, ignoring caves (over a
    /// cave's shaft: its trapdoor's row).
    pub fn surface(&self, x: i32) -> i32 {
        self.column(x).surface
    }

    /// The rolling height map: control points every [`SURFACE_STEP`] columns, joined by lines.
    fn height(&self, x: i32) -> i32 {
        let base = self.geometry.height_tiles() * 5 / 8;
        let control = |i: i32| base + (hash3(self.seed, SALT_SURFACE, i.into(), 0) % 25) as i32 - 12;
        let i = x.div_euclid(SURFACE_STEP);
        let f = x.rem_euclid(SURFACE_STEP);
        let (a, b) = (control(i), control(i + 1));
        a + (b - a) * f / SURFACE_STEP
    }

    /// What column `x` is made of: its ground row, and whether a cave's shaft goes down it.
    fn column(&self, x: i32) -> Column {
        match self.shaft_near(x) {
            Some(shaft) => Column {
                surface: shaft.ground,
                shaft: (shaft.left..shaft.left + SHAFT_WIDTH).contains(&x).then_some(shaft.bottom),
            },
            None => Column { surface: self.height(x), shaft: None },
        }
    }

    /// Where a player entering the world near column `x` stands: on the ground, feet on top.
    pub fn spawn_point(&self, x: i32) -> IVec2 {
        let x = x.clamp(2, self.geometry.width_tiles() - 3);
        IVec2::new(x * crate::physics::SUB + crate::physics::SUB / 2, self.surface(x) * crate::physics::SUB)
    }

    /// The tile at `(x, y)`. Outside the world everything is solid.
    pub fn tile(&self, x: i32, y: i32) -> Tile {
        self.tile_in(self.column(x), x, y)
    }

    /// The tile at `(x, y)`, of column `x` made of `column`.
    fn tile_in(&self, column: Column, x: i32, y: i32) -> Tile {
        let (w, h) = (self.geometry.width_tiles(), self.geometry.height_tiles());
        if x <= 0 || y <= 0 || x >= w - 1 || y >= h - 2 {
            return Tile::Solid;
        }
        let surface = column.surface;
        if y >= surface {
            let open = (y > surface + 5 && self.cave(x, y)) || column.shaft.is_some_and(|bottom| y < bottom);
            return match (open, column.shaft) {
                (false, _) => Tile::Solid,
                // The trapdoor, and rungs down the shaft and through the cave under it.
                (true, Some(_)) if (y - surface) % PLATFORM_ROW == 0 => Tile::Platform,
                (true, _) => Tile::Empty,
            };
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

    /// The cave entrance whose shaft or level ground beside it (a column each side) covers
    /// column `x`, if one does. Each stretch of [`SHAFT_SPACING`] columns has at most one: at
    /// the first of [`SHAFT_TRIES`] places drawn for it with a cave within [`SHAFT_REACH`]
    /// below the ground there. The ground over it and a column each side is level (at the
    /// middle column's height), so its trapdoor lies flush with the ground beside it.
    fn shaft_near(&self, x: i32) -> Option<Shaft> {
        let stretch = x.div_euclid(SHAFT_SPACING);
        let left = |n: i64| {
            let h = hash3(self.seed, SALT_SHAFT, stretch.into(), n);
            stretch * SHAFT_SPACING + 4 + (h % (SHAFT_SPACING - 8 - SHAFT_WIDTH) as u64) as i32
        };
        let near = |l: i32| (l - 1..=l + SHAFT_WIDTH).contains(&x);
        if !(0..SHAFT_TRIES).any(|n| near(left(n))) {
            return None;
        }
        let bottom = self.geometry.height_tiles() - 2;
        let shaft = (0..SHAFT_TRIES).map(left).find_map(|left| {
            let middle = left + SHAFT_WIDTH / 2;
            let ground = self.height(middle);
            let cave = (ground + 6..(ground + 6 + SHAFT_REACH).min(bottom)).find(|&y| self.cave(middle, y))?;
            Some(Shaft { left, ground, bottom: cave })
        })?;
        near(shaft.left).then_some(shaft)
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
        let columns: Vec<Column> = (0..size).map(|x| self.column(origin.x + x)).collect();
        for y in 0..size {
            for x in 0..size {
                tiles.push(self.tile_in(columns[x as usize], origin.x + x, origin.y + y));
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
            assert!(matches!(t.tile(x, s), Tile::Solid | Tile::Platform), "ground or a trapdoor at column {x}");
            assert_eq!(t.tile(x, s - 1), Tile::Empty, "air above the ground at column {x}");
            platforms += (0..s).filter(|&y| t.tile(x, y) == Tile::Platform).count();
        }
        assert!(platforms > 100, "only {platforms} platform tiles");
        assert_eq!(t.tile(0, 10), Tile::Solid, "world edge is a wall");
    }

    /// Every trapdoor (a platform in the surface row) is a shaft's top: ground on both sides;
    /// a body standing on it and holding down falls into the cave under it, and holding jump
    /// climbs the rungs back to the trapdoor.
    #[test]
    fn caves_are_entered_through_shafts_under_trapdoors_and_left_by_their_rungs() {
        use crate::physics::{Body, Buttons, SUB};
        let t = terrain();
        let mut shafts = 0;
        let mut x = 1;
        while x < t.geometry.width_tiles() - 1 {
            if t.tile(x, t.surface(x)) != Tile::Platform {
                x += 1;
                continue;
            }
            let top = |c: i32| t.tile(c, t.surface(c));
            assert!((x..x + SHAFT_WIDTH).all(|c| top(c) == Tile::Platform), "a trapdoor {SHAFT_WIDTH} wide at {x}");
            assert_eq!((top(x - 1), top(x + SHAFT_WIDTH)), (Tile::Solid, Tile::Solid), "ground beside it at {x}");
            let level = (x - 1..=x + SHAFT_WIDTH).map(|c| t.surface(c)).collect::<Vec<_>>();
            assert!(level.windows(2).all(|w| w[0] == w[1]), "level with the ground beside it at {x}: {level:?}");
            let middle = x + SHAFT_WIDTH / 2;
            let surface = t.surface(middle);
            let run = |mut b: Body, buttons: u8, ticks: usize, until: &dyn Fn(&Body) -> bool| {
                for _ in 0..ticks {
                    b = b.step(Buttons(buttons), &t);
                    if until(&b) {
                        break;
                    }
                }
                b
            };
            let standing = run(Body::at(IVec2::new(middle * SUB + SUB / 2, surface * SUB)), 0, 5, &|_| false);
            assert!(standing.on_ground && standing.pos.y == surface * SUB, "one stands on the trapdoor at {x}");
            let down = run(standing, Buttons::DOWN, 200, &|_| false);
            assert!(down.on_ground && down.pos.y > (surface + 6) * SUB, "dropped into the cave at {x}: {down:?}");
            let up = run(down, Buttons::JUMP, 600, &|b| b.on_ground && b.pos.y == surface * SUB);
            assert_eq!(up.pos.y, surface * SUB, "climbed back to the trapdoor at {x}");
            shafts += 1;
            x += SHAFT_WIDTH;
        }
        assert!(shafts >= 8, "only {shafts} cave entrances");
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
