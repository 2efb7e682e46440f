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
    /// A peer message that matters, numbered on its link (version 3 and later).
    PeerNumbered {
        seq: Seq,
        from: ZoneId,
        msg: PeerMessage,
        sent_us: u64,
    },
    /// A player's other party members (version 4 only).
    Party {
        entity: EntityId,
        members: Vec<Arc<str>>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::codec;
    use mmo_records::{CellItems, InputRecord, Item, Persistence, PlayerPart, RecordKind, Transfer, TransferId};
    use mmo_world::{Body, GatewayId, ItemSerial, SessionId, Tick};

    /// A player handed over in a whole-cell migration, as link version 3 carries it.
    fn handover() -> ToZone {
        let player = EntityRecord {
            id: EntityId::new(ZoneId(2), 9),
            authority_epoch: Epoch(4),
            body: Body { pos: glam::IVec2::new(512, -3), vel: glam::IVec2::new(-7, 0), on_ground: true },
            hp: 90,
            max_hp: 100,
            facing_left: true,
            last_attack: Some(Tick(40)),
            last_hurt: None,
            died: None,
            kind: RecordKind::Player(PlayerPart {
                name: "ann".into(),
                xp: 12,
                items: vec![Item::one(ItemSerial(7), 3)],
                inputs: InputRecord {
                    queued: vec![(5, Buttons(Buttons::RIGHT))],
                    newest_seen: Some(5),
                    last_applied: 4,
                    last_buttons: Buttons(Buttons::JUMP),
                },
                route: Some(SessionRoute { gateway: GatewayId(1), session: SessionId(33) }),
                persist: Persistence { credentials: None, version: 6 },
                picked: vec![ItemSerial(70_000)],
            }),
        };
        let transfer = Transfer {
            id: TransferId { zone: ZoneId(2), run: 1, n: 3 },
            sent_at: Tick(41),
            deadline: Tick(61),
            entities: vec![player],
            cell: Some((CellId::new(1, 0), Epoch(8))),
            items: CellItems::default(),
        };
        ToZone::PeerNumbered { seq: 2, from: ZoneId(2), msg: PeerMessage::Transfer(transfer), sent_us: 1_000 }
    }

    /// The bytes of a handover as this release sends them on link version 3. A change to what a
    /// handover carries (a field added, removed or reordered in `EntityRecord`, `PlayerPart`,
    /// `Transfer`, or another encoding) must come with a new link version: zones of the old and
    /// the new release meet on one link during a rolling upgrade.
    #[test]
    fn a_handover_keeps_its_bytes_on_link_version_3() {
        let framed = codec::encode_framed(&handover()).unwrap();
        assert_eq!(&framed[4..], HANDOVER_V3);
        assert_eq!(codec::decode::<ToZone>(HANDOVER_V3).unwrap(), handover());
    }

    #[rustfmt::skip]
    const HANDOVER_V3: &[u8] = &[
        15, 2, 2, // PeerNumbered, seq 2, from zone 2
        0, 2, 1, 3, 41, 61, // Transfer tr2.1.3, sent at tick 41, deadline 61
        1, // one entity:
        0xfd, 9, 0, 0, 0, 0, 2, 0, 0, // id e2.9 (zone << 40 | 9, a u64 varint)
        4, // authority epoch
        0xfb, 0, 4, 5, 13, 0, 1, // body: pos (512, -3), vel (-7, 0) zigzag, on the ground
        90, 100, 1, // hp, max hp, facing left
        1, 40, 0, 0, // last attack at tick 40; never hurt; alive
        0, 3, b'a', b'n', b'n', 12, // a player, "ann", xp 12
        1, 7, 3, 1, // items: serial 7, kind 3, count 1
        1, 5, 2, 1, 5, 4, 4, // inputs: (5, RIGHT) queued, newest 5, last applied 4, last JUMP
        1, 1, 33, // route: gateway 1, session 33
        0, 6, // persistence: no credentials, version 6
        1, 0xfc, 0x70, 0x11, 1, 0, // picked: serial 70,000 (a u32 varint)
        1, 1, 0, 0, 8, // a whole-cell migration: cell 1.0 (depth 0) at epoch 8
        0, 0, // no ground items, no pickups
        0xfb, 0xe8, 3, // sent at 1,000 us
    ];
}
