//! Cell streams: what a zone publishes, per owned cell and per tick, to its subscribers
//! (gateways building client views; later, neighbouring zones keeping ghosts).

use mmo_world::{Body, CellId, EntityId, Epoch, ItemSerial, Tick, ZoneId};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What an entity is, for display.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntityKind {
    Player { name: Arc<str> },
    Npc { species: u8 },
}

/// Pose bits: how an entity is drawn.
pub mod pose {
    pub const FACING_LEFT: u8 = 1;
    pub const ATTACKING: u8 = 2;
    pub const HURT: u8 = 4;
    pub const DEAD: u8 = 8;
    pub const ON_GROUND: u8 = 16;
}

/// The published state of one entity at one tick.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityState {
    pub id: EntityId,
    pub kind: EntityKind,
    pub body: Body,
    pub hp: u16,
    pub max_hp: u16,
    pub pose: u8,
    pub xp: u32,
    pub level: u16,
    pub last_input_seq: u32,
    /// A player's inventory (empty for NPCs).
    #[serde(default)]
    pub items: Vec<InventoryItem>,
}

/// One item a player carries: its unique serial and its kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InventoryItem {
    pub serial: ItemSerial,
    pub kind: u16,
}

/// Something that happened in a cell during a tick, for everyone watching it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CellEvent {
    Chat { from: EntityId, name: Arc<str>, text: Arc<str> },
}

/// An item lying on the ground of a cell (picked up by walking over it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroundItem {
    /// The item's unique serial (from the player store).
    pub serial: ItemSerial,
    pub kind: u16,
    /// Fixed-point position.
    pub pos: glam::IVec2,
}

/// One cell's state at the end of one tick. Frames carry the whole cell (a keyframe each
/// tick): in one process they are shared by reference, so a subscriber that missed frames
/// needs no resync. The networked link of the multi-process mode sends deltas between them
/// ([`crate::cell_delta`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellFrame {
    pub cell: CellId,
    pub zone: ZoneId,
    pub epoch: Epoch,
    pub tick: Tick,
    pub entities: Vec<EntityState>,
    pub events: Vec<CellEvent>,
    /// Items on the ground of the cell, by serial.
    #[serde(default)]
    pub items: Vec<GroundItem>,
}

impl CellFrame {
    /// The frame of `cell` at `tick` with `entities`, no events and no ground items yet.
    pub fn new(cell: CellId, zone: ZoneId, epoch: Epoch, tick: Tick, entities: Vec<EntityState>) -> Self {
        CellFrame { cell, zone, epoch, tick, entities, events: Vec::new(), items: Vec::new() }
    }

    /// Whether each entity is there once, in increasing id order, as every frame a zone
    /// publishes is (receivers search and merge by id); a frame read from a link is checked.
    pub fn ids_increasing(&self) -> bool {
        self.entities.windows(2).all(|w| w[0].id < w[1].id)
    }

    /// Whether the frame shows `entity` (its ids increasing, as a zone publishes them).
    pub fn shows(&self, entity: EntityId) -> bool {
        self.entities.binary_search_by_key(&entity, |e| e.id).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmo_world::Body;

    #[test]
    fn a_frame_with_an_id_twice_or_out_of_order_is_told_apart() {
        let e = |id| EntityState {
            id: EntityId(id),
            kind: EntityKind::Npc { species: 0 },
            body: Body::default(),
            hp: 1,
            max_hp: 1,
            pose: 0,
            xp: 0,
            level: 1,
            last_input_seq: 0,
            items: Vec::new(),
        };
        let frame = |ids: &[u64]| {
            CellFrame::new(CellId::new(0, 0), ZoneId(1), Epoch(1), Tick(1), ids.iter().map(|&i| e(i)).collect())
        };
        assert!(frame(&[]).ids_increasing());
        assert!(frame(&[1, 5, 9]).ids_increasing());
        assert!(!frame(&[1, 9, 5]).ids_increasing());
        assert!(!frame(&[1, 5, 5]).ids_increasing());
    }
}
