/** Small builders shared by the unit tests. */

import { noHint, type Hint } from '../src/motion';
import type { Body } from '../src/physics';
import type { Handle, MotionDelta, OwnState, OwnUpdate, Snapshot, Spawn, Update } from '../src/protocol';
import { defaultOwnState, ownUpdate } from '../src/snapshots';

export function ownState(over: Partial<OwnState> = {}): OwnState {
  return {
    entity: 1,
    lastInputSeq: 0,
    body: { pos: { x: 5 * 256 + 128, y: 8 * 256 }, vel: { x: 0, y: 0 }, onGround: true },
    hp: 100,
    maxHp: 100,
    xp: 0,
    level: 1,
    pose: 16,
    cell: { x: 0, y: 0, depth: 0 },
    zone: 1,
    ...over,
  };
}

/** An own update that changes nothing. */
export function unchanged(): OwnUpdate {
  return { entity: null, inputAdvance: 0, motion: null, hp: null, maxHp: null, xp: null, level: null, pose: null, cell: null, zone: null };
}

export interface SnapshotParts {
  you?: OwnUpdate;
  removed?: Handle[];
  spawns?: Spawn[];
  updates?: Update[];
}

/** A full snapshot of `you` and `spawns` (the own state written against the default one). */
export function fullSnapshot(tick: number, spawns: Spawn[] = [], you = ownState(), hint: Hint = noHint()): Snapshot {
  return { tick, baseline: null, you: ownUpdate(defaultOwnState(), you, hint), removed: [], spawns, updates: [] };
}

/** A delta snapshot against `baseline`; what is left out is unchanged. */
export function deltaSnapshot(tick: number, baseline: number, parts: SnapshotParts = {}): Snapshot {
  return { tick, baseline, you: unchanged(), removed: [], spawns: [], updates: [], ...parts };
}

/** A body standing on the ground at sub-unit position (x, y), or in the air with `over`. */
export function body(x: number, y: number, over: Partial<Body> = {}): Body {
  return { pos: { x, y }, vel: { x: 0, y: 0 }, onGround: true, ...over };
}

export function spawnPlayer(handle: Handle, id: number, name: string, b: Body, hint: Hint = noHint()): Spawn {
  return { handle, id, kind: { type: 'Player', name }, maxHp: 100, motion: { body: b, hint }, hp: 100, pose: 16 };
}

export function spawnNpc(handle: Handle, id: number, species: number, b: Body, hint: Hint = noHint()): Spawn {
  return { handle, id, kind: { type: 'Npc', species }, maxHp: 40, motion: { body: b, hint }, hp: 40, pose: 16 };
}

export function update(handle: Handle, change: Partial<Omit<Update, 'handle'>>): Update {
  return { handle, motion: null, hp: null, pose: null, ...change };
}

/** A motion residual: position and velocity off the extrapolation by `pos`/`vel`. */
export function residual(pos: [number, number], vel: [number, number] = [0, 0], over: Partial<MotionDelta> = {}): MotionDelta {
  return { pos: { x: pos[0], y: pos[1] }, vel: { x: vel[0], y: vel[1] }, onGround: true, hint: noHint(), ...over };
}
