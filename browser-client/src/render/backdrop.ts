/**
 * The sky behind the world: a gradient, and layers that move slower than the camera the
 * farther away they are (parallax): snowy mountains, drifting clouds, blue-green hills and
 * near hills with trees. Each layer is painted once into a strip that repeats seamlessly (its
 * shapes are sums of waves with whole periods over the strip) and blitted a few times a frame.
 * Below the surface nothing of it shows: caves have their own rock wall (`tiles.ts`).
 */

import type { Camera } from './camera';
import { makeCanvas, Painter, type Surface } from './pixel';
import { tileHash } from './tile-variants';

/** The strips repeat every this many pixels. */
const STRIP_W = 512;

interface Layer {
  strip: Surface;
  /** Fraction of the camera's motion the layer follows (0: fixed on screen, 1: the world). */
  factor: number;
  /** Sideways drift of its own, px per second (clouds). */
  drift: number;
  /** Where the strip's bottom sits relative to the horizon (px, down). */
  below: number;
  /** The colour under the strip, down to the bottom of the view (or null: nothing). */
  fill: string | null;
}

const SKY_TOP = '#5fa8e8';
const SKY_HORIZON = '#cdeafc';

/** A wave with `k` whole periods over the strip, so the strip wraps without a seam. */
function wave(x: number, k: number, phase: number): number {
  return Math.sin((2 * Math.PI * k * x) / STRIP_W + phase);
}

/** A sharp ridge with `k` whole periods over the strip (a triangle wave, 0 to 1). */
function ridge(x: number, k: number, phase: number): number {
  const t = ((k * x) / STRIP_W + phase) % 1;
  return 1 - Math.abs(t * 2 - 1);
}

/** A strip `h` tall whose column `x` is filled from `height(x)` above the bottom, in 2 px steps. */
function skyline(h: number, height: (x: number) => number, paint: (p: Painter, x: number, top: number) => void): { canvas: Surface; p: Painter } {
  const { canvas, ctx } = makeCanvas(STRIP_W, h);
  const p = new Painter(ctx);
  for (let x = 0; x < STRIP_W; x++) {
    const top = h - Math.round(height(x) / 2) * 2;
    paint(p, x, top);
  }
  return { canvas, p };
}

function mountains(): Surface {
  const height = (x: number): number => 34 + 52 * ridge(x, 3, 0.1) * (0.6 + 0.4 * ridge(x, 7, 0.35)) + 10 * wave(x, 2, 1);
  const h = 110;
  return skyline(h, height, (p, x, top) => {
    // The side facing the light is paler; snow on the high peaks.
    const lit = height(x + 1) < height(x);
    p.rect(x, top, 1, h - top, lit ? '#a9bedb' : '#96acc9');
    if (h - top > 72) {
      p.rect(x, top, 1, Math.min(h - top - 70, 8), '#eef4fb');
    }
  }).canvas;
}

function hills(seed: number, base: number, amp: number, body: string, trees: string, pines: boolean): Surface {
  const h = base + amp + 24;
  const height = (x: number): number => base + amp * (0.6 * wave(x, 3, seed) + 0.4 * wave(x, 7, seed * 2));
  const { canvas, p } = skyline(h, height, (pp, x, top) => pp.rect(x, top, 1, h - top, body));
  // Trees along the ridge, now and then (clear of the strip's ends, which must match).
  for (let x = 10; x < STRIP_W - 10; x += 6) {
    const r = tileHash(x, seed, 7);
    if (r % 100 > 38) {
      continue;
    }
    const top = h - Math.round(height(x) / 2) * 2;
    const size = 4 + (r >>> 8) % 4;
    if (pines) {
      for (let d = 0; d < size * 2; d++) {
        const w = 1 + Math.floor(d / 2);
        p.rect(x - Math.floor(w / 2), top - size * 2 + d, w, 1, trees);
      }
    } else {
      p.ellipse(x, top - size, size, size, trees);
    }
  }
  return canvas;
}

function clouds(): Surface {
  const { canvas, ctx } = makeCanvas(STRIP_W, 90);
  const p = new Painter(ctx);
  for (let i = 0; i < 5; i++) {
    const r = tileHash(i, 0, 8);
    const cx = 40 + i * 100 + (r % 30);
    const cy = 18 + ((r >>> 8) % 50);
    const w = 14 + ((r >>> 16) % 14);
    // Puffs: a flat base and round tops, a shaded underside.
    p.ellipse(cx, cy + 3, w, 4, '#dbe8f4');
    p.ellipse(cx - w / 2, cy, w / 2, 5, '#ffffff');
    p.ellipse(cx + w / 3, cy - 2, w / 2, 7, '#ffffff');
    p.ellipse(cx, cy + 1, w, 3, '#ffffff');
    p.rect(cx - w, cy + 4, 2 * w + 1, 1, '#dbe8f4');
  }
  return canvas;
}

export class Backdrop {
  private layers: Layer[] | null = null;

  /**
   * Draws the sky for camera `cam`; `horizonPx` is where the land meets the sky in world
   * pixels (the layers sit on it), `timeMs` moves the clouds.
   */
  draw(ctx: CanvasRenderingContext2D, cam: Camera, horizonPx: number, timeMs: number): void {
    const layers = (this.layers ??= [
      { strip: mountains(), factor: 0.08, drift: 0, below: -40, fill: '#96acc9' },
      { strip: clouds(), factor: 0.12, drift: 5, below: -150, fill: null },
      { strip: hills(1.3, 34, 14, '#86b3a0', '#78a793', false), factor: 0.25, drift: 0, below: -10, fill: '#86b3a0' },
      { strip: hills(2.1, 26, 12, '#5f9a62', '#4e8852', true), factor: 0.45, drift: 0, below: 20, fill: '#5f9a62' },
    ]);
    const g = ctx.createLinearGradient(0, 0, 0, cam.heightPx);
    g.addColorStop(0, SKY_TOP);
    g.addColorStop(1, SKY_HORIZON);
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, cam.widthPx, cam.heightPx);
    const mid = cam.heightPx / 2;
    for (const layer of layers) {
      // The horizon as this layer sees it: near the middle of the view for far layers.
      const horizon = mid + (horizonPx - (cam.top + mid)) * layer.factor;
      const bottom = Math.round(horizon + layer.below);
      const top = bottom - layer.strip.height;
      if (top >= cam.heightPx) {
        continue;
      }
      const shift = cam.left * layer.factor + (timeMs / 1000) * layer.drift;
      let x = -Math.round(((shift % STRIP_W) + STRIP_W) % STRIP_W);
      for (; x < cam.widthPx; x += STRIP_W) {
        ctx.drawImage(layer.strip, x, top);
      }
      if (layer.fill !== null && bottom < cam.heightPx) {
        ctx.fillStyle = layer.fill;
        ctx.fillRect(0, bottom, cam.widthPx, cam.heightPx - bottom);
      }
    }
  }
}
