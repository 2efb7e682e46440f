//! The full state of one entity as plain data: what travels in a handoff ([`crate::peer::Transfer`]),
//! what a cell checkpoint keeps of its NPCs, and what a gateway re-creates a player from after
//! its zone died.

use crate::item::Item;
use glam::IVec2;
use mmo_world::{Body, Buttons, EntityId, Epoch, GatewayId, ItemSerial, SessionId, Tick};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Where a player's client is connected: it never changes while the player walks between zones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SessionRoute {
    pub gateway: GatewayId,
    pub session: SessionId,
}

/// The full state of one entity, as it moves between zones: everything the simulation needs to
/// go on exactly where the previous zone stopped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityRecord {
    pub id: EntityId,
    /// Grows by one with every handoff; the copy with the highest epoch is the real one.
    pub authority_epoch: Epoch,
    pub body: Body,
    pub hp: u16,
    pub max_hp: u16,
    pub facing_left: bool,
    pub last_attack: Option<Tick>,
    pub last_hurt: Option<Tick>,
    pub died: Option<Tick>,
    pub kind: RecordKind,
}

/// What the entity is, with the state only that kind has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordKind {
    Player(PlayerPart),
    Npc(NpcPart),
}

/// The player part of an [`EntityRecord`]: a live avatar's inventory, input queue, session and
/// what it needs to save itself. Not the saved character: that is [`crate::PlayerRecord`],
/// which a zone builds from the entity when it saves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerPart {
    pub name: Arc<str>,
    pub xp: u32,
    pub items: Vec<Item>,
    pub inputs: InputRecord,
    pub route: Option<SessionRoute>,
    pub persist: Persistence,
    /// Pickup receipts, saved with the player's record ([`crate::PlayerRecord::picked`]): they
    /// travel with the player so that whichever zone saves it next keeps them.
    pub picked: Vec<ItemSerial>,
}

/// What a zone keeps to save a player's durable record ([`crate::PlayerRecord`]) besides the
/// simulated state: it travels with the player between zones.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Persistence {
    /// The account's password hash (`None` for a guest), written back unchanged with each save.
    pub credentials: Option<Arc<str>>,
    /// The version of the newest record taken for saving; the next save carries one more.
    pub version: u64,
}

/// How far up a record version holds the epoch of the owner that took the player over (see
/// [`Persistence::taken_over`]); below it, the saves counted since.
pub const OWNER_EPOCH_SHIFT: u32 = 32;

impl Persistence {
    /// The persistence of a player a zone takes over without a handoff (its owner died or lost
    /// its lease) at cell ownership `epoch`, from its stored record. The version's high bits
    /// become the owner's epoch: every save of the new owner is then newer than anything the
    /// deposed owner can still send (its versions are below its own, older, epoch), so the
    /// store, comparing versions as it always does, refuses the deposed owner's late writes
    /// once the new owner saved. Fencing holds for epochs below 2^32.
    pub fn taken_over(credentials: Option<Arc<str>>, stored_version: u64, epoch: Epoch) -> Persistence {
        let fence = epoch.0.min(u64::from(u32::MAX)) << OWNER_EPOCH_SHIFT;
        Persistence { credentials, version: stored_version.max(fence) }
    }
}

/// A player's input queue: the inputs not applied yet and the sequence numbers seen.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputRecord {
    pub queued: Vec<(u32, Buttons)>,
    pub newest_seen: Option<u32>,
    /// The last input sequence number applied (what the client reconciles against).
    pub last_applied: u32,
    pub last_buttons: Buttons,
}

/// The NPC part of an [`EntityRecord`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NpcPart {
    pub species: u8,
    pub home: IVec2,
    pub brain: BrainRecord,
}

/// An NPC's memory between ticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrainRecord {
    pub dir: i32,
    pub idle_until: Tick,
    pub returning: bool,
    pub first_dir: i32,
}

impl EntityRecord {
    /// The last input the zone applied for a player (0 for NPCs).
    pub fn last_input_seq(&self) -> u32 {
        match &self.kind {
            RecordKind::Player(p) => p.inputs.last_applied,
            RecordKind::Npc(_) => 0,
        }
    }

    /// The session a player plays from.
    pub fn route(&self) -> Option<SessionRoute> {
        match &self.kind {
            RecordKind::Player(p) => p.route,
            RecordKind::Npc(_) => None,
        }
    }

    /// The items a player carries (none for NPCs).
    pub fn items(&self) -> &[Item] {
        match &self.kind {
            RecordKind::Player(p) => &p.items,
            RecordKind::Npc(_) => &[],
        }
    }
}
