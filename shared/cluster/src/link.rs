//! The link to a zone: typed commands over a bounded channel, from gateways (join, input,
//! chat, subscriptions), from the coordinator (cell ownership) and from other zones (handoff
//! and cross-border messages, [`crate::peer`]).
//!
//! In one process the channel is a tokio mpsc; the multi-process mode puts the same commands on
//! the wire. Frames flow back through the bounded sender a subscriber hands over: a zone never
//! blocks on a slow subscriber, it drops the frame (frames are whole-cell keyframes, so the next
//! one repairs the gap).

use mmo_protocol::CellFrame;
use mmo_records::{EntityRecord, PeerMessage, SessionRoute, ZoneReport};
use mmo_world::{Buttons, CellId, EntityId, Epoch, GatewayId, GatewayRun, ZoneId};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Who subscribed to a cell stream: a gateway, or a neighbouring zone keeping ghosts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SubscriberId {
    Gateway(GatewayId),
    Zone(ZoneId),
}

/// A player's avatar was created.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinAccepted {
    pub entity: EntityId,
    pub cell: CellId,
    pub pos: glam::IVec2,
}

/// Why a zone refused a player.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[non_exhaustive]
pub enum JoinRefused {
    #[error("the zone owns no cell to spawn in")]
    NoCell,
    #[error("the zone does not own the cell the player stands in")]
    NotOwner,
}

/// What a zone is asked to do.
#[derive(Debug)]
pub enum ZoneCommand {
    /// Take ownership of a cell at `epoch`.
    OwnCell {
        cell: CellId,
        epoch: Epoch,
    },
    /// Take a cell whose owner died, with what its latest checkpoint brings back (NPCs and ground
    /// items, [`mmo_records::CellCheckpoint::resolve`]) instead of fresh NPCs.
    RestoreCell {
        cell: CellId,
        epoch: Epoch,
        restored: Box<mmo_records::RestoredCell>,
    },
    /// Create a player's avatar from its saved record (position, HP, XP, inventory, version;
    /// a record of version 0 is a new character, placed at a spawn point).
    Join {
        record: Box<mmo_store::PlayerRecord>,
        route: SessionRoute,
        reply: oneshot::Sender<Result<JoinAccepted, JoinRefused>>,
    },
    Input {
        entity: EntityId,
        seq: u32,
        buttons: Buttons,
    },
    Chat {
        entity: EntityId,
        text: Arc<str>,
    },
    /// The player logs out: the zone saves its record at once; `saved` (if given) is answered
    /// once that save is durable (dropped unanswered if the player is not on this zone).
    Leave {
        entity: EntityId,
        saved: Option<oneshot::Sender<()>>,
    },
    /// Send every frame of `cell` to `frames`, starting with the latest.
    Subscribe {
        cell: CellId,
        subscriber: SubscriberId,
        frames: mpsc::Sender<Arc<CellFrame>>,
    },
    Unsubscribe {
        cell: CellId,
        subscriber: SubscriberId,
    },
    /// The registry changed the owner of a cell (the zone also follows the registry itself;
    /// this makes the change take effect at the next tick boundary without waiting for it).
    CellOwner {
        cell: CellId,
        zone: ZoneId,
        epoch: Epoch,
    },
    /// A message from another zone; `sent_us` is the sender's wall clock when it sent it (Unix
    /// microseconds), for latency metrics.
    Peer {
        from: ZoneId,
        msg: PeerMessage,
        sent_us: u64,
    },
    /// The subscribers of a cell handed over in a migration, moving with it to its new owner.
    Subscribers {
        cell: CellId,
        subscribers: Vec<(SubscriberId, mpsc::Sender<Arc<CellFrame>>)>,
    },
    /// A zone is gone for good (its lease expired and its cells were given away): transfers
    /// still waiting for its answer are taken back.
    PeerLost {
        zone: ZoneId,
    },
    /// A zone declared lost registered again (restarted under its id): it is handed entities
    /// again. Sent by the zone's own registry follower; never crosses processes.
    PeerBack {
        zone: ZoneId,
    },
    /// A gateway run is gone (its lease expired, or it registered again as a new run): the
    /// players who played through it are logged out here, saved at once, and their online
    /// claims, if still held by that run, released once saved, so that they resume elsewhere
    /// with what they had. Sent by the zone's own registry follower; never crosses processes.
    GatewayGone {
        gateway: GatewayRun,
    },
    /// Re-creates a player whose zone died, from the last state its gateway saw (same entity
    /// id, so its client sees no change). Refused unless the zone owns the cell the record
    /// stands in.
    Restore {
        record: EntityRecord,
        reply: oneshot::Sender<Result<JoinAccepted, JoinRefused>>,
    },
    /// The other members of player `entity`'s party (by name; none: in no party), with whom it
    /// shares kills' experience. Sent by its gateway when they change and whenever the player
    /// starts playing on another zone; crosses processes on link version 4 only (dropped on an
    /// older link: the kill is then the killer's alone).
    Party {
        entity: EntityId,
        members: Vec<Arc<str>>,
    },
    /// Operator and test hook: what the zone holds, as of its last tick.
    Inspect {
        reply: oneshot::Sender<ZoneReport>,
    },
    /// Operator and test hook: spawns `count` NPCs on standing places of an owned cell (or at
    /// `at`, when given); replies with their ids.
    SpawnNpcs {
        cell: CellId,
        count: u32,
        at: Option<glam::IVec2>,
        reply: oneshot::Sender<Vec<EntityId>>,
    },
}

/// Why a command did not reach the zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    #[error("zone link is full")]
    Full,
    #[error("zone is gone")]
    Closed,
}

/// A way to a zone, for gateways, the coordinator and other zones.
#[derive(Clone, Debug)]
pub struct ZoneHandle {
    pub zone: ZoneId,
    tx: mpsc::Sender<ZoneCommand>,
    /// Whether commands reach the zone now (always for a zone in process).
    up: Arc<AtomicBool>,
}

/// Where a link's driver says whether its connection is up ([`ZoneHandle::is_up`]).
#[derive(Clone, Debug)]
pub struct LinkUp(Arc<AtomicBool>);

impl LinkUp {
    pub fn set(&self, up: bool) {
        self.0.store(up, Ordering::Relaxed);
    }
}

impl ZoneHandle {
    /// Whether both handles lead to the same connection (or in-process zone): a zone restarted
    /// under the same id is reached through a new one.
    pub fn same_connection(&self, other: &ZoneHandle) -> bool {
        self.zone == other.zone && self.tx.same_channel(&other.tx)
    }

    /// A handle and the receiving end the zone runtime reads, holding at most `capacity` commands.
    pub fn channel(zone: ZoneId, capacity: usize) -> (ZoneHandle, mpsc::Receiver<ZoneCommand>) {
        let (tx, rx) = mpsc::channel(capacity);
        (ZoneHandle { zone, tx, up: Arc::new(AtomicBool::new(true)) }, rx)
    }

    /// A handle for a link over the network, down until its driver says it is up.
    pub fn link_channel(zone: ZoneId, capacity: usize) -> (ZoneHandle, mpsc::Receiver<ZoneCommand>, LinkUp) {
        let (handle, rx) = ZoneHandle::channel(zone, capacity);
        handle.up.store(false, Ordering::Relaxed);
        let up = LinkUp(handle.up.clone());
        (handle, rx, up)
    }

    /// Whether commands reach the zone now: a zone in process always; one over the network
    /// while its connection is up (not while it is first dialled or reconnecting, e.g. to a
    /// zone that restarted elsewhere).
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// Sends without waiting; a full link drops the command (inputs are resent by clients).
    pub fn try_send(&self, cmd: ZoneCommand) -> Result<(), LinkError> {
        self.try_send_or_return(cmd).map_err(|(error, _)| error)
    }

    /// Sends without waiting; a command that cannot go now comes back with the reason.
    pub fn try_send_or_return(&self, cmd: ZoneCommand) -> Result<(), (LinkError, Box<ZoneCommand>)> {
        self.tx.try_send(cmd).map_err(|e| match e {
            mpsc::error::TrySendError::Full(cmd) => (LinkError::Full, Box::new(cmd)),
            mpsc::error::TrySendError::Closed(cmd) => (LinkError::Closed, Box::new(cmd)),
        })
    }

    /// Sends, waiting for room (for commands that must not be dropped).
    pub async fn send(&self, cmd: ZoneCommand) -> Result<(), LinkError> {
        self.tx.send(cmd).await.map_err(|_| LinkError::Closed)
    }

    /// Creates a player's avatar on this zone from its saved record.
    pub async fn join(
        &self,
        record: mmo_store::PlayerRecord,
        route: SessionRoute,
    ) -> Result<Result<JoinAccepted, JoinRefused>, LinkError> {
        let (reply, rx) = oneshot::channel();
        self.send(ZoneCommand::Join { record: Box::new(record), route, reply }).await?;
        rx.await.map_err(|_| LinkError::Closed)
    }

    /// Logs a player out and waits until the zone has saved its record (`Err` if the zone is
    /// gone or the player was not there).
    pub async fn leave_saved(&self, entity: EntityId) -> Result<(), LinkError> {
        let (saved, rx) = oneshot::channel();
        self.send(ZoneCommand::Leave { entity, saved: Some(saved) }).await?;
        rx.await.map_err(|_| LinkError::Closed)
    }

    /// Re-creates a player from its last known state ([`ZoneCommand::Restore`]).
    pub async fn restore(&self, record: EntityRecord) -> Result<Result<JoinAccepted, JoinRefused>, LinkError> {
        let (reply, rx) = oneshot::channel();
        self.send(ZoneCommand::Restore { record, reply }).await?;
        rx.await.map_err(|_| LinkError::Closed)
    }

    /// What the zone holds, as of its last tick.
    pub async fn inspect(&self) -> Result<ZoneReport, LinkError> {
        let (reply, rx) = oneshot::channel();
        self.send(ZoneCommand::Inspect { reply }).await?;
        rx.await.map_err(|_| LinkError::Closed)
    }

    /// Spawns NPCs in an owned cell (test and operator hook).
    pub async fn spawn_npcs(
        &self,
        cell: CellId,
        count: u32,
        at: Option<glam::IVec2>,
    ) -> Result<Vec<EntityId>, LinkError> {
        let (reply, rx) = oneshot::channel();
        self.send(ZoneCommand::SpawnNpcs { cell, count, at, reply }).await?;
        rx.await.map_err(|_| LinkError::Closed)
    }
}
