//! A zone's links to the rest of the cluster: the registry's table of cell owners (followed into
//! the core), the other zones' handles (for the core's messages and for subscriptions) and the
//! channel that frames of neighbouring cells arrive on, for ghosts.
//!
//! Messages to other zones are sent without waiting: a zone never blocks its tick on another
//! (two zones waiting on each other's full queue would deadlock). A message that does not fit
//! is counted and dropped; transfers are resent until answered, so a handoff survives it.

use super::unix_us;
use crate::core::ZoneCore;
use mmo_cluster::registry::AssignmentTable;
use mmo_cluster::{SubscriberId, ZoneCommand, ZoneDirectory};
use mmo_protocol::CellFrame;
use mmo_world::{CellId, ZoneId};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tracing::{debug, warn};

/// Frames of neighbouring cells buffered between two ticks.
const GHOST_QUEUE: usize = 1024;

/// What a zone runtime is connected to.
#[derive(Debug)]
pub struct ZoneLinks {
    /// Every zone of the cluster by id (this zone's own handle may be among them).
    pub peers: ZoneDirectory,
    /// The registry's table of cell owners, followed as it changes.
    pub assignments: watch::Receiver<AssignmentTable>,
}

impl ZoneLinks {
    /// No other zone and no registry: a zone on its own (tests, tools).
    pub fn alone() -> Self {
        let (_, assignments) = watch::channel(AssignmentTable::default());
        ZoneLinks { peers: ZoneDirectory::default(), assignments }
    }
}

#[derive(Debug)]
pub(super) struct Links {
    zone: ZoneId,
    peers: ZoneDirectory,
    assignments: watch::Receiver<AssignmentTable>,
    /// The table was read at least once.
    synced: bool,
    ghost_tx: mpsc::Sender<Arc<CellFrame>>,
    ghost_rx: mpsc::Receiver<Arc<CellFrame>>,
    /// Cells whose frames this zone receives for ghosts, and the zone it subscribed at.
    ghost_subs: BTreeMap<CellId, ZoneId>,
}

impl Links {
    pub fn new(zone: ZoneId, links: ZoneLinks) -> Self {
        let (ghost_tx, ghost_rx) = mpsc::channel(GHOST_QUEUE);
        Links {
            zone,
            peers: links.peers,
            assignments: links.assignments,
            synced: false,
            ghost_tx,
            ghost_rx,
            ghost_subs: BTreeMap::new(),
        }
    }

    /// Gives the core the registry's table if it changed since the last tick.
    pub fn follow_registry(&mut self, core: &mut ZoneCore) {
        if self.synced && !self.assignments.has_changed().unwrap_or(false) {
            return;
        }
        self.synced = true;
        let table = self.assignments.borrow_and_update().clone();
        for (cell, a) in table.iter() {
            core.set_owner(*cell, a.zone, a.epoch);
        }
    }

    /// Hands the core the frames of neighbouring cells that arrived since the last tick.
    pub fn file_ghost_frames(&mut self, core: &mut ZoneCore) {
        while let Ok(frame) = self.ghost_rx.try_recv() {
            core.ghost_frame(frame);
        }
    }

    fn send(&self, to: ZoneId, cmd: ZoneCommand) {
        let Some(peer) = self.peers.get(to) else {
            warn!(%to, "no link to zone; message dropped");
            metrics::counter!("mmo_zone_peer_messages_dropped_total", "reason" => "unknown").increment(1);
            return;
        };
        if let Err(error) = peer.try_send(cmd) {
            warn!(%to, %error, "zone link refused a message; dropped");
            metrics::counter!("mmo_zone_peer_messages_dropped_total", "reason" => "full").increment(1);
        }
    }

    /// Sends the core's messages to other zones, in order.
    pub fn send_outbox(&mut self, core: &mut ZoneCore) {
        for (to, msg) in core.drain_outbox() {
            self.send(to, ZoneCommand::Peer { from: self.zone, msg, sent_us: unix_us() });
        }
    }

    /// The subscribers of a cell handed over go with it (after the transfer, on the same link).
    pub fn hand_over_subscribers(
        &mut self,
        cell: CellId,
        to: ZoneId,
        subscribers: Vec<(SubscriberId, mpsc::Sender<Arc<CellFrame>>)>,
    ) {
        debug!(%cell, %to, subscribers = subscribers.len(), "subscribers follow the cell");
        self.send(to, ZoneCommand::Subscribers { cell, subscribers });
    }

    /// Subscribes to the neighbouring cells other zones own (at their current owner) and
    /// unsubscribes from those no longer needed.
    pub fn update_ghost_subscriptions(&mut self, core: &ZoneCore) {
        let me = SubscriberId::Zone(self.zone);
        let wanted: BTreeMap<CellId, ZoneId> = core.ghost_cells().into_iter().collect();
        let stale: Vec<(CellId, ZoneId)> =
            self.ghost_subs.iter().filter(|(c, z)| wanted.get(c) != Some(z)).map(|(c, z)| (*c, *z)).collect();
        for (cell, zone) in stale {
            self.send(zone, ZoneCommand::Unsubscribe { cell, subscriber: me });
            self.ghost_subs.remove(&cell);
        }
        for (cell, zone) in wanted {
            if self.ghost_subs.contains_key(&cell) {
                continue;
            }
            debug!(%cell, %zone, "watching a neighbouring cell for ghosts");
            self.send(zone, ZoneCommand::Subscribe { cell, subscriber: me, frames: self.ghost_tx.clone() });
            self.ghost_subs.insert(cell, zone);
        }
    }
}
