//! The frames one session builds its snapshots from: every tick the cell cache still holds of
//! the cells around its player. Sans-IO.
//!
//! A session woken a few ticks late (a busy machine, or a zone that published two ticks at
//! once after a stall) sends each held tick in turn instead of jumping to the newest, so the
//! client's snapshot stream stays tick-contiguous (up to `CATCH_UP_TICKS` late; later, the
//! stale ticks are skipped). [`in_transit`] names the ticks of a late
//! handoff, when no zone published the player, that are sent with its last seen state.

use mmo_protocol::{CellFrame, EntityState};
use mmo_world::{EntityId, Tick};
use std::sync::Arc;

/// Frames of some cells, several ticks per cell.
#[derive(Debug, Default)]
pub struct HeldFrames {
    frames: Vec<Arc<CellFrame>>,
}

impl HeldFrames {
    pub fn new(frames: Vec<Arc<CellFrame>>) -> Self {
        HeldFrames { frames }
    }

    /// The earliest frame after tick `after` and no later than `upto` that holds `entity`, with
    /// the entity's state in it. During a handoff the entity is in the old zone's frame of one
    /// tick and the new zone's frame of the next: each in turn.
    pub fn next_own(&self, entity: EntityId, after: Tick, upto: Tick) -> Option<(&Arc<CellFrame>, &EntityState)> {
        self.frames
            .iter()
            .filter(|f| f.tick > after && f.tick <= upto)
            .filter_map(|f| f.entities.binary_search_by_key(&entity, |e| e.id).ok().map(|i| (f, &f.entities[i])))
            .min_by_key(|(f, _)| f.tick)
    }

    /// Each cell's newest frame at or before `tick`: the world as the snapshot of `tick` shows it.
    pub fn at(&self, tick: Tick) -> Vec<&CellFrame> {
        let mut newest: Vec<&CellFrame> = self.frames.iter().filter(|f| f.tick <= tick).map(|f| &**f).collect();
        newest.sort_by_key(|f| (f.cell, std::cmp::Reverse(f.tick)));
        newest.dedup_by_key(|f| f.cell);
        newest
    }
}

/// The longest hole in the player's frames that [`in_transit`] fills.
pub const MAX_TRANSIT_TICKS: u64 = 2;

/// The ticks after the last snapshot and before `next` (the player's next frame) that no zone
/// published the player in, when that is a short hole right after it was last seen: a handoff
/// whose destination started a tick late (its tick ran before the transfer came in). The
/// player stood frozen in transit then, as last seen; those ticks are sent with that state so
/// the stream stays contiguous. Longer holes (a zone that died) are not filled.
pub fn in_transit(last_snapshot: Tick, last_seen: Option<Tick>, next: Tick) -> impl Iterator<Item = Tick> {
    let after = last_snapshot.0;
    let hole = next.0.saturating_sub(after + 1);
    let fill = last_seen == Some(last_snapshot) && (1..=MAX_TRANSIT_TICKS).contains(&hole);
    (after + 1..if fill { next.0 } else { after + 1 }).map(Tick)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::view::tests::npc as entity;
    use mmo_world::{CellId, Epoch, ZoneId};

    /// A frame of cell (`cell`, 0) (test fixture, also used by the cache's tests).
    pub(crate) fn frame(cell: u16, zone: u32, tick: u64, entities: Vec<EntityState>) -> Arc<CellFrame> {
        Arc::new(CellFrame::new(CellId::new(cell, 0), ZoneId(zone), Epoch(1), Tick(tick), entities))
    }

    #[test]
    fn a_late_session_gets_every_held_tick_in_order() {
        // Ticks 10 and 11 of two cells came in before the session woke; the last snapshot was 9.
        let held = HeldFrames::new(vec![
            frame(0, 1, 10, vec![entity(1, 0)]),
            frame(1, 1, 10, vec![entity(2, 5)]),
            frame(0, 1, 11, vec![entity(1, 1)]),
            frame(1, 1, 11, vec![entity(2, 6)]),
        ]);
        let mut sent = Vec::new();
        let mut last = Tick(9);
        while let Some((f, own)) = held.next_own(EntityId(1), last, Tick(11)) {
            let others: Vec<i32> = held.at(f.tick).iter().flat_map(|f| &f.entities).map(|e| e.body.pos.x).collect();
            sent.push((f.tick.0, own.body.pos.x, others));
            last = f.tick;
        }
        assert_eq!(sent, [(10, 0, vec![0, 5]), (11, 1, vec![1, 6])]);
    }

    #[test]
    fn a_handoff_is_followed_from_the_old_zone_to_the_new() {
        // Tick 10 in zone 1's cell, tick 11 in zone 2's.
        let held = HeldFrames::new(vec![
            frame(0, 1, 10, vec![entity(1, 0)]),
            frame(1, 2, 10, vec![]),
            frame(0, 1, 11, vec![]),
            frame(1, 2, 11, vec![entity(1, 1)]),
        ]);
        let (f, _) = held.next_own(EntityId(1), Tick(9), Tick(11)).unwrap();
        assert_eq!((f.tick, f.zone), (Tick(10), ZoneId(1)));
        let (f, _) = held.next_own(EntityId(1), Tick(10), Tick(11)).unwrap();
        assert_eq!((f.tick, f.zone), (Tick(11), ZoneId(2)));
        assert!(held.next_own(EntityId(1), Tick(11), Tick(11)).is_none());
    }

    #[test]
    fn a_short_hole_after_a_seen_tick_is_in_transit() {
        let ticks = |last, seen: Option<u64>, next| {
            in_transit(Tick(last), seen.map(Tick), Tick(next)).map(|t| t.0).collect::<Vec<_>>()
        };
        assert_eq!(ticks(10, Some(10), 11), Vec::<u64>::new(), "no hole");
        assert_eq!(ticks(10, Some(10), 12), [11]);
        assert_eq!(ticks(10, Some(10), 13), [11, 12]);
        assert_eq!(ticks(10, Some(10), 14), Vec::<u64>::new(), "too long: not a handoff");
        assert_eq!(ticks(10, Some(8), 12), Vec::<u64>::new(), "not seen at the last snapshot");
        assert_eq!(ticks(0, None, 500), Vec::<u64>::new(), "the first snapshot");
    }

    #[test]
    fn ticks_not_yet_announced_wait() {
        let held = HeldFrames::new(vec![frame(0, 1, 10, vec![entity(1, 0)]), frame(0, 1, 11, vec![entity(1, 1)])]);
        let (f, _) = held.next_own(EntityId(1), Tick(9), Tick(10)).unwrap();
        assert_eq!(f.tick, Tick(10));
        assert!(held.next_own(EntityId(1), Tick(10), Tick(10)).is_none());
        // A cell whose newest frame is older than the tick still shows in it.
        let held = HeldFrames::new(vec![frame(0, 1, 11, vec![entity(1, 0)]), frame(1, 1, 9, vec![entity(2, 0)])]);
        assert_eq!(held.at(Tick(11)).len(), 2);
        assert_eq!(held.at(Tick(10)).len(), 1);
    }
}
