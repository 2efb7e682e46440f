//! One bot's measurements, sans-IO (times are passed in): input round trips, snapshot gaps,
//! cell crossings and zone handoffs. A move to another gateway starts a new session: the
//! ticks skipped across it are reported apart ([`SnapshotOutcome::skipped_by_move`]), not as
//! a gap of one session.
//!
//! # Round trips
//! Input `seq` is due at a fixed schedule (one per 50 ms tick). Its round trip ends at the
//! first snapshot whose `you.last_input_seq >= seq`. It is measured from when the input was
//! *due*, not from when it went out, so a bot that falls behind its schedule (a busy machine)
//! shows up in the numbers instead of quietly sending less: the correction for coordinated
//! omission of open-loop load generators (wrk2). The uncorrected time from the actual send is
//! kept as `raw`.

use mmo_protocol::OwnState;
use mmo_world::{CellId, Tick, ZoneId};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Inputs awaiting their snapshot, at most (10 s at 20 Hz).
const MAX_PENDING: usize = 200;

#[derive(Clone, Copy, Debug)]
struct Pending {
    seq: u32,
    due: Instant,
    sent: Instant,
}

/// What one snapshot showed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SnapshotOutcome {
    /// Ticks skipped before this snapshot (a gap), 0 if none.
    pub missed: u64,
    /// The snapshot was older than (or equal to) one received before.
    pub late: bool,
    pub crossed_cell: bool,
    pub handed_off: bool,
    /// Ticks skipped between the last snapshot of the session before a gateway move and this
    /// first one of the session after it.
    pub skipped_by_move: u64,
}

#[derive(Debug, Default)]
pub struct Tracker {
    last_tick: Option<Tick>,
    cell: Option<CellId>,
    zone: Option<ZoneId>,
    pending: VecDeque<Pending>,
    /// A gateway move happened since the last snapshot.
    moved: bool,
    /// Inputs dropped from `pending` unconfirmed (it was full).
    pub unconfirmed: u64,
}

impl Tracker {
    /// Records that input `seq`, due at `due`, went out at `sent`.
    pub fn input_sent(&mut self, seq: u32, due: Instant, sent: Instant) {
        if self.pending.len() == MAX_PENDING {
            self.pending.pop_front();
            self.unconfirmed += 1;
        }
        self.pending.push_back(Pending { seq, due, sent });
    }

    /// The bot moved to another gateway: a new session, whose inputs count from 1 again. The
    /// inputs of the old one awaiting their snapshot will never be confirmed.
    pub fn moved(&mut self) {
        self.unconfirmed += self.pending.len() as u64;
        self.pending.clear();
        self.moved = true;
    }

    /// Takes in a snapshot received at `now`; calls `rtt(corrected, raw)` for each input it
    /// confirms.
    pub fn snapshot(
        &mut self,
        tick: Tick,
        you: &OwnState,
        now: Instant,
        mut rtt: impl FnMut(Duration, Duration),
    ) -> SnapshotOutcome {
        let mut out = SnapshotOutcome::default();
        while let Some(p) = self.pending.front().copied().filter(|p| p.seq <= you.last_input_seq) {
            self.pending.pop_front();
            rtt(now.saturating_duration_since(p.due), now.saturating_duration_since(p.sent));
        }
        match self.last_tick {
            Some(prev) if tick <= prev => {
                out.late = true;
                return out;
            }
            Some(prev) if self.moved => out.skipped_by_move = tick.0 - prev.0 - 1,
            Some(prev) => out.missed = tick.0 - prev.0 - 1,
            None => {}
        }
        self.moved = false;
        self.last_tick = Some(tick);
        out.crossed_cell = self.cell.is_some_and(|c| c != you.cell);
        out.handed_off = self.zone.is_some_and(|z| z != you.zone);
        self.cell = Some(you.cell);
        self.zone = Some(you.zone);
        out
    }

    pub fn last_tick(&self) -> Option<Tick> {
        self.last_tick
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmo_world::{Body, EntityId};

    fn you(seq: u32, cell: u16, zone: u32) -> OwnState {
        OwnState {
            entity: EntityId(1),
            last_input_seq: seq,
            body: Body::default(),
            hp: 100,
            max_hp: 100,
            xp: 0,
            level: 1,
            pose: 0,
            cell: CellId::new(cell, 0),
            zone: ZoneId(zone),
        }
    }

    #[test]
    fn counts_gaps_and_ignores_late_snapshots() {
        let mut t = Tracker::default();
        let now = Instant::now();
        let mut feed = |tick| t.snapshot(Tick(tick), &you(0, 0, 1), now, |_, _| {});
        assert_eq!(feed(100).missed, 0);
        assert_eq!(feed(101).missed, 0);
        assert_eq!(feed(104).missed, 2, "102 and 103 never came");
        let late = feed(103);
        assert!(late.late && late.missed == 0);
        assert!(feed(104).late, "a duplicate is late, not a gap");
        assert_eq!(feed(105).missed, 0, "a late snapshot does not move the last tick back");
    }

    #[test]
    fn a_gateway_move_is_no_gap_but_later_gaps_are() {
        let mut t = Tracker::default();
        let now = Instant::now();
        t.input_sent(7, now, now);
        assert_eq!(t.snapshot(Tick(10), &you(0, 0, 1), now, |_, _| {}).missed, 0);
        t.moved();
        assert_eq!(t.unconfirmed, 1, "the old session's input is given up");
        let first = t.snapshot(Tick(16), &you(0, 0, 1), now, |_, _| {});
        assert_eq!((first.missed, first.skipped_by_move), (0, 5));
        let gap = t.snapshot(Tick(18), &you(0, 0, 1), now, |_, _| {});
        assert_eq!((gap.missed, gap.skipped_by_move), (1, 0), "a gap within the new session counts");
    }

    #[test]
    fn crossings_and_handoffs() {
        let mut t = Tracker::default();
        let now = Instant::now();
        assert_eq!(t.snapshot(Tick(1), &you(0, 0, 1), now, |_, _| {}), SnapshotOutcome::default());
        let o = t.snapshot(Tick(2), &you(0, 1, 1), now, |_, _| {});
        assert!(o.crossed_cell && !o.handed_off);
        let o = t.snapshot(Tick(3), &you(0, 2, 2), now, |_, _| {});
        assert!(o.crossed_cell && o.handed_off);
    }

    #[test]
    fn round_trips_count_from_the_due_time() {
        let mut t = Tracker::default();
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        // Input 1 due at 0 but sent 30 ms late; input 2 due at 50 and sent on time.
        t.input_sent(1, t0, t0 + ms(30));
        t.input_sent(2, t0 + ms(50), t0 + ms(50));
        let mut rtts = Vec::new();
        t.snapshot(Tick(1), &you(0, 0, 1), t0 + ms(60), |c, r| rtts.push((c, r)));
        assert!(rtts.is_empty(), "nothing applied yet");
        t.snapshot(Tick(2), &you(2, 0, 1), t0 + ms(100), |c, r| rtts.push((c, r)));
        assert_eq!(rtts, [(ms(100), ms(70)), (ms(50), ms(50))]);
    }

    #[test]
    fn pending_inputs_are_bounded() {
        let mut t = Tracker::default();
        let now = Instant::now();
        for seq in 1..=(MAX_PENDING as u32 + 5) {
            t.input_sent(seq, now, now);
        }
        assert_eq!(t.unconfirmed, 5);
    }
}
