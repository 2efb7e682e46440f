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
//! - an item given to a player on another zone and not answered yet is kept as a
//!   [`GiveRecord`] in escrow: if the receiver's stored record lists the give's receipt
//!   ([`crate::GiveId::receipt`]), the give became durable; else if the giver's stored record holds it, the give never left
//!   the giver; else it goes on the ground where the give was made (the giver's zone sends the
//!   offer only once the giver's save without the item and this entry are durable, and the
//!   receiver's zone accepts only within the offer's deadline, long before the giver's zone's
//!   lease expires).
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
use crate::peer::GiveId;
use crate::player::PlayerRecord;
use glam::IVec2;
use mmo_world::{CellId, EntityId, Layout, Tick, WorldGeometry, MAX_DEPTH};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
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

/// An item in escrow: given by `from` (standing at `pos`) to `to`, a player on another zone,
/// and not answered yet (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GiveRecord {
    pub id: GiveId,
    pub item: Item,
    pub pos: IVec2,
    pub from: Arc<str>,
    pub to: Arc<str>,
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
    /// The version of the learned policy the writing zone's hunters fought with (0: the
    /// scripted brain). Checkpoints written before it had none (read as 0).
    pub policy: u16,
    /// Items given from this cell to players on other zones, in escrow. The last field:
    /// checkpoints written before it had none (read as none).
    pub gives: Vec<GiveRecord>,
}

/// The first of the newest of `candidates` (by tick).
fn newest(candidates: impl IntoIterator<Item = CellCheckpoint>) -> Option<CellCheckpoint> {
    candidates.into_iter().fold(None, |best, c| match best {
        Some(b) if b.tick >= c.tick => Some(b),
        _ => Some(c),
    })
}

/// What a zone taking a cell over puts back in it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RestoredCell {
    pub npcs: Vec<EntityRecord>,
    /// Each item once, none that a stored inventory holds.
    pub ground: Vec<GroundRecord>,
}

impl CellCheckpoint {
    /// The cells whose checkpoints [`CellCheckpoint::newest_of`] may use for `cell`: the
    /// cells it lies in, itself, and every cell that lies in it (split as far as
    /// [`MAX_DEPTH`]).
    pub fn overlapping(cell: CellId) -> Vec<CellId> {
        let mut cells: Vec<CellId> = std::iter::successors(cell.parent(), |c| c.parent()).collect();
        let mut level = vec![cell];
        while !level.is_empty() {
            cells.extend(&level);
            level = level.iter().filter(|c| c.depth < MAX_DEPTH).flat_map(|c| c.quarters()).collect();
        }
        cells
    }

    /// The newest state of `cell` the checkpoints of the cells overlapping it hold
    /// (`checkpoints`, by cell): its own; a cell's it lies in, cut to it (it was split since, or
    /// it is a quarter split off less than a checkpoint period before its zone died); or its
    /// quarters' together, as old as the oldest of them (they were merged since). Whichever is
    /// newest; `None` when no checkpoint covers all of it.
    pub fn newest_of(
        cell: CellId,
        geometry: WorldGeometry,
        checkpoints: &BTreeMap<CellId, CellCheckpoint>,
    ) -> Option<CellCheckpoint> {
        let covering = std::iter::successors(cell.parent(), |c| c.parent())
            .filter_map(|c| checkpoints.get(&c))
            .map(|c| c.clone().within(cell, geometry));
        let own = checkpoints.get(&cell).cloned();
        let candidates = own.into_iter().chain(covering).chain(Self::from_quarters(cell, checkpoints));
        newest(candidates)
    }

    /// `cell` put together from its quarters' newest checkpoints (each its own, or its own
    /// quarters' together), if all four have one.
    fn from_quarters(cell: CellId, checkpoints: &BTreeMap<CellId, CellCheckpoint>) -> Option<CellCheckpoint> {
        if cell.depth >= MAX_DEPTH {
            return None;
        }
        let quarter =
            |q: CellId| newest(checkpoints.get(&q).cloned().into_iter().chain(Self::from_quarters(q, checkpoints)));
        let parts: Option<Vec<CellCheckpoint>> = cell.quarters().into_iter().map(quarter).collect();
        let parts = parts?;
        let tick = parts.iter().map(|p| p.tick).min()?;
        let policy = parts.iter().map(|p| p.policy).max()?;
        let mut whole = CellCheckpoint { cell, tick, policy, ..CellCheckpoint::default() };
        for part in parts {
            whole.npcs.extend(part.npcs);
            whole.items.ground.extend(part.items.ground);
            whole.items.picked.extend(part.items.picked);
            whole.gives.extend(part.gives);
        }
        Some(whole)
    }

    /// What of this checkpoint lies in `cell` (a cell inside this one's): the NPCs whose feet
    /// and the items whose places are in it, as a zone simulating `cell` files them.
    pub fn within(self, cell: CellId, geometry: WorldGeometry) -> CellCheckpoint {
        let mut layout = Layout::new(geometry);
        if layout.make_leaf(cell).is_err() {
            return CellCheckpoint { cell, tick: self.tick, ..CellCheckpoint::default() };
        }
        let inside = |pos| layout.cell_of_pos(pos) == cell;
        let CellItems { ground, picked } = self.items;
        CellCheckpoint {
            cell,
            tick: self.tick,
            npcs: self.npcs.into_iter().filter(|n| inside(n.body.pos)).collect(),
            items: CellItems {
                ground: ground.into_iter().filter(|g| inside(g.pos)).collect(),
                picked: picked.into_iter().filter(|p| inside(p.pos)).collect(),
            },
            policy: self.policy,
            gives: self.gives.into_iter().filter(|g| inside(g.pos)).collect(),
        }
    }

    /// The players whose stored records [`resolve`](Self::resolve) needs.
    pub fn players(&self) -> BTreeSet<Arc<str>> {
        let dropped = self.items.ground.iter().filter_map(|g| g.dropped_by.clone());
        let given = self.gives.iter().flat_map(|g| [g.from.clone(), g.to.clone()]);
        dropped.chain(self.items.picked.iter().map(|p| p.by.clone())).chain(given).collect()
    }

    /// The NPCs and ground items to restore, given the stored record of each player of
    /// [`players`](Self::players) (`stored(name)`, `None` for a player with no record): a
    /// dropped item whose dropper's stored inventory holds it stays theirs; a picked-up item
    /// goes back on the ground unless its picker's stored record holds it or lists the
    /// pickup's receipt; an item in escrow goes on the ground unless the receiver's record
    /// lists the give's receipt or the giver's holds the item.
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
        let given = |g: &GiveRecord| stored(&g.to).is_some_and(|r| r.picked_up(g.id.receipt()));
        let unsettled = self.gives.into_iter().filter(|g| !given(g) && !holds(&g.from, g.item.serial));
        let unsettled =
            unsettled.map(|g| GroundRecord { item: g.item, pos: g.pos, dropped_by: None, dropped_at: None });
        for g in lying.chain(lost_pickups).chain(unsettled) {
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
            policy: 0,
            gives: Vec::new(),
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

    /// Items ann gave across a border, in escrow when her zone died: 6 reached cy (she holds
    /// it, with the give's receipt), 7 reached cy and went on (the receipt), 8 never left ann
    /// (her save without it never landed), 9 and 10 left ann and never reached cy (refused, or
    /// the offer was never sent; cy's receipt of her own earlier pickup of 10 says nothing of
    /// this give): only 9 and 10 lie where ann stood.
    #[test]
    fn an_item_in_escrow_is_the_receivers_the_givers_or_on_the_ground() {
        let mut cp = checkpoint();
        let id = |n| GiveId { zone: mmo_world::ZoneId(2), run: 1, n };
        let give = |serial| GiveRecord {
            id: id(serial),
            item: item(serial),
            pos: IVec2::new(9, 9),
            from: "ann".into(),
            to: "cy".into(),
        };
        cp.gives = vec![give(6), give(7), give(8), give(9), give(10)];
        assert!(cp.players().contains("cy"));
        let mut stored = stored(&[("ann", &[3, 8], &[]), ("bob", &[4], &[4]), ("cy", &[6], &[10])]);
        stored.get_mut("cy").unwrap().picked.extend([id(6).receipt(), id(7).receipt()]);
        let restored = cp.clone().resolve(|name| stored.get(name));
        assert_eq!(restored_serials(&restored), vec![1, 2, 5, 9, 10]);
        assert_eq!(restored.ground[3].pos, IVec2::new(9, 9));
        let all = vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        assert_eq!(restored_serials(&cp.resolve(|_| None)), all, "no records: all lie");
    }

    #[test]
    fn give_receipts_are_no_item_serials_and_differ_by_give() {
        let id = |zone, run, n| GiveId { zone: mmo_world::ZoneId(zone), run, n };
        let receipts: BTreeSet<ItemSerial> =
            (1..4).flat_map(|z| (0..3).flat_map(move |r| (0..50).map(move |n| id(z, r, n).receipt()))).collect();
        assert_eq!(receipts.len(), 3 * 3 * 50);
        assert!(receipts.iter().all(|s| s.0 >= 1 << 63));
    }

    #[test]
    fn a_serial_listed_twice_comes_back_once() {
        let mut cp = checkpoint();
        cp.items.picked.push(Picked { item: item(1), pos: IVec2::ZERO, by: "cy".into() });
        let restored = cp.resolve(|_| None);
        assert_eq!(restored_serials(&restored), vec![1, 2, 3, 4, 5]);
    }

    /// Checkpoints of one cell of 32 tiles (cell 1.0 of a 4x2 world) and its quarters, each
    /// with ground items lying in the tiles given.
    mod split_cells {
        use super::*;

        const GEOMETRY: WorldGeometry = WorldGeometry { width_cells: 4, height_cells: 2, cell_tiles: 32 };

        fn lying(cell: CellId, tick: u64, items: &[(u64, i32, i32)]) -> CellCheckpoint {
            let at = |x: i32, y: i32| IVec2::new(x * 256 + 128, y * 256 + 128);
            let ground = items
                .iter()
                .map(|&(serial, x, y)| GroundRecord {
                    item: item(serial),
                    pos: at(x, y),
                    dropped_by: None,
                    dropped_at: None,
                })
                .collect();
            CellCheckpoint {
                cell,
                tick: Tick(tick),
                npcs: Vec::new(),
                items: CellItems { ground, picked: Vec::new() },
                policy: 0,
                gives: Vec::new(),
            }
        }

        fn newest(cell: CellId, checkpoints: &[CellCheckpoint]) -> Option<(u64, Vec<u64>)> {
            let by_cell = checkpoints.iter().map(|c| (c.cell, c.clone())).collect();
            let found = CellCheckpoint::newest_of(cell, GEOMETRY, &by_cell)?;
            assert_eq!(found.cell, cell);
            Some((found.tick.0, found.items.ground.iter().map(|g| g.item.serial.0).collect()))
        }

        #[test]
        fn a_quarter_without_a_newer_checkpoint_of_its_own_comes_back_from_its_parents() {
            let parent = CellId::new(1, 0);
            let [q0, _, _, q3] = parent.quarters();
            // 1 lies in the top-left quarter (tiles 32..48 x 0..16), 2 in the bottom-right one.
            let parents = lying(parent, 100, &[(1, 33, 2), (2, 60, 30)]);
            assert_eq!(newest(q3, std::slice::from_ref(&parents)), Some((100, vec![2])));
            assert_eq!(newest(q0, std::slice::from_ref(&parents)), Some((100, vec![1])));
            // An older checkpoint of its own (from before a merge): the parent's is newer.
            let stale = lying(q3, 80, &[(9, 60, 30)]);
            assert_eq!(newest(q3, &[parents.clone(), stale]), Some((100, vec![2])));
            let fresh = lying(q3, 120, &[(3, 60, 30)]);
            assert_eq!(newest(q3, &[parents, fresh]), Some((120, vec![3])));
            assert_eq!(newest(q3, &[]), None);
            // A quarter of a quarter, from its grandparent's.
            assert_eq!(newest(q3.quarter(3), &[lying(parent, 100, &[(2, 60, 30)])]), Some((100, vec![2])));
        }

        #[test]
        fn a_merged_cell_comes_back_from_its_quarters_when_all_of_them_are_newer() {
            let parent = CellId::new(1, 0);
            let q = parent.quarters();
            let own = lying(parent, 50, &[(9, 33, 2)]);
            let quarters: Vec<CellCheckpoint> = q
                .iter()
                .enumerate()
                .map(|(n, &c)| {
                    let (x, y) = (32 + 16 * (n as i32 % 2) + 1, 16 * (n as i32 / 2) + 1);
                    lying(c, 120 + 10 * n as u64, &[(n as u64 + 1, x, y)])
                })
                .collect();
            let all: Vec<CellCheckpoint> = quarters.iter().cloned().chain([own.clone()]).collect();
            assert_eq!(newest(parent, &all), Some((120, vec![1, 2, 3, 4])), "as old as the oldest quarter");
            // One quarter has none: they do not cover the cell.
            let three: Vec<CellCheckpoint> = all.iter().filter(|c| c.cell != q[2]).cloned().collect();
            assert_eq!(newest(parent, &three), Some((50, vec![9])));
            // A quarter split in turn counts by its own quarters.
            let mut deeper: Vec<CellCheckpoint> = three.clone();
            deeper.extend(q[2].quarters().iter().map(|&c| lying(c, 140, &[])));
            assert_eq!(newest(parent, &deeper), Some((120, vec![1, 2, 4])));
        }

        #[test]
        fn the_cells_overlapping_a_quarter_are_its_parent_itself_and_its_quarters() {
            let q = CellId::new(1, 0).quarter(1);
            let cells = CellCheckpoint::overlapping(q);
            assert_eq!(cells.len(), 1 + 1 + 4, "{cells:?}");
            assert!(cells.contains(&CellId::new(1, 0)) && cells.contains(&q) && cells.contains(&q.quarter(2)));
            assert_eq!(CellCheckpoint::overlapping(CellId::new(0, 0)).len(), 1 + 4 + 16);
        }
    }
}
