import { describe, expect, it } from 'vitest';
import { MINIMAP_COLORS, MINIMAP_H, MINIMAP_W, REDRAW_TILES, layerKeyAt, needsRedraw, terrainPixels } from '../src/render/minimap';
import { CellTerrain, TerrainMap, Tile } from '../src/terrain';

const CELL = 32;

/** A map holding cell (0, 0) only: air, a floor at row 20, a platform at row 15 (x 10..14). */
function terrain(): TerrainMap {
  const tiles = new Uint8Array(CELL * CELL);
  for (let x = 0; x < CELL; x++) {
    for (let y = 20; y < CELL; y++) tiles[y * CELL + x] = Tile.Solid;
  }
  for (let x = 10; x < 15; x++) tiles[15 * CELL + x] = Tile.Platform;
  const map = new TerrainMap(CELL);
  map.insert(new CellTerrain({ x: 0, y: 0, depth: 0 }, 0, 0, CELL, tiles));
  return map;
}

/** The colour of tile `(tx, ty)` in pixels built at `key`. */
function pixel(pixels: Uint8ClampedArray, key: { left: number; top: number }, tx: number, ty: number): number[] {
  const i = ((ty - key.top) * MINIMAP_W + (tx - key.left)) * 4;
  return [...pixels.slice(i, i + 4)];
}

describe('minimap terrain', () => {
  it('colours surface, solid, platform, air, unloaded terrain and outside the world apart', () => {
    const map = terrain();
    const key = layerKeyAt(16, 18, map);
    const px = terrainPixels(key, 64, 64);
    expect(px).toHaveLength(MINIMAP_W * MINIMAP_H * 4);
    expect(pixel(px, key, 5, 20), 'the top of the floor').toEqual([...MINIMAP_COLORS.surface]);
    expect(pixel(px, key, 5, 22)).toEqual([...MINIMAP_COLORS.solid]);
    expect(pixel(px, key, 12, 15)).toEqual([...MINIMAP_COLORS.platform]);
    expect(pixel(px, key, 5, 10)).toEqual([...MINIMAP_COLORS.air]);
    expect(pixel(px, key, 40, 10), 'cell (1, 0) not received').toEqual([...MINIMAP_COLORS.unknown]);
    expect(pixel(px, key, -3, 10), 'left of the world').toEqual([...MINIMAP_COLORS.outside]);
  });

  it('with no terrain yet everything inside the world is unknown', () => {
    const key = layerKeyAt(16, 18, null);
    expect(pixel(terrainPixels(key, 64, 64), key, 5, 22)).toEqual([...MINIMAP_COLORS.unknown]);
  });

  it('is rebuilt only after moving a few tiles or when terrain arrives', () => {
    const map = terrain();
    const key = layerKeyAt(100, 50, map);
    expect(needsRedraw(null, 100, 50, map)).toBe(true);
    expect(needsRedraw(key, 100 + REDRAW_TILES - 0.5, 50 - 1, map)).toBe(false);
    expect(needsRedraw(key, 100 + REDRAW_TILES, 50, map)).toBe(true);
    expect(needsRedraw(key, 100, 50 - REDRAW_TILES, map)).toBe(true);
    expect(needsRedraw(key, 100, 50, new TerrainMap(CELL)), 'another session').toBe(true);
    map.insert(new CellTerrain({ x: 1, y: 0, depth: 0 }, CELL, 0, CELL, new Uint8Array(CELL * CELL)));
    expect(needsRedraw(key, 100, 50, map), 'a new cell of terrain').toBe(true);
  });
});
