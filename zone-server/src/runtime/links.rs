//! A zone's links to the rest of the cluster: the registry's table of cell owners (followed into
//! the core), the other zones' handles (for the core's messages and for subscriptions) and the
//! channel that frames of neighbouring cells arrive on, for ghosts.
//!
//! Messages to other zones are sent without waiting: a zone never blocks its tick on another
//! (two zones waiting on each other's full queue would deadlock). A message that does not fit
//! waits in that peer's backlog, behind which later ones queue in order, and is retried every
//! tick; so a hit or a kill credit survives a peer that falls behind for a while. Only a peer
//! that is gone, or a backlog past [`BACKLOG_LIMIT`], loses messages (counted); transfers are
//! resent until answered anyway.

use super::unix_us;
use crate::core::ZoneCore;
use mmo_cluster::registry::AssignmentTable;
use mmo_cluster::{LinkError, SubscriberId, ZoneCommand, ZoneDirectory, ZoneHandle};
use mmo_protocol::CellFrame;
use mmo_world::{CellId, ZoneId};
use std::collections::BTreeSet;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tracing::{debug, warn};

/// Frames of neighbouring cells buffered between two ticks.
const GHOST_QUEUE: usize = 1024;
/// Messages kept for one peer whose queue is full, before new ones are dropped.
pub const BACKLOG_LIMIT: usize = 65_536;
/// How long cells and players wait for the link to a zone that is down before they are sent
/// anyway (into the backlog and the transfers' resends): a zone that restarted elsewhere is
/// normally connected within a registry read or two.
pub const HOLD_LIMIT: Duration = Duration::from_secs(2);

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
    /// Cells whose frames this zone receives for ghosts, the zone it subscribed at and the
    /// connection it had to it then (a zone restarted under its id is a new connection).
    ghost_subs: BTreeMap<CellId, (ZoneId, Option<ZoneHandle>)>,
    /// Per peer, the messages that did not fit its queue yet, oldest first.
    backlog: BTreeMap<ZoneId, VecDeque<ZoneCommand>>,
    /// Zones owning cells whose link is down, and since when.
    down_since: BTreeMap<ZoneId, Instant>,
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
            backlog: BTreeMap::new(),
            down_since: BTreeMap::new(),
        }
    }

    /// The zones owning cells that this zone cannot reach now (no link, or the link is down),
    /// each for at most [`HOLD_LIMIT`]: what the core would hand them waits meanwhile
    /// ([`ZoneCore::set_unreachable`]).
    pub fn unreachable(&mut self, now: Instant) -> BTreeSet<ZoneId> {
        let owners: BTreeSet<ZoneId> =
            self.assignments.borrow().values().map(|a| a.zone).filter(|z| *z != self.zone).collect();
        self.down_since.retain(|z, _| owners.contains(z));
        for zone in owners {
            if self.peers.get(zone).is_some_and(|h| h.is_up()) {
                self.down_since.remove(&zone);
            } else {
                self.down_since.entry(zone).or_insert(now);
            }
        }
        self.down_since.iter().filter(|(_, since)| now - **since < HOLD_LIMIT).map(|(z, _)| *z).collect()
    }

    /// Gives the core the registry's table if it changed since the last tick.
    pub fn follow_registry(&mut self, core: &mut ZoneCore) {
        if self.synced && !self.assignments.has_changed().unwrap_or(false) {
            return;
        }
        self.synced = true;
        let table = self.assignments.borrow_and_update().clone();
        let rows: Vec<_> = table.iter().map(|(c, a)| (*c, a.zone, a.epoch)).collect();
        core.follow_table(&rows);
    }

    /// Hands the core the frames of neighbouring cells that arrived since the last tick.
    pub fn file_ghost_frames(&mut self, core: &mut ZoneCore) {
        while let Ok(frame) = self.ghost_rx.try_recv() {
            core.ghost_frame(frame);
        }
    }

    /// Sends to a peer, behind what waits for it already; keeps what does not fit.
    fn send(&mut self, to: ZoneId, cmd: ZoneCommand) {
        let waiting = self.backlog.entry(to).or_default();
        if waiting.len() >= BACKLOG_LIMIT {
            warn!(%to, "zone link backlog full; message dropped");
            metrics::counter!("mmo_zone_peer_messages_dropped_total", "reason" => "backlog_full").increment(1);
            return;
        }
        waiting.push_back(cmd);
        self.flush_backlog(to);
    }

    /// Sends what waits for `to`, oldest first, until its queue is full.
    fn flush_backlog(&mut self, to: ZoneId) {
        let Some(waiting) = self.backlog.get_mut(&to) else { return };
        let Some(peer) = self.peers.get(to) else {
            warn!(%to, dropped = waiting.len(), "no link to zone; messages dropped");
            metrics::counter!("mmo_zone_peer_messages_dropped_total", "reason" => "unknown")
                .increment(waiting.len() as u64);
            self.backlog.remove(&to);
            return;
        };
        while let Some(cmd) = waiting.pop_front() {
            match peer.try_send_or_return(cmd) {
                Ok(()) => {}
                Err((LinkError::Full, cmd)) => {
                    waiting.push_front(*cmd);
                    break;
                }
                Err((error, _)) => {
                    warn!(%to, %error, dropped = waiting.len() + 1, "zone link closed; messages dropped");
                    let dropped = waiting.len() as u64 + 1;
                    metrics::counter!("mmo_zone_peer_messages_dropped_total", "reason" => "closed").increment(dropped);
                    waiting.clear();
                }
            }
        }
        if waiting.is_empty() {
            self.backlog.remove(&to);
        }
    }

    /// Retries every peer's backlog (once a tick, before new messages go out).
    pub fn retry_backlogs(&mut self) {
        let peers: Vec<ZoneId> = self.backlog.keys().copied().collect();
        for to in peers {
            self.flush_backlog(to);
        }
        metrics::gauge!("mmo_zone_peer_backlog").set(self.backlog_len() as f64);
    }

    /// Messages waiting for peers whose queues were full.
    pub fn backlog_len(&self) -> usize {
        self.backlog.values().map(VecDeque::len).sum()
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
        let current = |zone: ZoneId, at: &Option<ZoneHandle>| match (self.peers.get(zone), at) {
            (Some(now), Some(then)) => now.same_connection(then),
            (now, then) => now.is_none() && then.is_none(),
        };
        let stale: Vec<(CellId, ZoneId)> = self
            .ghost_subs
            .iter()
            .filter(|(c, (z, at))| wanted.get(c) != Some(z) || !current(*z, at))
            .map(|(c, (z, _))| (*c, *z))
            .collect();
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
            self.ghost_subs.insert(cell, (zone, self.peers.get(zone)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmo_cluster::ZoneHandle;
    use mmo_world::EntityId;

    fn chat(n: u64) -> ZoneCommand {
        ZoneCommand::Chat { entity: EntityId(n), text: "hi".into() }
    }

    fn links_to(peer: ZoneHandle) -> Links {
        let peers = ZoneDirectory::default();
        peers.insert(peer);
        let (_, assignments) = watch::channel(AssignmentTable::default());
        Links::new(ZoneId(1), ZoneLinks { peers, assignments })
    }

    fn entity_of(cmd: ZoneCommand) -> u64 {
        match cmd {
            ZoneCommand::Chat { entity, .. } => entity.0,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[tokio::test]
    async fn messages_a_full_peer_cannot_take_wait_and_arrive_in_order() {
        let (peer, mut inbox) = ZoneHandle::channel(ZoneId(2), 2);
        let mut links = links_to(peer);
        for n in 1..=5 {
            links.send(ZoneId(2), chat(n));
        }
        assert_eq!(links.backlog_len(), 3, "two fit the queue, three wait");
        // The peer reads one; the next tick sends one more, and nothing overtakes.
        assert_eq!(entity_of(inbox.recv().await.unwrap()), 1);
        links.retry_backlogs();
        links.send(ZoneId(2), chat(6));
        assert_eq!(links.backlog_len(), 3);
        let mut got = vec![entity_of(inbox.recv().await.unwrap()), entity_of(inbox.recv().await.unwrap())];
        links.retry_backlogs();
        got.extend([entity_of(inbox.recv().await.unwrap()), entity_of(inbox.recv().await.unwrap())]);
        links.retry_backlogs();
        got.push(entity_of(inbox.recv().await.unwrap()));
        assert_eq!(got, [2, 3, 4, 5, 6]);
        assert_eq!(links.backlog_len(), 0);
    }

    #[test]
    fn a_cell_owner_whose_link_is_down_is_out_of_reach_for_a_while() {
        use mmo_cluster::registry::Assignment;
        use mmo_world::Epoch;
        let (two, _inbox, up) = ZoneHandle::link_channel(ZoneId(2), 4);
        let peers = ZoneDirectory::default();
        peers.insert(two);
        let owned_by = |zones: &[u32]| -> AssignmentTable {
            Arc::new(
                zones
                    .iter()
                    .enumerate()
                    .map(|(i, z)| (CellId::new(i as u16, 0), Assignment::new(ZoneId(*z), Epoch(1), None)))
                    .collect(),
            )
        };
        let (table, assignments) = watch::channel(owned_by(&[1, 2, 3]));
        let mut links = Links::new(ZoneId(1), ZoneLinks { peers, assignments });
        let t0 = Instant::now();
        let ids = |set: BTreeSet<ZoneId>| set.into_iter().map(|z| z.0).collect::<Vec<_>>();
        assert_eq!(ids(links.unreachable(t0)), [2, 3], "2 not connected yet, 3 not even known");
        up.set(true);
        assert_eq!(ids(links.unreachable(t0 + Duration::from_millis(100))), [3]);
        assert!(links.unreachable(t0 + HOLD_LIMIT).is_empty(), "past the limit, cells go anyway");
        up.set(false);
        let t1 = t0 + HOLD_LIMIT + Duration::from_millis(50);
        assert_eq!(ids(links.unreachable(t1)), [2], "down again: held again, for a while");
        table.send_replace(owned_by(&[1, 1, 1]));
        assert!(links.unreachable(t1).is_empty(), "zones owning nothing do not matter");
    }

    #[tokio::test]
    async fn a_peer_that_is_gone_takes_its_backlog_with_it() {
        let (peer, inbox) = ZoneHandle::channel(ZoneId(2), 1);
        let mut links = links_to(peer);
        links.send(ZoneId(2), chat(1));
        links.send(ZoneId(2), chat(2));
        assert_eq!(links.backlog_len(), 1);
        drop(inbox);
        links.retry_backlogs();
        assert_eq!(links.backlog_len(), 0, "nothing is kept for a zone that stopped");
    }
}
