/** Small builders shared by the unit tests. */

import type { EntityDelta, OwnState, Snapshot } from '../src/protocol';

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

export function snapshot(tick: number, baseline: number | null, entities: EntityDelta[] = [], removed: number[] = [], you = ownState()): Snapshot {
  return { tick, baseline, you, entities, removed };
}

export function spawnPlayer(id: number, name: string, x: number, y: number): EntityDelta {
  return { id, spawn: { kind: { type: 'Player', name }, maxHp: 100 }, pos: { x, y }, hp: 100, pose: 16 };
}

export function spawnNpc(id: number, species: number, x: number, y: number): EntityDelta {
  return { id, spawn: { kind: { type: 'Npc', species }, maxHp: 40 }, pos: { x, y }, hp: null, pose: null };
}

export function delta(id: number, change: Partial<Omit<EntityDelta, 'id' | 'spawn'>>): EntityDelta {
  return { id, spawn: null, pos: null, hp: null, pose: null, ...change };
}
