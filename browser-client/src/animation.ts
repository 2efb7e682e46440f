/**
 * Which animation a figure plays and which of its frames, from what the client knows of it:
 * its pose bits (dead, hurt, attacking, facing), its velocity and whether it stands on
 * something. Pure logic: the sprite sheets (`render/sprites.ts`) only look the frames up.
 *
 * The server sends no animation state, only poses, so the start of an animation is when the
 * client first sees its pose: the `Animator` remembers that per entity (a death plays once
 * from its start and then holds its last frame; a hit flashes and recoils from its start).
 */

import { Pose } from './protocol';

export type AnimName = 'idle' | 'run' | 'jump' | 'fall' | 'attack' | 'hurt' | 'death';

export interface AnimSpec {
  frames: number;
  frameMs: number;
  /** Loops, or stops on its last frame. */
  loop: boolean;
}

/** Every kind of figure has the same animations with the same frame counts (one sheet layout). */
export const ANIMS: Readonly<Record<AnimName, AnimSpec>> = {
  idle: { frames: 4, frameMs: 220, loop: true },
  run: { frames: 6, frameMs: 80, loop: true },
  jump: { frames: 2, frameMs: 90, loop: false },
  fall: { frames: 2, frameMs: 140, loop: true },
  // The server shows ATTACKING for 4 ticks (200 ms): the strike lands within them. A held key
  // (the player's own figure) keeps swinging.
  attack: { frames: 4, frameMs: 55, loop: true },
  hurt: { frames: 2, frameMs: 100, loop: false },
  death: { frames: 5, frameMs: 130, loop: false },
};

/** The rows of a sprite sheet, top to bottom. */
export const ANIM_ROWS: readonly AnimName[] = ['idle', 'run', 'jump', 'fall', 'attack', 'hurt', 'death'];

/** The most frames any animation has (a sheet's columns). */
export const MAX_FRAMES = Math.max(...ANIM_ROWS.map((a) => ANIMS[a].frames));

/** Slower than this (world pixels per second) on the ground is standing (a run is 128 px/s). */
export const RUN_MIN_SPEED = 12;
/** Vertical speeds within this of zero (px/s) keep the air animation already playing (the apex). */
const APEX_SPEED = 20;
/**
 * Coming down for less than this keeps the ground animation: stepping down a one-tile ledge
 * (a drop of ~180 ms) is part of a run, not a fall.
 */
export const STEP_DOWN_MS = 220;

/** What the client knows of a figure's motion; speeds in world pixels per second, y down. */
export interface MotionInput {
  pose: number;
  vx: number;
  vy: number;
  onGround: boolean;
}

/**
 * The animation for a pose and motion. Dead wins, then hurt, then attacking; then in the air a
 * jump while rising and a fall while coming down; on the ground a run when moving. `previous`
 * (the animation playing) keeps a jump or fall through the apex, where the speed is near zero,
 * and a run or stand through a step down, off the ground for `airborneMs` so far.
 */
export function chooseAnim(m: MotionInput, previous: AnimName | null = null, airborneMs = Infinity): AnimName {
  if ((m.pose & Pose.DEAD) !== 0) {
    return 'death';
  }
  if ((m.pose & Pose.HURT) !== 0) {
    return 'hurt';
  }
  if ((m.pose & Pose.ATTACKING) !== 0) {
    return 'attack';
  }
  if (!m.onGround) {
    if (m.vy >= 0 && airborneMs < STEP_DOWN_MS && (previous === 'run' || previous === 'idle')) {
      return previous;
    }
    if (Math.abs(m.vy) < APEX_SPEED && (previous === 'jump' || previous === 'fall')) {
      return previous;
    }
    return m.vy < 0 ? 'jump' : 'fall';
  }
  return Math.abs(m.vx) >= RUN_MIN_SPEED ? 'run' : 'idle';
}

/** The frame of `anim` after `elapsedMs` of it: looping, or held on the last frame. */
export function frameAt(anim: AnimName, elapsedMs: number): number {
  const spec = ANIMS[anim];
  const i = Math.floor(Math.max(elapsedMs, 0) / spec.frameMs);
  return spec.loop ? i % spec.frames : Math.min(i, spec.frames - 1);
}

/** How long a hit shows: a white flash, then red blinks, and a recoil easing back. */
export const FLASH_WHITE_MS = 70;
export const RECOIL_MS = 180;
/** How far (world pixels) the sprite is pushed back at the moment of a hit. */
export const RECOIL_PX = 3;

export type Flash = 'white' | 'red' | null;

/** The hit flash `sinceHurtMs` after a hit (null when not hurt now). */
export function hitFlash(hurt: boolean, sinceHurtMs: number): Flash {
  if (!hurt) {
    return null;
  }
  if (sinceHurtMs < FLASH_WHITE_MS) {
    return 'white';
  }
  return Math.floor((sinceHurtMs - FLASH_WHITE_MS) / 60) % 2 === 0 ? 'red' : null;
}

/**
 * The visual knock-back `sinceHurtMs` after a hit: away from the side the figure faces (a hit
 * comes from the front), easing back to 0. Whole pixels, so the sprite stays crisp.
 */
export function recoilOffset(sinceHurtMs: number | null, facingLeft: boolean): number {
  if (sinceHurtMs === null || sinceHurtMs >= RECOIL_MS) {
    return 0;
  }
  const px = Math.round(RECOIL_PX * (1 - sinceHurtMs / RECOIL_MS));
  return facingLeft ? px : -px;
}

/** What to draw of one figure now. */
export interface AnimState {
  anim: AnimName;
  frame: number;
  facingLeft: boolean;
  flash: Flash;
  /** Horizontal offset of the sprite (world pixels), the hit recoil. */
  offsetX: number;
}

interface Track {
  anim: AnimName;
  since: number;
  /** When it was last on the ground. */
  groundAt: number;
  hurtSince: number | null;
  seenAt: number;
}

/** Forget an entity not drawn for this long (it left the view or the world). */
const FORGET_MS = 3000;

/** Per-entity animation clocks: when each figure's current animation and last hit began. */
export class Animator {
  private readonly tracks = new Map<number, Track>();
  private lastPrune = 0;

  update(id: number, m: MotionInput, nowMs: number): AnimState {
    let track = this.tracks.get(id);
    const hurt = (m.pose & Pose.HURT) !== 0 && (m.pose & Pose.DEAD) === 0;
    const airborne = m.onGround || track === undefined ? 0 : nowMs - track.groundAt;
    const anim = chooseAnim(m, track?.anim ?? null, airborne);
    if (track === undefined) {
      // First seen: a figure already dead shows the end of its death, not its start.
      const since = anim === 'death' ? nowMs - ANIMS.death.frames * ANIMS.death.frameMs : nowMs;
      track = { anim, since, groundAt: nowMs, hurtSince: null, seenAt: nowMs };
      this.tracks.set(id, track);
    } else if (track.anim !== anim) {
      track.anim = anim;
      track.since = nowMs;
    }
    if (hurt && track.hurtSince === null) {
      track.hurtSince = nowMs;
    } else if (!hurt && track.hurtSince !== null && nowMs - track.hurtSince >= RECOIL_MS) {
      track.hurtSince = null;
    }
    track.seenAt = nowMs;
    if (m.onGround) {
      track.groundAt = nowMs;
    }
    this.prune(nowMs);
    const facingLeft = (m.pose & Pose.FACING_LEFT) !== 0;
    const sinceHurt = track.hurtSince === null ? null : nowMs - track.hurtSince;
    return {
      anim,
      frame: frameAt(anim, nowMs - track.since),
      facingLeft,
      flash: hitFlash(hurt, sinceHurt ?? 0),
      offsetX: recoilOffset(sinceHurt, facingLeft),
    };
  }

  /** How many entities it tracks (for tests). */
  get size(): number {
    return this.tracks.size;
  }

  private prune(nowMs: number): void {
    if (nowMs - this.lastPrune < FORGET_MS) {
      return;
    }
    this.lastPrune = nowMs;
    for (const [id, t] of this.tracks) {
      if (nowMs - t.seenAt > FORGET_MS) {
        this.tracks.delete(id);
      }
    }
  }
}
