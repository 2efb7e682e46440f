//! Cell checkpoints: what the owner of a cell writes to hot state (`mmo_store::HotState`) every
//! second and whenever an item lands on or leaves its ground, so that the zone taking the cell
//! over after its owner died brings back its NPCs and ground items. Their bytes are the zone
//! link's encoding (`mmo_cluster::checkpoint::CheckpointCodec`).
//!
//! Players are not in checkpoints: their gateway re-creates them from the last frame it saw and
//! their stored record. Items must come back exactly once, yet a checkpoint and a player's
//! stored record are written separately. The owner orders the writes (the checkpoint of a tick
//! first, then the saves of the players whose inventory changed in it), and each checkpoint says
//! whose inventory an item may also be in:
//! - a ground item carries the name of the player who dropped it, if any: if that player's
//!   stored inventory still holds the item, the drop never became durable and the item stays
//!   theirs, not on the ground;
//! - an item picked up recently is kept as a [`Picked`] entry naming the player: if that
//!   player's stored inventory does not hold it, the pickup was lost with the zone and the item
//!   goes back on the ground.
//!
//! [`CellCheckpoint::resolve`] applies these rules given the stored inventories.

use crate::entity::EntityRecord;
use crate::item::Item;
use glam::IVec2;
use mmo_world::{CellId, EntityId, ItemSerial, Tick};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::Arc;

/// An item on the ground of a cell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroundRecord {
    pub item: Item,
    pub pos: IVec2,
    /// The player who dropped it (an NPC's loot has none).
    pub dropped_by: Option<Arc<str>>,
    /// That player's entity and the tick of the drop: they cannot pick it up again at once.
    pub dropped_at: Option<(EntityId, Tick)>,
}

/// An item a player picked up from the ground lately (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Picked {
    pub item: Item,
    /// Where it lay.
    pub pos: IVec2,
    pub by: Arc<str>,
}

/// The items of one cell: on its ground, and picked up there lately. They move with the cell
/// when it migrates ([`crate::peer::Transfer::items`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellItems {
    pub ground: Vec<GroundRecord>,
    pub picked: Vec<Picked>,
}

impl CellItems {
    pub fn is_empty(&self) -> bool {
        self.ground.is_empty() && self.picked.is_empty()
    }
}

/// One cell's state as of the end of `tick`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellCheckpoint {
    pub cell: CellId,
    pub tick: Tick,
    pub npcs: Vec<EntityRecord>,
    pub items: CellItems,
}

/// What a zone taking a cell over puts back in it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RestoredCell {
    pub npcs: Vec<EntityRecord>,
    /// Each item once, none that a stored inventory holds.
    pub ground: Vec<GroundRecord>,
}

impl CellCheckpoint {
    /// The players whose stored inventories [`resolve`](Self::resolve) needs.
    pub fn players(&self) -> BTreeSet<Arc<str>> {
        let dropped = self.items.ground.iter().filter_map(|g| g.dropped_by.clone());
        dropped.chain(self.items.picked.iter().map(|p| p.by.clone())).collect()
    }

    /// The NPCs and ground items to restore, given whether a player's stored inventory holds an
    /// item (`holds(name, serial)`, for the names of [`players`](Self::players)).
    pub fn resolve(self, holds: impl Fn(&str, ItemSerial) -> bool) -> RestoredCell {
        let mut seen = BTreeSet::new();
        let mut ground = Vec::new();
        let CellItems { ground: lying, picked } = self.items;
        let lying = lying.into_iter().filter(|g| !g.dropped_by.as_deref().is_some_and(|p| holds(p, g.item.serial)));
        let lost_pickups = picked.into_iter().filter(|p| !holds(&p.by, p.item.serial)).map(|p| GroundRecord {
            item: p.item,
            pos: p.pos,
            dropped_by: None,
            dropped_at: None,
        });
        for g in lying.chain(lost_pickups) {
            if seen.insert(g.item.serial) {
                ground.push(g);
            }
        }
        RestoredCell { npcs: self.npcs, ground }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(serial: u64) -> Item {
        Item::one(ItemSerial(serial), 10)
    }

    fn ground(id: u64, by: Option<&str>) -> GroundRecord {
        GroundRecord { item: item(id), pos: IVec2::new(id as i32, 0), dropped_by: by.map(Into::into), dropped_at: None }
    }

    fn checkpoint() -> CellCheckpoint {
        CellCheckpoint {
            cell: CellId::new(3, 1),
            tick: Tick(40),
            npcs: Vec::new(),
            items: CellItems {
                // 1: loot; 2: dropped by ann, durably; 3: dropped by ann, her save never landed
                ground: vec![ground(1, None), ground(2, Some("ann")), ground(3, Some("ann"))],
                // 4: bob's pickup was saved; 5: bob's pickup was lost with the zone
                picked: vec![
                    Picked { item: item(4), pos: IVec2::ZERO, by: "bob".into() },
                    Picked { item: item(5), pos: IVec2::new(7, 7), by: "bob".into() },
                ],
            },
        }
    }

    #[test]
    fn every_item_comes_back_exactly_once() {
        let stored = |name: &str, serial: ItemSerial| matches!((name, serial.0), ("ann", 3) | ("bob", 4));
        let cp = checkpoint();
        assert_eq!(cp.players().into_iter().collect::<Vec<_>>(), vec![Arc::from("ann"), Arc::from("bob")]);
        let restored = cp.resolve(stored);
        let serials: Vec<u64> = restored.ground.iter().map(|g| g.item.serial.0).collect();
        assert_eq!(serials, vec![1, 2, 5], "3 stays ann's, 4 stays bob's, 5 lies where it lay");
        assert_eq!(restored.ground[2].pos, IVec2::new(7, 7));
    }

    #[test]
    fn a_serial_listed_twice_comes_back_once() {
        let mut cp = checkpoint();
        cp.items.picked.push(Picked { item: item(1), pos: IVec2::ZERO, by: "cy".into() });
        let restored = cp.resolve(|_, _| false);
        let serials: Vec<u64> = restored.ground.iter().map(|g| g.item.serial.0).collect();
        assert_eq!(serials, vec![1, 2, 3, 4, 5]);
    }
}
