//! Zone-to-zone messages: handoff transfers and their answers, messages for entities that live
//! on another zone (forwarded inputs, chat and leaves, cross-border hits, kill credits), and
//! the full state of an entity that travels in a transfer. Plain data, no I/O: the zone core
//! produces and consumes them, the zone runtime carries them over the zone link
//! ([`ZoneCommand::Peer`](crate::ZoneCommand::Peer)).

use glam::IVec2;
use mmo_world::{Body, Buttons, CellId, EntityId, Epoch, GatewayId, SessionId, Tick, ZoneId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// One transfer, unique in the cluster: the sending zone and its counter.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TransferId {
    pub zone: ZoneId,
    pub n: u64,
}

impl fmt::Debug for TransferId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tr{}.{}", self.zone.0, self.n)
    }
}

impl fmt::Display for TransferId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// An item a player carries. Unique by `id` across the cluster, so a test can count them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Item {
    pub id: u64,
    pub kind: u16,
}

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

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordKind {
    Player(PlayerRecord),
    Npc(NpcRecord),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlayerRecord {
    pub name: Arc<str>,
    pub xp: u32,
    pub items: Vec<Item>,
    pub inputs: InputRecord,
    pub route: Option<SessionRoute>,
    pub persist: Persistence,
}

/// What a zone keeps to save a player's durable record (`mmo_store::PlayerRecord`) besides the
/// simulated state: it travels with the player between zones.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Persistence {
    /// The account's password hash (`None` for a guest), written back unchanged with each save.
    pub credentials: Option<Arc<str>>,
    /// The version of the newest record taken for saving; the next save carries one more.
    pub version: u64,
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

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NpcRecord {
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

/// Authority over entities moving from one zone to another. Idempotent: the destination decides
/// once per `id` and gives the same answer to every copy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub id: TransferId,
    /// The tick at whose end the source froze its copies.
    pub sent_at: Tick,
    /// The last tick the destination may start simulating them at; a transfer that arrives
    /// later is refused, and only a refusal lets the source take its entities back.
    pub deadline: Tick,
    /// Each with its authority epoch already raised by one, its last input sequence number
    /// and its session route.
    pub entities: Vec<EntityRecord>,
    /// A whole-cell migration: the destination owns this cell from this epoch on.
    pub cell: Option<(CellId, Epoch)>,
    /// A migrating cell's items: they move with the cell.
    pub items: crate::checkpoint::CellItems,
}

/// A swing on one zone that reached an entity owned by another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HitRequest {
    pub attacker: EntityId,
    /// Where the attacker is simulated (the kill credit goes there).
    pub attacker_zone: ZoneId,
    pub target: EntityId,
    pub damage: u16,
    /// The tick of the swing.
    pub tick: Tick,
    /// The swing's hitbox, half-open `[lo, hi)`, in fixed-point world coordinates.
    pub lo: IVec2,
    pub hi: IVec2,
}

/// What zones tell each other.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PeerMessage {
    Transfer(Transfer),
    /// The destination's one decision about a transfer (resent while an acceptance is not
    /// settled).
    TransferAnswer {
        id: TransferId,
        accepted: bool,
    },
    /// The source dropped its frozen copies of an accepted transfer: the destination may hand
    /// those entities on.
    TransferSettled {
        id: TransferId,
    },
    /// An input that reached a zone the player has left.
    Input {
        entity: EntityId,
        seq: u32,
        buttons: Buttons,
    },
    Chat {
        entity: EntityId,
        text: Arc<str>,
    },
    Leave {
        entity: EntityId,
    },
    /// Asks the owner of `target` to apply a hit; the owner decides.
    Hit(HitRequest),
    /// The owner of a victim credits the killer's experience, once per kill.
    Credit {
        entity: EntityId,
        xp: u32,
        victim: EntityId,
    },
}

impl PeerMessage {
    /// The entity a message is about, for those addressed to one.
    pub fn entity(&self) -> Option<EntityId> {
        match self {
            PeerMessage::Transfer(_) | PeerMessage::TransferAnswer { .. } | PeerMessage::TransferSettled { .. } => None,
            PeerMessage::Input { entity, .. }
            | PeerMessage::Chat { entity, .. }
            | PeerMessage::Leave { entity }
            | PeerMessage::Credit { entity, .. } => Some(*entity),
            PeerMessage::Hit(hit) => Some(hit.target),
        }
    }
}

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
    /// Items on the ground of the zone (`id` is the serial).
    pub ground_items: Vec<Item>,
    /// Serials the zone put into play (NPC drops) since it started.
    pub minted: Vec<u64>,
}
