//! The core's side of the cluster: cell ownership as the registry has it, messages from other
//! zones, ghost frames, and entities and cells leaving at the end of a tick.

use super::entities::{Entity, Role};
use super::handoff::{Redirected, Settled, Verdict};
use super::spawn::standing_spots;
use super::ZoneCore;
use glam::IVec2;
use mmo_protocol::CellFrame;
use mmo_records::{CellCheckpoint, EntityRecord, EntityReport, PeerMessage, RecordKind, Transfer, ZoneReport};
use mmo_world::{CellId, EntityId, Epoch, Tick, ZoneId};
use std::sync::Arc;

/// What a message from another zone did, for the runtime's metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerOutcome {
    /// A transfer was accepted: its entities are simulated from tick `starts` on (the tick after
    /// the source's last: the next one, unless this zone runs late).
    Accepted {
        sent_at: Tick,
        starts: Tick,
        entities: usize,
    },
    Other,
}

/// Who leaves at the end of a tick.
#[derive(Debug, Default)]
pub(crate) struct Departures {
    /// Indices (sorted) of entities in cells other zones own (leaving one by one, or waiting):
    /// published in the cell they were last published in.
    pub away: Vec<usize>,
    /// Entity ids and where each goes.
    singles: Vec<(EntityId, ZoneId)>,
    /// Cells given away: the cell, its new owner and epoch, and the entities in it.
    cells: Vec<(CellId, ZoneId, Epoch, Vec<EntityId>)>,
}

impl ZoneCore {
    /// Records who owns a cell (from the registry). A cell of this zone given to another leaves
    /// at the end of the next tick, with its entities; a cell given to this zone is taken when
    /// its previous owner hands it over (or [`ZoneCore::own_cell`] for a cell nobody had).
    pub fn set_owner(&mut self, cell: CellId, zone: ZoneId, epoch: Epoch) {
        // Only live zones are given cells: a lost zone given one is back (restarted).
        if self.owners.get(cell).is_none_or(|(_, known)| known < epoch) && self.lost.remove(&zone) {
            tracing::info!(zone = %self.config.zone, back = %zone, %cell, "a lost zone was given a cell: it is back");
        }
        if self.owners.set(cell, zone, epoch) && zone == self.config.zone && self.owned.contains(cell) {
            self.owned.insert(cell, epoch);
        }
    }

    /// The zones the host cannot reach now (their link is down: first dialled, or reconnecting
    /// to a zone that restarted elsewhere). A cell given to one of them stays here, simulated
    /// and published as before, and players crossing into its cells wait at the border, until
    /// the link is up: a transfer sent into a link that is down only arrives after the link is
    /// back and the next resend, and the players in it miss those ticks. The host bounds how
    /// long a zone counts as unreachable.
    pub fn set_unreachable(&mut self, zones: std::collections::BTreeSet<ZoneId>) {
        self.unreachable = zones;
    }

    /// The owner of a cell as far as this zone knows.
    pub fn owner(&self, cell: CellId) -> Option<(ZoneId, Epoch)> {
        self.owners.get(cell)
    }

    /// A frame of a neighbouring cell owned by another zone: ghosts for the next tick.
    pub fn ghost_frame(&mut self, frame: Arc<CellFrame>) {
        if frame.zone != self.config.zone && !self.owned.contains(frame.cell) {
            self.ghosts.insert(frame);
        }
    }

    /// Cells whose frames the zone wants for ghosts: neighbours of its own cells that another
    /// zone owns, with that zone.
    pub fn ghost_cells(&self) -> Vec<(CellId, ZoneId)> {
        let layout = &self.layout;
        let mut cells: Vec<(CellId, ZoneId)> = self
            .owned
            .iter()
            .flat_map(|(cell, _)| layout.around(cell))
            .filter(|c| !self.owned.contains(*c))
            .filter_map(|c| self.owners.get(c).filter(|(z, _)| *z != self.config.zone).map(|(z, _)| (c, z)))
            .collect();
        cells.sort_unstable();
        cells.dedup();
        cells
    }

    /// Handles a message from zone `from`, between ticks.
    pub fn handle_peer(&mut self, from: ZoneId, msg: PeerMessage) -> PeerOutcome {
        match msg {
            PeerMessage::Transfer(transfer) => self.on_transfer(from, transfer),
            PeerMessage::TransferAnswer { id, accepted } => {
                if let Some(settled) = self.handoff.on_answer(from, id, accepted, self.now) {
                    self.settle(settled);
                }
                PeerOutcome::Other
            }
            PeerMessage::TransferSettled { id } => {
                self.handoff.on_settled(id);
                PeerOutcome::Other
            }
            PeerMessage::GiveAnswer { id, accepted } => {
                self.on_give_answer(id, accepted);
                PeerOutcome::Other
            }
            other => {
                self.deliver_from(other, Some(from));
                PeerOutcome::Other
            }
        }
    }

    fn on_transfer(&mut self, from: ZoneId, transfer: Transfer) -> PeerOutcome {
        let (me, g) = (self.config.zone, &self.layout);
        let (owned, owners) = (&self.owned, &self.owners);
        let verdict = |t: &Transfer| match t.cell {
            // Fenced by the cell's epoch: a grant superseded by a newer assignment is refused.
            Some((cell, epoch)) => match owners.get(cell) {
                Some((zone, known)) if known > epoch || (known == epoch && zone != me) => Verdict::Refuse,
                _ => Verdict::Accept,
            },
            None => {
                let ours = |e: &EntityRecord| {
                    let cell = g.cell_of_pos(e.body.pos);
                    owned.contains(cell) || owners.get(cell).is_some_and(|(zone, _)| zone == me)
                };
                if t.entities.iter().all(ours) {
                    Verdict::Accept
                } else {
                    Verdict::Refuse
                }
            }
        };
        let Some(transfer) = self.handoff.on_transfer(from, transfer, self.now, verdict) else {
            return PeerOutcome::Other;
        };
        let (sent_at, entities) = (transfer.sent_at, transfer.entities.len());
        let starts = sent_at.next().max(self.now.next());
        if starts > self.now.next() {
            tracing::debug!(zone = %me, id = %transfer.id, %starts, "transfer accepted ahead of its first tick");
            self.arrivals.push((starts, transfer));
        } else {
            self.start(transfer);
        }
        PeerOutcome::Accepted { sent_at, starts, entities }
    }

    /// Takes an accepted transfer's cell and entities.
    fn start(&mut self, transfer: Transfer) {
        if let Some((cell, epoch)) = transfer.cell {
            let entities = transfer.entities.len();
            tracing::info!(zone = %self.config.zone, %cell, %epoch, id = %transfer.id, entities, "cell taken over");
            self.take_cell(cell, epoch);
        }
        self.add_cell_items(transfer.items);
        for record in transfer.entities {
            if matches!(record.kind, RecordKind::Player(_)) {
                // Saved at once here: an item it picked up just before it crossed is then
                // durable even if the zone it left dies before its own write of the pickup
                // lands (a restore of that zone's cell would put the item back on the ground
                // while the player holds it).
                self.items.changed.push(record.id);
            }
            self.admit(record);
        }
    }

    /// At the start of a tick: transfers accepted for it start, with the messages kept for them.
    pub(crate) fn start_arrivals(&mut self) {
        if self.arrivals.is_empty() {
            return;
        }
        let now = self.now;
        let (due, later): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.arrivals).into_iter().partition(|(t, _)| *t <= now);
        self.arrivals = later;
        for (_, transfer) in due {
            self.start(transfer);
        }
        for msg in std::mem::take(&mut self.held) {
            self.deliver(msg);
        }
    }

    fn arriving(&self, id: EntityId) -> bool {
        self.arrivals.iter().any(|(_, t)| t.entities.iter().any(|e| e.id == id))
    }

    /// Starts simulating an entity that arrived (or came back).
    fn admit(&mut self, record: EntityRecord) {
        if let Some(held) = self.entities.get(record.id) {
            if held.epoch >= record.authority_epoch {
                tracing::warn!(zone = %self.config.zone, id = %record.id, "stale copy of an entity ignored");
                return;
            }
        }
        self.entities.insert(Entity::from_record(record));
    }

    fn settle(&mut self, settled: Settled) {
        let Settled::TakenBack { mut entities, cell, items, kept, lost } = settled else { return };
        tracing::info!(zone = %self.config.zone, entities = entities.len(), ?cell, ?lost, "transfer refused; taken back");
        match (cell, lost) {
            // A cell handed to a zone that died before it answered: what is durable decides.
            // Its NPCs and items go to hot state as they were when they left (a checkpoint of
            // that tick), where whichever zone takes the cell finds them, unless the dead zone
            // took the cell and checkpointed it since (a newer checkpoint wins).
            (Some((cell, _)), Some(sent_at)) => {
                let npcs = entities.extract_if(.., |e| !matches!(e.kind, RecordKind::Player(_))).collect();
                let policy = self.policy_version();
                self.handbacks.push(CellCheckpoint { cell, tick: sent_at, npcs, items, policy, gives: Vec::new() });
            }
            _ => self.add_cell_items(items),
        }
        for record in entities {
            if let (Some(_), RecordKind::Player(p)) = (lost, &record.kind) {
                // The dead zone may have saved this player since: its stored record decides.
                self.reconciling.push((record.id, p.name.clone()));
            }
            self.admit(record);
        }
        for msg in kept {
            self.deliver(msg);
        }
    }

    /// A zone is gone for good: transfers waiting for its answer are taken back, and nothing is
    /// handed to it any more (an entity in one of its cells stays here, simulated and published,
    /// until the cell has a new owner).
    pub fn zone_lost(&mut self, zone: ZoneId) {
        self.lost.insert(zone);
        for settled in self.handoff.zone_lost(zone, self.now) {
            self.settle(settled);
        }
    }

    /// A zone declared lost registered again (restarted under its id: it takes its cells back
    /// at their epochs, so no new assignment tells of it): entities walking into its cells are
    /// handed to it again.
    pub fn zone_back(&mut self, zone: ZoneId) {
        if self.lost.remove(&zone) {
            tracing::info!(zone = %self.config.zone, back = %zone, "a lost zone registered again: it is back");
        }
    }

    /// Applies a message about one entity here, or keeps or forwards it if the entity is frozen
    /// here or left.
    pub(crate) fn deliver(&mut self, msg: PeerMessage) {
        self.deliver_from(msg, None);
    }

    /// [`ZoneCore::deliver`] for a message that came from zone `from`.
    fn deliver_from(&mut self, msg: PeerMessage, from: Option<ZoneId>) {
        let Some(id) = msg.entity() else { return };
        if self.entities.get(id).is_none() && self.arriving(id) {
            self.held.push(msg);
            return;
        }
        let Some(entity) = self.entities.get_mut(id) else {
            let offer = match &msg {
                PeerMessage::GiveOffer(offer) => Some(offer.id),
                _ => None,
            };
            let dropped = match self.handoff.redirect(id, msg, from) {
                Redirected::Unknown => {
                    tracing::trace!(zone = %self.config.zone, %id, "message for an unknown entity dropped");
                    true
                }
                Redirected::Bounced(to) => {
                    tracing::debug!(zone = %self.config.zone, %id, %to, "message from the zone the entity left for dropped");
                    true
                }
                Redirected::Kept | Redirected::Forwarded(_) => false,
            };
            // An offer nobody will take is refused at once (the giver's zone gets its item back
            // now, not after waiting for an answer).
            if let Some(give) = offer.filter(|_| dropped) {
                self.send_peer(give.zone, PeerMessage::GiveAnswer { id: give, accepted: false });
            }
            return;
        };
        match msg {
            PeerMessage::Input { seq, buttons, .. } => {
                if let Role::Player(p) = &mut entity.role {
                    p.inputs.push(seq, buttons);
                }
            }
            PeerMessage::Chat { text, .. } => {
                if entity.is_player() && !self.item_command(id, &text) {
                    self.chats.push((id, text));
                }
            }
            PeerMessage::Leave { .. } => {
                if entity.is_player() {
                    self.gives_on_logout(id);
                }
                let entity = self.entities.get(id).expect("still here");
                if let Role::Player(p) = &entity.role {
                    let gateway = p.route.map(|r| r.gateway);
                    let geometry = self.config.geometry;
                    let record =
                        self.entities.remove(id).and_then(|mut e| super::persist::next_record(&mut e, &geometry));
                    self.logged_out.extend(record.map(|record| super::persist::LoggedOut { record, gateway }));
                    tracing::debug!(zone = %self.config.zone, %id, "player left");
                }
            }
            PeerMessage::Hit(hit) => self.remote_hits.push(hit),
            PeerMessage::Credit { xp, victim, .. } => {
                let shares = self.parties.award(self.entities.as_mut_slice(), &self.ghosts, (id, victim), xp);
                for (to, share) in shares {
                    self.send_peer(to, share);
                }
                tracing::debug!(zone = %self.config.zone, %id, %victim, xp, "kill credited");
            }
            PeerMessage::SharedCredit { xp, victim, .. } => {
                super::party::credit(entity, xp);
                tracing::debug!(zone = %self.config.zone, %id, %victim, xp, "a party member's kill shared");
            }
            PeerMessage::GiveOffer(offer) => self.on_give_offer(offer),
            PeerMessage::Transfer(_)
            | PeerMessage::TransferAnswer { .. }
            | PeerMessage::TransferSettled { .. }
            | PeerMessage::GiveAnswer { .. } => {}
        }
    }

    /// Sends a message to a zone (to this one: handled at once).
    pub(crate) fn send_peer(&mut self, to: ZoneId, msg: PeerMessage) {
        if to == self.config.zone {
            match msg.entity() {
                Some(_) => self.deliver(msg),
                // For the zone itself (an answer): handled as if it had come in.
                None => {
                    self.handle_peer(to, msg);
                }
            }
        } else {
            self.outbox.push((to, msg));
        }
    }

    /// Messages for other zones since the last call, in order.
    pub fn drain_outbox(&mut self) -> Vec<(ZoneId, PeerMessage)> {
        let mut out: Vec<(ZoneId, PeerMessage)> = self.handoff.drain().collect();
        out.append(&mut self.outbox);
        out
    }

    /// Cells handed over at the end of the last tick, with their new owner (their subscribers
    /// follow them).
    pub fn take_released(&mut self) -> Vec<(CellId, ZoneId)> {
        std::mem::take(&mut self.released)
    }

    /// The handoff phase: who leaves at the end of this tick.
    pub(crate) fn plan_departures(&mut self) -> Departures {
        let me = self.config.zone;
        let mut plan = Departures::default();
        let given: Vec<(CellId, ZoneId, Epoch)> = self
            .owned
            .iter()
            .filter_map(|(cell, _)| self.owners.get(cell).filter(|(z, _)| *z != me).map(|(z, e)| (cell, z, e)))
            .collect();
        for (cell, zone, epoch) in given {
            // Not into a link that is down, nor before the items in escrow it keeps moved.
            if self.unreachable.contains(&zone) || self.hold_for_gives(cell) {
                continue;
            }
            plan.cells.push((cell, zone, epoch, Vec::new()));
        }
        let (me, g) = (self.config.zone, &self.layout);
        for (i, e) in self.entities.as_slice().iter().enumerate() {
            let cell = g.cell_of_pos(e.body.pos);
            let owned = self.owned.contains(cell);
            if owned && plan.cells.is_empty() {
                continue;
            }
            let can_leave = self.handoff.can_leave(e.id) && !self.gives.holds_back(e.id);
            if let Some(c) = plan.cells.iter_mut().find(|c| c.0 == cell).filter(|_| can_leave) {
                c.3.push(e.id);
            } else if !owned {
                if let Some((zone, _)) = self.owners.get(cell).filter(|(z, _)| *z != me) {
                    plan.away.push(i);
                    if can_leave && !self.lost.contains(&zone) && !self.unreachable.contains(&zone) {
                        plan.singles.push((e.id, zone));
                    }
                }
            }
        }
        plan
    }

    /// After publishing: freezes and sends what leaves, gives cells away, resends.
    pub(crate) fn depart(&mut self, plan: Departures) {
        let now = self.now;
        for (id, zone) in plan.singles {
            if let Some(e) = self.entities.remove(id) {
                self.handoff.send(zone, vec![e.to_record()], None, now);
            }
        }
        for (cell, zone, epoch, ids) in plan.cells {
            let records: Vec<EntityRecord> =
                ids.into_iter().filter_map(|id| self.entities.remove(id)).map(|e| e.to_record()).collect();
            tracing::info!(zone = %self.config.zone, %cell, to = %zone, %epoch, entities = records.len(), "cell handed over");
            self.owned.remove(cell);
            let items = self.take_cell_items(cell);
            self.handoff.send(zone, records, Some((cell, epoch, items)), now);
            self.released.push((cell, zone));
        }
        self.handoff.poll(now);
    }

    /// The epoch of an entity this zone simulates (holds with authority); `None` if it does not.
    pub fn authority(&self, id: EntityId) -> Option<Epoch> {
        self.entities.get(id).map(|e| e.epoch)
    }

    /// Whether the zone holds a frozen copy of an entity in a transfer not answered yet.
    pub fn is_frozen(&self, id: EntityId) -> bool {
        self.handoff.is_frozen(id)
    }

    /// Transfers under way: sent and not answered, or accepted and not started yet (they start
    /// at the tick they were sent for; until then their entities are simulated nowhere).
    pub fn transfers_pending(&self) -> usize {
        self.handoff.pending() + self.arrivals.len()
    }

    /// Ghosts seen in the last tick: (id, owner zone).
    pub fn ghosts(&self) -> Vec<(EntityId, ZoneId)> {
        self.ghosts.list().iter().map(|g| (g.id, g.zone)).collect()
    }

    /// What the zone holds, as of its last tick.
    pub fn report(&self) -> ZoneReport {
        let g = &self.layout;
        let report = |r: EntityRecord, frozen: bool| EntityReport {
            id: r.id,
            authority_epoch: r.authority_epoch,
            cell: g.cell_of_pos(r.body.pos),
            hp: r.hp,
            xp: match &r.kind {
                mmo_records::RecordKind::Player(p) => p.xp,
                mmo_records::RecordKind::Npc(_) => 0,
            },
            items: r.items().to_vec(),
            is_player: matches!(r.kind, mmo_records::RecordKind::Player(_)),
            frozen,
        };
        let mut entities: Vec<EntityReport> =
            self.entities.as_slice().iter().map(|e| report(e.to_record(), false)).collect();
        entities.extend(self.handoff.frozen().map(|r| report(r.clone(), true)));
        let arriving = self.arrivals.iter().flat_map(|(_, t)| &t.entities);
        entities.extend(arriving.map(|r| report(r.clone(), true)));
        ZoneReport {
            zone: self.config.zone,
            tick: self.now,
            owned: self.owned_cells(),
            entities,
            ground_items: self.ground_items().into_iter().map(|(item, _)| item).collect(),
            minted: self.minted_serials().to_vec(),
            escrow: self.gives.items().collect(),
            ..ZoneReport::default()
        }
    }

    /// Spawns `count` NPCs in an owned cell, on its standing places (or all at `at`); none if the
    /// cell is not owned here.
    pub fn spawn_npcs_in(&mut self, cell: CellId, count: u32, at: Option<IVec2>) -> Vec<EntityId> {
        if !self.owned.contains(cell) {
            return Vec::new();
        }
        let spots = match at {
            Some(pos) => vec![pos],
            None => standing_spots(&self.tiles, &self.config.geometry, cell),
        };
        if spots.is_empty() {
            return Vec::new();
        }
        (0..count)
            .filter_map(|_| {
                let pos = spots[self.rng.below(spots.len() as u32) as usize];
                let species = u8::from(self.rng.below(10) >= 7);
                self.spawn_npc(pos, species)
            })
            .collect()
    }
}
