/**
 * The light inside a cave: when the camera looks from inside one, the view darkens to a cold
 * blue-grey towards its edges (deeper is darker) and a warm glow surrounds the player, like a
 * torch. It fades in and out over a fraction of a second instead of switching.
 */

import type { Camera } from './camera';
import { makeCanvas, type Ctx2D, type Surface } from './pixel';

/** How fast the darkness follows going in or out (fraction per millisecond). */
const FADE_PER_MS = 1 / 350;
/** The darkness at the edge of the view: from shallow caves to the deepest. */
const EDGE_ALPHA_MIN = 0.75;
const EDGE_ALPHA_MAX = 0.92;
/** Depth (tiles below the surface) at which caves are darkest. */
const DARKEST_DEPTH = 40;
/** The darkness is computed at one value per this many pixels. */
const SHADE_PX = 4;

function radial(size: number, stops: [number, string][]): Surface {
  const { canvas, ctx } = makeCanvas(size, size);
  const g = ctx.createRadialGradient(size / 2, size / 2, 0, size / 2, size / 2, size / 2);
  for (const [at, color] of stops) {
    g.addColorStop(at, color);
  }
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, size, size);
  return canvas;
}

/** The darkness from the light outwards: (fraction of the radius, opacity at the darkest). */
const DARK_STOPS: [number, number][] = [
  [0, 0],
  [0.12, 0.08],
  [0.3, 0.6],
  [0.55, 0.92],
  [1, 1],
];

export class CaveLight {
  /** 0 outside, 1 inside; eased towards where the camera is. */
  private level = 0;
  private lastMs: number | null = null;
  private glow: Surface | null = null;
  private shade: { canvas: Surface; ctx: Ctx2D } | null = null;

  /** How far in the light is now (0 outside, 1 inside). */
  get amount(): number {
    return this.level;
  }

  /**
   * Darkens the view when `inside` (a cave `depth` tiles below the surface) except around
   * canvas point `light` (the player; null: the view's middle, without the warm glow).
   */
  draw(ctx: CanvasRenderingContext2D, cam: Camera, inside: boolean, depth: number, light: { x: number; y: number } | null, nowMs: number): void {
    const dt = this.lastMs === null ? 1000 : Math.min(nowMs - this.lastMs, 1000);
    this.lastMs = nowMs;
    const target = inside ? 1 : 0;
    const step = dt * FADE_PER_MS;
    this.level = this.level < target ? Math.min(this.level + step, target) : Math.max(this.level - step, target);
    if (this.level <= 0) {
      return;
    }
    const cx = light?.x ?? cam.widthPx / 2;
    const cy = light?.y ?? cam.heightPx / 2;
    const edge = EDGE_ALPHA_MIN + (EDGE_ALPHA_MAX - EDGE_ALPHA_MIN) * Math.min(Math.max(depth / DARKEST_DEPTH, 0), 1);
    const a = this.level * edge;
    // The darkness is painted small and blown up without smoothing: a full-size gradient costs
    // a few milliseconds a frame in software, and 4 px steps suit the pixel art.
    const { canvas: shade, ctx: sctx } = (this.shade ??= makeCanvas(Math.ceil(cam.widthPx / SHADE_PX), Math.ceil(cam.heightPx / SHADE_PX)));
    const radius = (Math.hypot(cam.widthPx, cam.heightPx) * 0.75) / SHADE_PX;
    const g = sctx.createRadialGradient(cx / SHADE_PX, cy / SHADE_PX, 0, cx / SHADE_PX, cy / SHADE_PX, radius);
    for (const [at, alpha] of DARK_STOPS) {
      g.addColorStop(at, `rgba(8, 12, 26, ${(alpha * a).toFixed(3)})`);
    }
    sctx.clearRect(0, 0, shade.width, shade.height);
    sctx.fillStyle = g;
    sctx.fillRect(0, 0, shade.width, shade.height);
    ctx.drawImage(shade, 0, 0, shade.width * SHADE_PX, shade.height * SHADE_PX);
    const glow = (this.glow ??= radial(64, [
      [0, 'rgba(255, 176, 96, 0.22)'],
      [0.5, 'rgba(255, 150, 70, 0.12)'],
      [1, 'rgba(255, 140, 60, 0)'],
    ]));
    const smoothing = ctx.imageSmoothingEnabled;
    ctx.imageSmoothingEnabled = true;
    if (light !== null) {
      ctx.globalAlpha = this.level;
      ctx.globalCompositeOperation = 'lighter';
      ctx.drawImage(glow, cx - 90, cy - 90, 180, 180);
      ctx.globalCompositeOperation = 'source-over';
    }
    ctx.globalAlpha = 1;
    ctx.imageSmoothingEnabled = smoothing;
  }
}
