/** Drawing players and NPCs: bodies, poses, name tags and HP bars. */

import { HALF_WIDTH, HEIGHT, SUB } from '../physics';
import { Pose, type EntityKind } from '../protocol';
import { COLORS, TILE_PX, hpColor, playerColor } from './palette';

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
}

const BODY_W = ((2 * HALF_WIDTH) / SUB) * TILE_PX; // 12 px
const BODY_H = (HEIGHT / SUB) * TILE_PX; // 28 px

/** Draws `f` at canvas position `(cx, cy)` (its feet); `timeMs` animates flashes. */
export function drawFigure(ctx: CanvasRenderingContext2D, f: Figure, cx: number, cy: number, timeMs: number): void {
  const dead = (f.pose & Pose.DEAD) !== 0;
  const hurt = (f.pose & Pose.HURT) !== 0 && !dead;
  const facing = (f.pose & Pose.FACING_LEFT) !== 0 ? -1 : 1;
  ctx.save();
  ctx.translate(cx, cy);
  if (dead) {
    // Players fall over; NPCs flatten.
    ctx.globalAlpha = 0.45;
    if (f.kind.type === 'Player') {
      ctx.translate(0, -BODY_W / 2);
      ctx.rotate(-facing * (Math.PI / 2));
    } else {
      ctx.scale(1.2, 0.4);
    }
  }
  // Hurt: the body flashes red-white.
  const tint = hurt ? (Math.floor(timeMs / 80) % 2 === 0 ? '#ff5a5a' : '#ffffff') : null;
  let top: number;
  if (f.kind.type === 'Player') {
    drawPlayerBody(ctx, tint ?? playerColor(f.id), tint ?? COLORS.skin, facing);
    top = -BODY_H;
  } else {
    top = drawNpcBody(ctx, f.kind.species, facing, timeMs, tint);
  }
  if ((f.pose & Pose.ATTACKING) !== 0 && !dead) {
    drawSwing(ctx, facing, top);
  }
  ctx.restore();
  if (!dead || f.hp > 0) {
    drawHpBar(ctx, cx, cy + top - 5, f.hp, f.maxHp);
  }
  if (f.kind.type === 'Player') {
    drawNameTag(ctx, f.kind.name, cx, cy + top - 9, f.isSelf);
  }
}

function drawPlayerBody(ctx: CanvasRenderingContext2D, color: string, skin: string, facing: number): void {
  // Legs
  ctx.fillStyle = '#3a3a4a';
  ctx.fillRect(-5, -8, 4, 8);
  ctx.fillRect(1, -8, 4, 8);
  // Torso
  ctx.fillStyle = color;
  roundRect(ctx, -BODY_W / 2, -19, BODY_W, 12, 3);
  ctx.fill();
  // Head
  ctx.fillStyle = skin;
  ctx.beginPath();
  ctx.arc(0, -BODY_H + 5, 5, 0, Math.PI * 2);
  ctx.fill();
  // Eye on the facing side
  ctx.fillStyle = '#222';
  ctx.fillRect(facing * 2 - 1, -BODY_H + 4, 2, 2);
  // Outline
  ctx.strokeStyle = COLORS.outline;
  ctx.lineWidth = 1;
  roundRect(ctx, -BODY_W / 2, -19, BODY_W, 12, 3);
  ctx.stroke();
}

/** Draws an NPC and returns the y of its top (negative, relative to the feet). */
function drawNpcBody(
  ctx: CanvasRenderingContext2D,
  species: number,
  facing: number,
  timeMs: number,
  tint: string | null,
): number {
  if (species === 0) {
    // Slime: a squashing green blob.
    const squash = Math.sin(timeMs / 180) * 1.5;
    ctx.fillStyle = tint ?? '#48c774';
    ctx.beginPath();
    ctx.ellipse(0, -6 + squash / 2, 8 + squash, 6 - squash / 2, 0, Math.PI, 0);
    ctx.lineTo(8 + squash, 0);
    ctx.lineTo(-8 - squash, 0);
    ctx.closePath();
    ctx.fill();
    ctx.strokeStyle = '#1f7a3f';
    ctx.stroke();
    ctx.fillStyle = '#fff';
    ctx.fillRect(facing * 3 - 2, -9, 3, 3);
    ctx.fillRect(facing * 3 + 2, -9, 3, 3);
    return -13;
  }
  if (species === 1) {
    // Bat: a purple body with flapping wings, hovering above its feet position.
    const flap = Math.sin(timeMs / 90) * 4;
    ctx.fillStyle = tint ?? '#8e5bd6';
    ctx.beginPath();
    ctx.moveTo(-3, -12);
    ctx.lineTo(-12, -16 - flap);
    ctx.lineTo(-8, -9);
    ctx.moveTo(3, -12);
    ctx.lineTo(12, -16 - flap);
    ctx.lineTo(8, -9);
    ctx.fill();
    ctx.beginPath();
    ctx.arc(0, -11, 5, 0, Math.PI * 2);
    ctx.fill();
    ctx.strokeStyle = '#4b2a80';
    ctx.stroke();
    ctx.fillStyle = '#ffde59';
    ctx.fillRect(facing * 2 - 1, -13, 2, 2);
    return -20;
  }
  if (species === 2) {
    // Hunter (the learned brain): a crouching rust-red stalker, leaning the way it faces,
    // ears back, tail swishing, eyes glowing.
    const sway = Math.sin(timeMs / 140) * 2;
    ctx.save();
    ctx.scale(facing, 1);
    ctx.fillStyle = tint ?? '#c4512d';
    // Tail
    ctx.beginPath();
    ctx.moveTo(-6, -9);
    ctx.quadraticCurveTo(-13, -12 + sway, -14, -18 + sway);
    ctx.lineTo(-11, -17 + sway);
    ctx.quadraticCurveTo(-10, -11, -5, -7);
    ctx.fill();
    // Legs
    ctx.fillStyle = tint ?? '#7d2f1a';
    ctx.fillRect(-6, -5, 3, 5);
    ctx.fillRect(3, -5, 3, 5);
    // Body, low and long
    ctx.fillStyle = tint ?? '#c4512d';
    ctx.beginPath();
    ctx.ellipse(0, -8, 8, 4.5, -0.15, 0, Math.PI * 2);
    ctx.fill();
    // Head with ears
    ctx.beginPath();
    ctx.arc(7, -13, 4, 0, Math.PI * 2);
    ctx.moveTo(4, -15);
    ctx.lineTo(3, -21);
    ctx.lineTo(7, -16);
    ctx.moveTo(7, -16);
    ctx.lineTo(8, -21);
    ctx.lineTo(10, -15);
    ctx.fill();
    ctx.strokeStyle = '#5a1f10';
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.ellipse(0, -8, 8, 4.5, -0.15, 0, Math.PI * 2);
    ctx.stroke();
    // Glowing eye
    ctx.fillStyle = '#ffe14d';
    ctx.fillRect(8, -14, 2, 2);
    ctx.restore();
    return -21;
  }
  // Anything else: a grey block with a question mark.
  ctx.fillStyle = tint ?? '#888';
  ctx.fillRect(-7, -14, 14, 14);
  ctx.fillStyle = '#fff';
  ctx.font = 'bold 10px sans-serif';
  ctx.textAlign = 'center';
  ctx.fillText('?', 0, -3);
  return -14;
}

function drawSwing(ctx: CanvasRenderingContext2D, facing: number, top: number): void {
  const midY = top / 2;
  ctx.strokeStyle = COLORS.swing;
  ctx.lineWidth = 2.5;
  ctx.beginPath();
  if (facing > 0) {
    ctx.arc(2, midY, 14, -Math.PI / 3, Math.PI / 3);
  } else {
    ctx.arc(-2, midY, 14, (2 * Math.PI) / 3, (4 * Math.PI) / 3);
  }
  ctx.stroke();
}

function drawHpBar(ctx: CanvasRenderingContext2D, cx: number, y: number, hp: number, maxHp: number): void {
  const w = 20;
  const fraction = maxHp > 0 ? Math.min(Math.max(hp / maxHp, 0), 1) : 0;
  ctx.fillStyle = COLORS.hpBack;
  ctx.fillRect(Math.round(cx - w / 2) - 1, Math.round(y) - 1, w + 2, 5);
  ctx.fillStyle = hpColor(fraction);
  ctx.fillRect(Math.round(cx - w / 2), Math.round(y), Math.round(w * fraction), 3);
}

function drawNameTag(ctx: CanvasRenderingContext2D, name: string, cx: number, y: number, isSelf: boolean): void {
  ctx.font = 'bold 10px system-ui, sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'alphabetic';
  ctx.lineWidth = 3;
  ctx.strokeStyle = COLORS.outline;
  ctx.strokeText(name, cx, y);
  ctx.fillStyle = isSelf ? COLORS.selfTag : COLORS.nameTag;
  ctx.fillText(name, cx, y);
}

function roundRect(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, r: number): void {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}
