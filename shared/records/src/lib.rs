//! Plain data that zones exchange and persist, with no I/O (no tokio, no sockets, no clock):
//! the zone core (`mmo-zone-core`) takes and returns these, the zone runtime and the cluster's
//! zone link carry them, the store keeps the durable ones.
//!
//! Modules, each depending only on those above it:
//! - [`item`]: [`Item`] (one type for an item wherever it is);
//! - [`player`]: [`PlayerRecord`], the durable, versioned saved character, and its stored
//!   encoding;
//! - [`entity`]: [`EntityRecord`], the full state of a live entity (a player's
//!   [`PlayerPart`] or an NPC's [`NpcPart`]), as it travels in a handoff;
//! - [`checkpoint`]: cell checkpoints ([`CellCheckpoint`]) and the items of a cell
//!   ([`CellItems`]), which move with a migrating cell;
//! - [`peer`]: what zones tell each other: handoff [`Transfer`]s, their answers, forwarded
//!   messages, cross-border hits, kill credits ([`PeerMessage`]);
//! - [`report`]: what a zone reports of itself ([`ZoneReport`]).
//!
//! Ids (`EntityId`, `ItemSerial`, ...) are the newtypes of `mmo_world`. The zone link's encoding
//! of these types (also the bytes of a stored checkpoint) is `mmo_cluster::net::codec`; the
//! stored encoding of a [`PlayerRecord`] is [`PlayerRecord::encode`].

pub mod checkpoint;
pub mod entity;
pub mod item;
pub mod peer;
pub mod player;
pub mod report;

pub use checkpoint::{CellCheckpoint, CellItems, GiveRecord, GroundRecord, Picked, RestoredCell};
pub use entity::{
    BrainRecord, EntityRecord, InputRecord, NpcPart, Persistence, PlayerPart, RecordKind, SessionRoute,
    OWNER_EPOCH_SHIFT,
};
pub use item::Item;
pub use mmo_world::ItemSerial;
pub use peer::{GiveId, GiveOffer, HitRequest, PeerMessage, Transfer, TransferId};
pub use player::{record_pickup, PlayerRecord, RecordError, PICKUP_RECEIPTS};
pub use report::{EntityReport, ZoneReport};
