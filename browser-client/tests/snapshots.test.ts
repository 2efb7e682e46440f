import { describe, expect, it } from 'vitest';
import { SnapshotHistory, applySnapshot } from '../src/snapshots';
import { delta, snapshot, spawnNpc, spawnPlayer } from './fixtures';

describe('delta snapshots', () => {
  it('a full snapshot spawns every entity at its absolute position', () => {
    const { view } = applySnapshot(null, snapshot(10, null, [spawnPlayer(7, 'bob', 100, 200), spawnNpc(8, 1, 50, 60)]));
    expect(view.tick).toBe(10);
    expect(view.entities.get(7)).toEqual({ id: 7, kind: { type: 'Player', name: 'bob' }, maxHp: 100, pos: { x: 100, y: 200 }, hp: 100, pose: 16 });
    // A spawn without hp or pose starts at full health and pose 0.
    expect(view.entities.get(8)).toMatchObject({ kind: { type: 'Npc', species: 1 }, hp: 40, pose: 0, pos: { x: 50, y: 60 } });
  });

  it('applies moves, hp and pose changes, spawns and removals onto the baseline', () => {
    const history = new SnapshotHistory();
    expect(history.apply(snapshot(10, null, [spawnPlayer(7, 'bob', 100, 200), spawnNpc(8, 0, 50, 60), spawnNpc(9, 0, 0, 0)])).ok).toBe(true);
    const out = history.apply(
      snapshot(12, 10, [delta(7, { pos: { x: 5, y: -3 } }), delta(8, { hp: 12, pose: 4 }), spawnPlayer(11, 'eve', 1, 2)], [9]),
    );
    expect(out.ok).toBe(true);
    const view = history.get(12)!;
    expect(view.entities.get(7)!.pos).toEqual({ x: 105, y: 197 });
    expect(view.entities.get(7)!.hp).toBe(100);
    expect(view.entities.get(8)).toMatchObject({ hp: 12, pose: 4, pos: { x: 50, y: 60 } });
    expect(view.entities.has(9)).toBe(false);
    expect(view.entities.get(11)!.kind).toEqual({ type: 'Player', name: 'eve' });
    // The baseline is untouched.
    const base = history.get(10)!;
    expect(base.entities.get(7)!.pos).toEqual({ x: 100, y: 200 });
    expect(base.entities.has(9)).toBe(true);
    expect(history.newestTick).toBe(12);
  });

  it('deltas apply against the named baseline, not the newest view', () => {
    const history = new SnapshotHistory();
    history.apply(snapshot(10, null, [spawnPlayer(7, 'bob', 100, 200)]));
    history.apply(snapshot(11, 10, [delta(7, { pos: { x: 10, y: 0 } })]));
    // Tick 12 was built by the server against tick 10 (it had not seen our ack of 11 yet).
    history.apply(snapshot(12, 10, [delta(7, { pos: { x: 20, y: 0 } })]));
    expect(history.get(12)!.entities.get(7)!.pos).toEqual({ x: 120, y: 200 });
  });

  it('drops a snapshot whose baseline is missing and keeps acknowledging the old tick', () => {
    const history = new SnapshotHistory();
    history.apply(snapshot(10, null, [spawnPlayer(7, 'bob', 100, 200)]));
    const out = history.apply(snapshot(14, 13, [delta(7, { pos: { x: 1, y: 1 } })]));
    expect(out).toEqual({ ok: false, reason: 'missing-baseline' });
    expect(history.has(14)).toBe(false);
    expect(history.newestTick).toBe(10);
    // The server then sends a full snapshot, which needs no baseline.
    expect(history.apply(snapshot(20, null, [spawnPlayer(7, 'bob', 300, 200)])).ok).toBe(true);
    expect(history.latest()!.entities.get(7)!.pos).toEqual({ x: 300, y: 200 });
  });

  it('a full snapshot replaces everything known before', () => {
    const history = new SnapshotHistory();
    history.apply(snapshot(10, null, [spawnPlayer(7, 'bob', 100, 200)]));
    history.apply(snapshot(11, null, [spawnNpc(8, 0, 1, 1)]));
    expect([...history.latest()!.entities.keys()]).toEqual([8]);
  });

  it('skips a delta for an entity the baseline does not have', () => {
    const history = new SnapshotHistory();
    history.apply(snapshot(10, null, []));
    const out = history.apply(snapshot(11, 10, [delta(99, { pos: { x: 1, y: 1 } })]));
    expect(out.ok && out.skipped).toBe(1);
    expect(history.latest()!.entities.size).toBe(0);
  });

  it('keeps a late snapshot as a baseline without making it the newest', () => {
    const history = new SnapshotHistory();
    history.apply(snapshot(10, null, [spawnPlayer(7, 'bob', 0, 0)]));
    history.apply(snapshot(12, 10, [delta(7, { pos: { x: 2, y: 0 } })]));
    history.apply(snapshot(11, 10, [delta(7, { pos: { x: 1, y: 0 } })]));
    expect(history.newestTick).toBe(12);
    expect(history.apply(snapshot(13, 11, [delta(7, { pos: { x: 2, y: 0 } })])).ok).toBe(true);
    expect(history.get(13)!.entities.get(7)!.pos).toEqual({ x: 3, y: 0 });
  });

  it('holds only the newest views', () => {
    const history = new SnapshotHistory(32);
    history.apply(snapshot(100, null, []));
    for (let t = 101; t < 150; t++) {
      history.apply(snapshot(t, t - 1, []));
    }
    expect(history.size).toBe(32);
    expect(history.has(117)).toBe(false);
    expect(history.has(118)).toBe(true);
    expect(history.apply(snapshot(150, 110, [])).ok).toBe(false);
  });
});
