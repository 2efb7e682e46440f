/**
 * The minimap: a small canvas in a HUD corner showing the terrain the client holds around the
 * player (solid, platform, air, and not loaded yet), the player, other players and mobs.
 *
 * One canvas pixel is one tile. The terrain layer (`terrainPixels`, pure) is only rebuilt when
 * the player has moved a few tiles from where it was built or new terrain arrived; each update
 * then copies it and draws the dots, at most `UPDATE_MS` apart.
 */

import { Pose } from '../protocol';
import { Tile, type TerrainMap } from '../terrain';
import type { Figure } from './figures';
import { TILE_PX } from './palette';

/** Tiles shown across and down (the canvas's size in pixels). */
export const MINIMAP_W = 112;
export const MINIMAP_H = 64;
/** The terrain layer is rebuilt once the player is this many tiles from its centre. */
export const REDRAW_TILES = 4;
const UPDATE_MS = 50;

type Rgba = readonly [number, number, number, number];

/** Colours of the map, per kind of pixel. */
export const MINIMAP_COLORS: Readonly<Record<'surface' | 'solid' | 'platform' | 'air' | 'unknown' | 'outside', Rgba>> = {
  /** Solid ground with air above: the walkable surface, lighter so paths read at a glance. */
  surface: [138, 190, 110, 255],
  solid: [92, 98, 116, 255],
  platform: [214, 160, 90, 255],
  air: [22, 30, 48, 190],
  /** Terrain not received yet (or beyond what the client holds). */
  unknown: [52, 52, 62, 110],
  /** Beyond the world's edge. */
  outside: [0, 0, 0, 0],
};

/** Where the terrain layer was built: its top-left tile, and what terrain it showed. */
export interface LayerKey {
  left: number;
  top: number;
  terrain: TerrainMap | null;
  cells: number;
}

/** The layer's top-left tile for a player at tile `(x, y)`: the player in the middle. */
export function layerKeyAt(x: number, y: number, terrain: TerrainMap | null): LayerKey {
  return { left: Math.round(x) - MINIMAP_W / 2, top: Math.round(y) - MINIMAP_H / 2, terrain, cells: terrain?.cellCount ?? 0 };
}

/** Whether the layer built for `built` must be rebuilt for a player at tile `(x, y)`. */
export function needsRedraw(built: LayerKey | null, x: number, y: number, terrain: TerrainMap | null): boolean {
  if (built === null || built.terrain !== terrain || built.cells !== (terrain?.cellCount ?? 0)) {
    return true;
  }
  const cx = built.left + MINIMAP_W / 2;
  const cy = built.top + MINIMAP_H / 2;
  return Math.abs(x - cx) >= REDRAW_TILES || Math.abs(y - cy) >= REDRAW_TILES;
}

/** The RGBA pixels of the terrain layer at `key` in a world of `worldW x worldH` tiles. */
export function terrainPixels(key: LayerKey, worldW: number, worldH: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(MINIMAP_W * MINIMAP_H * 4);
  const terrain = key.terrain;
  const known = (tx: number, ty: number): boolean =>
    terrain !== null && terrain.contains(Math.floor(tx / terrain.cellTiles), Math.floor(ty / terrain.cellTiles));
  for (let py = 0; py < MINIMAP_H; py++) {
    const ty = key.top + py;
    for (let px = 0; px < MINIMAP_W; px++) {
      const tx = key.left + px;
      let color: Rgba;
      if (tx < 0 || ty < 0 || tx >= worldW || ty >= worldH) {
        color = MINIMAP_COLORS.outside;
      } else if (terrain === null || !known(tx, ty)) {
        color = MINIMAP_COLORS.unknown;
      } else {
        const tile = terrain.tile(tx, ty);
        if (tile === Tile.Solid) {
          const above = ty > 0 && known(tx, ty - 1) ? terrain.tile(tx, ty - 1) : Tile.Solid;
          color = above === Tile.Solid ? MINIMAP_COLORS.solid : MINIMAP_COLORS.surface;
        } else {
          color = tile === Tile.Platform ? MINIMAP_COLORS.platform : MINIMAP_COLORS.air;
        }
      }
      out.set(color, (py * MINIMAP_W + px) * 4);
    }
  }
  return out;
}

/** A dot on the map: a position in tiles (feet) and what it is. */
export interface MapDot {
  x: number;
  y: number;
  kind: 'self' | 'player' | 'npc';
}

const DOT: Record<MapDot['kind'], { fill: string; size: number }> = {
  self: { fill: '#ffe066', size: 3 },
  player: { fill: '#5fd3ff', size: 2 },
  npc: { fill: '#ff5a4f', size: 2 },
};

export interface MinimapView {
  terrain: TerrainMap | null;
  worldW: number;
  worldH: number;
  /** The player, in tiles; null before it has a position. */
  self: { x: number; y: number } | null;
  /** Others in view, in tiles. */
  others: readonly MapDot[];
}

export class Minimap {
  private readonly ctx: CanvasRenderingContext2D;
  private built: LayerKey | null = null;
  private layer: ImageData;
  private lastUpdate = -Infinity;
  /** Terrain layers built since the page loaded (the test hook shows it: redraws stay rare). */
  layerBuilds = 0;

  constructor(private readonly canvas: HTMLCanvasElement) {
    canvas.width = MINIMAP_W;
    canvas.height = MINIMAP_H;
    const ctx = canvas.getContext('2d');
    if (ctx === null) {
      throw new Error('canvas 2D is not available');
    }
    this.ctx = ctx;
    this.layer = ctx.createImageData(MINIMAP_W, MINIMAP_H);
  }

  get visible(): boolean {
    return !this.canvas.hidden;
  }

  setVisible(visible: boolean): void {
    this.canvas.hidden = !visible;
    this.lastUpdate = -Infinity; // draw at once when shown again
  }

  update(view: MinimapView, nowMs: number): void {
    if (!this.visible || view.self === null || nowMs - this.lastUpdate < UPDATE_MS) {
      return;
    }
    this.lastUpdate = nowMs;
    const { x, y } = view.self;
    if (needsRedraw(this.built, x, y, view.terrain)) {
      this.built = layerKeyAt(x, y, view.terrain);
      this.layer.data.set(terrainPixels(this.built, view.worldW, view.worldH));
      this.layerBuilds++;
    }
    const ctx = this.ctx;
    ctx.putImageData(this.layer, 0, 0);
    const { left, top } = this.built!;
    for (const dot of view.others) {
      this.dot(dot, left, top);
    }
    this.dot({ x, y, kind: 'self' }, left, top);
  }

  /** A dot centred on the body (a tile above the feet), clipped by the canvas. */
  private dot(d: MapDot, left: number, top: number): void {
    const { fill, size } = DOT[d.kind];
    const px = Math.round(d.x - left - size / 2);
    const py = Math.round(d.y - 1 - top - size / 2);
    if (px < -size || py < -size || px > MINIMAP_W || py > MINIMAP_H) {
      return;
    }
    if (d.kind === 'self') {
      this.ctx.fillStyle = 'rgba(0, 0, 0, 0.8)';
      this.ctx.fillRect(px - 1, py - 1, size + 2, size + 2);
    }
    this.ctx.fillStyle = fill;
    this.ctx.fillRect(px, py, size, size);
  }
}

/** The dots of this frame's figures (world pixels) other than the player; the dead are left out. */
export function dotsOf(figures: readonly Figure[]): MapDot[] {
  return figures
    .filter((f) => !f.isSelf && (f.pose & Pose.DEAD) === 0)
    .map((f) => ({ x: f.x / TILE_PX, y: f.y / TILE_PX, kind: f.kind.type === 'Player' ? 'player' : 'npc' }));
}
