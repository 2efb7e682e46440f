//! The wire protocol between browser clients and gateways, and the cell-stream messages between
//! zones and their subscribers. Plain data, no I/O.
//!
//! # Versioning
//! [`PROTOCOL_VERSION`] travels in the client's `Hello`. Bump it on any change to a message
//! layout, and change together:
//! - `browser-client/src/protocol.ts` (the TypeScript mirror of these types),
//! - the golden vectors in `shared/protocol/golden/` (`cargo run -p mmo-protocol --bin golden`),
//!   which both the Rust tests and the TypeScript tests replay.
//!
//! # Channels
//! - The reliable **control stream** carries [`ClientControl`] / [`ServerControl`], each framed
//!   by [`framing`].
//! - Unreliable **datagrams** carry [`ClientDatagram`] (inputs, bincode) and [`Snapshot`]s
//!   (bit-packed, [`snapshot::wire`]), one per datagram, at most [`limits::MAX_SNAPSHOT_BYTES`].
//! - Over the WebSocket fallback both ride one socket, tagged by [`framing::Channel`].

pub mod bits;
pub mod cell;
pub mod cell_delta;
pub mod codec;
pub mod control;
pub mod datagram;
pub mod error;
pub mod framing;
pub mod golden;
pub mod limits;
pub mod snapshot;

pub use cell::{CellEvent, CellFrame, EntityKind, EntityState, GroundItem, InventoryItem};
pub use cell_delta::{CellFrameDelta, DeltaError, EntityChange};
pub use codec::{decode, encode, CodecError};
pub use control::{ClientControl, PartyMember, PartyNotice, ServerControl, WorldInfo};
pub use datagram::{ClientDatagram, InputFrame};
pub use error::ErrorCode;
pub use snapshot::{OwnState, Snapshot, View};

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u16 = 7;
