/**
 * Rebuilding the world from snapshots: the TypeScript mirror of `View::apply` in
 * `shared/protocol/src/snapshot/mod.rs`, integer-exact, since the gateway runs the same rebuild
 * to know what each client holds.
 *
 * A snapshot is a delta against the view of a baseline tick the client acknowledged (or a full
 * one when `baseline` is null). The baseline view is first extrapolated to the snapshot's tick
 * (`motion.ts`, the player's own body too); then the snapshot's removals, spawns and updates
 * (residuals against the extrapolation) apply. Entities are named by per-client handles; the
 * rest of the client sees them keyed by their global id (`WorldView.byId`), so a reused handle
 * never turns one entity into another.
 *
 * The client keeps the last few views by tick; a snapshot whose baseline it no longer has is
 * dropped, and since the client keeps acknowledging its newest view, the server (which only
 * uses a baseline the client acknowledged) falls back to a full snapshot.
 */

import { advanceMotion, noHint, type Hint, type Motion } from './motion';
import type { Body, Vec2 } from './physics';
import type { EntityKind, Handle, MotionDelta, OwnState, OwnUpdate, Snapshot } from './protocol';

/** Largest coordinate (sub-tile units) and speed a rebuilt body may have (`MAX_POS`, `MAX_VEL`). */
export const MAX_POS = 1 << 24;
export const MAX_VEL = 1 << 12;
/** Most ticks a snapshot may be ahead of its baseline (`MAX_BASELINE_AGE`). */
export const MAX_BASELINE_AGE = 256;
/** Most ticks a view is extrapolated; motion stops there on both ends (`MAX_EXTRAPOLATION_TICKS`). */
export const MAX_EXTRAPOLATION_TICKS = 8;
/** Handles a view may use; a spawn on a larger one is refused (`MAX_HANDLES`). */
export const MAX_HANDLES = 1 << 12;

/** One other entity as the client knows it (`Known`), exact. */
export interface Known {
  readonly id: number;
  readonly kind: EntityKind;
  readonly maxHp: number;
  readonly motion: Motion;
  readonly hp: number;
  readonly pose: number;
}

/** Everything the client knows at one snapshot tick (`View`). */
export interface View {
  readonly tick: number;
  readonly you: OwnState;
  /** The hint the player's own body is extrapolated with. */
  readonly youHint: Hint;
  /** By handle, as the gateway names them. */
  readonly entities: ReadonlyMap<Handle, Known>;
}

/** Another entity as the rest of the client sees it. The position is exact (1/256 tile). */
export interface EntityView {
  readonly id: number;
  readonly kind: EntityKind;
  readonly maxHp: number;
  readonly pos: Vec2;
  readonly hp: number;
  readonly pose: number;
}

/** A view with its entities also keyed by global id, for interpolation, drawing and the HUD. */
export interface WorldView extends View {
  readonly byId: ReadonlyMap<number, EntityView>;
}

export type ApplyErrorKind = 'MissingBaseline' | 'BaselineOutOfRange' | 'UnknownHandle' | 'HandleInUse' | 'HandleOutOfRange' | 'OutOfRange';

/** A snapshot that does not fit the view it names (`ApplyError`). */
export class ApplyError extends Error {
  constructor(
    readonly kind: ApplyErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'ApplyError';
  }
}

export function defaultOwnState(): OwnState {
  return {
    entity: 0,
    lastInputSeq: 0,
    body: { pos: { x: 0, y: 0 }, vel: { x: 0, y: 0 }, onGround: false },
    hp: 0,
    maxHp: 0,
    xp: 0,
    level: 0,
    pose: 0,
    cell: { x: 0, y: 0, depth: 0 },
    zone: 0,
  };
}

function inRange(b: Body): void {
  const ok = (v: Vec2, max: number) => Math.abs(v.x) < max && Math.abs(v.y) < max;
  if (!(ok(b.pos, MAX_POS) && ok(b.vel, MAX_VEL))) {
    throw new ApplyError('OutOfRange', 'a body goes out of range');
  }
}

/** `predicted` moved by the residual `d` (i32 wrapping adds), with `d`'s hint. */
function applyDelta(d: MotionDelta, predicted: Motion): Motion {
  const p = predicted.body;
  const body: Body = {
    pos: { x: (p.pos.x + d.pos.x) | 0, y: (p.pos.y + d.pos.y) | 0 },
    vel: { x: (p.vel.x + d.vel.x) | 0, y: (p.vel.y + d.vel.y) | 0 },
    onGround: d.onGround,
  };
  inRange(body);
  return { body, hint: d.hint };
}

/**
 * The view extrapolated to `tick`: every motion, the player's too, stepped ahead, at most
 * MAX_EXTRAPOLATION_TICKS (`View::advanced`).
 */
export function advanceView(view: View, tick: number): View {
  const ticks = Math.min(Math.max(0, tick - view.tick), MAX_EXTRAPOLATION_TICKS);
  const own = advanceMotion({ body: view.you.body, hint: view.youHint }, ticks);
  const entities = new Map<Handle, Known>();
  for (const [h, k] of view.entities) {
    entities.set(h, { ...k, motion: advanceMotion(k.motion, ticks) });
  }
  return { tick, you: { ...view.you, body: own.body }, youHint: view.youHint, entities };
}

/**
 * Rebuilds the view of `snap` from `base`, the view of its baseline (ignored for a full
 * snapshot); throws an `ApplyError` if the snapshot does not fit it. The base is not changed.
 */
export function applySnapshot(base: View | null, snap: Snapshot): WorldView {
  let view: View;
  if (snap.baseline === null) {
    view = { tick: snap.tick, you: defaultOwnState(), youHint: noHint(), entities: new Map() };
  } else if (snap.baseline >= snap.tick || snap.tick - snap.baseline > MAX_BASELINE_AGE) {
    throw new ApplyError(
      'BaselineOutOfRange',
      `baseline ${snap.baseline} is not before the snapshot's tick ${snap.tick}, or too far before`,
    );
  } else if (base !== null && base.tick === snap.baseline) {
    view = advanceView(base, snap.tick);
  } else {
    throw new ApplyError('MissingBaseline', `snapshot ${snap.tick} is a delta against ${snap.baseline}, which is not held`);
  }
  const [you, youHint] = applyOwn(view.you, view.youHint, snap.you);
  const entities = new Map(view.entities);
  for (const h of snap.removed) {
    if (!entities.delete(h)) {
      throw new ApplyError('UnknownHandle', `handle ${h} is not in view`);
    }
  }
  for (const s of snap.spawns) {
    inRange(s.motion.body);
    if (s.handle >= MAX_HANDLES) {
      throw new ApplyError('HandleOutOfRange', `handle ${s.handle} is past the largest a view may use`);
    }
    if (entities.has(s.handle)) {
      throw new ApplyError('HandleInUse', `handle ${s.handle} spawned while in use`);
    }
    entities.set(s.handle, { id: s.id, kind: s.kind, maxHp: s.maxHp, motion: s.motion, hp: s.hp, pose: s.pose });
  }
  for (const u of snap.updates) {
    const known = entities.get(u.handle);
    if (known === undefined) {
      throw new ApplyError('UnknownHandle', `handle ${u.handle} is not in view`);
    }
    entities.set(u.handle, {
      ...known,
      motion: u.motion === null ? known.motion : applyDelta(u.motion, known.motion),
      hp: u.hp ?? known.hp,
      pose: u.pose ?? known.pose,
    });
  }
  return withIds({ tick: snap.tick, you, youHint, entities });
}

function applyOwn(base: OwnState, hint: Hint, u: OwnUpdate): [OwnState, Hint] {
  let body = base.body;
  if (u.motion !== null) {
    const m = applyDelta(u.motion, { body, hint });
    body = m.body;
    hint = m.hint;
  }
  const you: OwnState = {
    entity: u.entity ?? base.entity,
    lastInputSeq: (base.lastInputSeq + u.inputAdvance) >>> 0,
    body,
    hp: u.hp ?? base.hp,
    maxHp: u.maxHp ?? base.maxHp,
    xp: u.xp ?? base.xp,
    level: u.level ?? base.level,
    pose: u.pose ?? base.pose,
    cell: u.cell ?? base.cell,
    zone: u.zone ?? base.zone,
  };
  return [you, hint];
}

/** `view` with its entities keyed by global id as well. */
function withIds(view: View): WorldView {
  const byId = new Map<number, EntityView>();
  for (const k of view.entities.values()) {
    byId.set(k.id, { id: k.id, kind: k.kind, maxHp: k.maxHp, pos: k.motion.body.pos, hp: k.hp, pose: k.pose });
  }
  return { ...view, byId };
}

/**
 * The update that turns `base` (the baseline's own state, extrapolated) into `now`, with `hint`
 * to extrapolate it by (`own_update`: what a sender writes; the test fixtures use it).
 */
export function ownUpdate(base: OwnState, now: OwnState, hint: Hint): OwnUpdate {
  const changed = <T>(a: T, b: T): T | null => (a === b ? null : b);
  const bodyChanged =
    base.body.pos.x !== now.body.pos.x ||
    base.body.pos.y !== now.body.pos.y ||
    base.body.vel.x !== now.body.vel.x ||
    base.body.vel.y !== now.body.vel.y ||
    base.body.onGround !== now.body.onGround;
  const sameCell = base.cell.x === now.cell.x && base.cell.y === now.cell.y && base.cell.depth === now.cell.depth;
  return {
    entity: changed(base.entity, now.entity),
    inputAdvance: (now.lastInputSeq - base.lastInputSeq) >>> 0,
    motion: bodyChanged
      ? {
          pos: { x: (now.body.pos.x - base.body.pos.x) | 0, y: (now.body.pos.y - base.body.pos.y) | 0 },
          vel: { x: (now.body.vel.x - base.body.vel.x) | 0, y: (now.body.vel.y - base.body.vel.y) | 0 },
          onGround: now.body.onGround,
          hint,
        }
      : null,
    hp: changed(base.hp, now.hp),
    maxHp: changed(base.maxHp, now.maxHp),
    xp: changed(base.xp, now.xp),
    level: changed(base.level, now.level),
    pose: changed(base.pose, now.pose),
    cell: sameCell ? null : now.cell,
    zone: changed(base.zone, now.zone),
  };
}

export type ApplyOutcome = { ok: true; view: WorldView } | { ok: false; reason: 'missing-baseline' };

/** The last `capacity` rebuilt views, by tick. */
export class SnapshotHistory {
  private readonly views = new Map<number, WorldView>();
  private newest: WorldView | null = null;

  constructor(readonly capacity = 32) {}

  /**
   * Rebuilds the view of `snap` and keeps it. A snapshot whose baseline is no longer held is
   * dropped (`missing-baseline`); one that does not fit its baseline throws an `ApplyError`.
   */
  apply(snap: Snapshot): ApplyOutcome {
    const base = snap.baseline === null ? null : (this.views.get(snap.baseline) ?? null);
    let view: WorldView;
    try {
      view = applySnapshot(base, snap);
    } catch (e) {
      if (e instanceof ApplyError && e.kind === 'MissingBaseline') {
        return { ok: false, reason: 'missing-baseline' };
      }
      throw e;
    }
    this.views.set(view.tick, view);
    if (this.newest === null || view.tick > this.newest.tick) {
      this.newest = view;
    }
    this.evict();
    return { ok: true, view };
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
