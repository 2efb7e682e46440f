//! The client's snapshot stream: one snapshot per tick, built from the held frames as a delta
//! against the snapshot the client acked, encoded within the datagram budget. Sans-IO.
//!
//! Each completed tick since the last snapshot is sent in turn, oldest first, so a session
//! woken a little late still sends every tick (one woken more than [`CATCH_UP_TICKS`] late
//! sends the newest that many). The player's state comes from the frame of that tick
//! that holds it; a short hole right after it was seen (in transit during a late handoff,
//! [`in_transit`]) is sent with the last seen state. Entities in two frames (a handoff) are
//! shown once, newest.

use super::interest::{in_view, tile_of};
use crate::held::{in_transit, HeldFrames};
use crate::view::{ClientView, SharedExtrapolations};
use mmo_protocol::{CellFrame, EntityState, ErrorCode, OwnState, Snapshot};
use mmo_world::{EntityId, Tick, WorldGeometry, ZoneId};

/// The most ticks one wake of a session sends. A session woken later than this (the machine
/// overloaded, or stalled) skips the older ticks: they are stale by then, and building them
/// would spend the most work exactly when there is the least to spare. The client sees a gap
/// and carries on from its acknowledged view.
pub(super) const CATCH_UP_TICKS: u64 = 4;

/// A client whose newest ack is more than this many ticks (800 ms) behind the last snapshot
/// sent to it is not keeping up (its machine or link is overloaded): it gets a snapshot only every
/// [`THIN_EVERY`]th tick until its acks catch up. Sending it every tick would grow its deltas
/// (older baselines), the views kept for it and its own backlog, the work of both ends rising
/// exactly when neither has any to spare; thinned, it sees a lower rate and recovers.
pub(super) const LAGGING_ACK_TICKS: u64 = 16;
/// The tick period of a lagging client's snapshots.
pub(super) const THIN_EVERY: u64 = 4;

/// The player's entity as a zone published it.
#[derive(Clone, Debug)]
pub(super) struct Seen {
    pub(super) state: EntityState,
    pub(super) tick: Tick,
    pub(super) zone: ZoneId,
}

/// What was sent to one client and what it acknowledged.
#[derive(Debug)]
pub(super) struct Stream {
    entity: EntityId,
    view: ClientView,
    /// The newest snapshot the client confirmed rebuilding: the baseline of the next one.
    ack: Option<Tick>,
    last_snapshot: Tick,
    /// The player as last published, to fill a short hole and to re-create it if its zone dies.
    last_seen: Option<Seen>,
}

/// The snapshots of the ticks caught up with, and the newest frame holding the player.
#[derive(Debug)]
pub(super) struct CatchUp<'a> {
    /// Oldest first.
    pub(super) snapshots: Vec<Snapshot>,
    pub(super) newest: Option<Newest<'a>>,
}

/// The newest frame holding the player, with the frames of its tick (one per cell).
#[derive(Debug)]
pub(super) struct Newest<'a> {
    pub(super) frame: &'a CellFrame,
    pub(super) own: &'a EntityState,
    pub(super) frames: Vec<&'a CellFrame>,
}

impl Stream {
    /// The stream of `entity`'s player, extrapolating through the gateway's `extrapolations`.
    pub(super) fn new(entity: EntityId, extrapolations: SharedExtrapolations) -> Self {
        let view = ClientView::new(extrapolations);
        Stream { entity, view, ack: None, last_snapshot: Tick(0), last_seen: None }
    }

    /// Takes the ack of an input datagram: the newest snapshot the client has rebuilt. An ack
    /// of a snapshot not sent yet, or older than the one held, is ignored.
    pub(super) fn acknowledge(&mut self, ack: Option<Tick>) {
        if let Some(ack) = ack {
            if ack <= self.last_snapshot && self.ack.is_none_or(|a| ack > a) {
                self.ack = Some(ack);
            }
        }
    }

    /// The view the client rebuilds from the snapshot of `tick`, if it was sent.
    #[cfg(test)]
    pub(super) fn view_at(&self, tick: Tick) -> Option<&mmo_protocol::View> {
        self.view.view_at(tick)
    }

    /// The player as last published.
    pub(super) fn last_seen(&self) -> Option<&Seen> {
        self.last_seen.as_ref()
    }

    /// The snapshots of every tick after the last one sent, up to `complete`, in which a held
    /// frame holds the player (plus the in-transit ticks before such a tick), each at most
    /// `budget` bytes once encoded. Of a session more than [`CATCH_UP_TICKS`] behind, only
    /// the newest that many; of a client whose acks lag ([`LAGGING_ACK_TICKS`]), only every
    /// [`THIN_EVERY`]th tick.
    pub(super) fn catch_up<'a>(
        &mut self,
        held: &'a HeldFrames,
        complete: Tick,
        geometry: &WorldGeometry,
        budget: usize,
    ) -> CatchUp<'a> {
        let mut snapshots = Vec::new();
        let mut newest = None;
        let floor = Tick(complete.0.saturating_sub(CATCH_UP_TICKS));
        if self.last_snapshot < floor {
            if self.last_snapshot > Tick(0) {
                metrics::counter!("mmo_gateway_stale_ticks_skipped_total").increment(floor.0 - self.last_snapshot.0);
            }
            self.last_snapshot = floor;
        }
        let lagging = self.ack.is_some_and(|ack| self.last_snapshot.0.saturating_sub(ack.0) > LAGGING_ACK_TICKS);
        let sends = |tick: Tick| !lagging || tick.0.is_multiple_of(THIN_EVERY);
        let mut thinned = 0;
        while let Some((frame, own)) = held.next_own(self.entity, self.last_snapshot, complete) {
            let seen = Seen { state: own.clone(), tick: frame.tick, zone: frame.zone };
            let last_seen = self.last_seen.as_ref().map(|s| s.tick);
            for tick in in_transit(self.last_snapshot, last_seen, seen.tick) {
                let last = self.last_seen.clone().expect("in transit after a tick it was seen");
                metrics::counter!("mmo_gateway_in_transit_ticks_total").increment(1);
                if sends(tick) {
                    snapshots.push(self.build(tick, &last, &held.at(tick), geometry, budget));
                } else {
                    thinned += 1;
                }
            }
            let frames = held.at(seen.tick);
            if sends(seen.tick) {
                snapshots.push(self.build(seen.tick, &seen, &frames, geometry, budget));
            } else {
                thinned += 1;
            }
            self.last_snapshot = seen.tick;
            self.last_seen = Some(seen);
            newest = Some(Newest { frame, own, frames });
        }
        if thinned > 0 {
            metrics::counter!("mmo_gateway_thinned_ticks_total").increment(thinned);
        }
        CatchUp { snapshots, newest }
    }

    /// The snapshot of `tick`: the player as `seen` and the entities in view in `frames` (each
    /// cell's newest frame up to that tick), as a delta against the client's ack.
    fn build(
        &mut self,
        tick: Tick,
        seen: &Seen,
        frames: &[&CellFrame],
        geometry: &WorldGeometry,
        budget: usize,
    ) -> Snapshot {
        let own = &seen.state;
        let tile = tile_of(own.body.pos);
        let mut others: Vec<_> = frames
            .iter()
            .enumerate()
            .flat_map(|(i, f)| f.entities.iter().map(move |e| (f.tick, i, e)))
            .filter(|(_, _, e)| e.id != self.entity && in_view(tile, e.body.pos))
            .collect();
        // An entity in handoff can be in two frames (two ticks): keep its newest state (of the
        // first frame given, if both are of one tick).
        others.sort_unstable_by_key(|(t, i, e)| (e.id, std::cmp::Reverse(*t), *i));
        others.dedup_by_key(|(_, _, e)| e.id);
        let others: Vec<_> = others.into_iter().map(|(_, _, e)| e).collect();
        let you = OwnState {
            entity: own.id,
            last_input_seq: own.last_input_seq,
            body: own.body,
            hp: own.hp,
            max_hp: own.max_hp,
            xp: own.xp,
            level: own.level,
            pose: own.pose,
            cell: geometry.cell_of_pos(own.body.pos),
            zone: seen.zone,
        };
        self.view.build(tick, you, &others, self.ack, budget)
    }
}

/// The datagram carrying `snapshot`; an encoding over `budget` is an internal error.
pub(super) fn encode(snapshot: Snapshot, budget: usize) -> Result<Vec<u8>, ErrorCode> {
    let bytes = mmo_protocol::snapshot::wire::encode(&snapshot);
    if bytes.len() > budget {
        return Err(ErrorCode::Internal);
    }
    Ok(bytes)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::held::tests::frame;
    use crate::view::tests::npc;
    use mmo_protocol::limits::MAX_SNAPSHOT_BYTES;
    use mmo_protocol::View;
    use std::sync::Arc;

    /// The player (entity 1) at `x`, having sent inputs up to `seq`.
    pub(in crate::session) fn player(x: i32, seq: u32) -> EntityState {
        let mut own = npc(1, x);
        own.last_input_seq = seq;
        own
    }

    fn geometry() -> WorldGeometry {
        WorldGeometry::default()
    }

    fn ticks(c: &CatchUp) -> Vec<u64> {
        c.snapshots.iter().map(|s| s.tick.0).collect()
    }

    /// Ticks 1..=`upto` of one cell of zone 1 holding the player at x = tick and `others`.
    fn cell_ticks(upto: u64, others: impl Fn(u64) -> Vec<EntityState>) -> HeldFrames {
        let frames: Vec<Arc<CellFrame>> = (1..=upto)
            .map(|t| {
                let mut entities = others(t);
                entities.push(player(t as i32, t as u32));
                entities.sort_by_key(|e| e.id);
                frame(0, 1, t, entities)
            })
            .collect();
        HeldFrames::new(frames)
    }

    #[test]
    fn an_input_ack_selects_the_baseline_of_the_next_snapshot() {
        let held = cell_ticks(4, |_| vec![npc(7, 100)]);
        let mut stream = Stream::new(EntityId(1), Default::default());
        let first = stream.catch_up(&held, Tick(2), &geometry(), MAX_SNAPSHOT_BYTES);
        assert_eq!(first.snapshots.iter().map(|s| s.baseline).collect::<Vec<_>>(), [None, None], "no ack yet");
        // The client rebuilt tick 1 (tick 2 was lost).
        stream.acknowledge(Some(Tick(1)));
        // An ack of a snapshot not sent yet is ignored.
        stream.acknowledge(Some(Tick(3)));
        let next = stream.catch_up(&held, Tick(3), &geometry(), MAX_SNAPSHOT_BYTES);
        assert_eq!(next.snapshots[0].baseline, Some(Tick(1)));
        // An older ack than the one held does not go back.
        stream.acknowledge(Some(Tick(3)));
        stream.acknowledge(Some(Tick(2)));
        let last = stream.catch_up(&held, Tick(4), &geometry(), MAX_SNAPSHOT_BYTES);
        assert_eq!(last.snapshots[0].baseline, Some(Tick(3)));
    }

    #[test]
    fn a_session_woken_too_late_skips_the_stale_ticks_and_stays_in_step() {
        let held = cell_ticks(8, |_| Vec::new());
        let mut stream = Stream::new(EntityId(1), Default::default());
        let first = stream.catch_up(&held, Tick(1), &geometry(), MAX_SNAPSHOT_BYTES);
        stream.acknowledge(Some(Tick(1)));
        assert_eq!(ticks(&first), [1]);
        let late = stream.catch_up(&held, Tick(8), &geometry(), MAX_SNAPSHOT_BYTES);
        assert_eq!(ticks(&late), [5, 6, 7, 8], "only the newest {CATCH_UP_TICKS}");
        assert_eq!(late.snapshots[0].baseline, Some(Tick(1)), "still a delta against the acked view");
        let rebuilt = View::apply(stream.view_at(Tick(1)), &late.snapshots[0]).expect("applies");
        assert_eq!(Some(&rebuilt), stream.view_at(Tick(5)));
    }

    #[test]
    fn a_client_whose_acks_lag_gets_every_fourth_tick_until_they_catch_up() {
        let held = cell_ticks(40, |t| vec![npc(7, 100 + t as i32)]);
        let mut stream = Stream::new(EntityId(1), Default::default());
        let mut sent = Vec::new();
        for tick in 1..=40 {
            let caught = stream.catch_up(&held, Tick(tick), &geometry(), MAX_SNAPSHOT_BYTES);
            sent.extend(ticks(&caught));
            assert_eq!(caught.newest.map(|n| n.frame.tick), Some(Tick(tick)), "the player is followed every tick");
            // The client acks tick 2, then nothing until tick 30, when it has caught up.
            match tick {
                2 => stream.acknowledge(Some(Tick(2))),
                30.. => stream.acknowledge(sent.last().copied().map(Tick)),
                _ => {}
            }
        }
        // Lagging from tick 20 (the last sent, 19, is 17 past the ack); the ack of 28 ends it.
        let expected: Vec<u64> = (1..=20).chain([24, 28]).chain(31..=40).collect();
        assert_eq!(sent, expected, "every tick while acks keep up; every 4th while they lag");
        // What was sent still rebuilds on the acked view.
        let late = stream.view_at(Tick(40)).expect("sent");
        assert_eq!(late.entities.values().next().map(|k| k.motion.body.pos.x), Some(140));
    }

    #[test]
    fn every_tick_since_the_last_snapshot_is_sent_oldest_first() {
        let held = cell_ticks(4, |_| Vec::new());
        let mut stream = Stream::new(EntityId(1), Default::default());
        assert_eq!(ticks(&stream.catch_up(&held, Tick(1), &geometry(), MAX_SNAPSHOT_BYTES)), [1]);
        // Woken late: ticks 2 to 4 were completed meanwhile.
        let late = stream.catch_up(&held, Tick(4), &geometry(), MAX_SNAPSHOT_BYTES);
        assert_eq!(ticks(&late), [2, 3, 4]);
        assert_eq!(late.newest.map(|n| n.frame.tick), Some(Tick(4)));
        let again = stream.catch_up(&held, Tick(4), &geometry(), MAX_SNAPSHOT_BYTES);
        assert!(again.snapshots.is_empty() && again.newest.is_none(), "nothing new");
    }

    #[test]
    fn a_crowded_snapshot_stays_within_the_budget_and_holds_the_player_exactly() {
        // 300 NPCs around the player: far more than one datagram holds.
        let held = cell_ticks(3, |t| (2..302).map(|i| npc(i, (i as i32 - 150) * 40 + t as i32)).collect());
        let mut stream = Stream::new(EntityId(1), Default::default());
        for budget in [MAX_SNAPSHOT_BYTES, 600] {
            let caught = stream.catch_up(&held, Tick(3), &geometry(), budget);
            for s in caught.snapshots {
                let tick = s.tick;
                let view = stream.view_at(tick).expect("sent");
                assert!(!view.entities.is_empty(), "some entities fit");
                assert!(view.entities.len() < 300, "not all of them fit");
                assert_eq!(view.you.entity, EntityId(1));
                assert_eq!(view.you.body.pos.x, tick.0 as i32, "the player's own state, exact");
                assert_eq!(view.you.last_input_seq, tick.0 as u32);
                let bytes = encode(s, budget).expect("fits the budget");
                assert!(bytes.len() <= budget, "tick {tick}: {} bytes over {budget}", bytes.len());
            }
            stream = Stream::new(EntityId(1), Default::default());
        }
    }

    #[test]
    fn a_snapshot_too_big_for_the_budget_is_an_internal_error() {
        let held = cell_ticks(1, |_| (2..50).map(|i| npc(i, i as i32)).collect());
        let mut stream = Stream::new(EntityId(1), Default::default());
        let s = stream.catch_up(&held, Tick(1), &geometry(), MAX_SNAPSHOT_BYTES).snapshots.remove(0);
        assert_eq!(encode(s, 40), Err(ErrorCode::Internal));
    }

    #[test]
    fn the_player_and_entities_out_of_view_are_not_listed_as_others() {
        let far = 1000 << mmo_world::physics::SUB_SHIFT;
        let held = cell_ticks(1, |_| vec![npc(5, 10), npc(6, far)]);
        let mut stream = Stream::new(EntityId(1), Default::default());
        stream.catch_up(&held, Tick(1), &geometry(), MAX_SNAPSHOT_BYTES);
        let view = stream.view_at(Tick(1)).expect("sent");
        assert_eq!(view.entities.values().map(|k| k.id).collect::<Vec<_>>(), [EntityId(5)]);
    }

    #[test]
    fn a_handoff_hole_is_filled_with_the_last_seen_state_and_shows_each_entity_once() {
        // The player is in zone 1's cell at tick 10, in no frame at 11 (in transit), in zone
        // 2's cell at 12. NPC 5 crossed too: zone 1's newest frame of tick 11 (its tick 10)
        // still shows it, zone 2 shows it from tick 11.
        let tile = 1 << mmo_world::physics::SUB_SHIFT;
        let held = HeldFrames::new(vec![
            frame(0, 1, 10, vec![player(10, 3), npc(5, tile)]),
            frame(1, 2, 11, vec![npc(5, 2 * tile)]),
            frame(0, 1, 12, vec![]),
            frame(1, 2, 12, vec![player(12, 4), npc(5, 3 * tile)]),
        ]);
        let mut stream = Stream::new(EntityId(1), Default::default());
        stream.catch_up(&held, Tick(10), &geometry(), MAX_SNAPSHOT_BYTES);
        let caught = stream.catch_up(&held, Tick(12), &geometry(), MAX_SNAPSHOT_BYTES);
        assert_eq!(ticks(&caught), [11, 12]);
        let (hole, after) = (stream.view_at(Tick(11)).unwrap(), stream.view_at(Tick(12)).unwrap());
        assert_eq!((hole.you.body.pos.x, hole.you.zone), (10, ZoneId(1)), "as last seen, frozen");
        assert_eq!((after.you.body.pos.x, after.you.zone), (12, ZoneId(2)));
        let npc5: Vec<_> = hole.entities.values().filter(|k| k.id == EntityId(5)).map(|k| k.motion.body).collect();
        assert_eq!(npc5, [npc(5, 2 * tile).body], "once, as tick 11 shows it");
        let newest = caught.newest.expect("seen at tick 12");
        assert_eq!((newest.frame.zone, newest.own.body.pos.x), (ZoneId(2), 12));
    }
}
