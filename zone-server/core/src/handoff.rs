//! The handoff state machine: authority over entities moves between zones without ever leaving
//! two authoritative copies, whatever the network does to the messages.
//!
//! It holds entity *records* (plain data), not live entities, and no clock: the caller passes
//! the tick. So it can be driven alone under any message schedule (`tests/handoff_props.rs`).
//!
//! **Source.** [`Handoff::send`] takes the records of entities the zone stops simulating
//! (frozen copies), raises their authority epoch and emits a [`Transfer`]. Unanswered transfers
//! are resent every [`RETRY_TICKS`] ([`Handoff::poll`]). Messages that still arrive for a frozen
//! entity are kept ([`Handoff::redirect`]; inputs from its own clients are also forwarded at
//! once). The answer
//! settles it ([`Handoff::on_answer`]): *accepted*, the frozen copies are dropped, what was kept
//! goes to the destination (as will later messages) and the source confirms with
//! `TransferSettled`; *refused*, the records come back to the caller, who simulates them again
//! (takes them back).
//!
//! **Destination.** [`Handoff::on_transfer`] decides once per transfer id and remembers the
//! decision, so every duplicate gets the same answer. It refuses a transfer that arrives too late
//! to be simulated by its `deadline` (and one the caller's check refuses, e.g. for a cell it does
//! not own). Entities it accepted may not leave again ([`Handoff::can_leave`]) until the source
//! confirms it dropped its copies; the acceptance is resent until then.
//!
//! **Why there is never a second authoritative copy.** The source never takes back on a timer,
//! only on a refusal, and a refusal is final: the destination never accepts that transfer
//! afterwards. An accepted transfer whose answer is lost is resent until the (same) answer gets
//! through. The deadline bounds how long a live destination keeps the source waiting: past it,
//! the next resend is refused and the source takes back. A destination that never answers
//! (dead) keeps the entities frozen until its zone is declared lost ([`Handoff::zone_lost`]);
//! taking back is safe then too, because an entity whose transfer the source has not settled
//! cannot have been handed on by the destination: its only other copy died with that zone.

use mmo_records::CellItems;
use mmo_records::{EntityRecord, PeerMessage, Transfer, TransferId};
use mmo_world::{CellId, EntityId, Epoch, Tick, ZoneId};
use std::collections::{BTreeMap, HashMap};

/// Ticks between resends of an unanswered transfer (and of an unsettled acceptance).
pub const RETRY_TICKS: u64 = 2;
/// A transfer must start being simulated within this many ticks of being sent, or be refused.
pub const DEADLINE_TICKS: u64 = 20;
/// How long messages for an entity that left are forwarded to where it went.
pub const FORWARD_TICKS: u64 = 200;
/// How long a destination remembers its answer to a transfer (far longer than any resend).
pub const ANSWER_TICKS: u64 = 1200;

/// An unanswered transfer and what arrived meanwhile for its entities.
#[derive(Clone, Debug)]
struct Outgoing {
    to: ZoneId,
    transfer: Transfer,
    last_sent: Tick,
    /// Messages for the frozen entities, in arrival order: applied on take-back, forwarded on
    /// acceptance (inputs excepted: they were forwarded already).
    kept: Vec<PeerMessage>,
}

/// An accepted transfer the source has not confirmed yet.
#[derive(Clone, Debug)]
struct Unsettled {
    from: ZoneId,
    last_sent: Tick,
    entities: Vec<EntityId>,
}

/// How an unanswered transfer ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Settled {
    /// The destination has them; nothing is left to do here.
    Accepted { to: ZoneId, entities: usize },
    /// Refused (or the destination was lost): simulate `entities` again, then apply `kept`.
    TakenBack {
        entities: Vec<EntityRecord>,
        cell: Option<(CellId, Epoch)>,
        items: CellItems,
        kept: Vec<PeerMessage>,
        /// The destination was lost before it answered, and the tick the transfer froze them
        /// at: it may have taken them and written their state since (`None`: it refused).
        lost: Option<Tick>,
    },
}

/// What happened to a message for an entity that is not simulated here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Redirected {
    /// Kept with the frozen copy (and, for an input, forwarded to the destination as well).
    Kept,
    /// Forwarded to the zone the entity went to.
    Forwarded(ZoneId),
    /// The entity went to the zone that sent the message: dropped, not sent back. Only a lost
    /// transfer leaves two zones each naming the other (the link keeps order, so the transfer
    /// arrives before any later message); forwarding would bounce the message between them.
    Bounced(ZoneId),
    /// Nothing is known about the entity here.
    Unknown,
}

/// The caller's verdict on an incoming transfer, besides the deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    Refuse,
}

/// One zone's side of every handoff.
#[derive(Debug)]
pub struct Handoff {
    zone: ZoneId,
    /// This run of the zone (see [`TransferId`]).
    run: u64,
    next_id: u64,
    outgoing: BTreeMap<TransferId, Outgoing>,
    /// Frozen entity -> the transfer holding it.
    frozen: HashMap<EntityId, TransferId>,
    /// Decisions on incoming transfers, and when they were made.
    answers: HashMap<TransferId, (bool, Tick)>,
    /// Accepted transfers waiting for the source's confirmation, and their entities.
    unsettled: BTreeMap<TransferId, Unsettled>,
    settling: HashMap<EntityId, TransferId>,
    /// Where entities this zone handed over went, until when.
    moved: HashMap<EntityId, (ZoneId, Tick)>,
    out: Vec<(ZoneId, PeerMessage)>,
}

impl Handoff {
    /// `run`: a number unique to this start of the zone.
    pub fn new(zone: ZoneId, run: u64) -> Self {
        Handoff {
            zone,
            run,
            next_id: 1,
            outgoing: BTreeMap::new(),
            frozen: HashMap::new(),
            answers: HashMap::new(),
            unsettled: BTreeMap::new(),
            settling: HashMap::new(),
            moved: HashMap::new(),
            out: Vec::new(),
        }
    }

    /// Whether an entity simulated here may be handed on: not while the transfer that brought
    /// it is unsettled.
    pub fn can_leave(&self, entity: EntityId) -> bool {
        !self.settling.contains_key(&entity)
    }

    /// Freezes `entities` (the caller stops simulating them) and sends them to `to`, with the
    /// authority epoch of each raised by one; with a migrating cell, its epoch and items. At the
    /// end of tick `now`.
    pub fn send(
        &mut self,
        to: ZoneId,
        mut entities: Vec<EntityRecord>,
        cell: Option<(CellId, Epoch, CellItems)>,
        now: Tick,
    ) -> TransferId {
        let id = TransferId { zone: self.zone, run: self.run, n: self.next_id };
        self.next_id += 1;
        for e in &mut entities {
            debug_assert!(self.can_leave(e.id), "{} sent before its arrival was settled", e.id);
            e.authority_epoch = Epoch(e.authority_epoch.0 + 1);
            self.frozen.insert(e.id, id);
            self.moved.remove(&e.id);
        }
        let (cell, items) = match cell {
            Some((cell, epoch, items)) => (Some((cell, epoch)), items),
            None => (None, CellItems::default()),
        };
        let deadline = Tick(now.0 + DEADLINE_TICKS);
        let transfer = Transfer { id, sent_at: now, deadline, entities, cell, items };
        tracing::debug!(zone = %self.zone, %id, %to, entities = transfer.entities.len(), ?cell, "transfer sent");
        self.out.push((to, PeerMessage::Transfer(transfer.clone())));
        self.outgoing.insert(id, Outgoing { to, transfer, last_sent: now, kept: Vec::new() });
        id
    }

    /// Resends transfers unanswered and acceptances unsettled for [`RETRY_TICKS`]; forgets old
    /// answers and forwards.
    pub fn poll(&mut self, now: Tick) {
        for o in self.outgoing.values_mut() {
            if now.since(o.last_sent) >= RETRY_TICKS {
                o.last_sent = now;
                self.out.push((o.to, PeerMessage::Transfer(o.transfer.clone())));
            }
        }
        for (id, u) in &mut self.unsettled {
            if now.since(u.last_sent) >= RETRY_TICKS {
                u.last_sent = now;
                self.out.push((u.from, PeerMessage::TransferAnswer { id: *id, accepted: true }));
            }
        }
        self.answers.retain(|_, (_, at)| now.since(*at) < ANSWER_TICKS);
        self.moved.retain(|_, (_, until)| now < *until);
    }

    /// Decides on an incoming transfer, at the boundary after tick `now` (an accepted one is
    /// simulated from `now + 1`). Returns it when accepted and new; answers every copy.
    pub fn on_transfer(
        &mut self,
        from: ZoneId,
        transfer: Transfer,
        now: Tick,
        verdict: impl FnOnce(&Transfer) -> Verdict,
    ) -> Option<Transfer> {
        let id = transfer.id;
        if let Some(&(accepted, _)) = self.answers.get(&id) {
            self.out.push((from, PeerMessage::TransferAnswer { id, accepted }));
            return None;
        }
        // A cell migration is fenced by the cell's epoch instead (checked by `verdict`).
        let in_time = transfer.cell.is_some() || now.next() <= transfer.deadline;
        let accepted = in_time && verdict(&transfer) == Verdict::Accept;
        self.answers.insert(id, (accepted, now));
        self.out.push((from, PeerMessage::TransferAnswer { id, accepted }));
        tracing::debug!(zone = %self.zone, %id, %from, accepted, in_time, "transfer answered");
        if !accepted {
            return None;
        }
        let entities: Vec<EntityId> = transfer.entities.iter().map(|e| e.id).collect();
        for e in &entities {
            self.moved.remove(e);
            self.settling.insert(*e, id);
        }
        self.unsettled.insert(id, Unsettled { from, last_sent: now, entities });
        Some(transfer)
    }

    /// Settles one of our transfers with the destination's answer. `None` if it was settled
    /// already (a duplicate answer) or is unknown; an acceptance is confirmed either way.
    pub fn on_answer(&mut self, from: ZoneId, id: TransferId, accepted: bool, now: Tick) -> Option<Settled> {
        self.settle_outgoing(from, id, accepted, false, now)
    }

    /// Settles one of our transfers: with `from`'s answer, or unanswered because `from` was
    /// `lost`.
    fn settle_outgoing(
        &mut self,
        from: ZoneId,
        id: TransferId,
        accepted: bool,
        lost: bool,
        now: Tick,
    ) -> Option<Settled> {
        if accepted {
            // Also for a transfer settled before: a lost confirmation is asked for again.
            self.out.push((from, PeerMessage::TransferSettled { id }));
        }
        let o = self.outgoing.remove(&id)?;
        for e in &o.transfer.entities {
            self.frozen.remove(&e.id);
        }
        tracing::debug!(zone = %self.zone, %id, to = %o.to, accepted, "transfer settled");
        if accepted {
            let until = Tick(now.0 + FORWARD_TICKS);
            for e in &o.transfer.entities {
                self.moved.insert(e.id, (o.to, until));
            }
            for msg in o.kept {
                if !matches!(msg, PeerMessage::Input { .. }) {
                    self.out.push((o.to, msg));
                }
            }
            return Some(Settled::Accepted { to: o.to, entities: o.transfer.entities.len() });
        }
        let mut entities = o.transfer.entities;
        for e in &mut entities {
            // Back to the epoch it had: the raised one was never used.
            e.authority_epoch = Epoch(e.authority_epoch.0 - 1);
        }
        let lost = lost.then_some(o.transfer.sent_at);
        Some(Settled::TakenBack { entities, cell: o.transfer.cell, items: o.transfer.items, kept: o.kept, lost })
    }

    /// The source confirmed it dropped its copies: the entities may leave again.
    pub fn on_settled(&mut self, id: TransferId) {
        if let Some(u) = self.unsettled.remove(&id) {
            for e in u.entities {
                if self.settling.get(&e) == Some(&id) {
                    self.settling.remove(&e);
                }
            }
        }
    }

    /// A zone is gone for good (its copies with it): every transfer still waiting for its
    /// answer is taken back, and what it sent here is settled.
    pub fn zone_lost(&mut self, zone: ZoneId, now: Tick) -> Vec<Settled> {
        let from_it: Vec<TransferId> =
            self.unsettled.iter().filter(|(_, u)| u.from == zone).map(|(id, _)| *id).collect();
        for id in from_it {
            self.on_settled(id);
        }
        self.moved.retain(|_, (to, _)| *to != zone);
        let to_it: Vec<TransferId> = self.outgoing.iter().filter(|(_, o)| o.to == zone).map(|(id, _)| *id).collect();
        to_it.into_iter().filter_map(|id| self.settle_outgoing(zone, id, false, true, now)).collect()
    }

    /// Handles a message for `entity`, which is not simulated here: kept if it is frozen here,
    /// forwarded if it left recently, unless it left for `from`, the zone the message came
    /// from (`None`: from this zone's own clients).
    pub fn redirect(&mut self, entity: EntityId, msg: PeerMessage, from: Option<ZoneId>) -> Redirected {
        if let Some(id) = self.frozen.get(&entity) {
            let o = self.outgoing.get_mut(id).expect("frozen entities have their transfer");
            if matches!(msg, PeerMessage::Input { .. }) && from.is_none() {
                // Latency matters for inputs: the destination most likely has the entity. Not
                // for an input another zone forwarded here: the destination may not have the
                // transfer yet, and its stale forward would send the input round a cycle of
                // zones for as long as the transfer waits (the whole-cluster simulation found
                // one after a partition, with this transfer's kept messages growing each lap).
                self.out.push((o.to, msg.clone()));
            }
            o.kept.push(msg);
            return Redirected::Kept;
        }
        if let Some(&(to, _)) = self.moved.get(&entity) {
            if from == Some(to) {
                return Redirected::Bounced(to);
            }
            self.out.push((to, msg));
            return Redirected::Forwarded(to);
        }
        Redirected::Unknown
    }

    /// Messages to send, with their destination zone, in order.
    pub fn drain(&mut self) -> impl Iterator<Item = (ZoneId, PeerMessage)> + '_ {
        self.out.drain(..)
    }

    pub fn is_frozen(&self, entity: EntityId) -> bool {
        self.frozen.contains_key(&entity)
    }

    /// Frozen copies, in transfer order.
    pub fn frozen(&self) -> impl Iterator<Item = &EntityRecord> + '_ {
        self.outgoing.values().flat_map(|o| &o.transfer.entities)
    }

    /// Unanswered transfers.
    pub fn pending(&self) -> usize {
        self.outgoing.len()
    }
}
