//! Zone-to-zone messages: handoff transfers and their answers, and messages for entities that
//! live on another zone (forwarded inputs, chat and leaves, cross-border hits, kill credits).
//! The zone core produces and consumes them; the zone runtime carries them over the zone link
//! (`mmo_cluster::ZoneCommand::Peer`).

use crate::checkpoint::CellItems;
use crate::entity::EntityRecord;
use crate::item::Item;
use glam::IVec2;
use mmo_world::{Buttons, CellId, EntityId, Epoch, ItemSerial, Tick, ZoneId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// One transfer, unique in the cluster: the sending zone, the run of that zone (a number
/// unique to each start of a zone, so a restarted zone never repeats an id its earlier run
/// used) and the run's counter.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TransferId {
    pub zone: ZoneId,
    pub run: u64,
    pub n: u64,
}

impl fmt::Debug for TransferId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tr{}.{}.{}", self.zone.0, self.run, self.n)
    }
}

impl fmt::Display for TransferId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
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
    pub items: CellItems,
}

/// One give across a zone border, unique in the cluster like a [`TransferId`]: the giver's
/// zone, its run and the run's counter.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GiveId {
    pub zone: ZoneId,
    pub run: u64,
    pub n: u64,
}

impl GiveId {
    /// The receipt an accepted give leaves among the receiver's pickup receipts
    /// ([`crate::PlayerRecord::picked`]): a serial with the top bit set, which no item has,
    /// hashed from the id (FNV-1a). It names this give, where the item's own serial would not
    /// tell it from an earlier pickup of the same item.
    pub fn receipt(self) -> ItemSerial {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for word in [u64::from(self.zone.0), self.run, self.n] {
            for byte in word.to_le_bytes() {
                hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        ItemSerial(hash | 1 << 63)
    }
}

impl fmt::Debug for GiveId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "gv{}.{}.{}", self.zone.0, self.run, self.n)
    }
}

impl fmt::Display for GiveId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// An item offered to a player simulated by another zone (`/give NAME` across a border). The
/// giver's zone (`id.zone`) holds it in escrow until the receiver's zone answers; the receiver's
/// zone decides once, and accepts only up to `deadline`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GiveOffer {
    pub id: GiveId,
    /// The receiver, where the giver's zone saw it (forwarded to wherever it went since).
    pub to: EntityId,
    pub from: Arc<str>,
    pub item: Item,
    pub deadline: Tick,
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
    /// A party member's share of a kill near it, credited as it is (not shared again). Sent
    /// over the network only on link version 4 (a zone of an earlier release could not read it).
    SharedCredit {
        entity: EntityId,
        xp: u32,
        victim: EntityId,
    },
    /// An item given across a border (link version 4, like `SharedCredit`).
    GiveOffer(GiveOffer),
    /// The receiver's zone's answer to the giver's zone (`id.zone`), sent once the receiver's
    /// save holding the item is durable when `accepted`.
    GiveAnswer {
        id: GiveId,
        accepted: bool,
    },
}

impl PeerMessage {
    /// The entity a message is about, for those addressed to one.
    pub fn entity(&self) -> Option<EntityId> {
        match self {
            PeerMessage::Transfer(_)
            | PeerMessage::TransferAnswer { .. }
            | PeerMessage::TransferSettled { .. }
            | PeerMessage::GiveAnswer { .. } => None,
            PeerMessage::GiveOffer(offer) => Some(offer.to),
            PeerMessage::Input { entity, .. }
            | PeerMessage::Chat { entity, .. }
            | PeerMessage::Leave { entity }
            | PeerMessage::Credit { entity, .. }
            | PeerMessage::SharedCredit { entity, .. } => Some(*entity),
            PeerMessage::Hit(hit) => Some(hit.target),
        }
    }
}
