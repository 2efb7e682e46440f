//! Dead reckoning with the game's own physics. Both ends extrapolate every entity the client
//! knows, tick by tick, with `Body::step` (the same bit-exact step the zone runs) on a world
//! that is flat ground under a body standing on something and open air otherwise, under the
//! buttons its [`Hint`] says are held. A snapshot carries an entity's motion only where the
//! truth left that prediction: a walker at full speed, a jump arc or a fall cost nothing;
//! a turn, a landing or a bump against a wall cost one update.

use mmo_world::physics::{RUN_SPEED, SUB_SHIFT};
use mmo_world::{Body, Buttons, Tile, TileSource};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

/// The buttons an entity is assumed to hold while extrapolated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Hint {
    /// -1 left, 0 none, 1 right.
    pub dir: i8,
    pub jump: bool,
}

impl Hint {
    pub fn buttons(self) -> Buttons {
        let dir = match self.dir {
            d if d < 0 => Buttons::LEFT,
            d if d > 0 => Buttons::RIGHT,
            _ => 0,
        };
        Buttons(dir | if self.jump { Buttons::JUMP } else { 0 })
    }
}

/// What both ends extrapolate: a body and the buttons assumed held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Motion {
    pub body: Body,
    pub hint: Hint,
}

/// Flat ground at one tile row (the row under a standing body's feet), open air elsewhere.
struct Ground(Option<i32>);

impl TileSource for Ground {
    fn tile(&self, _x: i32, y: i32) -> Tile {
        if self.0.is_some_and(|row| y >= row) {
            Tile::Solid
        } else {
            Tile::Empty
        }
    }
}

impl Motion {
    /// One tick ahead.
    pub fn step(self) -> Motion {
        let ground = Ground(self.body.on_ground.then_some(self.body.pos.y >> SUB_SHIFT));
        Motion { body: self.body.step(self.hint.buttons(), &ground), hint: self.hint }
    }

    /// `ticks` ahead. A motion that one step only moves by its velocity (standing, walking at
    /// full speed on the ground, falling at full speed) goes on so: the world it is stepped in
    /// is the same wherever it goes (ground along its row, air everywhere), so it is moved
    /// there at once, exactly where stepping would take it.
    pub fn advance(self, ticks: u64) -> Motion {
        if ticks == 0 {
            return self;
        }
        if let Some(m) = self.walked_on(ticks) {
            return m;
        }
        let next = self.step();
        self.uniformly(next, ticks).unwrap_or_else(|| next.advance_stepwise(ticks - 1))
    }

    /// `ticks` ahead if it stands, or walks at full speed the way it holds, on level ground
    /// (feet on a tile's top edge): read off without stepping, as it is the commonest case.
    fn walked_on(self, ticks: u64) -> Option<Motion> {
        let b = self.body;
        let walking = b.vel.x == i32::from(self.hint.dir.signum()) * RUN_SPEED;
        let level = b.on_ground && b.vel.y == 0 && b.pos.y & ((1 << SUB_SHIFT) - 1) == 0;
        if walking && level && !self.hint.jump {
            self.translated(ticks)
        } else {
            None
        }
    }

    /// `ticks` ahead if `next`, this motion a step ahead, shows it uniform.
    fn uniformly(self, next: Motion, ticks: u64) -> Option<Motion> {
        let b = self.body;
        let level = b.vel.y == 0 || !b.on_ground;
        let moved = Body { pos: b.pos + b.vel, ..b };
        if level && next.body == moved {
            self.translated(ticks)
        } else {
            None
        }
    }

    /// Moved by its velocity `ticks` times, up to [`Self::UNIFORM_MAX_TICKS`] (far from
    /// overflowing).
    fn translated(self, ticks: u64) -> Option<Motion> {
        let b = self.body;
        (ticks <= Self::UNIFORM_MAX_TICKS)
            .then(|| Motion { body: Body { pos: b.pos + b.vel * ticks as i32, ..b }, hint: self.hint })
    }

    /// Most ticks [`Motion::advance`] moves a uniform motion at once.
    const UNIFORM_MAX_TICKS: u64 = 1 << 10;

    /// `ticks` ahead, one step at a time.
    pub fn advance_stepwise(mut self, ticks: u64) -> Motion {
        for _ in 0..ticks {
            self = self.step();
        }
        self
    }
}

/// Extrapolations remembered across views. Most clients near an entity hold the same motion of
/// it (what it did at a recent tick), so a gateway serving them, or a process running many
/// bots, steps each once instead of once per client. Stepping is a pure function, so a
/// remembered result is always right; the memory is bounded by forgetting everything once it
/// holds [`Extrapolations::CAPACITY`] results.
#[derive(Debug, Default)]
pub struct Extrapolations {
    memo: FxHashMap<(Motion, u64), Motion>,
}

impl Extrapolations {
    pub const CAPACITY: usize = 1 << 15;

    /// `motion` `ticks` ahead.
    pub fn advance(&mut self, motion: Motion, ticks: u64) -> Motion {
        if ticks == 0 {
            return motion;
        }
        if let Some(m) = motion.walked_on(ticks) {
            return m;
        }
        if let Some(m) = self.memo.get(&(motion, ticks)) {
            return *m;
        }
        if self.memo.len() >= Self::CAPACITY {
            self.memo.clear();
        }
        let ahead = motion.advance(ticks);
        self.memo.insert((motion, ticks), ahead);
        ahead
    }
}

/// The hint a sender gives with a body it sends (`before` the body one tick earlier): the
/// buttons most likely held, read from how the velocity changed and which way it faces. A
/// wrong guess costs bytes, never correctness: the receiver takes whatever hint is sent.
pub fn guess_hint(now: &Body, before: Option<&Body>, facing_left: bool) -> Hint {
    let dv = before.map_or(0, |b| now.vel.x - b.vel.x);
    let facing = if facing_left { -1 } else { 1 };
    let dir = match dv {
        // Speeding up or slowing down towards where it faces: holding that way; else letting go.
        0 if now.vel.x.abs() == mmo_world::physics::RUN_SPEED => now.vel.x.signum() as i8,
        0 => 0,
        dv if dv.signum() == facing => facing as i8,
        _ => 0,
    };
    // Still rising fast a tick after rising fast: the jump is held (else it would be cut).
    let cut = -mmo_world::physics::JUMP_CUT_SPEED;
    let jump = now.vel.y < cut && before.is_some_and(|b| b.vel.y < cut);
    Hint { dir, jump }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::IVec2;
    use mmo_world::physics::{RUN_SPEED, SUB};
    use mmo_world::terrain::TileGrid;
    use proptest::strategy::Strategy;

    /// A room with a long flat floor at row 16.
    fn room() -> TileGrid {
        let mut rows = vec![".".repeat(200); 16];
        rows.push("#".repeat(200));
        TileGrid { rows }
    }

    fn standing() -> Body {
        let mut b = Body::at(IVec2::new(20 * SUB, 16 * SUB - 3));
        for _ in 0..5 {
            b = b.step(Buttons(0), &room());
        }
        assert!(b.on_ground);
        b
    }

    /// Runs `buttons` on the real map; returns how many ticks the prediction (re-hinted at
    /// each miss, as a sender would) missed.
    fn misses(buttons: &[u8]) -> usize {
        let mut truth = standing();
        let mut known = Motion { body: truth, hint: Hint::default() };
        let mut missed = 0;
        let mut facing_left = false;
        for &b in buttons {
            facing_left = match Buttons(b).direction() {
                0 => facing_left,
                d => d < 0,
            };
            let before = truth;
            truth = truth.step(Buttons(b), &room());
            known = known.step();
            if known.body != truth {
                missed += 1;
                known = Motion { body: truth, hint: guess_hint(&truth, Some(&before), facing_left) };
            }
        }
        missed
    }

    #[test]
    fn a_walker_at_full_speed_and_a_jump_arc_are_predicted() {
        let mut walk = vec![Buttons::RIGHT; 60];
        assert!(misses(&walk) <= 1, "one update when it starts: {}", misses(&walk));
        walk.extend([Buttons::RIGHT | Buttons::JUMP]);
        walk.extend([Buttons::RIGHT; 40]);
        // Start, take off, land.
        assert!(misses(&walk) <= 3, "{}", misses(&walk));
    }

    #[test]
    fn turning_around_costs_an_update_or_two_not_one_per_tick() {
        let mut buttons = vec![Buttons::RIGHT; 20];
        buttons.extend([Buttons::LEFT; 20]);
        buttons.extend([0; 20]);
        assert!(misses(&buttons) <= 4, "{}", misses(&buttons));
    }

    #[test]
    fn a_standing_body_stays_put_and_full_speed_means_holding_that_way() {
        let b = standing();
        assert_eq!(Motion { body: b, hint: Hint::default() }.advance(50).body, b);
        let run = Body { vel: IVec2::new(-RUN_SPEED, 0), ..b };
        assert_eq!(guess_hint(&run, Some(&run), true), Hint { dir: -1, jump: false });
    }

    proptest::proptest! {
        /// Standing, walking at full speed and falling at full speed are advanced at once.
        #[test]
        fn advancing_at_once_is_stepping_tick_by_tick(
            x in -(1 << 20)..(1i32 << 20),
            y in proptest::prop_oneof![-(1 << 20)..(1i32 << 20), (-(1 << 12)..(1i32 << 12)).prop_map(|row| row * SUB)],
            vx in proptest::prop_oneof![-200..200i32, proptest::strategy::Just(RUN_SPEED), proptest::strategy::Just(-RUN_SPEED)],
            vy in proptest::prop_oneof![-400..400i32, proptest::strategy::Just(0), proptest::strategy::Just(mmo_world::physics::MAX_FALL)],
            on_ground: bool,
            dir in -1..=1i8,
            jump: bool,
            ticks in 0..40u64,
        ) {
            let m = Motion { body: Body { pos: IVec2::new(x, y), vel: IVec2::new(vx, vy), on_ground }, hint: Hint { dir, jump } };
            proptest::prop_assert_eq!(m.advance(ticks), m.advance_stepwise(ticks));
            proptest::prop_assert_eq!(Extrapolations::default().advance(m, ticks), m.advance_stepwise(ticks));
            let settled = m.advance_stepwise(5);
            proptest::prop_assert_eq!(settled.advance(ticks), settled.advance_stepwise(ticks));
        }
    }

    #[test]
    fn remembered_extrapolations_are_the_stepped_ones_and_stay_bounded() {
        let mut memo = Extrapolations::default();
        let jump =
            Motion { body: Body { vel: IVec2::new(RUN_SPEED, -40), ..standing() }, hint: Hint { dir: 1, jump: true } };
        for ticks in [0, 1, 2, 7, 2, 1] {
            assert_eq!(memo.advance(jump, ticks), jump.advance(ticks), "{ticks} ticks ahead");
        }
        for x in 0..Extrapolations::CAPACITY as i32 + 10 {
            let m = Motion { body: Body { pos: IVec2::new(x, 0), ..Body::default() }, hint: Hint::default() };
            assert_eq!(memo.advance(m, 2), m.advance(2));
        }
        assert!(memo.memo.len() <= Extrapolations::CAPACITY);
    }
}
