//! Gives across a zone border: `/give NAME` to a player standing within reach on the other side,
//! simulated by another zone. The item moves exactly once, also when either zone dies mid-give:
//!
//! 1. The giver's zone takes the item out of the giver's inventory into escrow: an entry kept in
//!    the checkpoints of the cell the giver stands in ([`mmo_records::GiveRecord`]). The giver
//!    is saved at once. Nothing is sent before that save and that checkpoint are durable (the
//!    runtime reports each batch of writes it made durable: [`ZoneCore::seal_batch`],
//!    [`ZoneCore::saved`]); until then the giver stays on this zone. A cell given to another
//!    zone with items in escrow first moves them to the checkpoints of another cell of this
//!    zone, and leaves once those are durable ([`ZoneCore::hold_for_gives`]).
//! 2. It offers the item to the receiver ([`PeerMessage::GiveOffer`], forwarded to wherever the
//!    receiver went), to be accepted within [`OFFER_TICKS`].
//! 3. The receiver's zone decides once: past the deadline, or with the receiver dead, it
//!    refuses; else the item joins the receiver's inventory with the give's receipt
//!    ([`GiveId::receipt`], among the pickup receipts), the receiver is saved at once, and the acceptance
//!    is sent once that save is durable (the receiver stays on that zone until then).
//! 4. The giver's zone drops the escrow on an acceptance. On a refusal the item goes back to the
//!    giver (the escrow stays until that save is durable), or, with the giver gone, on the
//!    ground where the give was made.
//! 5. Without an answer within [`ANSWER_TICKS`] (the receiver's zone died, the receiver logged
//!    out) the giver's zone reads the receiver's stored record: the give's receipt means accepted;
//!    else the offer counts as refused.
//!
//! If the giver's zone dies, the zone restoring the cell resolves the escrow against the stored
//! records (`CellCheckpoint::resolve`): the receiver's if its record lists the receipt, the
//! giver's if its record still holds it, else on the ground.
//!
//! Two assumptions, as for pickups (`PICKED_KEEP_TICKS`): an acceptance's save lands within
//! [`ANSWER_TICKS`], and a receiver does not pick up more than `PICKUP_RECEIPTS` items before
//! its acceptance is judged.

use super::entities::Role;
use super::items::{Ground, GIVE_REACH};
use super::ZoneCore;
use glam::IVec2;
use mmo_records::{record_pickup, GiveId, GiveOffer, GiveRecord, Item, PeerMessage, PlayerRecord};
use mmo_world::{CellId, EntityId, Layout, Tick, ZoneId};
use std::sync::Arc;

/// Ticks after its sending within which an offer may be accepted (1 s at 20 Hz): far less than
/// a zone's lease, so a zone restoring the giver's cells never races an acceptance.
pub const OFFER_TICKS: u64 = 20;
/// Ticks without an answer after which the giver's zone reads the receiver's stored record
/// (10 s at 20 Hz).
pub const ANSWER_TICKS: u64 = 200;

/// How the gives this zone made across borders ended, since it started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GiveCounts {
    /// Accepted by the receiver's zone.
    pub accepted: u64,
    /// Refused (past the deadline, the receiver dead), or found not accepted in the receiver's
    /// stored record: the item went back to the giver, or on the ground.
    pub refused: u64,
    /// Judged from the receiver's stored record (unanswered for [`ANSWER_TICKS`]).
    pub checked: u64,
}

impl std::ops::AddAssign for GiveCounts {
    fn add_assign(&mut self, o: GiveCounts) {
        self.accepted += o.accepted;
        self.refused += o.refused;
        self.checked += o.checked;
    }
}

/// Where a write that must be durable first stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Durable {
    /// Changed since the last batch was taken: in the next one.
    Next,
    /// In this batch.
    In(u64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// The giver's save without the item and the escrow's checkpoint are on their way.
    Saving(Durable),
    /// Offered at this tick.
    Offered(Tick),
    /// Unanswered too long: the runtime reads the receiver's stored record (asked at this tick,
    /// and again every [`ANSWER_TICKS`] while no read comes back).
    Checking(Tick),
    /// Refused: the item is back with the giver, whose save is on its way (since this tick).
    Returning(Durable, Tick),
}

/// An item in escrow on the giver's zone.
#[derive(Clone, Debug)]
struct Escrow {
    id: GiveId,
    item: Item,
    /// Where the giver stood: the cell whose checkpoints keep the escrow.
    pos: IVec2,
    from: Arc<str>,
    giver: EntityId,
    to: Arc<str>,
    receiver: EntityId,
    /// The receiver's zone when the give was made.
    zone: ZoneId,
    stage: Stage,
    /// Moved from the checkpoints of this cell (given to another zone) to those of the cell of
    /// `pos`: the cell leaves once the move is durable.
    moving: Option<(CellId, Durable)>,
}

/// An offer accepted on the receiver's zone, answered once the receiver's save is durable.
#[derive(Clone, Copy, Debug)]
struct Accepted {
    id: GiveId,
    receiver: EntityId,
    durable: Durable,
}

/// The zone's gives across borders, as giver's zone and as receiver's zone.
#[derive(Debug)]
pub(crate) struct Gives {
    zone: ZoneId,
    /// This run of the zone (see [`GiveId`]).
    run: u64,
    next: u64,
    escrow: Vec<Escrow>,
    accepted: Vec<Accepted>,
    /// Batches of writes taken so far.
    batches: u64,
    /// Receivers whose stored records the runtime is to read.
    checks: Vec<(GiveId, Arc<str>)>,
    counts: GiveCounts,
}

impl Gives {
    pub fn new(zone: ZoneId, run: u64) -> Self {
        let (escrow, accepted, checks) = (Vec::new(), Vec::new(), Vec::new());
        Gives { zone, run, next: 0, escrow, accepted, batches: 0, checks, counts: GiveCounts::default() }
    }

    /// Whether `entity` must stay on this zone for now (a give of it waits for a save).
    pub fn holds_back(&self, entity: EntityId) -> bool {
        self.escrow.iter().any(|e| e.giver == entity && matches!(e.stage, Stage::Saving(_) | Stage::Returning(..)))
            || self.accepted.iter().any(|a| a.receiver == entity)
    }

    /// The escrow kept in `cell`'s checkpoints.
    pub fn records_in(&self, cell: CellId, layout: &Layout) -> Vec<GiveRecord> {
        let inside = self.escrow.iter().filter(|e| layout.cell_of_pos(e.pos) == cell);
        inside
            .map(|e| GiveRecord { id: e.id, item: e.item, pos: e.pos, from: e.from.clone(), to: e.to.clone() })
            .collect()
    }

    /// The items in escrow.
    pub fn items(&self) -> impl Iterator<Item = Item> + '_ {
        self.escrow.iter().map(|e| e.item)
    }

    /// Gives not settled: items in escrow here, acceptances here not answered yet.
    pub fn pending(&self) -> usize {
        self.escrow.len() + self.accepted.len()
    }

    fn take(&mut self, id: GiveId) -> Option<Escrow> {
        let at = self.escrow.iter().position(|e| e.id == id)?;
        Some(self.escrow.remove(at))
    }
}

impl ZoneCore {
    /// `/give NAME` with nobody of that name here: gives the player's newest item to the living
    /// player `name` across the border within reach, if there is one (step 1 of the module docs).
    /// The giver must stand in a cell of this zone (its checkpoints keep the escrow).
    pub(crate) fn give_across(&mut self, id: EntityId, name: &str) {
        let Some(giver) = self.entities.get(id) else { return };
        let pos = giver.body.pos;
        if !giver.alive() || !self.owned.contains(self.layout.cell_of_pos(pos)) {
            return;
        }
        let receiver = self.ghosts.list().iter().find(|g| {
            g.is_player
                && g.alive
                && (g.pos - pos).abs().max_element() <= GIVE_REACH
                && self.ghosts.name_of(g.id).is_some_and(|n| n == name)
        });
        let Some(&receiver) = receiver else {
            tracing::debug!(player = %id, to = name, "nobody of that name within reach");
            return;
        };
        let Some(Role::Player(p)) = self.entities.get_mut(id).map(|e| &mut e.role) else { return };
        let Some(item) = p.items.pop() else { return };
        let from = p.name.clone();
        let gives = &mut self.gives;
        gives.next += 1;
        let give = GiveId { zone: gives.zone, run: gives.run, n: gives.next };
        gives.escrow.push(Escrow {
            id: give,
            item,
            pos,
            from,
            giver: id,
            to: name.into(),
            receiver: receiver.id,
            zone: receiver.zone,
            stage: Stage::Saving(Durable::Next),
            moving: None,
        });
        self.items.changed.push(id);
        self.items.dirty.insert(self.layout.cell_of_pos(pos));
        tracing::debug!(zone = %self.config.zone, player = %id, to = name, %give, serial = %item.serial, "item in escrow");
    }

    /// Whether `cell`, given to another zone, must stay here for now: the items in escrow its
    /// checkpoints keep move to those of another cell this zone keeps (to a standing spot
    /// there, where they would lie if the give fails with its giver gone), and the cell leaves
    /// once that checkpoint is durable; with no such cell it stays.
    pub(crate) fn hold_for_gives(&mut self, cell: CellId) -> bool {
        let (me, layout) = (self.config.zone, &self.layout);
        let inside = |e: &Escrow| layout.cell_of_pos(e.pos) == cell;
        if self.gives.escrow.iter().any(inside) {
            let owners = &self.owners;
            let kept = |c: &CellId| *c != cell && owners.get(*c).is_none_or(|(zone, _)| zone == me);
            let Some(home) = self.owned.iter().map(|(c, _)| c).find(kept) else { return true };
            let (origin, size) = self.config.geometry.cell_square(home);
            let middle = (origin + IVec2::splat(size / 2)) * mmo_world::physics::SUB;
            let spot = super::spawn::standing_spots(&self.tiles, &self.config.geometry, home).first().copied();
            let spot = spot.unwrap_or(middle);
            for e in self.gives.escrow.iter_mut().filter(|e| layout.cell_of_pos(e.pos) == cell) {
                tracing::debug!(zone = %me, give = %e.id, from = %cell, to = %home, "escrow moves with its cell leaving");
                e.pos = spot;
                e.moving = Some((cell, Durable::Next));
            }
            self.items.dirty.insert(home);
        }
        self.gives.escrow.iter().any(|e| e.moving.is_some_and(|(from, _)| from == cell))
    }

    /// An offer reached its receiver here (step 3 of the module docs).
    pub(crate) fn on_give_offer(&mut self, offer: GiveOffer) {
        let (now, receipt) = (self.now, offer.id.receipt());
        let Some(e) = self.entities.get_mut(offer.to) else { return };
        let alive = e.alive();
        let Role::Player(p) = &mut e.role else { return };
        let answer = |accepted| (offer.id.zone, PeerMessage::GiveAnswer { id: offer.id, accepted });
        let waiting = self.gives.accepted.iter().any(|a| a.id == offer.id);
        let (to, msg) = if p.picked.contains(&receipt) {
            if waiting {
                return;
            }
            // Offered again (a copy of the message): accepted already, and durable.
            answer(true)
        } else if now > offer.deadline || !alive {
            answer(false)
        } else {
            p.items.push(offer.item);
            record_pickup(&mut p.picked, receipt);
            self.items.changed.push(offer.to);
            self.gives.accepted.push(Accepted { id: offer.id, receiver: offer.to, durable: Durable::Next });
            tracing::debug!(zone = %self.config.zone, player = %offer.to, give = %offer.id, serial = %offer.item.serial, "given item accepted");
            return;
        };
        tracing::debug!(zone = %self.config.zone, player = %offer.to, give = %offer.id, ?msg, "give answered");
        self.send_peer(to, msg);
    }

    /// The receiver's zone answered (step 4 of the module docs).
    pub(crate) fn on_give_answer(&mut self, id: GiveId, accepted: bool) {
        let answerable = |e: &Escrow| e.id == id && matches!(e.stage, Stage::Offered(_) | Stage::Checking(_));
        if !self.gives.escrow.iter().any(answerable) {
            return;
        }
        self.settle_give(id, accepted);
    }

    /// The offer `id` was accepted (the escrow is dropped) or refused (the item goes back).
    fn settle_give(&mut self, id: GiveId, accepted: bool) {
        let Some(mut escrow) = self.gives.take(id) else { return };
        let cell = self.layout.cell_of_pos(escrow.pos);
        self.items.dirty.insert(cell);
        tracing::debug!(zone = %self.config.zone, give = %id, accepted, serial = %escrow.item.serial, "give settled");
        if accepted {
            self.gives.counts.accepted += 1;
            return;
        }
        self.gives.counts.refused += 1;
        match self.entities.get_mut(escrow.giver).map(|e| &mut e.role) {
            Some(Role::Player(p)) => {
                p.items.push(escrow.item);
                self.items.changed.push(escrow.giver);
                escrow.stage = Stage::Returning(Durable::Next, self.now);
                self.gives.escrow.push(escrow);
            }
            _ => {
                // The giver left: the item lies where the give was made (in the same
                // checkpoint as the escrow's end).
                self.items.ground.push(Ground { item: escrow.item, pos: escrow.pos, dropped: None, dropped_by: None });
            }
        }
    }

    /// Ends a tick for gives: offers unanswered for [`ANSWER_TICKS`] are checked against the
    /// receiver's stored record; the escrow of an item returned to a giver who left since is
    /// dropped [`ANSWER_TICKS`] after the return (its logout's save is long durable by then).
    pub(crate) fn age_gives(&mut self) {
        let now = self.now;
        let entities = &self.entities;
        let mut ended = Vec::new();
        for e in &mut self.gives.escrow {
            match e.stage {
                Stage::Offered(at) | Stage::Checking(at) if now.since(at) > ANSWER_TICKS => {
                    tracing::info!(zone = %self.gives.zone, give = %e.id, to = %e.to, "give unanswered: reading the receiver's stored record");
                    e.stage = Stage::Checking(now);
                    self.gives.checks.push((e.id, e.to.clone()));
                }
                Stage::Returning(_, since) if now.since(since) > ANSWER_TICKS && entities.get(e.giver).is_none() => {
                    ended.push((e.id, e.pos));
                }
                _ => {}
            }
        }
        for (id, pos) in ended {
            self.gives.take(id);
            self.items.dirty.insert(self.layout.cell_of_pos(pos));
        }
    }

    /// A player leaves this zone for good (logs out): a give of its that was not offered yet is
    /// called off (the item is back in its inventory, in the record about to be saved); an
    /// acceptance it waits for will be judged from its stored record.
    pub(crate) fn gives_on_logout(&mut self, id: EntityId) {
        self.gives.accepted.retain(|a| a.receiver != id);
        let unsent = |e: &Escrow| e.giver == id && matches!(e.stage, Stage::Saving(_));
        while let Some(at) = self.gives.escrow.iter().position(unsent) {
            let escrow = self.gives.escrow.remove(at);
            self.items.dirty.insert(self.layout.cell_of_pos(escrow.pos));
            if let Some(Role::Player(p)) = self.entities.get_mut(id).map(|e| &mut e.role) {
                p.items.push(escrow.item);
            }
        }
    }

    /// The writes taken since the last call (checkpoints, gives and saves) form one batch: its
    /// number, to report with [`ZoneCore::saved`] once all of it is durable (or
    /// [`ZoneCore::unsaved`] if a write failed).
    pub fn seal_batch(&mut self) -> u64 {
        let gives = &mut self.gives;
        gives.batches += 1;
        let batch = gives.batches;
        let seal = |d: &mut Durable| {
            if *d == Durable::Next {
                *d = Durable::In(batch);
            }
        };
        for e in &mut gives.escrow {
            if let Stage::Saving(d) | Stage::Returning(d, _) = &mut e.stage {
                seal(d);
            }
            if let Some((_, d)) = &mut e.moving {
                seal(d);
            }
        }
        for a in &mut gives.accepted {
            seal(&mut a.durable);
        }
        batch
    }

    /// Batch `batch` ([`ZoneCore::seal_batch`]) is durable: offers waiting for it are sent,
    /// acceptances answered, returned items' escrow dropped.
    pub fn saved(&mut self, batch: u64) {
        let done = Durable::In(batch);
        let (now, zone) = (self.now, self.config.zone);
        let mut sends = Vec::new();
        let mut dropped = Vec::new();
        for e in &mut self.gives.escrow {
            if e.moving.is_some_and(|(_, d)| d == done) {
                e.moving = None;
            }
        }
        self.gives.escrow.retain_mut(|e| match e.stage {
            Stage::Saving(d) if d == done => {
                let deadline = Tick(now.0 + OFFER_TICKS);
                let offer = GiveOffer { id: e.id, to: e.receiver, from: e.from.clone(), item: e.item, deadline };
                tracing::debug!(%zone, give = %e.id, to = %e.to, receiver_zone = %e.zone, "give offered");
                sends.push((e.zone, PeerMessage::GiveOffer(offer)));
                e.stage = Stage::Offered(now);
                true
            }
            Stage::Returning(d, _) if d == done => {
                dropped.push(e.pos);
                false
            }
            _ => true,
        });
        self.gives.accepted.retain(|a| {
            if a.durable != done {
                return true;
            }
            sends.push((a.id.zone, PeerMessage::GiveAnswer { id: a.id, accepted: true }));
            false
        });
        for pos in dropped {
            self.items.dirty.insert(self.layout.cell_of_pos(pos));
        }
        for (to, msg) in sends {
            self.send_peer(to, msg);
        }
    }

    /// A write of batch `batch` failed: what waited for it is written again in the next one.
    pub fn unsaved(&mut self, batch: u64) {
        let failed = Durable::In(batch);
        for e in &mut self.gives.escrow {
            if let Stage::Saving(d) | Stage::Returning(d, _) = &mut e.stage {
                if *d == failed {
                    *d = Durable::Next;
                    self.items.changed.push(e.giver);
                    self.items.dirty.insert(self.layout.cell_of_pos(e.pos));
                }
            }
            if let Some((_, d)) = &mut e.moving {
                if *d == failed {
                    *d = Durable::Next;
                    self.items.dirty.insert(self.layout.cell_of_pos(e.pos));
                }
            }
        }
        for a in &mut self.gives.accepted {
            if a.durable == failed {
                a.durable = Durable::Next;
                self.items.changed.push(a.receiver);
            }
        }
    }

    /// How the gives this zone made across borders ended.
    pub fn give_counts(&self) -> GiveCounts {
        self.gives.counts
    }

    /// Gives across borders not settled here (see [`Gives::pending`]).
    pub fn gives_pending(&self) -> usize {
        self.gives.pending()
    }

    /// Receivers whose stored records the runtime is to read for [`ZoneCore::give_checked`]
    /// (offers unanswered for [`ANSWER_TICKS`]).
    pub fn take_give_checks(&mut self) -> Vec<(GiveId, Arc<str>)> {
        std::mem::take(&mut self.gives.checks)
    }

    /// The receiver's stored record (`None`: it has none) for an offer unanswered too long:
    /// accepted if it lists the give's receipt, else refused. (A read that failed is not
    /// reported: it is asked for again.)
    pub fn give_checked(&mut self, id: GiveId, stored: Option<&PlayerRecord>) {
        let checking = |e: &&Escrow| e.id == id && matches!(e.stage, Stage::Checking(_));
        let Some(e) = self.gives.escrow.iter().find(checking) else { return };
        let accepted = stored.is_some_and(|r| r.picked_up(e.id.receipt()));
        self.gives.counts.checked += 1;
        self.settle_give(id, accepted);
    }
}
