//! One client's view: builds each snapshot as a delta against the view the client last
//! acknowledged, extrapolated to the snapshot's tick, within a byte budget. Sans-IO.
//!
//! The builder keeps, per snapshot sent, the view the client rebuilds from it (computed with
//! the client's own [`View::apply_to`]), so it always knows exactly what the client holds.
//!
//! What goes in when not everything fits: every snapshot aims at a soft budget (a few kB/s per
//! client) and never passes the hard one (the datagram limit). Changes compete by class, then
//! by a priority that grows each tick a change waits, faster for near entities:
//! 1. removals (a bit each);
//! 2. changes already sent since the baseline: leaving one out would show the client an older
//!    state than the snapshot before;
//! 3. motion the client's extrapolation has more than [`POS_TOLERANCE`] (a pixel) off, now or a
//!    tick from now, and changes waiting for [`OVERDUE_TICKS`] ticks: so what the player sees
//!    is never visibly wrong, and every entity in view is exact at least every
//!    `OVERDUE_TICKS + 1` ticks, if the datagram holds them;
//! 4. the rest, within the soft budget only.
//!
//! A change left out stays as the baseline had it and competes again next tick; nothing is
//! lost by running out of room.

mod tracks;

use mmo_protocol::bits::{BitCounter, BitSink};
use mmo_protocol::cell::pose;
use mmo_protocol::snapshot::wire::{encoded_bits, write_spawn, write_update};
use mmo_protocol::snapshot::{
    guess_hint, own_update, Extrapolations, Handle, Hint, Motion, MotionDelta, Spawn, Update,
};
use mmo_protocol::{EntityState, OwnState, Snapshot, View};
use mmo_world::physics::SUB_SHIFT;
use mmo_world::{Body, EntityId, Tick};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use tracks::{HandleSet, Tracks, Waiting};

/// Extrapolations shared by every client view of a gateway (see [`Extrapolations`]).
pub type SharedExtrapolations = Arc<Mutex<Extrapolations>>;

/// Views remembered as possible baselines (3.2 s at 20 Hz).
const HISTORY: usize = 64;
/// Bytes a snapshot aims to stay within: about 2.4 kB/s at 20 Hz.
pub const SOFT_BUDGET: usize = 120;
/// Ticks a change may wait before it is sent whatever the soft budget says.
pub const OVERDUE_TICKS: u64 = 3;
/// How far (sub-tile units: 16 is a pixel on screen) the client's extrapolation of an entity
/// may be off, now or a tick from now, before its correction is sent whatever the soft budget
/// says. Smaller changes (hp, pose, a slow drift) wait for room.
pub const POS_TOLERANCE: i32 = 16;

/// One candidate for a snapshot.
enum Change {
    Remove(Handle),
    /// The entity and the hint to extrapolate it with.
    Spawn(EntityId, Hint),
    Update(EntityId, Update),
}

/// The per-client snapshot builder.
#[derive(Debug)]
pub struct ClientView {
    /// The view the client rebuilds from each snapshot sent, oldest first.
    history: VecDeque<View>,
    tracks: Tracks,
    /// The player's entity and body at the previous snapshot (to guess held buttons).
    last_you: Option<(EntityId, Body)>,
    /// Scratch: which handles of the baseline stay in view.
    staying: HandleSet,
    soft_budget: usize,
    extrapolations: SharedExtrapolations,
}

impl Default for ClientView {
    fn default() -> Self {
        Self::new(SharedExtrapolations::default())
    }
}

impl ClientView {
    /// A view that extrapolates through `extrapolations`, shared with the gateway's other views.
    pub fn new(extrapolations: SharedExtrapolations) -> Self {
        ClientView {
            history: VecDeque::new(),
            tracks: Tracks::default(),
            last_you: None,
            staying: HandleSet::default(),
            soft_budget: SOFT_BUDGET,
            extrapolations,
        }
    }

    pub fn with_soft_budget(soft_budget: usize) -> Self {
        ClientView { soft_budget, ..Self::default() }
    }

    /// The view the client holds if it received the snapshot of `tick`.
    pub fn view_at(&self, tick: Tick) -> Option<&View> {
        self.history.iter().find(|v| v.tick == tick)
    }

    /// Builds the snapshot of `tick`. `others` are the entities in view (own entity excluded),
    /// `ack` the newest snapshot the client confirmed, `budget` the most bytes it may take.
    pub fn build(
        &mut self,
        tick: Tick,
        you: OwnState,
        others: &[&EntityState],
        ack: Option<Tick>,
        budget: usize,
    ) -> Snapshot {
        if let Some(ack) = ack {
            while self.history.front().is_some_and(|v| v.tick < ack) {
                self.history.pop_front();
            }
        }
        let previous = self.history.back().map(|v| v.tick);
        let base = ack.and_then(|a| self.view_at(a));
        let baseline = base.map(|v| v.tick);
        let start = match base {
            Some(v) => v.advanced_with(tick, &mut self.extrapolations.lock().unwrap_or_else(PoisonError::into_inner)),
            None => View { tick, ..View::default() },
        };

        let last_you = self.last_you.filter(|(id, _)| *id == you.entity).map(|(_, body)| body);
        let hint = guess_hint(&you.body, last_you.as_ref(), you.pose & pose::FACING_LEFT != 0);
        let mut snapshot = Snapshot {
            tick,
            baseline,
            you: own_update(&start.you, &you, hint),
            removed: Vec::new(),
            spawns: Vec::new(),
            updates: Vec::new(),
        };
        let in_view = InView::new(others);
        let changes = self.changes(tick, &start, &in_view, baseline, previous);
        self.select(&mut snapshot, changes, &in_view, budget);

        let view = match View::apply_to(start, &snapshot) {
            Ok(view) => view,
            Err(e) => {
                // A bug, not a client's doing: start again from a full snapshot next tick.
                tracing::error!(error = %e, %tick, "a snapshot does not apply to the view it was built on");
                self.history.clear();
                return snapshot;
            }
        };
        self.remember(view, &you);
        snapshot
    }

    /// What differs between the extrapolated baseline `start` and the truth, most urgent first,
    /// each with whether it may go past the soft budget. `previous` is the tick of the
    /// snapshot before.
    fn changes(
        &mut self,
        tick: Tick,
        start: &View,
        in_view: &InView,
        baseline: Option<Tick>,
        previous: Option<Tick>,
    ) -> Vec<(bool, Change)> {
        let mut rest = Vec::new();
        // The handles of the baseline still in view.
        let mut staying = std::mem::take(&mut self.staying);
        staying.clear();
        let centre = start.you.body.pos;
        self.tracks.enter(in_view.0.iter().map(|e| e.id), tick, previous);
        for (i, &e) in in_view.0.iter().enumerate() {
            let track = self.tracks.in_view(i);
            let before = track.body.replace(e.body);
            let hint = || guess_hint(&e.body, before.as_ref(), e.pose & pose::FACING_LEFT != 0);
            let mut visibly_off = false;
            let known = track.handle.and_then(|h| start.entities.get(&h).map(|k| (h, k)));
            let change = match known.filter(|(_, k)| k.id == e.id) {
                None => Change::Spawn(e.id, hint()),
                Some((handle, known)) => {
                    staying.insert(handle);
                    let motion = (known.motion.body != e.body)
                        .then(|| MotionDelta::between(&known.motion.body, &e.body, hint()));
                    let hp = (known.hp != e.hp).then_some(e.hp);
                    let pose = (known.pose != e.pose).then_some(e.pose);
                    if motion.is_none() && hp.is_none() && pose.is_none() {
                        track.waiting = None;
                        continue;
                    }
                    visibly_off = motion.is_some_and(|d| off_by(&d) > POS_TOLERANCE);
                    Change::Update(e.id, Update { handle, motion, hp, pose })
                }
            };
            let distance = ((e.body.pos - centre).abs().element_sum() >> SUB_SHIFT) as u32;
            let waiting = track.waiting.get_or_insert(Waiting { since: tick, priority: 0 });
            waiting.priority += 1 + 64 / (4 + distance);
            let in_flight = baseline.is_none_or(|b| track.sent.is_some_and(|s| s > b));
            let overdue = tick.0 - waiting.since.0 >= OVERDUE_TICKS;
            let class = if in_flight {
                1
            } else if overdue || visibly_off {
                2
            } else {
                3
            };
            rest.push(((class, u32::MAX - waiting.priority, e.id), change));
        }
        let mut urgent: Vec<_> = start
            .entities
            .iter()
            .filter(|(h, _)| !staying.contains(*h))
            .map(|(h, known)| ((0, 0, known.id), Change::Remove(h)))
            .collect();
        self.staying = staying;
        rest.sort_unstable_by_key(|(key, _)| *key);
        urgent.extend(rest);
        urgent.into_iter().map(|((class, _, _), c)| (class < 3, c)).collect()
    }

    /// Adds `changes` in order while they fit: urgent ones within `hard` bytes, the rest within
    /// the soft budget. Each change is costed as if its handle were coded whole (the most its
    /// gap to the previous one can take), so a second pass, from the exact size of the first,
    /// fills the room that estimate left.
    fn select(&mut self, snapshot: &mut Snapshot, changes: Vec<(bool, Change)>, in_view: &InView, hard: usize) {
        let soft_bits = self.soft_budget.min(hard) * 8;
        let hard_bits = hard * 8;
        let mut left = changes;
        for _pass in 0..2 {
            // The three list lengths may each grow by all that is left.
            let mut bits = encoded_bits(snapshot) + 3 * eg_bits(left.len() as u64) + 7;
            let mut skipped = Vec::new();
            for (urgent, change) in left {
                let limit = if urgent { hard_bits } else { soft_bits };
                match self.cost(&change, in_view) {
                    Some(cost) if bits + cost <= limit => bits += cost,
                    _ => {
                        skipped.push((urgent, change));
                        continue;
                    }
                }
                let sent = match change {
                    Change::Remove(h) => {
                        snapshot.removed.push(h);
                        continue;
                    }
                    Change::Spawn(id, hint) => {
                        let handle = self.tracks.assign(id).expect("costed with its handle");
                        snapshot.spawns.push(spawn_of(
                            handle,
                            in_view.get(id).expect("a change of an entity in view"),
                            hint,
                        ));
                        id
                    }
                    Change::Update(id, u) => {
                        snapshot.updates.push(u);
                        id
                    }
                };
                if let Some(track) = self.tracks.get_mut(sent) {
                    track.sent = Some(snapshot.tick);
                    track.waiting = None;
                }
            }
            snapshot.removed.sort_unstable();
            snapshot.spawns.sort_by_key(|s| s.handle);
            snapshot.updates.sort_by_key(|u| u.handle);
            if skipped.is_empty() {
                break;
            }
            left = skipped;
        }
    }

    /// The most bits `change` can add to a snapshot (`None`: no handle left for a spawn).
    fn cost(&mut self, change: &Change, in_view: &InView) -> Option<usize> {
        let mut c = BitCounter::default();
        match change {
            Change::Remove(h) => c.eg((*h).into(), 0),
            Change::Update(_, u) => {
                write_update(&mut c, u);
                c.eg(u.handle.into(), 0);
            }
            Change::Spawn(id, hint) => {
                let handle = self.tracks.assign(*id)?;
                write_spawn(&mut c, &spawn_of(handle, in_view.get(*id).expect("a change of an entity in view"), *hint));
                c.eg(handle.into(), 0);
            }
        }
        Some(c.bits)
    }

    /// Keeps `view` as a possible baseline.
    fn remember(&mut self, view: View, you: &OwnState) {
        let tick = view.tick;
        self.history.push_back(view);
        while self.history.len() > HISTORY {
            self.history.pop_front();
        }
        let oldest = self.history.front().map_or(tick, |v| v.tick);
        let newest = self.history.back().expect("just kept");
        self.tracks.end_of_snapshot(tick, newest.entities.keys(), oldest);
        self.last_you = Some((you.entity, you.body));
    }
}

/// The entities in view, sorted by id.
struct InView<'a>(Vec<&'a EntityState>);

impl<'a> InView<'a> {
    fn new(others: &[&'a EntityState]) -> Self {
        let mut sorted = others.to_vec();
        if !sorted.is_sorted_by_key(|e| e.id) {
            sorted.sort_unstable_by_key(|e| e.id);
        }
        InView(sorted)
    }

    fn get(&self, id: EntityId) -> Option<&'a EntityState> {
        self.0.binary_search_by_key(&id, |e| e.id).ok().map(|i| self.0[i])
    }
}

/// How far the extrapolation is off now, or will be a tick from now (the larger axis).
fn off_by(d: &MotionDelta) -> i32 {
    d.pos.abs().max_element().max((d.pos + d.vel).abs().max_element())
}

fn eg_bits(v: u64) -> usize {
    let mut c = BitCounter::default();
    c.eg(v, 0);
    c.bits
}

/// The spawn of `e` under `handle`, extrapolated with `hint`.
fn spawn_of(handle: Handle, e: &EntityState, hint: Hint) -> Spawn {
    Spawn {
        handle,
        id: e.id,
        kind: e.kind.clone(),
        max_hp: e.max_hp,
        motion: Motion { body: e.body, hint },
        hp: e.hp,
        pose: e.pose,
    }
}

#[cfg(test)]
pub(crate) mod tests;
