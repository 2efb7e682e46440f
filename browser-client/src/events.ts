/**
 * What happened between two frames, derived from what the client knows: pure (no DOM, no
 * clock, no audio), so the feedback that hangs on it (`feedback.ts`: damage numbers, sounds,
 * the death screen) is tested here without a page.
 *
 * The server sends state, not events: an entity's HP went down means it took damage, the
 * player's level went up means a level-up, and so on. Comparisons are only made between two
 * consecutive frames of the same player (same entity id), so a fresh session, an entity coming
 * back into view or the first snapshot never looks like something happening.
 *
 * A mob's killing blow needs more: the server drops a dead mob from the snapshot in the tick
 * it dies, so its HP is never seen at 0. A mob that vanishes while alive, next to a player
 * who is swinging (or, for the player itself, who just gained experience), was killed by that
 * blow; one that vanishes anywhere else left the view.
 */

import { Pose } from './protocol';
import { TILE_PX } from './render/palette';
import { PLAYER_ATTACK_COOLDOWN, PLAYER_ATTACK_DAMAGE } from './rules';

/** Another entity in view this frame; positions in world pixels (its feet). */
export interface SeenEntity {
  id: number;
  kind: 'player' | 'npc';
  hp: number;
  pose: number;
  x: number;
  y: number;
}

/** The player's own state this frame, with where it is drawn (world pixels, its feet). */
export interface OwnFrame {
  id: number;
  hp: number;
  xp: number;
  level: number;
  pose: number;
  x: number;
  y: number;
}

/** Everything the tracker compares from one frame to the next. */
export interface FrameState {
  own: OwnFrame | null;
  /** The predicted body (`prediction.ts`): on the ground, vertical speed (negative is up). */
  body: { onGround: boolean; velY: number } | null;
  others: readonly SeenEntity[];
  /** Serials of the player's items. */
  inventory: readonly number[];
  /** Serials of the items on the ground in view. */
  ground: readonly number[];
  /** Input ticks sent so far (`Session.inputSeq`): the clock of the attack cooldown. */
  inputTick: number;
  /** ATTACK is held (and the player is not typing). */
  attackHeld: boolean;
}

/** Who took damage: the player itself, another player or a mob. */
export type Target = 'self' | 'player' | 'npc';

export type GameEvent =
  /** `id` lost `amount` HP at `(x, y)`; `fatal`: it reached 0. */
  | { type: 'damage'; id: number; target: Target; amount: number; fatal: boolean; x: number; y: number }
  | { type: 'xp'; amount: number; x: number; y: number }
  | { type: 'levelUp'; level: number; x: number; y: number }
  | { type: 'pickup'; count: number; x: number; y: number }
  | { type: 'death'; x: number; y: number }
  | { type: 'respawn'; x: number; y: number }
  | { type: 'jump'; x: number; y: number }
  | { type: 'swing'; x: number; y: number };

export type GameEventType = GameEvent['type'];

/** Ground serials remembered for recognising a pickup; past this the memory restarts. */
const MAX_GROUND_MEMORY = 1024;

/**
 * How near (world pixels, between feet) a swinging player stands to a mob that it can have
 * killed: a swing reaches about two tiles ahead (`PLAYER_REACH` past the body's edge) within
 * the body's height; a tile more for the frames the two moved meanwhile.
 */
const KILL_RANGE_X = 3 * TILE_PX;
const KILL_RANGE_Y = 2 * TILE_PX;

export function isDead(pose: number): boolean {
  return (pose & Pose.DEAD) !== 0;
}

function isAttacking(pose: number): boolean {
  return (pose & Pose.ATTACKING) !== 0;
}

function near(a: { x: number; y: number }, b: { x: number; y: number }): boolean {
  return Math.abs(a.x - b.x) <= KILL_RANGE_X && Math.abs(a.y - b.y) <= KILL_RANGE_Y;
}

/** Derives `GameEvent`s from consecutive `FrameState`s. */
export class EventTracker {
  private prev: FrameState | null = null;
  /** Input tick of the newest predicted swing. */
  private lastSwing: number | null = null;
  /**
   * Every item serial seen lying on the ground lately. An item that joins the inventory is a
   * pickup only if it lay on the ground: the first inventory of a session (which may arrive
   * after the first frames) and an item given by another player are not pickups. The
   * gateway sends the new inventory before the new ground list, but both can land in one
   * frame, so the previous frame's ground list alone would not do.
   */
  private groundSeen = new Set<number>();

  /** Forgets the previous frame (a new session): the next frame is a baseline. */
  reset(): void {
    this.prev = null;
    this.lastSwing = null;
    this.groundSeen.clear();
  }

  /** What happened since the previous frame. */
  next(cur: FrameState): GameEvent[] {
    const prev = this.prev;
    this.prev = cur;
    const events: GameEvent[] = [];
    if (prev !== null) {
      this.othersDamage(prev, cur, events);
      if (prev.own !== null && cur.own !== null && prev.own.id === cur.own.id) {
        this.ownChanges(prev, cur, prev.own, cur.own, events);
      }
    }
    if (cur.own !== null) {
      this.swing(cur, cur.own, events);
    }
    if (this.groundSeen.size > MAX_GROUND_MEMORY) {
      this.groundSeen.clear();
    }
    for (const serial of cur.ground) {
      this.groundSeen.add(serial);
    }
    return events;
  }

  /**
   * HP lost by entities in view in both frames (one that left and came back is new), and the
   * killing blows on mobs that vanished next to a player swinging at them.
   */
  private othersDamage(prev: FrameState, cur: FrameState, events: GameEvent[]): void {
    if (prev.others === cur.others) {
      return; // no new snapshot since the last frame (most frames at 60 Hz)
    }
    const now = new Map<number, SeenEntity>();
    for (const e of cur.others) {
      now.set(e.id, e);
    }
    for (const was of prev.others) {
      const e = now.get(was.id);
      if (e !== undefined && e.hp < was.hp) {
        events.push({ type: 'damage', id: e.id, target: e.kind, amount: was.hp - e.hp, fatal: e.hp <= 0, x: e.x, y: e.y });
      } else if (e === undefined && was.kind === 'npc' && was.hp > 0 && !isDead(was.pose) && this.killedBySomeone(was, prev, cur)) {
        events.push({ type: 'damage', id: was.id, target: 'npc', amount: PLAYER_ATTACK_DAMAGE, fatal: true, x: was.x, y: was.y });
      }
    }
  }

  /** Whether a player stands by mob `m` and swings (the player itself: or just gained experience). */
  private killedBySomeone(m: SeenEntity, prev: FrameState, cur: FrameState): boolean {
    const own = cur.own;
    if (own !== null && near(own, m)) {
      const gainedXp = prev.own !== null && prev.own.id === own.id && own.xp > prev.own.xp;
      if (gainedXp || isAttacking(own.pose)) {
        return true;
      }
    }
    return cur.others.some((p) => p.kind === 'player' && isAttacking(p.pose) && near(p, m));
  }

  private ownChanges(prev: FrameState, cur: FrameState, was: OwnFrame, now: OwnFrame, events: GameEvent[]): void {
    const at = { x: now.x, y: now.y };
    // A respawn restores full HP: that is not healing, and nothing else raises HP.
    if (now.hp < was.hp) {
      events.push({ type: 'damage', id: now.id, target: 'self', amount: was.hp - now.hp, fatal: now.hp <= 0, ...at });
    }
    if (!isDead(was.pose) && isDead(now.pose)) {
      events.push({ type: 'death', ...at });
    } else if (isDead(was.pose) && !isDead(now.pose)) {
      events.push({ type: 'respawn', ...at });
    }
    if (now.xp > was.xp) {
      events.push({ type: 'xp', amount: now.xp - was.xp, ...at });
    }
    if (now.level > was.level) {
      events.push({ type: 'levelUp', level: now.level, ...at });
    }
    const had = new Set(prev.inventory);
    const picked = cur.inventory.filter((s) => !had.has(s) && this.groundSeen.has(s)).length;
    if (picked > 0) {
      events.push({ type: 'pickup', count: picked, ...at });
    }
    if (prev.body !== null && cur.body !== null && prev.body.onGround && !cur.body.onGround && cur.body.velY < 0) {
      events.push({ type: 'jump', ...at });
    }
  }

  /**
   * The player's swing, predicted: while ATTACK is held the server swings as soon as the
   * cooldown allows, so the client swings (and plays the sound) at once rather than a round
   * trip later when the ATTACKING pose comes back.
   */
  private swing(cur: FrameState, own: OwnFrame, events: GameEvent[]): void {
    if (!cur.attackHeld || isDead(own.pose)) {
      return;
    }
    if (this.lastSwing === null || cur.inputTick - this.lastSwing >= PLAYER_ATTACK_COOLDOWN || cur.inputTick < this.lastSwing) {
      this.lastSwing = cur.inputTick;
      events.push({ type: 'swing', x: own.x, y: own.y });
    }
  }
}
