//! What travels on a zone link: [`ZoneCommand`]s with their reply channels replaced by request
//! ids and their frame senders by stream ids, and what comes back (replies, cell frames).
//!
//! Commands with many fields travel as their own struct (e.g. [`JoinRequest`]) so a field
//! added to the command is one field added here and one line in each mapping.

use super::reliable::{LinkId, Seq};
use crate::link::{JoinAccepted, JoinRefused, SubscriberId};
use mmo_protocol::{CellFrame, CellFrameDelta};
use mmo_records::GroundRecord;
use mmo_records::{EntityRecord, PeerMessage, SessionRoute, ZoneReport};
use mmo_world::{Buttons, CellId, EntityId, Epoch, ZoneId};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Matches a reply to its request on one connection.
pub type RequestId = u64;
/// Names one subscription's frame stream on one connection.
pub type StreamId = u64;

/// [`ZoneCommand::Join`](crate::ZoneCommand::Join) on the wire.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JoinRequest {
    pub req: RequestId,
    pub record: Box<mmo_store::PlayerRecord>,
    pub route: SessionRoute,
}

/// [`ZoneCommand::Restore`](crate::ZoneCommand::Restore) on the wire.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RestoreRequest {
    pub req: RequestId,
    pub record: EntityRecord,
}

/// A caller's message to a zone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToZone {
    OwnCell {
        cell: CellId,
        epoch: Epoch,
    },
    RestoreCell {
        cell: CellId,
        epoch: Epoch,
        npcs: Vec<EntityRecord>,
        ground: Vec<GroundRecord>,
    },
    Join(JoinRequest),
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
        saved: Option<RequestId>,
    },
    Subscribe {
        cell: CellId,
        subscriber: SubscriberId,
        stream: StreamId,
    },
    Unsubscribe {
        cell: CellId,
        subscriber: SubscriberId,
    },
    CellOwner {
        cell: CellId,
        zone: ZoneId,
        epoch: Epoch,
    },
    Peer {
        from: ZoneId,
        msg: PeerMessage,
        sent_us: u64,
    },
    PeerLost {
        zone: ZoneId,
    },
    Inspect {
        req: RequestId,
    },
    SpawnNpcs {
        req: RequestId,
        cell: CellId,
        count: u32,
        at: Option<glam::IVec2>,
    },
    Restore(RestoreRequest),
    /// The first message on a connection of link version 3: which client link this is, for
    /// the zone to tell numbered messages sent again from new ones ([`super::reliable`]).
    Hello {
        link: LinkId,
    },
    /// A peer message that matters, numbered on its link (version 3 only).
    PeerNumbered {
        seq: Seq,
        from: ZoneId,
        msg: PeerMessage,
        sent_us: u64,
    },
}

/// A zone's answer to one request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    Join(Result<JoinAccepted, JoinRefused>),
    Inspect(Box<ZoneReport>),
    SpawnNpcs(Vec<EntityId>),
    Restore(Result<JoinAccepted, JoinRefused>),
    /// A logout's save is durable.
    Saved,
}

/// A zone's message to a caller.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FromZone {
    /// The first message on every connection, once the peer is trusted: which zone this is.
    Welcome {
        zone: ZoneId,
    },
    Reply {
        req: RequestId,
        reply: Reply,
    },
    Frame {
        stream: StreamId,
        frame: Arc<CellFrame>,
    },
    /// The next frame of a stream as the change from the one sent before on it (link
    /// version 2 only, see [`super::tls::LINK_ALPN`]).
    FrameDelta {
        stream: StreamId,
        delta: CellFrameDelta,
    },
    /// Every numbered peer message up to `seq` reached the zone (link version 3 only).
    Acked {
        seq: Seq,
    },
}
