//! The publish phase: one [`CellFrame`] per owned cell, holding the entities whose feet are in
//! it (sorted by id; dead NPCs are gone until they respawn) and the cell's events of the tick.

use super::entities::{Entity, Role};
use mmo_protocol::{CellEvent, CellFrame};
use mmo_world::{CellId, EntityId, Epoch, Tick, WorldGeometry, ZoneId};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The cells a zone owns, with a dense lookup from any cell of the world to its frame.
#[derive(Clone, Debug)]
pub(crate) struct OwnedCells {
    geometry: WorldGeometry,
    cells: BTreeMap<CellId, Epoch>,
    /// For each cell of the world (row by row), its position in `cells`.
    slots: Vec<Option<u32>>,
}

impl OwnedCells {
    pub fn new(geometry: WorldGeometry) -> Self {
        OwnedCells { geometry, cells: BTreeMap::new(), slots: vec![None; geometry.cell_count()] }
    }

    pub fn get(&self, cell: CellId) -> Option<Epoch> {
        self.cells.get(&cell).copied()
    }

    /// Records ownership; returns true if the cell is new to the zone. The epoch only grows.
    pub fn insert(&mut self, cell: CellId, epoch: Epoch) -> bool {
        if let Some(known) = self.cells.get_mut(&cell) {
            *known = (*known).max(epoch);
            return false;
        }
        self.cells.insert(cell, epoch);
        self.slots.fill(None);
        let indices: Vec<usize> = self.cells.keys().map(|c| self.index(*c)).collect();
        for (n, i) in indices.into_iter().enumerate() {
            self.slots[i] = Some(n as u32);
        }
        true
    }

    fn index(&self, cell: CellId) -> usize {
        usize::from(cell.y) * usize::from(self.geometry.width_cells) + usize::from(cell.x)
    }

    /// The frame slot of the cell holding a position, if the zone owns it.
    pub fn slot_of_pos(&self, pos: glam::IVec2) -> Option<usize> {
        let cell = self.geometry.cell_of_pos(pos);
        self.slots[self.index(cell)].map(|s| s as usize)
    }

    pub fn iter(&self) -> impl Iterator<Item = (CellId, Epoch)> + '_ {
        self.cells.iter().map(|(c, e)| (*c, *e))
    }
}

/// Builds the frames of tick `now`, draining `chats` (speaker, text) into them.
pub(crate) fn frames(
    zone: ZoneId,
    now: Tick,
    owned: &OwnedCells,
    entities: &[Entity],
    chats: &mut Vec<(EntityId, Arc<str>)>,
    slots: &mut Vec<Option<u32>>,
) -> Vec<CellFrame> {
    // Count first so every frame's list is allocated once.
    let mut counts = vec![0usize; owned.cells.len()];
    slots.clear();
    slots.extend(entities.iter().map(|e| {
        let slot = (e.alive() || e.is_player()).then(|| owned.slot_of_pos(e.body.pos)).flatten();
        if let Some(s) = slot {
            counts[s] += 1;
        }
        slot.map(|s| s as u32)
    }));
    let mut frames: Vec<CellFrame> = owned
        .iter()
        .zip(&counts)
        .map(|((cell, epoch), &n)| CellFrame {
            cell,
            zone,
            epoch,
            tick: now,
            entities: Vec::with_capacity(n),
            events: Vec::new(),
        })
        .collect();
    for (e, slot) in entities.iter().zip(slots.iter()) {
        if let Some(s) = slot {
            frames[*s as usize].entities.push(e.state(now));
        }
    }
    for (from, text) in chats.drain(..) {
        let Some(i) = entities.binary_search_by_key(&from, |e| e.id).ok() else {
            continue;
        };
        let (speaker, Some(s)) = (&entities[i], slots[i]) else {
            continue;
        };
        if let Role::Player(p) = &speaker.role {
            frames[s as usize].events.push(CellEvent::Chat { from, name: p.name.clone(), text });
        }
    }
    frames
}
