/**
 * Fixed-point platformer movement: a line-by-line port of `shared/world/src/physics.rs`.
 * Change both together; the golden vectors in `shared/protocol/golden/physics.json` pin them.
 *
 * Integer-only: every value stays within i32, shifts are `>>`/`<<` on int32 (arithmetic, like
 * Rust's on i32) and min/max/clamp are `Math.min`/`Math.max`, so the result is bit-identical.
 *
 * Units: one tile is SUB (256) sub-units; a body's position is the middle of its feet, its box
 * spans `x - HALF_WIDTH .. x + HALF_WIDTH` and `y - HEIGHT .. y` (right and bottom exclusive).
 */

import { Tile, type TileSource } from './terrain';

export const SUB_SHIFT = 8;
export const SUB = 1 << SUB_SHIFT;
export const HALF_WIDTH = 96;
export const HEIGHT = 448;
export const RUN_SPEED = 102;
export const GROUND_ACCEL = 34;
export const AIR_ACCEL = 17;
export const GRAVITY = 40;
export const JUMP_SPEED = 340;
/** Upward speed kept when jump is released during the rise. */
export const JUMP_CUT_SPEED = 100;
export const MAX_FALL = 320;
export const MAX_SUBSTEP = 128;

/** Button bits of one tick of input (`mmo_world::Buttons`). */
export const Buttons = {
  LEFT: 1,
  RIGHT: 2,
  JUMP: 4,
  ATTACK: 8,
  DOWN: 16,
  ALL: 31,
} as const;

export interface Vec2 {
  x: number;
  y: number;
}

/** The physical state of a moving thing. */
export interface Body {
  pos: Vec2;
  vel: Vec2;
  onGround: boolean;
}

function has(buttons: number, bit: number): boolean {
  return (buttons & bit) !== 0;
}

/** -1, 0 or 1 from left/right. */
function direction(buttons: number): number {
  return (has(buttons, Buttons.RIGHT) ? 1 : 0) - (has(buttons, Buttons.LEFT) ? 1 : 0);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

export function bodyAt(pos: Vec2): Body {
  return { pos: { x: pos.x, y: pos.y }, vel: { x: 0, y: 0 }, onGround: false };
}

export function cloneBody(b: Body): Body {
  return { pos: { x: b.pos.x, y: b.pos.y }, vel: { x: b.vel.x, y: b.vel.y }, onGround: b.onGround };
}

export function bodiesEqual(a: Body, b: Body): boolean {
  return a.pos.x === b.pos.x && a.pos.y === b.pos.y && a.vel.x === b.vel.x && a.vel.y === b.vel.y && a.onGround === b.onGround;
}

/** Advances the body by one tick under `buttons` (`Body::step`). Returns a new body. */
export function step(self: Body, buttons: number, tiles: TileSource): Body {
  const b = cloneBody(self);
  const target = direction(buttons) * RUN_SPEED;
  const accel = b.onGround ? GROUND_ACCEL : AIR_ACCEL;
  if (b.vel.x < target) {
    b.vel.x = Math.min(b.vel.x + accel, target);
  } else if (b.vel.x > target) {
    b.vel.x = Math.max(b.vel.x - accel, target);
  }
  if (has(buttons, Buttons.JUMP) && b.onGround) {
    b.vel.y = -JUMP_SPEED;
  } else if (!has(buttons, Buttons.JUMP) && b.vel.y < -JUMP_CUT_SPEED) {
    b.vel.y = -JUMP_CUT_SPEED;
  }
  b.vel.y = Math.min(b.vel.y + GRAVITY, MAX_FALL);
  moveX(b, tiles);
  moveY(b, has(buttons, Buttons.DOWN), tiles);
  return b;
}

function moveX(self: Body, tiles: TileSource): void {
  let remaining = self.vel.x;
  const top = (self.pos.y - HEIGHT) >> SUB_SHIFT;
  const bottom = (self.pos.y - 1) >> SUB_SHIFT;
  while (remaining !== 0) {
    const d = clamp(remaining, -MAX_SUBSTEP, MAX_SUBSTEP);
    const x = self.pos.x + d;
    // The column the leading edge enters, if it enters a new one.
    let oldCol: number;
    let newCol: number;
    if (d > 0) {
      oldCol = (self.pos.x + HALF_WIDTH - 1) >> SUB_SHIFT;
      newCol = (x + HALF_WIDTH - 1) >> SUB_SHIFT;
    } else {
      oldCol = (self.pos.x - HALF_WIDTH) >> SUB_SHIFT;
      newCol = (x - HALF_WIDTH) >> SUB_SHIFT;
    }
    if (newCol !== oldCol && anyRow(top, bottom, (row) => tiles.tile(newCol, row) === Tile.Solid)) {
      self.pos.x = d > 0 ? (newCol << SUB_SHIFT) - HALF_WIDTH : ((newCol + 1) << SUB_SHIFT) + HALF_WIDTH;
      self.vel.x = 0;
      return;
    }
    self.pos.x = x;
    remaining -= d;
  }
}

function moveY(self: Body, dropThrough: boolean, tiles: TileSource): void {
  let remaining = self.vel.y;
  const left = (self.pos.x - HALF_WIDTH) >> SUB_SHIFT;
  const right = (self.pos.x + HALF_WIDTH - 1) >> SUB_SHIFT;
  self.onGround = false;
  while (remaining !== 0) {
    const d = clamp(remaining, -MAX_SUBSTEP, MAX_SUBSTEP);
    const y = self.pos.y + d;
    if (d > 0) {
      const oldRow = (self.pos.y - 1) >> SUB_SHIFT;
      const newRow = (y - 1) >> SUB_SHIFT;
      const lands = (row: number): boolean =>
        anyRow(left, right, (col) => {
          switch (tiles.tile(col, row)) {
            case Tile.Solid:
              return true;
            case Tile.Platform:
              return !dropThrough;
            default:
              return false;
          }
        });
      if (newRow !== oldRow && lands(newRow)) {
        self.pos.y = newRow << SUB_SHIFT;
        self.vel.y = 0;
        self.onGround = true;
        return;
      }
    } else {
      const oldRow = (self.pos.y - HEIGHT) >> SUB_SHIFT;
      const newRow = (y - HEIGHT) >> SUB_SHIFT;
      if (newRow !== oldRow && anyRow(left, right, (col) => tiles.tile(col, newRow) === Tile.Solid)) {
        self.pos.y = ((newRow + 1) << SUB_SHIFT) + HEIGHT;
        self.vel.y = 0;
        return;
      }
    }
    self.pos.y = y;
    remaining -= d;
  }
}

/** `(from..=to).any(pred)`. */
function anyRow(from: number, to: number, pred: (i: number) => boolean): boolean {
  for (let i = from; i <= to; i++) {
    if (pred(i)) {
      return true;
    }
  }
  return false;
}
