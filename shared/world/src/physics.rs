//! Fixed-point platformer movement, integer-only so the browser predicts bit-identically.
//!
//! Units: one tile is [`SUB`] (256) sub-units; speeds are sub-units per tick, gravity is
//! sub-units per tick per tick. A body's position is the middle of its feet: its box spans
//! `x - HALF_WIDTH .. x + HALF_WIDTH` and `y - HEIGHT .. y` (right and bottom exclusive).
//!
//! One step: horizontal velocity eases toward the input direction, a jump starts from the
//! ground, releasing jump early cuts the rise (short hop), gravity applies, then the body moves
//! along x and then along y in sub-steps of at most [`MAX_SUBSTEP`], stopping at the first
//! blocking tile. Solid tiles block every way; platforms block only a body entering them from
//! above without holding down.
//!
//! `browser-client/src/physics.ts` is a line-by-line port: change both together.

use crate::terrain::{Tile, TileSource};
use glam::IVec2;
use serde::{Deserialize, Serialize};

pub const SUB_SHIFT: i32 = 8;
pub const SUB: i32 = 1 << SUB_SHIFT;
pub const HALF_WIDTH: i32 = 96;
pub const HEIGHT: i32 = 448;
pub const RUN_SPEED: i32 = 102;
pub const GROUND_ACCEL: i32 = 34;
pub const AIR_ACCEL: i32 = 17;
pub const GRAVITY: i32 = 40;
pub const JUMP_SPEED: i32 = 340;
/// Upward speed kept when jump is released during the rise.
pub const JUMP_CUT_SPEED: i32 = 100;
pub const MAX_FALL: i32 = 320;
pub const MAX_SUBSTEP: i32 = 128;

/// The buttons of one tick of input, as a bit set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Buttons(pub u8);

impl Buttons {
    pub const LEFT: u8 = 1;
    pub const RIGHT: u8 = 2;
    pub const JUMP: u8 = 4;
    pub const ATTACK: u8 = 8;
    pub const DOWN: u8 = 16;
    pub const ALL: u8 = 31;

    pub fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }

    /// -1, 0 or 1 from left/right.
    pub fn direction(self) -> i32 {
        i32::from(self.has(Self::RIGHT)) - i32::from(self.has(Self::LEFT))
    }
}

/// The physical state of a moving thing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Body {
    pub pos: IVec2,
    pub vel: IVec2,
    pub on_ground: bool,
}

impl Body {
    pub fn at(pos: IVec2) -> Self {
        Body { pos, vel: IVec2::ZERO, on_ground: false }
    }

    /// Advances the body by one tick under `buttons`.
    pub fn step(self, buttons: Buttons, tiles: &impl TileSource) -> Body {
        let mut b = self;
        let target = buttons.direction() * RUN_SPEED;
        let accel = if b.on_ground { GROUND_ACCEL } else { AIR_ACCEL };
        if b.vel.x < target {
            b.vel.x = (b.vel.x + accel).min(target);
        } else if b.vel.x > target {
            b.vel.x = (b.vel.x - accel).max(target);
        }
        if buttons.has(Buttons::JUMP) && b.on_ground {
            b.vel.y = -JUMP_SPEED;
        } else if !buttons.has(Buttons::JUMP) && b.vel.y < -JUMP_CUT_SPEED {
            b.vel.y = -JUMP_CUT_SPEED;
        }
        b.vel.y = (b.vel.y + GRAVITY).min(MAX_FALL);
        b.move_x(tiles);
        b.move_y(buttons.has(Buttons::DOWN), tiles);
        b
    }

    fn move_x(&mut self, tiles: &impl TileSource) {
        let mut remaining = self.vel.x;
        let (top, bottom) = ((self.pos.y - HEIGHT) >> SUB_SHIFT, (self.pos.y - 1) >> SUB_SHIFT);
        while remaining != 0 {
            let d = remaining.clamp(-MAX_SUBSTEP, MAX_SUBSTEP);
            let x = self.pos.x + d;
            // The column the leading edge enters, if it enters a new one.
            let (old_col, new_col) = if d > 0 {
                ((self.pos.x + HALF_WIDTH - 1) >> SUB_SHIFT, (x + HALF_WIDTH - 1) >> SUB_SHIFT)
            } else {
                ((self.pos.x - HALF_WIDTH) >> SUB_SHIFT, (x - HALF_WIDTH) >> SUB_SHIFT)
            };
            if new_col != old_col && (top..=bottom).any(|row| tiles.tile(new_col, row) == Tile::Solid) {
                self.pos.x =
                    if d > 0 { (new_col << SUB_SHIFT) - HALF_WIDTH } else { ((new_col + 1) << SUB_SHIFT) + HALF_WIDTH };
                self.vel.x = 0;
                return;
            }
            self.pos.x = x;
            remaining -= d;
        }
    }

    fn move_y(&mut self, drop_through: bool, tiles: &impl TileSource) {
        let mut remaining = self.vel.y;
        let (left, right) = ((self.pos.x - HALF_WIDTH) >> SUB_SHIFT, (self.pos.x + HALF_WIDTH - 1) >> SUB_SHIFT);
        self.on_ground = false;
        while remaining != 0 {
            let d = remaining.clamp(-MAX_SUBSTEP, MAX_SUBSTEP);
            let y = self.pos.y + d;
            if d > 0 {
                let (old_row, new_row) = ((self.pos.y - 1) >> SUB_SHIFT, (y - 1) >> SUB_SHIFT);
                let lands = |row: i32| {
                    (left..=right).any(|col| match tiles.tile(col, row) {
                        Tile::Solid => true,
                        Tile::Platform => !drop_through,
                        Tile::Empty => false,
                    })
                };
                if new_row != old_row && lands(new_row) {
                    self.pos.y = new_row << SUB_SHIFT;
                    self.vel.y = 0;
                    self.on_ground = true;
                    return;
                }
            } else {
                let (old_row, new_row) = ((self.pos.y - HEIGHT) >> SUB_SHIFT, (y - HEIGHT) >> SUB_SHIFT);
                if new_row != old_row && (left..=right).any(|col| tiles.tile(col, new_row) == Tile::Solid) {
                    self.pos.y = ((new_row + 1) << SUB_SHIFT) + HEIGHT;
                    self.vel.y = 0;
                    return;
                }
            }
            self.pos.y = y;
            remaining -= d;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terrain::TileGrid;

    fn grid() -> TileGrid {
        TileGrid {
            rows: [
                "################",
                "#..............#",
                "#..............#",
                "#..............#",
                "#.......====...#",
                "#..............#",
                "#...........#..#",
                "#...........#..#",
                "################",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        }
    }

    fn run(mut body: Body, buttons: u8, ticks: usize) -> Body {
        for _ in 0..ticks {
            body = body.step(Buttons(buttons), &grid());
        }
        body
    }

    fn standing(x_tiles: i32) -> Body {
        run(Body::at(IVec2::new(x_tiles * SUB + SUB / 2, 8 * SUB - 10)), 0, 3)
    }

    #[test]
    fn falls_and_lands_on_the_floor() {
        let b = run(Body::at(IVec2::new(3 * SUB, 3 * SUB)), 0, 30);
        assert_eq!(b.pos.y, 8 * SUB, "feet rest on top of row 8");
        assert!(b.on_ground);
        assert_eq!(b.vel, IVec2::ZERO);
    }

    #[test]
    fn runs_right_until_the_wall() {
        let b = run(standing(3), Buttons::RIGHT, 40);
        assert_eq!(b.pos.x, 12 * SUB - HALF_WIDTH, "stopped flush against the pillar at column 12");
        assert!(b.on_ground);
    }

    #[test]
    fn jump_lands_on_a_platform_from_below_through_it() {
        // Jump straight up under the platform at row 4: pass through it, come down onto it.
        let start = standing(9);
        let mut b = start.step(Buttons(Buttons::JUMP), &grid());
        assert!(b.vel.y < 0);
        for i in 0..30 {
            b = b.step(Buttons(if i < 8 { Buttons::JUMP } else { 0 }), &grid());
        }
        assert_eq!(b.pos.y, 4 * SUB, "stands on the platform");
        assert!(b.on_ground);
        // Holding down drops through it again.
        let dropped = run(b, Buttons::DOWN, 20);
        assert_eq!(dropped.pos.y, 8 * SUB);
    }

    #[test]
    fn short_hop_is_lower_than_a_full_jump() {
        let peak = |hold: usize| {
            let mut b = standing(4);
            let mut min_y = b.pos.y;
            for i in 0..20 {
                b = b.step(Buttons(if i < hold { Buttons::JUMP } else { 0 }), &grid());
                min_y = min_y.min(b.pos.y);
            }
            min_y
        };
        assert!(peak(1) > peak(10), "released early jumps lower");
    }

    #[test]
    fn head_bumps_the_ceiling() {
        let grid = TileGrid { rows: ["####", "#..#", "#..#", "####"].iter().map(|s| s.to_string()).collect() };
        let mut b = Body { pos: IVec2::new(2 * SUB, 3 * SUB), vel: IVec2::ZERO, on_ground: true };
        b = b.step(Buttons(Buttons::JUMP), &grid);
        assert_eq!(b.pos.y, SUB + HEIGHT, "head stops under row 0");
        assert_eq!(b.vel.y, 0);
    }
}
