//! Rollbacks of a bot's own character, sans-IO (times are passed in): movement progress lost
//! when the character comes back from an older state (its zone was killed and it was restored
//! elsewhere from a checkpoint, or its gateway was lost and it resumed from an older save).
//!
//! [`RollbackWatch`] keeps the last [`HISTORY`] of the character's positions, one per snapshot
//! with its arrival time, tick and newest applied input, and the buttons of the inputs the bot
//! sent. Each new position is judged against the previous one; it *jumped* if no movement could
//! have carried it there:
//!
//! - **In the ticks elapsed**: farther, on either axis, than [`Body::step`](mmo_world::Body::step)
//!   can carry a body in the steps possible since the previous snapshot (one per tick, plus
//!   [`CATCH_UP_STEPS`] a zone may take at once after late inputs): at most [`RUN_SPEED`]
//!   sideways, [`MAX_FALL`] down and [`JUMP_SPEED`] up per step, plus [`MARGIN`].
//! - **By the inputs applied**: a zone moves a living player only by its inputs, one step per
//!   input, and the snapshot says the newest it applied (`last_input_seq`). The inputs applied
//!   since the previous snapshot can carry the body sideways at most [`RUN_SPEED`] per step held
//!   that way, plus [`TAIL`] of momentum per run of such steps (and one before them), and
//!   vertically as above per step; an input number that went back (a restore from an older
//!   state) allows no step at all. This bound sees a rollback across an outage, which the first
//!   cannot (the distance lost was walked in less time than the outage lasted) as long as the
//!   bot was not pressing back towards where it came from; an outage in which the zone kept
//!   applying the inputs and the character really walked back (only its snapshots were lost) is
//!   no jump.
//!
//! A walk, a jump, a fall, a zone handoff, lost snapshots and a respawn (dead in the previous
//! snapshot, alive now) are no jumps; a dead body (it falls without inputs) is judged by the
//! ticks only. A jump is reported as a [`Rollback`]: how far (tiles) and, if the new position
//! is within [`MATCH`] of a place in the history, the progress lost: the time from when the
//! character last stood there to the last snapshot before the jump (the outage itself is
//! reported apart). The history survives the jump and gateway moves
//! ([`RollbackWatch::new_session`]): a later rollback may go back to a place from before it.

use glam::IVec2;
use mmo_world::physics::{AIR_ACCEL, JUMP_SPEED, MAX_FALL, RUN_SPEED, SUB};
use mmo_world::{Buttons, Tick};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How far back positions are kept.
pub const HISTORY: Duration = Duration::from_secs(15);
/// Positions kept at most, whatever their times (15 s at 20 Hz is 300).
const MAX_ENTRIES: usize = 1024;
/// Buttons of the inputs sent kept at most (25 s at 20 Hz): enough for the inputs between two
/// snapshots across an outage.
const MAX_INPUTS: usize = 512;
/// Steps a zone may take at once for a player whose inputs came late, beyond one per tick
/// (`MAX_STEPS_PER_TICK` of `zone-server/core/src/input.rs`).
pub const CATCH_UP_STEPS: u64 = 5;
/// Slack on the bounds (sub-units): half a tile.
pub const MARGIN: i64 = SUB as i64 / 2;
/// The most a body slides on after it stops pressing a direction (sub-units): from
/// [`RUN_SPEED`], slowing by at least [`AIR_ACCEL`] a step.
pub const TAIL: i64 = {
    let (mut v, mut sum) = (RUN_SPEED - AIR_ACCEL, 0);
    while v > 0 {
        sum += v;
        v -= AIR_ACCEL;
    }
    sum as i64
};
/// How close a new position must be to an earlier one to be taken as a return there (half a
/// tile, sub-units).
pub const MATCH: i64 = SUB as i64 / 2;

/// One snapshot's position.
#[derive(Clone, Copy, Debug)]
struct Seen {
    at: Instant,
    tick: Tick,
    pos: IVec2,
    alive: bool,
    /// The newest input applied, numbered across sessions (see [`RollbackWatch::sent`]); `None`
    /// if the snapshot's number was not one this bot sent.
    input: Option<u64>,
    /// It came by a jump (no path from the one before).
    jumped: bool,
}

/// A jump of the character's own position.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rollback {
    /// Progress lost: from when the character last stood at its new position to the last
    /// snapshot before the jump; `None` if it never stood there within [`HISTORY`].
    pub seconds: Option<f64>,
    /// Length of the jump, in tiles.
    pub tiles: f64,
    /// Time between the last snapshot before the jump and the one after it.
    pub outage_s: f64,
    /// Ticks between those two snapshots.
    pub ticks: u64,
}

/// One bot's position history, inputs and jump detection.
#[derive(Debug, Default)]
pub struct RollbackWatch {
    history: VecDeque<Seen>,
    /// Buttons of the newest inputs sent, oldest first; the last is input [`Self::sent`].
    inputs: VecDeque<u8>,
    /// Inputs sent, over every session: input `n` (from 1) of this count is the session's
    /// input `n - session_base`.
    sent: u64,
    session_base: u64,
}

impl RollbackWatch {
    /// The bot sent its session's next input (sequence numbers count up by one from 1).
    pub fn input_sent(&mut self, buttons: u8) {
        if self.inputs.len() == MAX_INPUTS {
            self.inputs.pop_front();
        }
        self.inputs.push_back(buttons);
        self.sent += 1;
    }

    /// A new session (a gateway move): its inputs count from 1 again. Positions are kept.
    pub fn new_session(&mut self) {
        self.session_base = self.sent;
    }

    /// Takes in the position of a snapshot of `tick` received at `at` (`alive`: the character
    /// has hit points; `last_input_seq`: the newest input of this session the zone applied);
    /// returns the jump it shows, if any. Snapshots not newer than the last one are ignored.
    pub fn observe(
        &mut self,
        at: Instant,
        tick: Tick,
        pos: IVec2,
        alive: bool,
        last_input_seq: u32,
    ) -> Option<Rollback> {
        let prev = self.history.back().copied();
        if prev.is_some_and(|p| tick <= p.tick) {
            return None;
        }
        let input = Some(self.session_base + u64::from(last_input_seq)).filter(|&n| n <= self.sent);
        let mut seen = Seen { at, tick, pos, alive, input, jumped: false };
        let jump = prev.and_then(|p| self.judge(p, seen));
        // A respawn is no path either.
        seen.jumped = jump.is_some() || prev.is_some_and(|p| alive && !p.alive);
        self.history.push_back(seen);
        while self.history.len() > MAX_ENTRIES
            || self.history.front().is_some_and(|f| at.saturating_duration_since(f.at) > HISTORY)
        {
            self.history.pop_front();
        }
        jump
    }

    /// The tick of the newest snapshot taken in.
    pub fn last_tick(&self) -> Option<Tick> {
        self.history.back().map(|s| s.tick)
    }

    /// Positions held now.
    pub fn len(&self) -> usize {
        self.history.len()
    }

    pub fn is_empty(&self) -> bool {
        self.history.is_empty()
    }

    fn judge(&self, prev: Seen, now: Seen) -> Option<Rollback> {
        if now.alive && !prev.alive {
            return None;
        }
        let ticks = now.tick.since(prev.tick);
        let by_inputs = || {
            let both_alive = prev.alive && now.alive;
            both_alive
                && self.applied(prev.input, now.input).is_some_and(|steps| beyond_inputs(prev.pos, now.pos, steps))
        };
        let jumped = beyond_physics(prev.pos, now.pos, ticks) || by_inputs();
        if !jumped {
            return None;
        }
        let seconds = self.last_held(now.pos).map(|at| prev.at.saturating_duration_since(at).as_secs_f64());
        Some(Rollback {
            seconds,
            tiles: distance(prev.pos, now.pos) / f64::from(SUB),
            outage_s: now.at.saturating_duration_since(prev.at).as_secs_f64(),
            ticks,
        })
    }

    /// When the character last stood within [`MATCH`] of `pos`: on the path between two
    /// snapshots in a row (a straight line; a fast fall moves more than [`MATCH`] a tick), or at
    /// a snapshot if a jump came between them.
    fn last_held(&self, pos: IVec2) -> Option<Instant> {
        let near = |a: &Seen| (!farther(a.pos, pos, MATCH)).then_some(a.at);
        for (i, b) in self.history.iter().enumerate().rev() {
            let Some(a) = i.checked_sub(1).and_then(|i| self.history.get(i)) else { return near(b) };
            if b.jumped {
                if let Some(at) = near(b) {
                    return Some(at);
                }
                continue;
            }
            let (ab, ap) = ((b.pos - a.pos).as_dvec2(), (pos - a.pos).as_dvec2());
            let u = if ab == glam::DVec2::ZERO { 1.0 } else { (ap.dot(ab) / ab.length_squared()).clamp(0.0, 1.0) };
            if (ap - ab * u).length() <= MATCH as f64 {
                return Some(a.at + b.at.saturating_duration_since(a.at).mul_f64(u));
            }
        }
        None
    }

    /// The buttons of the inputs applied after input `from` up to input `to` (a superset: some
    /// may have been skipped or lost); `None` if either is unknown or no longer held.
    fn applied(&self, from: Option<u64>, to: Option<u64>) -> Option<impl Iterator<Item = Buttons> + '_> {
        let (from, to) = (from?, to?);
        let oldest_held = self.sent - self.inputs.len() as u64;
        if from < oldest_held {
            return None;
        }
        let skip = (from - oldest_held) as usize;
        let take = to.saturating_sub(from) as usize;
        Some(self.inputs.iter().skip(skip).take(take).map(|&b| Buttons(b)))
    }
}

/// Whether no body could move from `from` to `to` in `ticks` ticks.
pub fn beyond_physics(from: IVec2, to: IVec2, ticks: u64) -> bool {
    let steps = i64::try_from(ticks.saturating_add(CATCH_UP_STEPS)).unwrap_or(i64::MAX);
    let reach = |per_step: i32| i64::from(per_step).saturating_mul(steps).saturating_add(MARGIN);
    let dx = i64::from(to.x) - i64::from(from.x);
    let dy = i64::from(to.y) - i64::from(from.y);
    // y grows downwards: falling is positive.
    dx.abs() > reach(RUN_SPEED) || dy > reach(MAX_FALL) || -dy > reach(JUMP_SPEED)
}

/// Whether no living body could move from `from` to `to` by stepping through `steps`.
fn beyond_inputs(from: IVec2, to: IVec2, steps: impl Iterator<Item = Buttons>) -> bool {
    // Per direction (left, right): steps held that way and runs of them.
    let (mut count, mut held, mut runs) = (0_i64, [0_i64; 2], [0_i64; 2]);
    let mut last = 0;
    for b in steps {
        count += 1;
        let d = b.direction();
        if d != 0 {
            let i = usize::from(d > 0);
            held[i] += 1;
            runs[i] += i64::from(d != last);
        }
        last = d;
    }
    // Each run slides on after it, and so may the body at the start (if it steps at all).
    let slides = |i: usize| runs[i] + i64::from(count > 0);
    let sideways = |i: usize| i64::from(RUN_SPEED) * held[i] + TAIL * slides(i) + MARGIN;
    let dx = i64::from(to.x) - i64::from(from.x);
    let dy = i64::from(to.y) - i64::from(from.y);
    let reach = |per_step: i32| i64::from(per_step) * count + MARGIN;
    -dx > sideways(0) || dx > sideways(1) || dy > reach(MAX_FALL) || -dy > reach(JUMP_SPEED)
}

fn distance(a: IVec2, b: IVec2) -> f64 {
    (b - a).as_dvec2().length()
}

/// Whether `b` lies more than `limit` sub-units from `a`.
fn farther(a: IVec2, b: IVec2, limit: i64) -> bool {
    let dx = i64::from(b.x) - i64::from(a.x);
    let dy = i64::from(b.y) - i64::from(a.y);
    dx * dx + dy * dy > limit * limit
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmo_world::{Body, Tile, TileSource};

    /// Ground at row 20 left of column 300; right of it a pit with no bottom.
    struct Land;

    impl TileSource for Land {
        fn tile(&self, x: i32, y: i32) -> Tile {
            if x < 0 || (x < 300 && y >= 20) {
                Tile::Solid
            } else {
                Tile::Empty
            }
        }
    }

    const TICK: Duration = Duration::from_millis(50);
    const RIGHT: Buttons = Buttons(Buttons::RIGHT);
    const LEFT: Buttons = Buttons(Buttons::LEFT);

    /// A bot and the zone simulating its character: one input sent a tick, applied by the zone
    /// as the test says (none while late, several to catch up).
    struct Sim {
        watch: RollbackWatch,
        body: Body,
        queue: VecDeque<(u32, Buttons)>,
        sent: u32,
        applied: u32,
        t0: Instant,
        tick: u32,
        path: Vec<(u32, IVec2)>,
    }

    impl Sim {
        fn new(x: i32) -> Sim {
            let mut body = Body::at(IVec2::new(x * SUB, 19 * SUB));
            for _ in 0..20 {
                body = body.step(Buttons::default(), &Land);
            }
            assert!(body.on_ground);
            let t0 = Instant::now();
            Sim {
                watch: RollbackWatch::default(),
                body,
                queue: VecDeque::new(),
                sent: 0,
                applied: 0,
                t0,
                tick: 0,
                path: Vec::new(),
            }
        }

        fn at(&self, tick: u32) -> Instant {
            self.t0 + TICK * tick
        }

        /// One tick: the bot sends `buttons`, the zone takes up to `steps` queued inputs.
        fn tick(&mut self, buttons: Buttons, steps: usize) {
            self.sent += 1;
            self.watch.input_sent(buttons.0);
            self.queue.push_back((self.sent, buttons));
            for _ in 0..steps {
                let Some((seq, b)) = self.queue.pop_front() else { break };
                self.body = self.body.step(b, &Land);
                self.applied = seq;
            }
            self.tick += 1;
            self.path.push((self.tick, self.body.pos));
        }

        /// A snapshot of now, as the zone sees the character.
        fn snapshot(&mut self) -> Option<Rollback> {
            self.show(self.body.pos, self.applied)
        }

        /// A snapshot of now showing `pos` and `seq`.
        fn show(&mut self, pos: IVec2, seq: u32) -> Option<Rollback> {
            self.watch.observe(self.at(self.tick), Tick(u64::from(self.tick)), pos, true, seq)
        }

        /// Walks `ticks` pressing `buttons`, a snapshot each tick, none a jump.
        fn walk(&mut self, buttons: Buttons, ticks: u32) {
            for _ in 0..ticks {
                self.tick(buttons, 1);
                assert_eq!(self.snapshot(), None, "tick {}", self.tick);
            }
        }

        /// Where the character stood `ago` ticks before now.
        fn stood(&self, ago: usize) -> IVec2 {
            self.path[self.path.len() - 1 - ago].1
        }
    }

    #[test]
    fn running_turning_jumping_and_falling_at_full_speed_is_no_jump() {
        for every in [1, 3, 7] {
            let mut sim = Sim::new(150);
            let mut fell_fast = false;
            for t in 0..1200u32 {
                // Run left and right, jumping whenever on the ground, turning every 1.5 s, then
                // off the edge into the pit; every tenth tick the inputs come late and the zone
                // catches up five at once.
                let way = if t >= 600 || (t / 30) % 2 == 0 { Buttons::RIGHT } else { Buttons::LEFT };
                let steps = match t % 10 {
                    5..=8 => 0,
                    9 => 5,
                    _ => 1,
                };
                sim.tick(Buttons(way | Buttons::JUMP), steps);
                fell_fast |= sim.body.vel.y == MAX_FALL;
                if t % every == 0 {
                    assert_eq!(sim.snapshot(), None, "tick {t}, every {every}: {:?}", sim.body);
                }
            }
            assert!(fell_fast, "the body reached its top falling speed");
        }
    }

    #[test]
    fn a_respawn_a_late_snapshot_and_a_first_snapshot_are_no_jumps() {
        let mut w = RollbackWatch::default();
        let t0 = Instant::now();
        let far = IVec2::new(500 * SUB, 19 * SUB);
        assert_eq!(w.observe(t0, Tick(10), far, true, 0), None, "nothing to compare with");
        assert_eq!(w.observe(t0 + TICK, Tick(11), far, false, 0), None);
        assert_eq!(w.observe(t0 + TICK * 2, Tick(12), IVec2::new(5 * SUB, 19 * SUB), true, 0), None, "a respawn");
        assert_eq!(w.observe(t0 + TICK * 3, Tick(12), far, true, 0), None, "not newer: ignored");
        assert_eq!(w.len(), 3);
    }

    #[test]
    fn a_teleport_back_reports_the_progress_lost() {
        let mut sim = Sim::new(5);
        sim.walk(RIGHT, 80);
        // Put back where it stood 2.0 s (40 ticks) before the last snapshot.
        let back = sim.stood(40);
        sim.tick(RIGHT, 0);
        let jump = sim.show(back, sim.applied + 1).expect("a jump");
        let seconds = jump.seconds.expect("a place it held");
        assert!((seconds - 2.0).abs() <= 0.1, "{seconds}");
        assert!((jump.tiles - 40.0 * f64::from(RUN_SPEED) / f64::from(SUB)).abs() < 0.5, "{}", jump.tiles);
        assert_eq!(jump.ticks, 1);
        // Walking on from there is no jump.
        sim.body.pos = back;
        sim.walk(RIGHT, 40);
    }

    #[test]
    fn a_jump_to_a_place_never_held_has_no_seconds() {
        let mut sim = Sim::new(5);
        sim.walk(RIGHT, 40);
        sim.tick(RIGHT, 1);
        let jump = sim.show(IVec2::new(5 * SUB, 2 * SUB), sim.applied).expect("a jump");
        assert_eq!(jump.seconds, None);
        assert!(jump.tiles > 15.0);
    }

    #[test]
    fn a_restore_after_an_outage_is_a_rollback_though_a_walk_could_have_done_it() {
        let mut sim = Sim::new(5);
        sim.walk(RIGHT, 60);
        // Its zone dies: five seconds without a snapshot, the bot pressing on; then the
        // character is back where it stood 1.0 s before the last snapshot and the new zone
        // applies the newest input.
        let (back, last) = (sim.stood(20), sim.body.pos);
        for _ in 0..100 {
            sim.tick(RIGHT, 0);
        }
        assert!(!beyond_physics(last, back, 100), "within reach of a walk in the outage");
        let jump = sim.show(back, sim.sent).expect("a rollback");
        assert!((jump.seconds.unwrap() - 1.0).abs() <= 0.1, "{jump:?}");
        assert!((jump.outage_s - 5.0).abs() < 0.01 && jump.ticks == 100, "{jump:?}");
        // Restored from the newest state instead: no jump.
        let mut sim = Sim::new(5);
        sim.walk(RIGHT, 60);
        let last = sim.body.pos;
        for _ in 0..100 {
            sim.tick(RIGHT, 0);
        }
        assert_eq!(sim.show(last + IVec2::new(RUN_SPEED, 0), sim.sent), None);
    }

    #[test]
    fn walking_back_while_only_snapshots_were_lost_is_no_jump() {
        let mut sim = Sim::new(5);
        sim.walk(RIGHT, 60);
        // 27 ticks with no snapshot, the zone stepping every input: it turns and walks back
        // onto ground it held 1 to 2 s before.
        for _ in 0..27 {
            sim.tick(LEFT, 1);
        }
        assert_eq!(sim.snapshot(), None);
        sim.walk(LEFT, 10);
    }

    #[test]
    fn a_return_between_two_snapshots_of_a_fast_fall_is_matched_on_the_path() {
        let mut sim = Sim::new(296);
        sim.walk(RIGHT, 60);
        assert_eq!(sim.body.vel.y, MAX_FALL, "falling fast: more than half a tile a tick");
        let (a, b) = (sim.stood(21), sim.stood(20));
        let mid = (a + b) / 2;
        assert!(farther(a, mid, MATCH) && farther(b, mid, MATCH), "between two snapshots");
        sim.tick(RIGHT, 0);
        let jump = sim.show(mid, sim.applied).expect("back up");
        assert!((jump.seconds.unwrap() - 1.025).abs() < 0.01, "{jump:?}");
    }

    #[test]
    fn the_line_of_a_jump_is_no_path() {
        let mut sim = Sim::new(5);
        sim.walk(RIGHT, 20);
        let (from, to) = (sim.body.pos, sim.body.pos - IVec2::new(0, 20 * SUB));
        sim.tick(RIGHT, 0);
        assert_eq!(sim.show(to, sim.applied).expect("a jump up").seconds, None);
        sim.tick(RIGHT, 0);
        assert_eq!(sim.show((from + to) / 2, sim.applied).expect("a jump down").seconds, None);
    }

    #[test]
    fn an_input_number_that_went_back_allows_no_step() {
        let mut sim = Sim::new(5);
        sim.walk(RIGHT, 60);
        let (seq, back) = (sim.applied - 4, sim.stood(4));
        sim.tick(RIGHT, 0);
        let jump = sim.show(back, seq).expect("four steps back, with an older input");
        assert!((jump.seconds.unwrap() - 0.15).abs() < 0.06, "{jump:?}");
        // Then the zone applies the newest inputs again.
        sim.body.pos = back;
        sim.queue.clear();
        sim.walk(RIGHT, 20);
    }

    #[test]
    fn a_gateway_move_keeps_the_history() {
        let mut sim = Sim::new(5);
        sim.walk(RIGHT, 60);
        // The gateway is lost: 4 s pressing on without a snapshot; the bot resumes on another
        // gateway (inputs from 1 again) and finds the character where it stood 0.5 s before.
        let back = sim.stood(10);
        for _ in 0..80 {
            sim.tick(RIGHT, 0);
        }
        sim.watch.new_session();
        sim.queue.clear();
        (sim.sent, sim.applied) = (0, 0);
        sim.tick(RIGHT, 0);
        let jump = sim.show(back, 0).expect("a rollback across the move");
        assert!((jump.seconds.unwrap() - 0.45).abs() < 0.06, "{jump:?}");
        sim.body.pos = back;
        sim.walk(RIGHT, 20);
    }

    #[test]
    fn history_and_inputs_are_bounded() {
        let mut sim = Sim::new(5);
        // 100 s standing at x = 5, then 50 s walking back and forth near x = 10 to 20.
        for _ in 0..2000 {
            sim.tick(Buttons::default(), 1);
            sim.snapshot();
        }
        sim.body.pos.x = 10 * SUB;
        for t in 0..1000 {
            sim.tick(if (t / 25) % 2 == 0 { RIGHT } else { LEFT }, 1);
            sim.snapshot();
            assert!(sim.watch.len() <= 301, "{}", sim.watch.len());
        }
        assert_eq!(sim.watch.len(), 301, "15 s at 20 Hz, both ends included");
        assert_eq!(sim.watch.inputs.len(), MAX_INPUTS);
        // x = 5 was last held 50 s ago: forgotten.
        sim.tick(Buttons::default(), 1);
        let jump = sim.show(IVec2::new(5 * SUB, 19 * SUB), sim.applied).expect("a jump");
        assert_eq!(jump.seconds, None);
        // Inputs older than those held: judged by the ticks only.
        let mut w = RollbackWatch::default();
        let t0 = Instant::now();
        w.observe(t0, Tick(1), IVec2::ZERO, true, 0);
        for _ in 0..MAX_INPUTS + 1 {
            w.input_sent(0);
        }
        let within_reach = IVec2::new(RUN_SPEED * 600, 0);
        assert_eq!(w.observe(t0 + TICK * 600, Tick(601), within_reach, true, 0), None);
        // Many snapshots in a short time: bounded by count.
        let mut w = RollbackWatch::default();
        for t in 0..5000u64 {
            w.observe(t0 + Duration::from_millis(t), Tick(t), IVec2::ZERO, true, 0);
        }
        assert_eq!(w.len(), MAX_ENTRIES);
    }
}
