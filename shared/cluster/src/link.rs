//! The link from gateways to a zone: typed commands over a bounded channel.
//!
//! In one process the channel is a tokio mpsc; the multi-process mode puts the same commands on
//! the wire. Frames flow back through the bounded sender a subscriber hands over: a zone never
//! blocks on a slow subscriber, it drops the frame (frames are whole-cell keyframes, so the next
//! one repairs the gap).

use mmo_protocol::CellFrame;
use mmo_world::{Buttons, CellId, EntityId, Epoch, GatewayId, SessionId, ZoneId};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Who subscribed to a cell stream (a gateway now; a neighbouring zone later).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SubscriberId {
    Gateway(GatewayId),
    Zone(ZoneId),
}

/// A player's avatar was created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JoinAccepted {
    pub entity: EntityId,
    pub cell: CellId,
    pub pos: glam::IVec2,
}

/// Why a zone refused a player.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JoinRefused {
    #[error("the zone owns no cell to spawn in")]
    NoCell,
}

/// What a zone is asked to do.
#[derive(Debug)]
pub enum ZoneCommand {
    /// Take ownership of a cell at `epoch`.
    OwnCell {
        cell: CellId,
        epoch: Epoch,
    },
    Join {
        name: Arc<str>,
        session: SessionId,
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
    Leave {
        entity: EntityId,
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

/// A gateway's way to a zone.
#[derive(Clone, Debug)]
pub struct ZoneHandle {
    pub zone: ZoneId,
    tx: mpsc::Sender<ZoneCommand>,
}

impl ZoneHandle {
    /// A handle and the receiving end the zone runtime reads, holding at most `capacity` commands.
    pub fn channel(zone: ZoneId, capacity: usize) -> (ZoneHandle, mpsc::Receiver<ZoneCommand>) {
        let (tx, rx) = mpsc::channel(capacity);
        (ZoneHandle { zone, tx }, rx)
    }

    /// Sends without waiting; a full link drops the command (inputs are resent by clients).
    pub fn try_send(&self, cmd: ZoneCommand) -> Result<(), LinkError> {
        self.tx.try_send(cmd).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => LinkError::Full,
            mpsc::error::TrySendError::Closed(_) => LinkError::Closed,
        })
    }

    /// Sends, waiting for room (for commands that must not be dropped).
    pub async fn send(&self, cmd: ZoneCommand) -> Result<(), LinkError> {
        self.tx.send(cmd).await.map_err(|_| LinkError::Closed)
    }

    /// Creates a player's avatar on this zone.
    pub async fn join(
        &self,
        name: Arc<str>,
        session: SessionId,
    ) -> Result<Result<JoinAccepted, JoinRefused>, LinkError> {
        let (reply, rx) = oneshot::channel();
        self.send(ZoneCommand::Join { name, session, reply }).await?;
        rx.await.map_err(|_| LinkError::Closed)
    }
}
