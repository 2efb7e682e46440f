/**
 * Effects drawn in world space over the figures: floating damage numbers that pop, rise and
 * fade over whoever was hit (the player's own in red, mobs' in yellow, other players' in
 * pink), small texts over the player (`+10 XP`, `+1 item`), and the level-up burst (a pillar
 * of light, rings, sparks and "LEVEL UP!").
 *
 * `feedback.ts` adds effects as game events happen; the renderer calls `draw` once a frame
 * after the items. Texts about the player follow it (`follow`); damage numbers stay where the
 * blow landed, as in the games this one takes after.
 */

import type { Camera } from './camera';

/** How a floating text looks. */
export type TextStyle = 'self' | 'npc' | 'kill' | 'player' | 'xp' | 'pickup';

/** How long a floating text lives, and how far it rises meanwhile. */
export const TEXT_LIFE_MS = 950;
export const TEXT_RISE_PX = 26;
/** The pop: a new number starts this much larger and shrinks to size over `POP_MS`. */
const POP_SCALE = 0.7;
const POP_MS = 130;
/** The fraction of its life after which a text fades out. */
const FADE_FROM = 0.55;
/** Numbers on the same target within this time stack upwards instead of overlapping. */
const STACK_MS = 450;
const STACK_PX = 20;
export const LEVEL_UP_LIFE_MS = 2200;
/** Texts kept at most (a crowd fight makes many; the oldest go first). */
const MAX_TEXTS = 80;
/** How far above the feet texts start: over the head, the HP bar and the name. */
const HEAD_PX = 46;
/**
 * Notes about the player start right of its chest (left-aligned), below its name tag, and
 * stack by `SIDE_STACK_PX`.
 */
const SIDE_PX = 12;
const SIDE_Y_PX = -18;
const SIDE_STACK_PX = 14;

/** Where a floating text is at `ageMs` of `lifeMs`: risen by `rise` px, drawn with `alpha` and `scale`. */
export function floatMotion(ageMs: number, lifeMs: number = TEXT_LIFE_MS): { rise: number; alpha: number; scale: number } {
  const t = Math.min(Math.max(ageMs / lifeMs, 0), 1);
  const rise = TEXT_RISE_PX * (1 - (1 - t) ** 3); // ease-out: a quick start, a soft stop
  const alpha = t <= FADE_FROM ? 1 : 1 - (t - FADE_FROM) / (1 - FADE_FROM);
  const scale = ageMs < POP_MS ? 1 + POP_SCALE * (1 - Math.max(ageMs, 0) / POP_MS) : 1;
  return { rise, alpha, scale };
}

interface FloatingText {
  style: TextStyle;
  text: string;
  /** The target it is about (stacking), null for texts about the player. */
  target: number | null;
  /** Where it starts: world pixels, or an offset from the player when `follow`. */
  x: number;
  y: number;
  follow: boolean;
  bornMs: number;
}

interface LevelUpBurst {
  level: number;
  bornMs: number;
}

/** A floating text as the test hook lists it: where it is drawn now, in world pixels. */
export interface ActiveText {
  style: TextStyle;
  text: string;
  x: number;
  y: number;
}

const STYLE: Record<TextStyle, { size: number; top: string; bottom: string }> = {
  self: { size: 19, top: '#ff9a8a', bottom: '#e3261c' },
  npc: { size: 18, top: '#ffffff', bottom: '#ffd84a' },
  kill: { size: 23, top: '#fff3a0', bottom: '#ff9d1c' },
  player: { size: 14, top: '#ffd6ef', bottom: '#ff8fcf' },
  xp: { size: 13, top: '#e5f7ff', bottom: '#7fd4ff' },
  pickup: { size: 13, top: '#eaffdf', bottom: '#8be06a' },
};

export class Effects {
  private texts: FloatingText[] = [];
  private levelUps: LevelUpBurst[] = [];
  /** Where the player is drawn this frame (world pixels, its feet), null when it is not. */
  private self: { x: number; y: number } | null = null;

  /** The player's position this frame, for the effects that follow it. */
  follow(self: { x: number; y: number } | null): void {
    this.self = self;
  }

  /** A damage number over target `id` standing at `(x, y)` (world pixels, its feet). */
  damage(id: number, style: 'self' | 'npc' | 'kill' | 'player', amount: number, x: number, y: number, nowMs: number): void {
    const stacked = this.texts.filter((t) => t.target === id && nowMs - t.bornMs < STACK_MS).length;
    // Alternate a little left and right too, so stacked numbers read as separate blows.
    const dx = stacked === 0 ? 0 : stacked % 2 === 1 ? 5 : -5;
    this.add({ style, text: String(amount), target: id, x: x + dx, y: y - HEAD_PX - stacked * STACK_PX, follow: false, bornMs: nowMs });
  }

  /**
   * A small note beside the player's head (`+10 XP`), following it: beside, not over, so the
   * damage numbers over the head stay readable in a fight.
   */
  selfText(style: 'xp' | 'pickup', text: string, nowMs: number): void {
    const stacked = this.texts.filter((t) => t.follow && nowMs - t.bornMs < STACK_MS).length;
    this.add({ style, text, target: null, x: SIDE_PX, y: SIDE_Y_PX - stacked * SIDE_STACK_PX, follow: true, bornMs: nowMs });
  }

  levelUp(level: number, nowMs: number): void {
    this.levelUps.push({ level, bornMs: nowMs });
  }

  clear(): void {
    this.texts = [];
    this.levelUps = [];
  }

  /** Texts alive at `nowMs`, where they are drawn (for the test hook). */
  active(nowMs: number): ActiveText[] {
    this.prune(nowMs);
    const out: ActiveText[] = [];
    for (const t of this.texts) {
      const at = this.anchor(t);
      if (at !== null) {
        out.push({ style: t.style, text: t.text, x: at.x, y: at.y - floatMotion(nowMs - t.bornMs).rise });
      }
    }
    return out;
  }

  /** Level-up bursts alive at `nowMs`. */
  activeLevelUps(nowMs: number): number[] {
    this.prune(nowMs);
    return this.levelUps.map((l) => l.level);
  }

  draw(ctx: CanvasRenderingContext2D, cam: Camera, nowMs: number): void {
    this.prune(nowMs);
    if (this.self !== null) {
      for (const l of this.levelUps) {
        drawLevelUp(ctx, l, this.self.x - cam.left, this.self.y - cam.top, nowMs - l.bornMs);
      }
    }
    ctx.save();
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.lineJoin = 'round';
    for (const t of this.texts) {
      const at = this.anchor(t);
      if (at !== null) {
        drawText(ctx, t, at.x - cam.left, at.y - cam.top, nowMs - t.bornMs);
      }
    }
    ctx.restore();
  }

  private add(t: FloatingText): void {
    this.texts.push(t);
    if (this.texts.length > MAX_TEXTS) {
      this.texts.splice(0, this.texts.length - MAX_TEXTS);
    }
  }

  private anchor(t: FloatingText): { x: number; y: number } | null {
    if (!t.follow) {
      return { x: t.x, y: t.y };
    }
    return this.self === null ? null : { x: this.self.x + t.x, y: this.self.y + t.y };
  }

  private prune(nowMs: number): void {
    if (this.texts.length > 0 && nowMs - this.texts[0].bornMs >= TEXT_LIFE_MS) {
      this.texts = this.texts.filter((t) => nowMs - t.bornMs < TEXT_LIFE_MS);
    }
    if (this.levelUps.length > 0) {
      this.levelUps = this.levelUps.filter((l) => nowMs - l.bornMs < LEVEL_UP_LIFE_MS);
    }
  }
}

/** A text with a dark outline and a top-to-bottom gradient, `size` px tall, centred at (cx, cy). */
function outlinedText(ctx: CanvasRenderingContext2D, text: string, cx: number, cy: number, size: number, top: string, bottom: string): void {
  ctx.font = `900 ${size}px system-ui, 'Segoe UI', sans-serif`;
  const fill = ctx.createLinearGradient(0, cy - size / 2, 0, cy + size / 2);
  fill.addColorStop(0, top);
  fill.addColorStop(1, bottom);
  ctx.lineWidth = Math.max(3, size / 4);
  ctx.strokeStyle = 'rgba(20, 8, 4, 0.9)';
  ctx.strokeText(text, cx, cy);
  ctx.fillStyle = fill;
  ctx.fillText(text, cx, cy);
}

function drawText(ctx: CanvasRenderingContext2D, t: FloatingText, cx: number, cy: number, ageMs: number): void {
  const { rise, alpha, scale } = floatMotion(ageMs);
  const style = STYLE[t.style];
  ctx.save();
  ctx.textAlign = t.follow ? 'left' : 'center';
  ctx.globalAlpha = alpha;
  ctx.translate(Math.round(cx), Math.round(cy - rise));
  ctx.scale(scale, scale);
  outlinedText(ctx, t.text, 0, 0, style.size, style.top, style.bottom);
  ctx.restore();
}

const GOLD = '#ffd84d';
const SPARKS = 14;

/** The level-up burst around the player's feet at canvas `(cx, cy)`, `ageMs` into it. */
function drawLevelUp(ctx: CanvasRenderingContext2D, l: LevelUpBurst, cx: number, cy: number, ageMs: number): void {
  const t = ageMs / LEVEL_UP_LIFE_MS;
  const chestY = cy - 14;
  ctx.save();
  // A pillar of light that flares and narrows.
  const pillar = Math.max(0, 1 - ageMs / 1100);
  if (pillar > 0) {
    const w = 10 + 24 * pillar;
    const beam = ctx.createLinearGradient(0, cy - 150, 0, cy);
    beam.addColorStop(0, 'rgba(255, 240, 160, 0)');
    beam.addColorStop(0.6, `rgba(255, 236, 140, ${0.45 * pillar})`);
    beam.addColorStop(1, `rgba(255, 255, 230, ${0.8 * pillar})`);
    ctx.fillStyle = beam;
    ctx.fillRect(cx - w / 2, cy - 150, w, 150);
  }
  // Two rings spreading out from the chest, the second a little later.
  ctx.strokeStyle = GOLD;
  for (const delay of [0, 180]) {
    const k = (ageMs - delay) / 750;
    if (k > 0 && k < 1) {
      ctx.globalAlpha = 1 - k;
      ctx.lineWidth = 3 * (1 - k) + 1;
      ctx.beginPath();
      ctx.ellipse(cx, chestY, 8 + 52 * easeOut(k), (8 + 52 * easeOut(k)) * 0.6, 0, 0, Math.PI * 2);
      ctx.stroke();
    }
  }
  // Sparks flying out and falling a little.
  const s = Math.min(ageMs / 900, 1);
  if (s < 1) {
    ctx.globalAlpha = 1 - s;
    for (let i = 0; i < SPARKS; i++) {
      const angle = (i / SPARKS) * Math.PI * 2 + 0.3;
      const r = 10 + 58 * easeOut(s) * (i % 2 === 0 ? 1 : 0.7);
      ctx.fillStyle = i % 3 === 0 ? '#ffffff' : GOLD;
      ctx.fillRect(Math.round(cx + Math.cos(angle) * r) - 1, Math.round(chestY + Math.sin(angle) * r * 0.7 + 30 * s * s) - 1, 3, 3);
    }
  }
  // The words, popping in and rising slowly, fading at the end.
  ctx.globalAlpha = t < 0.75 ? 1 : 1 - (t - 0.75) / 0.25;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.lineJoin = 'round';
  const pop = ageMs < 200 ? 1.6 - 0.6 * (ageMs / 200) : 1;
  ctx.translate(cx, cy - 128 - 12 * easeOut(t));
  ctx.scale(pop, pop);
  outlinedText(ctx, 'LEVEL UP!', 0, 0, 18, '#fffbe0', '#ffb81c');
  outlinedText(ctx, `Lv ${l.level}`, 0, 16, 12, '#ffffff', '#cfe3ff');
  ctx.restore();
}

function easeOut(t: number): number {
  return 1 - (1 - t) ** 3;
}
