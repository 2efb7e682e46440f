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
//!   player's stored record neither holds it nor lists it among its pickup receipts
//!   ([`PlayerRecord::picked`]), the pickup was lost with the zone and the item goes back on the
//!   ground. The inventory alone cannot tell: once the pickup is durable the item may move on
//!   (given away, dropped and picked up by another), and an item its picker gave away must not
//!   come back on the ground while the player it went to holds it.
//!
//! [`CellCheckpoint::resolve`] applies these rules given the stored records.
//!
//! A receipt names a serial, not one pickup of it, so two short windows remain where a receipt
//! vouches for a pickup whose save has not landed yet, and the item is lost if the zone dies
//! then: a player picking up again an item whose earlier pickup's receipt is stored, and a give
//! the store refused as one transaction (the pickup's save had not landed yet), whose two saves
//! then land one at a time (between the giver's and the receiver's). Each lasts about one store
//! write.

use crate::entity::EntityRecord;
use crate::item::Item;
use crate::player::PlayerRecord;
use glam::IVec2;
use mmo_world::{CellId, EntityId, Tick};
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
    /// The players whose stored records [`resolve`](Self::resolve) needs.
    pub fn players(&self) -> BTreeSet<Arc<str>> {
        let dropped = self.items.ground.iter().filter_map(|g| g.dropped_by.clone());
        dropped.chain(self.items.picked.iter().map(|p| p.by.clone())).collect()
    }

    /// The NPCs and ground items to restore, given the stored record of each player of
    /// [`players`](Self::players) (`stored(name)`, `None` for a player with no record): a
    /// dropped item whose dropper's stored inventory holds it stays theirs; a picked-up item
    /// goes back on the ground unless its picker's stored record holds it or lists the
    /// pickup's receipt.
    pub fn resolve<'a>(self, stored: impl Fn(&str) -> Option<&'a PlayerRecord>) -> RestoredCell {
        let holds = |name: &str, serial| stored(name).is_some_and(|r| r.holds(serial));
        let pickup_durable = |name: &str, serial| stored(name).is_some_and(|r| r.holds(serial) || r.picked_up(serial));
        let mut seen = BTreeSet::new();
        let mut ground = Vec::new();
        let CellItems { ground: lying, picked } = self.items;
        let lying = lying.into_iter().filter(|g| !g.dropped_by.as_deref().is_some_and(|p| holds(p, g.item.serial)));
        let lost_pickups = picked.into_iter().filter(|p| !pickup_durable(&p.by, p.item.serial)).map(|p| GroundRecord {
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
    use mmo_world::ItemSerial;
    use std::collections::BTreeMap;

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

    /// Stored records: `(name, held serials, receipts)`.
    fn stored(players: &[(&str, &[u64], &[u64])]) -> BTreeMap<String, PlayerRecord> {
        let serials = |s: &[u64]| s.iter().copied().map(ItemSerial).collect::<Vec<_>>();
        players
            .iter()
            .map(|&(name, held, picked)| {
                let mut r = PlayerRecord::new(name, None, IVec2::ZERO, CellId::new(3, 1));
                r.inventory = serials(held).into_iter().map(|s| Item::one(s, 10)).collect();
                r.picked = serials(picked);
                (name.to_owned(), r)
            })
            .collect()
    }

    fn restored_serials(restored: &RestoredCell) -> Vec<u64> {
        restored.ground.iter().map(|g| g.item.serial.0).collect()
    }

    #[test]
    fn every_item_comes_back_exactly_once() {
        // ann still holds 3; bob holds 4 (and its receipt is stored), not 5
        let stored = stored(&[("ann", &[3], &[]), ("bob", &[4], &[4])]);
        let cp = checkpoint();
        assert_eq!(cp.players().into_iter().collect::<Vec<_>>(), vec![Arc::from("ann"), Arc::from("bob")]);
        let restored = cp.resolve(|name| stored.get(name));
        assert_eq!(restored_serials(&restored), vec![1, 2, 5], "3 stays ann's, 4 stays bob's, 5 lies where it lay");
        assert_eq!(restored.ground[2].pos, IVec2::new(7, 7));
    }

    /// The chaos soak's duplication: bob's pickup of 4 was saved, then bob gave 4 away (his
    /// stored inventory holds it no more, the player it went to does). His receipt says the
    /// pickup was durable: 4 does not come back on the ground.
    #[test]
    fn a_picked_item_its_picker_gave_away_is_not_put_back() {
        let stored = stored(&[("ann", &[3], &[]), ("bob", &[], &[4])]);
        let restored = checkpoint().resolve(|name| stored.get(name));
        assert_eq!(restored_serials(&restored), vec![1, 2, 5]);
    }

    /// A pickup whose save never landed (no receipt, not held) is put back where it lay, also
    /// when the picker's record holds receipts of other pickups.
    #[test]
    fn a_pickup_whose_save_never_landed_is_put_back() {
        let stored = stored(&[("ann", &[3], &[2, 3]), ("bob", &[4], &[4, 6])]);
        let restored = checkpoint().resolve(|name| stored.get(name));
        assert_eq!(restored_serials(&restored), vec![1, 2, 5]);
        let restored = checkpoint().resolve(|_| None);
        assert_eq!(restored_serials(&restored), vec![1, 2, 3, 4, 5], "nobody has a record: every item lies");
    }

    /// A receipt says nothing about a drop: ann's drop of 3 is judged by her inventory only.
    #[test]
    fn a_drop_is_judged_by_the_droppers_inventory_only() {
        let stored = stored(&[("ann", &[], &[2, 3]), ("bob", &[4], &[])]);
        let restored = checkpoint().resolve(|name| stored.get(name));
        assert_eq!(restored_serials(&restored), vec![1, 2, 3, 5], "2 and 3 lie where ann dropped them");
    }

    #[test]
    fn a_serial_listed_twice_comes_back_once() {
        let mut cp = checkpoint();
        cp.items.picked.push(Picked { item: item(1), pos: IVec2::ZERO, by: "cy".into() });
        let restored = cp.resolve(|_| None);
        assert_eq!(restored_serials(&restored), vec![1, 2, 3, 4, 5]);
    }
}
