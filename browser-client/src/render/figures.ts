/**
 * Drawing players and mobs: their animated sprite (with the hit flash and recoil), a soft
 * shadow at their feet, and what is written over them: players' names always, a mob's name
 * and anyone's HP bar only while hurt and alive (the player's own HP is on the HUD).
 */

import type { AnimState, MotionInput } from '../animation';
import { Pose, type EntityKind } from '../protocol';
import { COLORS, hpColor } from './palette';
import { speciesName, type SpriteBook } from './sprites';

/** One thing to draw, positioned by the middle of its feet in world pixels. */
export interface Figure {
  id: number;
  kind: EntityKind;
  /** Feet position in world pixels. */
  x: number;
  y: number;
  hp: number;
  maxHp: number;
  pose: number;
  isSelf: boolean;
  /** Velocity in world pixels per second (y down), for the animation; 0 when not known. */
  vx?: number;
  vy?: number;
  /** Whether it stands on something; the pose's ON_GROUND bit when not given. */
  onGround?: boolean;
}

/** What the animation needs of a figure. */
export function motionOf(f: Figure): MotionInput {
  return { pose: f.pose, vx: f.vx ?? 0, vy: f.vy ?? 0, onGround: f.onGround ?? (f.pose & Pose.ON_GROUND) !== 0 };
}

/** What is written over a figure: a name (and whose), and whether its HP bar shows. */
export interface Labels {
  name: string | null;
  style: 'self' | 'player' | 'mob';
  hpBar: boolean;
}

export function labelsOf(f: Figure): Labels {
  const alive = (f.pose & Pose.DEAD) === 0 && f.hp > 0;
  const hurt = alive && f.hp < f.maxHp;
  if (f.kind.type === 'Player') {
    return { name: f.kind.name, style: f.isSelf ? 'self' : 'player', hpBar: hurt && !f.isSelf };
  }
  return { name: hurt ? speciesName(f.kind.species) : null, style: 'mob', hpBar: hurt };
}

/** Draws the sprite of `f` in state `a` with its feet at canvas `(cx, cy)`. */
export function drawFigure(ctx: CanvasRenderingContext2D, book: SpriteBook, f: Figure, a: AnimState, cx: number, cy: number): void {
  if (motionOf(f).onGround && a.anim !== 'death') {
    ctx.drawImage(book.shadow, Math.round(cx) - 8, Math.round(cy) - 2);
  }
  book.sheetFor(f.kind, f.id).draw(ctx, a.anim, a.frame, cx + a.offsetX, cy, a.facingLeft, a.flash);
}

/** Draws the name tag and HP bar of `f` (feet at canvas `(cx, cy)`), above its sprite. */
export function drawLabels(ctx: CanvasRenderingContext2D, book: SpriteBook, f: Figure, cx: number, cy: number): void {
  const labels = labelsOf(f);
  if (labels.name === null && !labels.hpBar) {
    return;
  }
  let y = Math.round(cy - book.sheetFor(f.kind, f.id).art.height - 4);
  if (labels.hpBar) {
    drawHpBar(ctx, cx, y, f.hp, f.maxHp);
    y -= 3;
  }
  if (labels.name !== null) {
    drawNameTag(ctx, labels.name, cx, y - 1, labels.style);
  }
}

function drawHpBar(ctx: CanvasRenderingContext2D, cx: number, y: number, hp: number, maxHp: number): void {
  const w = 20;
  const fraction = maxHp > 0 ? Math.min(Math.max(hp / maxHp, 0), 1) : 0;
  const x = Math.round(cx - w / 2);
  ctx.fillStyle = COLORS.hpBack;
  ctx.fillRect(x - 1, y - 1, w + 2, 5);
  ctx.fillStyle = hpColor(fraction);
  ctx.fillRect(x, y, Math.max(1, Math.round(w * fraction)), 3);
  ctx.fillStyle = 'rgba(255, 255, 255, 0.35)';
  ctx.fillRect(x, y, Math.max(1, Math.round(w * fraction)), 1);
}

const TAG_COLOR: Record<Labels['style'], string> = { self: COLORS.selfTag, player: COLORS.nameTag, mob: COLORS.mobTag };

function drawNameTag(ctx: CanvasRenderingContext2D, name: string, cx: number, y: number, style: Labels['style']): void {
  ctx.font = style === 'mob' ? '9px system-ui, sans-serif' : 'bold 10px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'alphabetic';
  ctx.lineWidth = 3;
  ctx.strokeStyle = COLORS.outline;
  ctx.strokeText(name, cx, y);
  ctx.fillStyle = TAG_COLOR[style];
  ctx.fillText(name, cx, y);
}
