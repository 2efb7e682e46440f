//! Items in play: NPCs drop an item (a fresh serial) where they die, walking over a ground item
//! picks it up, and chat commands let a player drop an item (`/drop`) or give one to a player
//! standing near (`/give NAME`).
//!
//! An item is in exactly one place at any tick: one inventory or the ground of this zone. The
//! moves happen inside one tick of the core, and each one names the players whose inventory
//! changed ([`ZoneCore::take_inventory_changes`]) so the runtime saves them at once; a give is
//! also reported as an [`ItemGive`] so the runtime can make it one store transaction.
//!
//! Serials come from the durable store: the runtime hands the core blocks of them
//! ([`ZoneCore::add_serials`]) and asks for more when [`ZoneCore::serials_wanted`] says so; with
//! none in hand an NPC drops nothing. Ground items are shown in the frame of the cell they lie
//! in ([`mmo_protocol::GroundItem`]), move with their cell when it migrates, and are kept in
//! the cell's checkpoints (`checkpoint`) with who dropped them and who picked up what lately, so
//! that a zone restoring the cell after its owner died puts each item back exactly once.

use super::entities::Role;
use super::reserve::Reserve;
use super::ZoneCore;
use glam::IVec2;
use mmo_protocol::GroundItem;
use mmo_records::{record_pickup, Item};
use mmo_records::{CellItems, GroundRecord, Picked};
use mmo_world::physics::SUB;
use mmo_world::{CellId, EntityId, ItemSerial, SerialBlock, Tick};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Serials kept in hand; below half of it the zone asks for another block.
pub const SERIAL_BLOCK: u64 = 64;
/// How near (in fixed-point units, each axis) a player's feet must be to pick an item up.
const PICKUP_REACH: IVec2 = IVec2::new(SUB, 2 * SUB);
/// How near a player must stand to be given an item.
pub(crate) const GIVE_REACH: i32 = 6 * SUB;
/// Ticks during which a player cannot pick up an item they dropped (3 s at 20 Hz).
const DROP_GRACE: u64 = 60;
/// Ticks a pickup stays in its cell's checkpoints (10 s at 20 Hz): by then the picker's save is
/// long durable (inventory changes are flushed at once). The picker's record keeps the pickup's
/// receipt ([`mmo_records::PlayerRecord::picked`], the latest [`mmo_records::PICKUP_RECEIPTS`])
/// for a restore to tell a durable pickup from a lost one after the item moved on.
pub const PICKED_KEEP_TICKS: u64 = 200;
/// Item kind dropped by an NPC of species `s`.
const fn loot_kind(species: u8) -> u16 {
    10 + species as u16
}

/// One item on the ground.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Ground {
    pub item: Item,
    pub pos: IVec2,
    /// Who dropped it and when: they cannot pick it up again at once.
    pub dropped: Option<(EntityId, Tick)>,
    /// The name of who dropped it, for checkpoints.
    pub dropped_by: Option<Arc<str>>,
}

impl Ground {
    fn record(&self) -> GroundRecord {
        GroundRecord { item: self.item, pos: self.pos, dropped_by: self.dropped_by.clone(), dropped_at: self.dropped }
    }

    fn from_record(g: GroundRecord) -> Ground {
        Ground { item: g.item, pos: g.pos, dropped: g.dropped_at, dropped_by: g.dropped_by }
    }
}

/// A give between two players, for the runtime to make durable as one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemGive {
    pub from: String,
    pub to: String,
    pub serial: ItemSerial,
}

/// The zone's item state.
#[derive(Debug)]
pub(crate) struct Items {
    pub ground: Vec<Ground>,
    serials: Reserve,
    /// Serials this zone put into play (NPC drops), ever.
    pub minted: Vec<ItemSerial>,
    /// Items picked up lately, and when (see [`PICKED_KEEP_TICKS`]).
    picked: Vec<(Picked, Tick)>,
    /// Cells whose items changed since the last checkpoints were taken.
    pub dirty: BTreeSet<CellId>,
    /// Players whose inventory changed since the runtime last asked.
    pub changed: Vec<EntityId>,
    gives: Vec<ItemGive>,
}

impl Default for Items {
    fn default() -> Self {
        Items {
            ground: Vec::new(),
            serials: Reserve::new(SERIAL_BLOCK),
            minted: Vec::new(),
            picked: Vec::new(),
            dirty: BTreeSet::new(),
            changed: Vec::new(),
            gives: Vec::new(),
        }
    }
}

impl ZoneCore {
    /// Serials for NPC drops (a block of serial numbers from the store's `allocate_serials`).
    pub fn add_serials(&mut self, serials: SerialBlock) {
        self.items.serials.add(serials);
    }

    /// How many serials to ask the store for now (0: enough in hand).
    pub fn serials_wanted(&self) -> u64 {
        self.items.serials.wanted()
    }

    /// Players whose inventory changed since the last call (to save at once).
    pub fn take_inventory_changes(&mut self) -> Vec<EntityId> {
        let mut ids = std::mem::take(&mut self.items.changed);
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Gives between players since the last call.
    pub fn take_gives(&mut self) -> Vec<ItemGive> {
        std::mem::take(&mut self.items.gives)
    }

    /// The items on the ground of this zone, with their positions.
    pub fn ground_items(&self) -> Vec<(Item, IVec2)> {
        self.items.ground.iter().map(|g| (g.item, g.pos)).collect()
    }

    /// The serials this zone has put into play (NPC drops), in order.
    pub fn minted_serials(&self) -> &[ItemSerial] {
        &self.items.minted
    }

    /// Combat phase, after the swings: every NPC that died this tick drops an item.
    pub(crate) fn drop_loot(&mut self) {
        let now = self.now;
        for e in self.entities.as_slice() {
            let Role::Npc(npc) = &e.role else { continue };
            if e.died != Some(now) {
                continue;
            }
            let Some(serial) = self.items.serials.take().map(ItemSerial) else {
                tracing::debug!(zone = %self.config.zone, "no serials in hand; no drop");
                continue;
            };
            self.items.minted.push(serial);
            self.items.dirty.insert(self.layout.cell_of_pos(e.body.pos));
            let kind = loot_kind(npc.species);
            let item = Item::one(serial, kind);
            self.items.ground.push(Ground { item, pos: e.body.pos, dropped: None, dropped_by: None });
        }
    }

    /// After physics: living players pick up the ground items at their feet.
    pub(crate) fn pick_up(&mut self) {
        if self.items.ground.is_empty() {
            return;
        }
        let (now, layout) = (self.now, &self.layout);
        let Items { ground, changed, picked, dirty, .. } = &mut self.items;
        for e in self.entities.as_mut_slice() {
            if !e.alive() {
                continue;
            }
            let (id, pos) = (e.id, e.body.pos);
            let Role::Player(p) = &mut e.role else { continue };
            ground.retain(|g| {
                let d = (g.pos - pos).abs();
                let grace = g.dropped.is_some_and(|(by, at)| by == id && now.since(at) < DROP_GRACE);
                if d.x > PICKUP_REACH.x || d.y > PICKUP_REACH.y || grace {
                    return true;
                }
                let item = g.item;
                p.items.push(item);
                // Saved with the inventory: the receipt tells a restore that this pickup was
                // durable even after the item moved on (`CellCheckpoint::resolve`).
                record_pickup(&mut p.picked, item.serial);
                changed.push(id);
                dirty.insert(layout.cell_of_pos(g.pos));
                picked.push((Picked { item, pos: g.pos, by: p.name.clone() }, now));
                tracing::debug!(player = %id, serial = %item.serial, "item picked up");
                false
            });
        }
    }

    /// A chat line that is an item command (`/drop`, `/give NAME`); true if it was one (it is
    /// then not said in chat).
    pub(crate) fn item_command(&mut self, id: EntityId, text: &str) -> bool {
        let mut words = text.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some("/drop"), None, _) => {
                self.drop_item(id);
                true
            }
            (Some("/give"), Some(name), None) => {
                self.give_item(id, name);
                true
            }
            (Some("/drop" | "/give"), _, _) => true,
            _ => false,
        }
    }

    /// The player's newest item goes to the ground at its feet.
    fn drop_item(&mut self, id: EntityId) {
        let now = self.now;
        let Some(e) = self.entities.get_mut(id) else { return };
        let pos = e.body.pos;
        let Role::Player(p) = &mut e.role else { return };
        let Some(item) = p.items.pop() else { return };
        let dropped_by = Some(p.name.clone());
        self.items.ground.push(Ground { item, pos, dropped: Some((id, now)), dropped_by });
        self.items.changed.push(id);
        self.items.dirty.insert(self.layout.cell_of_pos(pos));
        tracing::debug!(player = %id, serial = %item.serial, "item dropped");
    }

    /// The player's newest item goes to the living player `name` standing within reach here.
    fn give_item(&mut self, id: EntityId, name: &str) {
        let Some(giver) = self.entities.get(id) else { return };
        let from_pos = giver.body.pos;
        let Role::Player(from) = &giver.role else { return };
        if from.items.is_empty() {
            return;
        }
        let from_name = from.name.to_string();
        let to = self.entities.as_slice().iter().find(|e| {
            e.id != id
                && e.alive()
                && matches!(&e.role, Role::Player(p) if &*p.name == name)
                && (e.body.pos - from_pos).abs().max_element() <= GIVE_REACH
        });
        let Some(to_id) = to.map(|e| e.id) else {
            // Not here: maybe across a border.
            self.give_across(id, name);
            return;
        };
        let Some(Role::Player(from)) = self.entities.get_mut(id).map(|e| &mut e.role) else { return };
        let Some(item) = from.items.pop() else { return };
        if let Some(Role::Player(to)) = self.entities.get_mut(to_id).map(|e| &mut e.role) {
            to.items.push(item);
        }
        self.items.changed.extend([id, to_id]);
        self.items.gives.push(ItemGive { from: from_name, to: name.to_owned(), serial: item.serial });
        tracing::debug!(player = %id, to = name, serial = %item.serial, "item given");
    }

    /// The ground items lying in `cell`, for its frame.
    pub(crate) fn ground_in(&self, cell: CellId) -> Vec<GroundItem> {
        let g = &self.layout;
        self.items
            .ground
            .iter()
            .filter(|item| g.cell_of_pos(item.pos) == cell)
            .map(|g| GroundItem { serial: g.item.serial, kind: g.item.kind, pos: g.pos })
            .collect()
    }

    /// The items of `cell` (on its ground, picked up there lately), for its checkpoint; forgets
    /// pickups older than [`PICKED_KEEP_TICKS`].
    pub(crate) fn cell_items(&mut self, cell: CellId) -> CellItems {
        let (now, g) = (self.now, &self.layout);
        self.items.picked.retain(|(_, at)| now.since(*at) < PICKED_KEEP_TICKS);
        let ground = self.items.ground.iter().filter(|i| g.cell_of_pos(i.pos) == cell).map(Ground::record).collect();
        let picked = self.items.picked.iter().filter(|(p, _)| g.cell_of_pos(p.pos) == cell).map(|(p, _)| p.clone());
        CellItems { ground, picked: picked.collect() }
    }

    /// Removes and returns the items of a cell leaving this zone (they go with it).
    pub(crate) fn take_cell_items(&mut self, cell: CellId) -> CellItems {
        let items = self.cell_items(cell);
        let g = &self.layout;
        self.items.ground.retain(|i| g.cell_of_pos(i.pos) != cell);
        self.items.picked.retain(|(p, _)| g.cell_of_pos(p.pos) != cell);
        self.items.dirty.remove(&cell);
        items
    }

    /// Adds the items of a cell that arrived (migration, a transfer taken back, a restore);
    /// a serial already here is not added twice.
    pub(crate) fn add_cell_items(&mut self, items: CellItems) {
        let now = self.now;
        let g = &self.layout;
        for record in items.ground {
            if self.items.ground.iter().any(|i| i.item.serial == record.item.serial) {
                tracing::warn!(zone = %self.config.zone, serial = %record.item.serial, "ground item already here; not added twice");
                continue;
            }
            self.items.dirty.insert(g.cell_of_pos(record.pos));
            self.items.ground.push(Ground::from_record(record));
        }
        self.items.picked.extend(items.picked.into_iter().map(|p| (p, now)));
    }
}
