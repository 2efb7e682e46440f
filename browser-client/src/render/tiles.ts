/**
 * Drawing the terrain in view: the rock wall behind caves, ground (earth near the surface,
 * stone deeper), one-way planks, unknown cells, and the details that make tiles read as a
 * landscape: grass caps, cave floors, shaded sides and undersides, decorations.
 *
 * It stays cheap: the tiles in view are looked up once into a grid, runs of equal tiles in a
 * row are one `fillRect` with a world-anchored pattern, and only tiles with something special
 * (an edge, a decoration, a plank) get a blit of a small pre-painted canvas.
 */

import { classify, Openness, UNKNOWN, type SurfaceCache, type TileProbe } from '../cave';
import { Tile } from '../terrain';
import type { Camera } from './camera';
import { TILE_PX } from './palette';
import { CAVE_FLOOR_DY, GRASS_DY, paintTileArt, type TileArt } from './tile-art';
import { caveFloorVariant, Decal, decalAt, DIRT_DEPTH, grassVariant, Material, materialAt, plankPart, tileHash } from './tile-variants';
import { makeCanvas, type Surface } from './pixel';

/** What the tile layer reads of the world. */
export interface TerrainView {
  probe: TileProbe;
  surfaces: SurfaceCache;
  worldH: number;
}

/** The rock wall behind caves moves at this fraction of the camera: it is far behind. */
const CAVE_WALL_PARALLAX = 0.5;
/** Caves darken every this many tiles below the surface, in this many steps. */
const CAVE_SHADE_TILES = 5;
const CAVE_SHADES = 6;

/** Stone darkens every this many tiles deeper, in this many steps. */
const STONE_SHADE_TILES = 10;
const STONE_SHADES = 4;

/** Paint classes of runs: what a whole run of tiles is filled with (stone: `Stone + shade`). */
const Run = { None: 0, Dirt: 1, Unknown: 2, Stone: 3 } as const;

interface Patterns {
  dirt: CanvasPattern;
  /** Stone darkened for each depth step. */
  stones: CanvasPattern[];
  unknown: CanvasPattern;
  /** The cave wall darkened for each depth step. */
  caveWalls: CanvasPattern[];
}

export class TileLayer {
  private art: TileArt | null = null;
  private patterns: Patterns | null = null;
  // The grid of the tiles in view with a border of one: kinds, openness, column surfaces.
  private kinds = new Int8Array(0);
  private open = new Uint8Array(0);
  private surfaces = new Float64Array(0);
  /** The grid's first column. */
  private gx0 = 0;

  /** The tiles in view, `x0..x1` by `y0..y1` (exclusive), as last prepared. */
  private x0 = 0;
  private y0 = 0;
  private x1 = 0;
  private y1 = 0;

  /**
   * Looks the tiles in view of `cam` up (once a frame, before `draw`). Returns whether any of
   * them shows the sky: if none does, the backdrop need not be drawn.
   */
  prepare(cam: Camera, view: TerrainView): boolean {
    this.x0 = Math.floor(cam.left / TILE_PX);
    this.y0 = Math.floor(cam.top / TILE_PX);
    this.x1 = Math.ceil((cam.left + cam.widthPx) / TILE_PX);
    this.y1 = Math.ceil((cam.top + cam.heightPx) / TILE_PX);
    return this.lookUp(view, this.x0 - 1, this.y0 - 1, this.x1 - this.x0 + 2, this.y1 - this.y0 + 2);
  }

  /** Draws the tiles prepared for `cam`. */
  draw(ctx: CanvasRenderingContext2D, cam: Camera): void {
    const art = (this.art ??= paintTileArt());
    const patterns = (this.patterns ??= makePatterns(ctx, art));
    const { x0, y0, x1, y1 } = this;
    const gw = x1 - x0 + 2;
    const world = new DOMMatrix([1, 0, 0, 1, -cam.left, -cam.top]);
    for (const p of [patterns.dirt, patterns.unknown, ...patterns.stones]) {
      p.setTransform(world);
    }
    const far = new DOMMatrix([1, 0, 0, 1, -cam.left * CAVE_WALL_PARALLAX, -cam.top * CAVE_WALL_PARALLAX]);
    for (const p of patterns.caveWalls) {
      p.setTransform(far);
    }
    for (let y = y0; y < y1; y++) {
      const py = y * TILE_PX - cam.top;
      const row = (y - y0 + 1) * gw + 1 - x0; // grid index of (x, y) is row + x
      this.drawRuns(ctx, cam, patterns, x0, x1, y, py, row);
    }
    for (let y = y0; y < y1; y++) {
      const py = y * TILE_PX - cam.top;
      const row = (y - y0 + 1) * gw + 1 - x0;
      for (let x = x0; x < x1; x++) {
        this.drawDetails(ctx, art, x, y, x * TILE_PX - cam.left, py, row + x, gw);
      }
    }
  }

  /** Looks every tile of the grid up once and classifies the open ones; whether any inside the border is sky. */
  private lookUp(view: TerrainView, gx0: number, gy0: number, gw: number, gh: number): boolean {
    if (this.kinds.length < gw * gh) {
      this.kinds = new Int8Array(gw * gh);
      this.open = new Uint8Array(gw * gh);
    }
    this.gx0 = gx0;
    if (this.surfaces.length < gw) {
      this.surfaces = new Float64Array(gw);
    }
    for (let gx = 0; gx < gw; gx++) {
      this.surfaces[gx] = view.surfaces.surface(gx0 + gx, view.worldH) ?? NaN;
    }
    let sky = false;
    for (let gy = 0; gy < gh; gy++) {
      for (let gx = 0; gx < gw; gx++) {
        const i = gy * gw + gx;
        const kind = view.probe(gx0 + gx, gy0 + gy);
        const surface = this.surfaces[gx];
        this.kinds[i] = kind;
        this.open[i] = classify(kind, gy0 + gy, Number.isNaN(surface) ? null : surface);
        sky ||= this.open[i] === Openness.Outside && gx > 0 && gy > 0 && gx < gw - 1 && gy < gh - 1;
      }
    }
    return sky;
  }

  /** How far tile `(x, y)` is below its column's surface (null: no surface known). */
  private depth(x: number, y: number): number | null {
    const s = this.surfaces[x - this.gx0];
    return Number.isNaN(s) ? null : y - s;
  }

  /** One row: runs of cave wall (by shade), then runs of earth, stone and unknown. */
  private drawRuns(ctx: CanvasRenderingContext2D, cam: Camera, patterns: Patterns, x0: number, x1: number, y: number, py: number, row: number): void {
    const caveKey = (x: number): number => {
      if (this.open[row + x] !== Openness.Inside) {
        return -1;
      }
      return Math.min(Math.floor((this.depth(x, y) ?? 0) / CAVE_SHADE_TILES), CAVE_SHADES - 1);
    };
    const groundKey = (x: number): number => {
      const kind = this.kinds[row + x];
      if (kind === Tile.Solid) {
        const depth = this.depth(x, y);
        if (materialAt(x, depth) === Material.Dirt) {
          return Run.Dirt;
        }
        const deeper = depth === null ? STONE_SHADES : Math.floor((depth - DIRT_DEPTH) / STONE_SHADE_TILES);
        return Run.Stone + Math.min(Math.max(deeper, 0), STONE_SHADES - 1);
      }
      return kind === UNKNOWN ? Run.Unknown : Run.None;
    };
    eachRun(x0, x1, caveKey, (key, from, to) => {
      if (key >= 0) {
        ctx.fillStyle = patterns.caveWalls[key];
        ctx.fillRect(from * TILE_PX - cam.left, py, (to - from) * TILE_PX, TILE_PX);
      }
    });
    eachRun(x0, x1, groundKey, (key, from, to) => {
      if (key !== Run.None) {
        ctx.fillStyle = key === Run.Dirt ? patterns.dirt : key === Run.Unknown ? patterns.unknown : patterns.stones[key - Run.Stone];
        ctx.fillRect(from * TILE_PX - cam.left, py, (to - from) * TILE_PX, TILE_PX);
      }
    });
  }

  /** A tile's own details: a plank, or a solid tile's decoration and exposed edges. */
  private drawDetails(ctx: CanvasRenderingContext2D, art: TileArt, x: number, y: number, px: number, py: number, i: number, gw: number): void {
    const kind = this.kinds[i];
    if (kind === Tile.Platform) {
      const part = plankPart(this.kinds[i - 1] === Tile.Platform, this.kinds[i + 1] === Tile.Platform);
      ctx.drawImage(art.planks[part][tileHash(x, y, 4) & 1], px, py);
      return;
    }
    if (kind !== Tile.Solid) {
      return;
    }
    const depth = this.depth(x, y);
    const decal = decalAt(x, y, materialAt(x, depth), depth);
    const variant = tileHash(x, y, 5) & 1;
    if (decal !== Decal.None) {
      ctx.drawImage(art.decals[decal][variant], px, py);
    }
    const up = this.open[i - gw];
    const down = this.open[i + gw];
    const left = this.open[i - 1] !== Openness.Closed;
    const right = this.open[i + 1] !== Openness.Closed;
    if (left) {
      ctx.drawImage(art.side.left, px, py);
    }
    if (right) {
      ctx.drawImage(art.side.right, px, py);
    }
    if (down !== Openness.Closed) {
      ctx.drawImage(down === Openness.Inside ? art.underside.cave[variant] : art.underside.sky[variant], px, py);
    }
    if (up === Openness.Outside) {
      ctx.drawImage(art.grass[grassVariant(x, y)], px, py + GRASS_DY);
      if (left) {
        ctx.drawImage(art.grassSide.left, px, py);
      }
      if (right) {
        ctx.drawImage(art.grassSide.right, px, py);
      }
    } else if (up === Openness.Inside) {
      ctx.drawImage(art.caveFloor[caveFloorVariant(x, y)], px, py + CAVE_FLOOR_DY);
    }
  }
}

/** Calls `draw(key, from, to)` for each run of equal `key(x)` over `x0..x1`. */
function eachRun(x0: number, x1: number, key: (x: number) => number, draw: (key: number, from: number, to: number) => void): void {
  let from = x0;
  let current = key(x0);
  for (let x = x0 + 1; x <= x1; x++) {
    const k = x < x1 ? key(x) : Number.NaN;
    if (k !== current) {
      draw(current, from, x);
      from = x;
      current = k;
    }
  }
}

function makePatterns(ctx: CanvasRenderingContext2D, art: TileArt): Patterns {
  const pattern = (s: Surface): CanvasPattern => {
    const p = ctx.createPattern(s, 'repeat');
    if (p === null) {
      throw new Error('canvas patterns are not available');
    }
    return p;
  };
  /** `texture` under a dark veil of each of `shades` strengths. */
  const shaded = (texture: Surface, shades: number, base: number, step: number, veil: string): CanvasPattern[] =>
    Array.from({ length: shades }, (_, shade) => {
      const { canvas, ctx: c } = makeCanvas(texture.width, texture.height);
      c.drawImage(texture, 0, 0);
      c.fillStyle = `rgba(${veil}, ${(base + shade * step).toFixed(2)})`;
      c.fillRect(0, 0, canvas.width, canvas.height);
      return pattern(canvas);
    });
  return {
    dirt: pattern(art.dirt),
    stones: shaded(art.stone, STONE_SHADES, 0, 0.09, '10, 8, 14'),
    unknown: pattern(art.unknown),
    caveWalls: shaded(art.caveWall, CAVE_SHADES, 0.08, 0.09, '4, 6, 14'),
  };
}
