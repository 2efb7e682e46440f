/**
 * Rebuilding the world from delta snapshots (see `shared/protocol/src/datagram.rs`).
 *
 * Each snapshot is a delta against a baseline snapshot the client received earlier (or a full
 * one when `baseline` is null). The client keeps the last few reconstructed views by tick; a
 * snapshot whose baseline it no longer has is dropped, and since the client then stops
 * acknowledging newer ticks the server falls back to a full snapshot.
 */

import type { Vec2 } from './physics';
import type { EntityKind, OwnState, Snapshot } from './protocol';

/** One other entity as the client knows it at one tick. Positions are quantized (1/16 tile). */
export interface EntityView {
  readonly id: number;
  readonly kind: EntityKind;
  readonly maxHp: number;
  readonly pos: Vec2;
  readonly hp: number;
  readonly pose: number;
}

/** Everything the client knows at one snapshot tick. */
export interface WorldView {
  readonly tick: number;
  readonly you: OwnState;
  readonly entities: ReadonlyMap<number, EntityView>;
}

export type ApplyOutcome =
  | { ok: true; view: WorldView; skipped: number }
  | { ok: false; reason: 'missing-baseline' };

/** Applies `snap` onto `baseline` (null for a full snapshot). Pure: the baseline is not changed. */
export function applySnapshot(baseline: WorldView | null, snap: Snapshot): { view: WorldView; skipped: number } {
  const entities = new Map<number, EntityView>(snap.baseline === null || baseline === null ? [] : baseline.entities);
  for (const id of snap.removed) {
    entities.delete(id);
  }
  // Deltas naming an entity the baseline lacks (and not spawning it) cannot be applied.
  let skipped = 0;
  for (const d of snap.entities) {
    if (d.spawn !== null) {
      entities.set(d.id, {
        id: d.id,
        kind: d.spawn.kind,
        maxHp: d.spawn.maxHp,
        pos: d.pos ?? { x: 0, y: 0 },
        hp: d.hp ?? d.spawn.maxHp,
        pose: d.pose ?? 0,
      });
      continue;
    }
    const old = entities.get(d.id);
    if (old === undefined) {
      skipped++;
      continue;
    }
    entities.set(d.id, {
      ...old,
      pos: d.pos === null ? old.pos : { x: old.pos.x + d.pos.x, y: old.pos.y + d.pos.y },
      hp: d.hp ?? old.hp,
      pose: d.pose ?? old.pose,
    });
  }
  return { view: { tick: snap.tick, you: snap.you, entities }, skipped };
}

/** The last `capacity` reconstructed views, by tick. */
export class SnapshotHistory {
  private readonly views = new Map<number, WorldView>();
  private newest: WorldView | null = null;

  constructor(readonly capacity = 32) {}

  /** Rebuilds the view of `snap` and keeps it; fails if its baseline is no longer held. */
  apply(snap: Snapshot): ApplyOutcome {
    let baseline: WorldView | null = null;
    if (snap.baseline !== null) {
      baseline = this.views.get(snap.baseline) ?? null;
      if (baseline === null) {
        return { ok: false, reason: 'missing-baseline' };
      }
    }
    const { view, skipped } = applySnapshot(baseline, snap);
    this.views.set(view.tick, view);
    if (this.newest === null || view.tick > this.newest.tick) {
      this.newest = view;
    }
    this.evict();
    return { ok: true, view, skipped };
  }

  get(tick: number): WorldView | undefined {
    return this.views.get(tick);
  }

  has(tick: number): boolean {
    return this.views.has(tick);
  }

  /** The view with the highest tick. */
  latest(): WorldView | null {
    return this.newest;
  }

  /** The highest tick held, the one to acknowledge. */
  get newestTick(): number | null {
    return this.newest?.tick ?? null;
  }

  get size(): number {
    return this.views.size;
  }

  private evict(): void {
    if (this.views.size <= this.capacity) {
      return;
    }
    const ticks = [...this.views.keys()].sort((a, b) => a - b);
    for (const t of ticks.slice(0, ticks.length - this.capacity)) {
      this.views.delete(t);
    }
  }
}
