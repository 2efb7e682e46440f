//! Who owns each cell of the world, as far as this zone knows (from the registry), with the
//! ownership epoch: where entities leaving the zone's cells go, and when a cell of its own has
//! been given to another zone.

use mmo_world::{CellId, Epoch, WorldGeometry, ZoneId};

#[derive(Clone, Debug)]
pub(crate) struct Owners {
    geometry: WorldGeometry,
    /// Row by row, every cell of the world.
    table: Vec<Option<(ZoneId, Epoch)>>,
}

impl Owners {
    pub fn new(geometry: WorldGeometry) -> Self {
        Owners { geometry, table: vec![None; geometry.cell_count()] }
    }

    fn index(&self, cell: CellId) -> Option<usize> {
        self.geometry
            .contains_cell(cell)
            .then(|| usize::from(cell.y) * usize::from(self.geometry.width_cells) + usize::from(cell.x))
    }

    pub fn get(&self, cell: CellId) -> Option<(ZoneId, Epoch)> {
        self.index(cell).and_then(|i| self.table[i])
    }

    /// Records an assignment unless an assignment with a newer epoch is known; true if recorded.
    pub fn set(&mut self, cell: CellId, zone: ZoneId, epoch: Epoch) -> bool {
        let Some(i) = self.index(cell) else { return false };
        if self.table[i].is_some_and(|(_, known)| known > epoch) {
            return false;
        }
        self.table[i] = Some((zone, epoch));
        true
    }
}
