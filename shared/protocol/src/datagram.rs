//! Messages carried in unreliable datagrams: inputs up, snapshots down.
//!
//! # Snapshots
//! Each snapshot is a delta against a `baseline`: the last snapshot the client acknowledged
//! (`InputFrame::ack`), or nothing (a full snapshot). For each entity in view it carries only
//! what changed since the baseline: an entity new to the client comes with its [`EntitySpawn`]
//! and an absolute position; a known one with its position change. Positions of other entities
//! are quantized to 1/16 tile ([`QUANT_SHIFT`]). The player's own state ([`OwnState`]) is sent
//! whole and exact every time, for reconciliation.

use crate::cell::EntityKind;
use glam::IVec2;
use mmo_world::{Body, CellId, EntityId, Tick, ZoneId};
use serde::{Deserialize, Serialize};

/// Sub-unit bits dropped when quantizing positions of other entities (1/16 tile).
pub const QUANT_SHIFT: i32 = 4;

/// Client to gateway, one per datagram.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientDatagram {
    Input(InputFrame),
}

/// One tick of input, with the few before it repeated against loss.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFrame {
    /// Sequence number of the newest input in `buttons`.
    pub seq: u32,
    /// The newest snapshot tick the client has received.
    pub ack: Option<Tick>,
    /// Button bit sets (`mmo_world::Buttons`), oldest first; the last is input `seq`.
    pub buttons: Vec<u8>,
}

/// Gateway to client, one per datagram.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerDatagram {
    Snapshot(Snapshot),
}

impl crate::codec::Message for ClientDatagram {
    const KINDS: u8 = 1;
}

impl crate::codec::Message for ServerDatagram {
    const KINDS: u8 = 1;
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub tick: Tick,
    /// The snapshot this one is a delta against; `None` for a full snapshot.
    pub baseline: Option<Tick>,
    pub you: OwnState,
    pub entities: Vec<EntityDelta>,
    /// Entities in the baseline that are no longer in view.
    pub removed: Vec<EntityId>,
}

/// The player's own avatar, exact, for prediction and the HUD.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnState {
    pub entity: EntityId,
    /// The newest input the zone has applied.
    pub last_input_seq: u32,
    pub body: Body,
    pub hp: u16,
    pub max_hp: u16,
    pub xp: u32,
    pub level: u16,
    pub pose: u8,
    pub cell: CellId,
    /// The zone simulating the player (debug overlay).
    pub zone: ZoneId,
}

/// What changed about one entity since the baseline. `None` means unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityDelta {
    pub id: EntityId,
    /// Present when the entity is new to the client.
    pub spawn: Option<EntitySpawn>,
    /// Quantized position: absolute with `spawn`, else the change since the baseline.
    pub pos: Option<IVec2>,
    pub hp: Option<u16>,
    pub pose: Option<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntitySpawn {
    pub kind: EntityKind,
    pub max_hp: u16,
}

/// Quantizes a fixed-point position for other entities.
pub fn quantize(pos: IVec2) -> IVec2 {
    IVec2::new(pos.x >> QUANT_SHIFT, pos.y >> QUANT_SHIFT)
}
