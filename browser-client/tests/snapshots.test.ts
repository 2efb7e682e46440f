import { describe, expect, it } from 'vitest';
import { InterpolationBuffer } from '../src/interpolation';
import { GRAVITY, JUMP_SPEED, RUN_SPEED, SUB } from '../src/physics';
import {
  ApplyError,
  MAX_EXTRAPOLATION_TICKS,
  MAX_HANDLES,
  MAX_POS,
  MAX_VEL,
  SnapshotHistory,
  applySnapshot,
  type EntityView,
} from '../src/snapshots';
import {
  body,
  deltaSnapshot,
  fullSnapshot,
  ownState,
  residual,
  spawnNpc,
  spawnPlayer,
  unchanged,
  update,
  type SnapshotParts,
} from './fixtures';

const FLOOR = 10 * SUB;

function applyError(apply: () => unknown): ApplyError {
  try {
    apply();
  } catch (e) {
    expect(e).toBeInstanceOf(ApplyError);
    return e as ApplyError;
  }
  throw new Error('applying did not fail');
}

describe('applying snapshots (View::apply)', () => {
  it('a full snapshot spawns every entity at its exact body and rebuilds the own state', () => {
    const you = ownState({ lastInputSeq: 42, hp: 80, xp: 7, cell: { x: 2, y: 1, depth: 0 }, zone: 3 });
    const spawns = [spawnPlayer(0, 7, 'bob', body(100, FLOOR)), spawnNpc(3, 8, 1, body(50, FLOOR))];
    const view = applySnapshot(null, fullSnapshot(10, spawns, you));
    expect(view.tick).toBe(10);
    expect(view.you).toEqual(you);
    expect([...view.entities.keys()]).toEqual([0, 3]);
    expect(view.entities.get(3)).toMatchObject({ id: 8, kind: { type: 'Npc', species: 1 }, hp: 40, motion: { body: body(50, FLOOR) } });
    // The rest of the client sees them by global id, positions in sub-units.
    const bob = { id: 7, kind: { type: 'Player', name: 'bob' }, maxHp: 100, pos: { x: 100, y: FLOOR }, hp: 100, pose: 16 };
    expect(view.byId.get(7)).toEqual(bob);
    expect(view.byId.get(8)!.pos).toEqual({ x: 50, y: FLOOR });
  });

  it('extrapolates the baseline with the physics under each hint before applying a delta', () => {
    const walker = body(100, FLOOR, { vel: { x: RUN_SPEED, y: 0 } });
    const faller = body(300, FLOOR - 3 * SUB, { onGround: false });
    const full = fullSnapshot(10, [
      spawnNpc(0, 1, 0, walker, { dir: 1, jump: false }),
      spawnNpc(1, 2, 0, faller),
      spawnNpc(2, 3, 0, body(500, FLOOR), { dir: 0, jump: true }),
      spawnNpc(3, 4, 0, body(700, FLOOR)),
    ]);
    const base = applySnapshot(null, full);
    const view = applySnapshot(base, deltaSnapshot(13, 10));
    const at = (h: number) => view.entities.get(h)!.motion.body;
    // At full speed on flat ground: three runs ahead, still standing.
    expect(at(0)).toEqual(body(100 + 3 * RUN_SPEED, FLOOR, { vel: { x: RUN_SPEED, y: 0 } }));
    // In open air: gravity three times.
    const fallen = FLOOR - 3 * SUB + GRAVITY * (1 + 2 + 3);
    expect(at(1)).toEqual(body(300, fallen, { vel: { x: 0, y: 3 * GRAVITY }, onGround: false }));
    // Holding jump on the ground: takes off, then rises.
    const v1 = -JUMP_SPEED + GRAVITY;
    const risen = FLOOR + v1 + (v1 + GRAVITY) + (v1 + 2 * GRAVITY);
    expect(at(2)).toEqual(body(500, risen, { vel: { x: 0, y: v1 + 2 * GRAVITY }, onGround: false }));
    // Standing with no hint: stays put.
    expect(at(3)).toEqual(body(700, FLOOR));
    expect(view.byId.get(1)!.pos).toEqual(at(0).pos);
    // The baseline is untouched.
    expect(base.entities.get(0)!.motion.body).toEqual(walker);
  });

  it('extrapolates at most MAX_EXTRAPOLATION_TICKS, however old the baseline', () => {
    const walker = body(100, FLOOR, { vel: { x: RUN_SPEED, y: 0 } });
    const base = applySnapshot(null, fullSnapshot(10, [spawnNpc(0, 1, 0, walker, { dir: 1, jump: false })]));
    const far = applySnapshot(base, deltaSnapshot(10 + MAX_EXTRAPOLATION_TICKS + 20, 10));
    const stop = applySnapshot(base, deltaSnapshot(10 + MAX_EXTRAPOLATION_TICKS, 10));
    expect(far.entities.get(0)!.motion.body).toEqual(stop.entities.get(0)!.motion.body);
    expect(stop.entities.get(0)!.motion.body.pos.x).toBe(100 + MAX_EXTRAPOLATION_TICKS * RUN_SPEED);
  });

  it('extrapolates the own body with the own hint, and applies the own residual on top', () => {
    const you = ownState({ body: body(1000, FLOOR, { vel: { x: -RUN_SPEED, y: 0 } }) });
    const base = applySnapshot(null, fullSnapshot(10, [], you, { dir: -1, jump: false }));
    expect(base.youHint).toEqual({ dir: -1, jump: false });
    const coasting = applySnapshot(base, deltaSnapshot(12, 10));
    expect(coasting.you.body).toEqual(body(1000 - 2 * RUN_SPEED, FLOOR, { vel: { x: -RUN_SPEED, y: 0 } }));
    const stopped = applySnapshot(
      base,
      deltaSnapshot(12, 10, { you: { ...unchanged(), inputAdvance: 2, hp: 50, motion: residual([7, 0], [RUN_SPEED, 0]) } }),
    );
    expect(stopped.you).toEqual({ ...you, lastInputSeq: 2, hp: 50, body: body(1000 - 2 * RUN_SPEED + 7, FLOOR) });
    expect(stopped.youHint).toEqual({ dir: 0, jump: false });
  });

  it('applies removals, spawns and per-field updates', () => {
    const spawns = [spawnPlayer(0, 7, 'bob', body(100, FLOOR)), spawnNpc(1, 8, 0, body(50, FLOOR)), spawnNpc(2, 9, 0, body(0, FLOOR))];
    const base = applySnapshot(null, fullSnapshot(10, spawns));
    const view = applySnapshot(
      base,
      deltaSnapshot(11, 10, {
        removed: [2],
        spawns: [spawnPlayer(5, 11, 'eve', body(1, FLOOR))],
        updates: [update(0, { motion: residual([5, -3]) }), update(1, { hp: 12, pose: 4 })],
      }),
    );
    expect(view.entities.get(0)!.motion.body.pos).toEqual({ x: 105, y: FLOOR - 3 });
    expect(view.entities.get(0)!.hp).toBe(100);
    expect(view.entities.get(1)).toMatchObject({ hp: 12, pose: 4, motion: { body: body(50, FLOOR) } });
    expect([...view.byId.keys()].sort((a, b) => a - b)).toEqual([7, 8, 11]);
    expect(view.byId.get(11)!.kind).toEqual({ type: 'Player', name: 'eve' });
  });

  it('keys a reused handle by the new global id, so nothing is drawn sliding from one entity to another', () => {
    const history = new SnapshotHistory();
    const others = new InterpolationBuffer<EntityView>();
    const first = history.apply(fullSnapshot(10, [spawnPlayer(0, 7, 'bob', body(100, FLOOR))]));
    const second = history.apply(deltaSnapshot(11, 10, { removed: [0], spawns: [spawnNpc(0, 8, 1, body(9000, FLOOR))] }));
    expect(first.ok && second.ok).toBe(true);
    const view = history.get(11)!;
    expect(view.entities.get(0)!.id).toBe(8);
    expect([...view.byId.keys()]).toEqual([8]);
    others.push(10, history.get(10)!.byId);
    others.push(11, view.byId);
    expect(others.sample(10.5).map((e) => [e.id, e.pos])).toEqual([[7, { x: 100, y: FLOOR }]]);
    expect(others.sample(11).map((e) => [e.id, e.pos])).toEqual([[8, { x: 9000, y: FLOOR }]]);
  });

  it('refuses an update or a removal of a handle not in view, and a spawn on a handle in use', () => {
    const base = applySnapshot(null, fullSnapshot(10, [spawnNpc(1, 8, 0, body(50, FLOOR))]));
    const refused = (parts: SnapshotParts) => applyError(() => applySnapshot(base, deltaSnapshot(11, 10, parts))).kind;
    expect(refused({ updates: [update(2, { hp: 1 })] })).toBe('UnknownHandle');
    expect(refused({ removed: [0] })).toBe('UnknownHandle');
    expect(refused({ spawns: [spawnNpc(1, 9, 0, body(0, FLOOR))] })).toBe('HandleInUse');
    expect(refused({ spawns: [spawnNpc(MAX_HANDLES, 9, 0, body(0, FLOOR))] })).toBe('HandleOutOfRange');
    const largest = deltaSnapshot(11, 10, { spawns: [spawnNpc(MAX_HANDLES - 1, 9, 0, body(0, FLOOR))] });
    expect(applySnapshot(base, largest).entities.has(MAX_HANDLES - 1)).toBe(true);
    // Removed and spawned again in one snapshot is how a handle is reused.
    const reused = deltaSnapshot(11, 10, { removed: [1], spawns: [spawnNpc(1, 9, 0, body(0, FLOOR))] });
    expect([...applySnapshot(base, reused).byId.keys()]).toEqual([9]);
    expect(applyError(() => applySnapshot(base, deltaSnapshot(10, 10))).kind).toBe('BaselineOutOfRange');
    // Too far ahead of its baseline: refused before extrapolating that many ticks.
    expect(applyError(() => applySnapshot(base, deltaSnapshot(10 + 2 ** 40, 10))).kind).toBe('BaselineOutOfRange');
    expect(applyError(() => applySnapshot(base, deltaSnapshot(12, 11))).kind).toBe('MissingBaseline');
  });

  it('refuses bodies that would leave the coordinate and speed range', () => {
    const at = (x: number) => fullSnapshot(10, [spawnNpc(0, 8, 0, body(x, FLOOR))]);
    expect(applySnapshot(null, at(MAX_POS - 1)).entities.size).toBe(1);
    expect(applyError(() => applySnapshot(null, at(MAX_POS))).kind).toBe('OutOfRange');
    expect(applyError(() => applySnapshot(null, at(-MAX_POS))).kind).toBe('OutOfRange');
    const fast = fullSnapshot(10, [spawnNpc(0, 8, 0, body(0, FLOOR, { vel: { x: 0, y: -MAX_VEL } }))]);
    expect(applyError(() => applySnapshot(null, fast)).kind).toBe('OutOfRange');
    const base = applySnapshot(null, at(-100));
    const push = (x: number) => applySnapshot(base, deltaSnapshot(11, 10, { updates: [update(0, { motion: residual([x, 0]) })] }));
    expect(applyError(() => push(MAX_POS + 100)).kind).toBe('OutOfRange');
    // An i32 wrapping add landing on -2^31 (whose absolute value does not fit an i32) is out of range too.
    expect(applyError(() => push(-0x8000_0000 + 100)).kind).toBe('OutOfRange');
    // The own body is checked the same way.
    const you = { ...unchanged(), motion: residual([0, 0], [MAX_VEL, 0]) };
    expect(applyError(() => applySnapshot(base, deltaSnapshot(11, 10, { you }))).kind).toBe('OutOfRange');
  });

  it('advances the input sequence with u32 wrapping', () => {
    const base = applySnapshot(null, fullSnapshot(10, [], ownState({ lastInputSeq: 0xffff_fffe })));
    expect(applySnapshot(base, deltaSnapshot(11, 10, { you: { ...unchanged(), inputAdvance: 3 } })).you.lastInputSeq).toBe(1);
  });
});

describe('the history of views', () => {
  it('applies deltas against the named baseline, not the newest view', () => {
    const history = new SnapshotHistory();
    history.apply(fullSnapshot(10, [spawnPlayer(0, 7, 'bob', body(100, FLOOR))]));
    history.apply(deltaSnapshot(11, 10, { updates: [update(0, { motion: residual([10, 0]) })] }));
    // Tick 12 was built by the server against tick 10 (it had not seen our ack of 11 yet).
    history.apply(deltaSnapshot(12, 10, { updates: [update(0, { motion: residual([20, 0]) })] }));
    expect(history.get(12)!.byId.get(7)!.pos).toEqual({ x: 120, y: FLOOR });
  });

  it('drops a snapshot whose baseline is missing and keeps acknowledging the old tick', () => {
    const history = new SnapshotHistory();
    history.apply(fullSnapshot(10, [spawnPlayer(0, 7, 'bob', body(100, FLOOR))]));
    expect(history.apply(deltaSnapshot(14, 13, { updates: [update(0, { hp: 1 })] }))).toEqual({ ok: false, reason: 'missing-baseline' });
    expect(history.has(14)).toBe(false);
    expect(history.newestTick).toBe(10);
    // The server then sends a full snapshot, which needs no baseline.
    expect(history.apply(fullSnapshot(20, [spawnPlayer(0, 7, 'bob', body(300, FLOOR))])).ok).toBe(true);
    expect(history.latest()!.byId.get(7)!.pos).toEqual({ x: 300, y: FLOOR });
  });

  it('throws on a snapshot that does not fit its baseline, and keeps nothing of it', () => {
    const history = new SnapshotHistory();
    history.apply(fullSnapshot(10, []));
    expect(() => history.apply(deltaSnapshot(11, 10, { updates: [update(99, { hp: 1 })] }))).toThrow(ApplyError);
    expect(history.has(11)).toBe(false);
    expect(history.newestTick).toBe(10);
  });

  it('a full snapshot replaces everything known before', () => {
    const history = new SnapshotHistory();
    history.apply(fullSnapshot(10, [spawnPlayer(0, 7, 'bob', body(100, FLOOR))]));
    history.apply(fullSnapshot(11, [spawnNpc(4, 8, 0, body(1, FLOOR))]));
    expect([...history.latest()!.byId.keys()]).toEqual([8]);
  });

  it('keeps a late snapshot as a baseline without making it the newest', () => {
    const history = new SnapshotHistory();
    history.apply(fullSnapshot(10, [spawnPlayer(0, 7, 'bob', body(0, FLOOR))]));
    history.apply(deltaSnapshot(12, 10, { updates: [update(0, { motion: residual([2, 0]) })] }));
    history.apply(deltaSnapshot(11, 10, { updates: [update(0, { motion: residual([1, 0]) })] }));
    expect(history.newestTick).toBe(12);
    expect(history.apply(deltaSnapshot(13, 11, { updates: [update(0, { motion: residual([2, 0]) })] })).ok).toBe(true);
    expect(history.get(13)!.byId.get(7)!.pos).toEqual({ x: 3, y: FLOOR });
  });

  it('holds only the newest views', () => {
    const history = new SnapshotHistory(32);
    history.apply(fullSnapshot(100, []));
    for (let t = 101; t < 150; t++) {
      history.apply(deltaSnapshot(t, t - 1));
    }
    expect(history.size).toBe(32);
    expect(history.has(117)).toBe(false);
    expect(history.has(118)).toBe(true);
    expect(history.apply(deltaSnapshot(150, 110)).ok).toBe(false);
  });
});
