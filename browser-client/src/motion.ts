/**
 * Dead reckoning with the game's own physics, mirroring `shared/protocol/src/snapshot/motion.rs`.
 * Both ends extrapolate every entity the client knows, tick by tick, with the bit-exact `step`
 * of `physics.ts` on a world that is flat ground under a body standing on something and open
 * air otherwise, under the buttons its `Hint` says are held. A snapshot then carries a body
 * only where the truth left that prediction.
 */

import { Buttons, SUB_SHIFT, step, type Body } from './physics';
import { Tile, type TileSource } from './terrain';

/** The buttons an entity is assumed to hold while extrapolated. */
export interface Hint {
  /** -1 left, 0 none, 1 right. */
  dir: number;
  jump: boolean;
}

/** What both ends extrapolate: a body and the buttons assumed held. */
export interface Motion {
  body: Body;
  hint: Hint;
}

export function noHint(): Hint {
  return { dir: 0, jump: false };
}

/** The button bits of a hint (`Hint::buttons`). */
export function hintButtons(h: Hint): number {
  const dir = h.dir < 0 ? Buttons.LEFT : h.dir > 0 ? Buttons.RIGHT : 0;
  return dir | (h.jump ? Buttons.JUMP : 0);
}

const OPEN_AIR: TileSource = { tile: () => Tile.Empty };

/** Solid from tile row `row` down, open air above (`Ground(Some(row))`). */
function groundAt(row: number): TileSource {
  return { tile: (_x, y) => (y >= row ? Tile.Solid : Tile.Empty) };
}

/** One tick ahead (`Motion::step`). */
export function stepMotion(m: Motion): Motion {
  const tiles = m.body.onGround ? groundAt(m.body.pos.y >> SUB_SHIFT) : OPEN_AIR;
  return { body: step(m.body, hintButtons(m.hint), tiles), hint: m.hint };
}

/** `ticks` ahead (`Motion::advance`). */
export function advanceMotion(m: Motion, ticks: number): Motion {
  let out = m;
  for (let i = 0; i < ticks; i++) {
    out = stepMotion(out);
  }
  return out;
}
