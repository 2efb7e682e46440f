//! Cell checkpoints ([`mmo_records::checkpoint`]): the state of each owned cell that a zone
//! taking it over after this zone died brings back (its NPCs and its items), and that restore.
//!
//! The core takes the checkpoints of a tick ([`ZoneCore::take_checkpoints`]); the runtime
//! writes them to hot state, each tick's before that tick's inventory saves, and the restoring
//! zone resolves them against the stored inventories before [`ZoneCore::restore_cell`].

use super::entities::Entity;
use super::{learned, ZoneCore};
use mmo_records::RecordKind;
use mmo_records::{CellCheckpoint, CellItems, RestoredCell};
use mmo_world::{CellId, Epoch};

/// Ticks between two checkpoints of every owned cell (1 s at 20 Hz); a cell whose items change
/// is checkpointed at the end of that tick as well.
pub const CHECKPOINT_EVERY_TICKS: u64 = 20;

impl ZoneCore {
    /// The checkpoints to write after the tick just run: every owned cell's every
    /// [`CHECKPOINT_EVERY_TICKS`] ticks, else those of the cells whose items changed in it; and
    /// those of cells handed to a zone that died before it answered (as they left here).
    pub fn take_checkpoints(&mut self) -> Vec<CellCheckpoint> {
        let dirty = std::mem::take(&mut self.items.dirty);
        let cells: Vec<CellId> = if self.now.0.is_multiple_of(CHECKPOINT_EVERY_TICKS) {
            self.owned.iter().map(|(cell, _)| cell).collect()
        } else {
            dirty.into_iter().filter(|cell| self.owned.contains(*cell)).collect()
        };
        let mut checkpoints = std::mem::take(&mut self.handbacks);
        checkpoints.extend(cells.into_iter().map(|cell| self.checkpoint(cell)));
        checkpoints
    }

    fn checkpoint(&mut self, cell: CellId) -> CellCheckpoint {
        let layout = &self.layout;
        let npcs = self
            .entities
            .as_slice()
            .iter()
            .filter(|e| !e.is_player() && layout.cell_of_pos(e.body.pos) == cell)
            .map(Entity::to_record)
            .collect();
        let items = self.cell_items(cell);
        let gives = self.gives.records_in(cell, &self.layout);
        CellCheckpoint { cell, tick: self.now, npcs, items, policy: self.policy_version(), gives }
    }

    /// The version of the learned policy the hunters fight with here (0: scripted).
    pub(crate) fn policy_version(&self) -> u16 {
        self.hunter.as_ref().map_or(0, learned::Policy::version)
    }

    /// Takes a cell whose owner died, with the NPCs and ground items of its checkpoint (the NPCs
    /// under new ids of this zone) instead of fresh NPCs. A cell owned already only has its
    /// epoch raised.
    pub fn restore_cell(&mut self, cell: CellId, epoch: Epoch, restored: RestoredCell) {
        if !self.take_cell(cell, epoch) {
            return;
        }
        let RestoredCell { npcs, ground } = restored;
        tracing::info!(zone = %self.config.zone, %cell, %epoch, npcs = npcs.len(), items = ground.len(), "cell restored from its checkpoint");
        for mut npc in npcs.into_iter().filter(|r| matches!(r.kind, RecordKind::Npc(_))) {
            let Some(id) = self.new_id() else { break };
            npc.id = id;
            npc.authority_epoch = Epoch::default();
            self.entities.insert(Entity::from_record(npc));
        }
        self.add_cell_items(CellItems { ground, picked: Vec::new() });
    }
}
