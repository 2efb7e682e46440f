//! Run-length encoded terrain per cell, generated once and shared by every session.

use mmo_world::{CellId, Terrain};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Debug)]
pub struct TerrainCache {
    terrain: Terrain,
    cells: Mutex<HashMap<CellId, Arc<Vec<u8>>>>,
}

impl TerrainCache {
    pub fn new(terrain: Terrain) -> Self {
        TerrainCache { terrain, cells: Mutex::default() }
    }

    pub fn terrain(&self) -> &Terrain {
        &self.terrain
    }

    /// The encoded tiles of `cell`.
    pub fn rle(&self, cell: CellId) -> Arc<Vec<u8>> {
        if let Some(rle) = self.cells.lock().expect("terrain lock").get(&cell) {
            return rle.clone();
        }
        let rle = Arc::new(self.terrain.generate_cell(cell).to_rle());
        self.cells.lock().expect("terrain lock").insert(cell, rle.clone());
        rle
    }
}
