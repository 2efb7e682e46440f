/** Drawing the terrain: sky, solid ground with grass on top, one-way planks, unknown cells. */

import { Tile, type TerrainMap } from '../terrain';
import type { Camera } from './camera';
import { COLORS, TILE_PX } from './palette';

export function drawSky(ctx: CanvasRenderingContext2D, cam: Camera): void {
  const g = ctx.createLinearGradient(0, 0, 0, cam.heightPx);
  g.addColorStop(0, COLORS.skyTop);
  g.addColorStop(1, COLORS.skyBottom);
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, cam.widthPx, cam.heightPx);
}

/** Draws the tiles in view; runs of equal tiles in a row are drawn as one rectangle. */
export function drawTiles(ctx: CanvasRenderingContext2D, cam: Camera, terrain: TerrainMap, worldW: number, worldH: number): void {
  const x0 = Math.floor(cam.left / TILE_PX);
  const y0 = Math.floor(cam.top / TILE_PX);
  const x1 = Math.ceil((cam.left + cam.widthPx) / TILE_PX);
  const y1 = Math.ceil((cam.top + cam.heightPx) / TILE_PX);
  const size = terrain.cellTiles;
  for (let y = y0; y < y1; y++) {
    const py = y * TILE_PX - cam.top;
    let runStart = x0;
    let runKind = kindAt(terrain, x0, y, size, worldW, worldH);
    for (let x = x0 + 1; x <= x1; x++) {
      const kind = x < x1 ? kindAt(terrain, x, y, size, worldW, worldH) : -2;
      if (kind === runKind) {
        continue;
      }
      drawRun(ctx, runKind, runStart * TILE_PX - cam.left, py, (x - runStart) * TILE_PX);
      runStart = x;
      runKind = kind;
    }
    // Grass on solid tiles with air above.
    ctx.fillStyle = COLORS.grass;
    for (let x = x0; x < x1; x++) {
      if (kindAt(terrain, x, y, size, worldW, worldH) === Tile.Solid && kindAt(terrain, x, y - 1, size, worldW, worldH) !== Tile.Solid && kindAt(terrain, x, y - 1, size, worldW, worldH) !== UNKNOWN) {
        ctx.fillRect(x * TILE_PX - cam.left, py, TILE_PX, 3);
      }
    }
  }
}

/** Not loaded (or outside the world): drawn as unknown rock. */
const UNKNOWN = -1;

function kindAt(terrain: TerrainMap, x: number, y: number, size: number, worldW: number, worldH: number): number {
  if (x < 0 || y < 0 || x >= worldW || y >= worldH || !terrain.contains(Math.trunc(x / size), Math.trunc(y / size))) {
    return UNKNOWN;
  }
  return terrain.tile(x, y);
}

function drawRun(ctx: CanvasRenderingContext2D, kind: number, px: number, py: number, w: number): void {
  switch (kind) {
    case Tile.Solid:
      ctx.fillStyle = COLORS.earth;
      ctx.fillRect(px, py, w, TILE_PX);
      ctx.fillStyle = COLORS.earthDark;
      ctx.fillRect(px, py + TILE_PX - 2, w, 2);
      break;
    case Tile.Platform:
      ctx.fillStyle = COLORS.plank;
      ctx.fillRect(px, py, w, 5);
      ctx.fillStyle = COLORS.plankDark;
      ctx.fillRect(px, py + 5, w, 2);
      break;
    case UNKNOWN:
      ctx.fillStyle = COLORS.unknown;
      ctx.fillRect(px, py, w, TILE_PX);
      ctx.fillStyle = COLORS.unknownHatch;
      for (let x = px - (px % 8); x < px + w; x += 8) {
        ctx.fillRect(x, py + ((x / 8) & 1) * 8, 4, 4);
      }
      break;
    default:
      break;
  }
}
