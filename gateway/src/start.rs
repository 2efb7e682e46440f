//! Where new characters enter the world: one or more start points spread evenly across the
//! world's width, on the ground. A new character starts at the one its name picks, so a crowd
//! of new players spreads over the world instead of all standing in the middle.

use glam::IVec2;
use mmo_world::{CellId, Terrain, WorldGeometry};

/// Start points allowed at most (`--start-points`).
pub const MAX_START_POINTS: u32 = 256;

/// The world's start points (fixed-point, on the ground) and their cells.
#[derive(Clone, Debug)]
pub struct StartPoints {
    points: Vec<(IVec2, CellId)>,
}

impl StartPoints {
    /// `count` points (1 to [`MAX_START_POINTS`]) at the middles of `count` equal slices of the
    /// world's width. One point is the middle of the world, where zones meet; more points, as
    /// long as there are no more than columns of cells, are moved to the centre of the cell
    /// they fall in, so that nobody starts on a border and is handed off at once.
    pub fn new(terrain: &Terrain, geometry: WorldGeometry, count: u32) -> Self {
        let count = count.clamp(1, MAX_START_POINTS) as i64;
        let width = i64::from(geometry.width_tiles());
        let cell = i64::from(geometry.cell_tiles);
        let centred = count > 1 && count <= i64::from(geometry.width_cells);
        let points = (0..count)
            .map(|i| {
                let even = width * (2 * i + 1) / (2 * count);
                let x = if centred { even / cell * cell + cell / 2 } else { even };
                let x = i32::try_from(x).expect("within the world's width");
                let pos = terrain.spawn_point(x);
                (pos, geometry.cell_of_pos(pos))
            })
            .collect();
        StartPoints { points }
    }

    /// Where a new character called `name` starts, and its cell. The same name always picks
    /// the same point (FNV-1a of the name), on every gateway.
    pub fn for_name(&self, name: &str) -> (IVec2, CellId) {
        let hash =
            name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        self.points[(hash % self.points.len() as u64) as usize]
    }

    /// Every start point's cell (a gateway is ready when all have an owner).
    pub fn cells(&self) -> impl Iterator<Item = CellId> + '_ {
        self.points.iter().map(|&(_, cell)| cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world() -> (Terrain, WorldGeometry) {
        let geometry = WorldGeometry { width_cells: 16, height_cells: 2, cell_tiles: 128 };
        (Terrain::new(42, geometry), geometry)
    }

    #[test]
    fn one_start_point_is_the_middle_of_the_world() {
        let (terrain, geometry) = world();
        let start = StartPoints::new(&terrain, geometry, 1);
        let middle = terrain.spawn_point(geometry.width_tiles() / 2);
        assert_eq!(start.for_name("ann").0, middle);
        assert_eq!(start.for_name("bea").0, middle);
    }

    #[test]
    fn new_players_spread_over_every_start_point_in_every_column_of_cells() {
        let (terrain, geometry) = world();
        let start = StartPoints::new(&terrain, geometry, 16);
        let columns: std::collections::BTreeSet<u16> = start.cells().map(|cell| cell.x).collect();
        assert_eq!(columns.len(), 16, "one start point per column of cells");
        let mut players = [0u32; 16];
        for n in 0..1600 {
            let (pos, cell) = start.for_name(&format!("bot-{n}"));
            assert_eq!(geometry.cell_of_pos(pos), cell);
            players[usize::from(cell.x)] += 1;
        }
        assert!(players.iter().all(|&p| (50..=150).contains(&p)), "1,600 names over 16 points: {players:?}");
    }

    #[test]
    fn several_start_points_stand_in_the_middle_of_distinct_cells() {
        let (terrain, geometry) = world();
        for count in [2, 4, 5, 16] {
            let start = StartPoints::new(&terrain, geometry, count);
            let columns: std::collections::BTreeSet<u16> = start.cells().map(|cell| cell.x).collect();
            assert_eq!(columns.len(), count as usize, "{count} points in {count} columns of cells");
            for &(pos, cell) in &start.points {
                let tile_x = pos.x >> mmo_world::physics::SUB_SHIFT;
                assert_eq!(tile_x, i32::from(cell.x) * 128 + 64, "{count} points: at the centre of {cell}");
            }
        }
    }

    #[test]
    fn a_name_always_starts_at_the_same_point() {
        let (terrain, geometry) = world();
        let start = StartPoints::new(&terrain, geometry, 7);
        assert_eq!(start.for_name("carol"), start.for_name("carol"));
    }

    #[test]
    fn start_points_stand_on_the_ground() {
        let (terrain, geometry) = world();
        for (pos, _) in StartPoints::new(&terrain, geometry, MAX_START_POINTS).points {
            let tile_x = pos.x >> mmo_world::physics::SUB_SHIFT;
            assert_eq!(pos.y, terrain.surface(tile_x) * mmo_world::physics::SUB);
        }
    }
}
