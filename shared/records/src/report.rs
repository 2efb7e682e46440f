//! What a zone reports of itself, for tests and operators (`mmo_cluster::ZoneCommand::Inspect`).

use crate::item::Item;
use mmo_world::{CellId, EntityId, Epoch, ItemSerial, Tick, ZoneId};
use serde::{Deserialize, Serialize};

/// One entity as a zone holds it, for tests and operators.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityReport {
    pub id: EntityId,
    pub authority_epoch: Epoch,
    pub cell: CellId,
    pub hp: u16,
    pub xp: u32,
    pub items: Vec<Item>,
    pub is_player: bool,
    /// Held but not simulated (not authoritative): frozen in a transfer not answered yet, or
    /// arrived ahead of its first tick.
    pub frozen: bool,
}

/// What a zone holds, as of the last tick it ran.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneReport {
    pub zone: ZoneId,
    pub tick: Tick,
    pub owned: Vec<(CellId, Epoch)>,
    pub entities: Vec<EntityReport>,
    /// Ticks the zone skipped because it fell behind the clock, since it started.
    pub ticks_skipped: u64,
    /// Handoffs this zone took: (ticks from the source's freeze to the first tick simulated
    /// here, microseconds from the source sending to that tick starting here).
    pub handoff_latencies: Vec<(u64, u64)>,
    /// Items on the ground of the zone.
    pub ground_items: Vec<Item>,
    /// Serials the zone put into play (NPC drops) since it started.
    pub minted: Vec<ItemSerial>,
    /// Items given to players on other zones, held in escrow here until answered.
    pub escrow: Vec<Item>,
}
