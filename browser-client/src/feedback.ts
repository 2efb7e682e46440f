/**
 * Feedback on what happens in the game: each frame's state goes through the event tracker
 * (`events.ts`), and each event becomes what the player sees and hears: damage numbers and the
 * level-up burst (`render/effects.ts`), sounds (`audio/sound.ts`, placed left or right and
 * softer with distance), the red flash of a blow taken, and the death screen (`hud.ts`).
 */

import type { Sound, Placement } from './audio/sound';
import { EventTracker, isDead, type FrameState, type GameEvent, type SeenEntity } from './events';
import type { DeathScreen, HurtFlash } from './hud';
import { SUB } from './physics';
import { Effects } from './render/effects';
import type { Figure } from './render/figures';
import { TILE_PX } from './render/palette';
import type { Session } from './session';
import type { WorldView } from './snapshots';

/** Blows farther from the player than this (world pixels, ~40 tiles: off screen) are not heard. */
const HEARING_PX = 40 * TILE_PX;
/** A sound this far to one side (world pixels, about half the screen) plays fully on that side. */
const FULL_PAN_PX = 40 * TILE_PX;

/** Sub-units (1/256 tile) per world pixel. */
const SUB_PER_PX = SUB / TILE_PX;

/**
 * Others as the newest snapshot shows them, in world pixels. The newest, not the interpolated
 * view drawn ~100 ms behind: a blow's number shows as soon as the client knows of it, and a
 * mob's removal comes in the same snapshot as the experience for killing it.
 */
export function othersOf(view: WorldView | null): SeenEntity[] {
  if (view === null) {
    return [];
  }
  return [...view.byId.values()].map((e) => ({
    id: e.id,
    kind: e.kind.type === 'Player' ? 'player' : 'npc',
    hp: e.hp,
    pose: e.pose,
    x: e.pos.x / SUB_PER_PX,
    y: e.pos.y / SUB_PER_PX,
  }));
}

/** What the tracker compares: the session, the player as drawn (`self`), others from `othersOf`. */
export function frameState(session: Session, self: Figure | null, others: readonly SeenEntity[], attackHeld: boolean): FrameState {
  const own = session.own;
  const body = session.predictor?.body ?? null;
  return {
    own: own === null || self === null ? null : { id: own.entity, hp: own.hp, xp: own.xp, level: own.level, pose: own.pose, x: self.x, y: self.y },
    body: body === null ? null : { onGround: body.onGround, velY: body.vel.y },
    others,
    inventory: session.inventory.map((i) => i.serial),
    ground: session.ground.map((g) => g.serial),
    inputTick: session.inputSeq,
    attackHeld,
  };
}

/** Where a sound at world `x` plays for a player at `selfX`: panned by side, softer far off; null if out of earshot. */
export function placement(x: number, selfX: number | null): Placement | null {
  if (selfX === null) {
    return {};
  }
  const dx = x - selfX;
  if (Math.abs(dx) > HEARING_PX) {
    return null;
  }
  return { pan: Math.max(-1, Math.min(1, dx / FULL_PAN_PX)) * 0.8, gain: 1 - (0.7 * Math.abs(dx)) / HEARING_PX };
}

export class Feedback {
  readonly effects = new Effects();
  private readonly tracker = new EventTracker();
  private session: Session | null = null;
  /** The newest view seen, and its entities for the tracker (rebuilt only when a new one came). */
  private view: WorldView | null = null;
  private others: SeenEntity[] = [];
  /** Events handled since the page loaded, by type (the test hook shows them). */
  readonly counts = new Map<GameEvent['type'], number>();

  constructor(
    private readonly sound: Sound,
    private readonly flash: HurtFlash,
    private readonly death: DeathScreen,
  ) {}

  get deathVisible(): boolean {
    return this.death.visible;
  }

  /** One frame: what happened since the last one, shown and played. */
  update(session: Session, figures: readonly Figure[], attackHeld: boolean, nowMs: number): void {
    if (session !== this.session) {
      // A new connection: nothing compares with the last frame of the old one.
      this.session = session;
      this.tracker.reset();
      this.effects.clear();
    }
    const self = figures.find((f) => f.isSelf) ?? null;
    this.effects.follow(self === null ? null : { x: self.x, y: self.y });
    const view = session.history.latest();
    if (view !== this.view) {
      this.view = view;
      this.others = othersOf(view);
    }
    for (const event of this.tracker.next(frameState(session, self, this.others, attackHeld))) {
      this.counts.set(event.type, (this.counts.get(event.type) ?? 0) + 1);
      this.handle(event, session, self?.x ?? null, nowMs);
    }
    const dead = session.status === 'playing' && session.own !== null && isDead(session.own.pose);
    this.death.update(dead, session.tickMs, nowMs);
  }

  private handle(e: GameEvent, session: Session, selfX: number | null, nowMs: number): void {
    switch (e.type) {
      case 'damage': {
        if (e.target === 'self') {
          this.effects.damage(e.id, 'self', e.amount, e.x, e.y, nowMs);
          this.sound.play('hurt');
          this.flash.flash(e.amount / Math.max(session.own?.maxHp ?? 1, 1));
          return;
        }
        this.effects.damage(e.id, e.target === 'player' ? 'player' : e.fatal ? 'kill' : 'npc', e.amount, e.x, e.y, nowMs);
        const at = placement(e.x, selfX);
        if (at !== null) {
          // A blow on another player is someone else's fight: heard, but softer.
          this.sound.play('hit', e.target === 'player' ? { ...at, gain: (at.gain ?? 1) * 0.4 } : at);
        }
        return;
      }
      case 'xp':
        this.effects.selfText('xp', `+${e.amount} XP`, nowMs);
        return;
      case 'levelUp':
        this.effects.levelUp(e.level, nowMs);
        this.sound.play('levelUp');
        return;
      case 'pickup':
        this.effects.selfText('pickup', e.count === 1 ? '+1 item' : `+${e.count} items`, nowMs);
        this.sound.play('pickup');
        return;
      case 'death':
      case 'respawn':
      case 'jump':
      case 'swing':
        this.sound.play(e.type);
        return;
    }
  }
}
