/**
 * Pixel-art painting: small offscreen canvases and a painter that only sets whole pixels
 * (rects, lines, filled ellipses), so every sprite and tile is crisp when blitted with image
 * smoothing off. All the art is painted by code once at start (no image files).
 */

export type Ctx2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;
export type Surface = HTMLCanvasElement | OffscreenCanvas;

/** A `w x h` transparent canvas (an OffscreenCanvas where the browser has one). */
export function makeCanvas(w: number, h: number): { canvas: Surface; ctx: Ctx2D } {
  const canvas: Surface = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(w, h) : Object.assign(document.createElement('canvas'), { width: w, height: h });
  const ctx = canvas.getContext('2d') as Ctx2D | null;
  if (ctx === null) {
    throw new Error('canvas 2D is not available');
  }
  ctx.imageSmoothingEnabled = false;
  return { canvas, ctx };
}

/** Paints whole pixels relative to an origin (a sprite's feet, a tile's corner). */
export class Painter {
  constructor(
    readonly ctx: Ctx2D,
    private ox = 0,
    private oy = 0,
  ) {}

  /** Moves the origin by `(dx, dy)`; returns the painter. */
  shift(dx: number, dy: number): this {
    this.ox += dx;
    this.oy += dy;
    return this;
  }

  rect(x: number, y: number, w: number, h: number, color: string): void {
    if (w <= 0 || h <= 0) {
      return;
    }
    this.ctx.fillStyle = color;
    this.ctx.fillRect(Math.round(this.ox + x), Math.round(this.oy + y), Math.round(w), Math.round(h));
  }

  px(x: number, y: number, color: string): void {
    this.rect(x, y, 1, 1, color);
  }

  /** Makes pixels transparent again. */
  clear(x: number, y: number, w = 1, h = 1): void {
    this.ctx.clearRect(Math.round(this.ox + x), Math.round(this.oy + y), w, h);
  }

  /** A line of `width`-pixel square dabs from `(x0, y0)` to `(x1, y1)` (Bresenham). */
  line(x0: number, y0: number, x1: number, y1: number, color: string, width = 1): void {
    x0 = Math.round(x0);
    y0 = Math.round(y0);
    x1 = Math.round(x1);
    y1 = Math.round(y1);
    const dx = Math.abs(x1 - x0);
    const dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1;
    const sy = y0 < y1 ? 1 : -1;
    const half = Math.floor((width - 1) / 2);
    let err = dx + dy;
    for (;;) {
      this.rect(x0 - half, y0 - half, width, width, color);
      if (x0 === x1 && y0 === y1) {
        return;
      }
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x0 += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y0 += sy;
      }
    }
  }

  /** A filled ellipse centred on pixel `(cx, cy)` with radii `rx`, `ry` (odd widths), row by row. */
  ellipse(cx: number, cy: number, rx: number, ry: number, color: string): void {
    const rows = Math.floor(ry);
    for (let dy = -rows; dy <= rows; dy++) {
      const half = Math.round((rx + 0.5) * Math.sqrt(Math.max(0, 1 - (dy / (ry + 0.5)) ** 2)) - 0.5);
      this.rect(cx - half, cy + dy, 2 * half + 1, 1, color);
    }
  }

  /** A filled polygon: every pixel whose centre is inside (scanlines, so no soft edges). */
  poly(points: readonly (readonly [number, number])[], color: string): void {
    const ys = points.map(([, y]) => y);
    const top = Math.floor(Math.min(...ys));
    const bottom = Math.ceil(Math.max(...ys));
    for (let y = top; y < bottom; y++) {
      const yc = y + 0.5;
      const xs: number[] = [];
      for (let i = 0; i < points.length; i++) {
        const [ax, ay] = points[i];
        const [bx, by] = points[(i + 1) % points.length];
        if ((ay <= yc && by > yc) || (by <= yc && ay > yc)) {
          xs.push(ax + ((yc - ay) / (by - ay)) * (bx - ax));
        }
      }
      xs.sort((a, b) => a - b);
      for (let i = 0; i + 1 < xs.length; i += 2) {
        const x0 = Math.round(xs[i]);
        const x1 = Math.round(xs[i + 1]);
        this.rect(x0, y, x1 - x0, 1, color);
      }
    }
  }

  /** The lower half of a dome: a blob `w` wide at its base, `h` tall, its bottom row at `bottom`. */
  dome(cx: number, bottom: number, w: number, h: number, color: string): void {
    for (let row = 0; row < h; row++) {
      const y = bottom - row;
      // Flat sides below the middle, rounding above it, one pixel in at the very bottom.
      const t = row / Math.max(h - 1, 1);
      let half = t < 0.45 ? w / 2 : (w / 2) * Math.sqrt(Math.max(0, 1 - ((t - 0.45) / 0.55) ** 2));
      if (row === 0) {
        half -= 1;
      }
      half = Math.max(half, 1);
      this.rect(Math.round(cx - half), y, Math.round(2 * half), 1, color);
    }
  }
}

/** `canvas` in one flat colour where it is not transparent (an outline or a flash). */
export function silhouette(canvas: Surface, color: string): Surface {
  const { canvas: out, ctx } = makeCanvas(canvas.width, canvas.height);
  ctx.drawImage(canvas, 0, 0);
  ctx.globalCompositeOperation = 'source-in';
  ctx.fillStyle = color;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  return out;
}

/** `canvas` with a one-pixel outline of `color` around everything it paints. */
export function outlined(canvas: Surface, color: string): Surface {
  const shape = silhouette(canvas, color);
  const { canvas: out, ctx } = makeCanvas(canvas.width, canvas.height);
  for (const [dx, dy] of [
    [-1, 0],
    [1, 0],
    [0, -1],
    [0, 1],
  ]) {
    ctx.drawImage(shape, dx, dy);
  }
  ctx.drawImage(canvas, 0, 0);
  return out;
}

/** An HSL colour string (hue in degrees, saturation and lightness in percent). */
export function hsl(h: number, s: number, l: number): string {
  return `hsl(${h}, ${s}%, ${Math.min(Math.max(l, 0), 100)}%)`;
}
