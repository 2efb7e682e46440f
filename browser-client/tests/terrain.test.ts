import { describe, expect, it } from 'vitest';
import { fromHex } from '../src/codec';
import type { WorldGeometry } from '../src/geometry';
import { decodeServerControl } from '../src/protocol';
import { CellTerrain, TerrainError, TerrainMap, Tile, decodeRle, encodeRle } from '../src/terrain';
import { readGolden, type GoldenMessages } from './golden';

const geometry: WorldGeometry = { widthCells: 4, heightCells: 2, cellTiles: 128 };

function goldenTerrain() {
  const golden = readGolden<GoldenMessages>('messages.json');
  const m = golden.messages.find((m) => m.name === 'Terrain')!;
  const msg = decodeServerControl(fromHex(m.hex));
  if (msg.type !== 'Terrain') {
    throw new Error('not a terrain message');
  }
  return msg;
}

function terrainError(f: () => unknown): TerrainError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TerrainError);
    return e as TerrainError;
  }
  throw new Error('did not fail');
}

describe('run-length terrain', () => {
  it('decodes the golden cell into a full cell with ground, sky and platforms', () => {
    const { cell, rle } = goldenTerrain();
    const t = decodeRle(geometry, cell, rle);
    expect(t.size).toBe(128);
    expect(t.tiles.length).toBe(128 * 128);
    expect([t.originX, t.originY]).toEqual([128, 128]);
    const count = (tile: Tile) => t.tiles.filter((v) => v === tile).length;
    expect(count(Tile.Solid)).toBeGreaterThan(0);
    expect(count(Tile.Empty)).toBeGreaterThan(0);
    expect(count(Tile.Platform)).toBeGreaterThan(0);
    // Tiles are addressed in world coordinates.
    expect(t.get(127, 128)).toBeNull();
    expect(t.get(128, 128)).toBe(t.tiles[0]);
    expect(t.get(255, 255)).toBe(t.tiles[128 * 128 - 1]);
    expect(t.get(256, 200)).toBeNull();
  });

  it('re-encodes to the same bytes as the Rust encoder', () => {
    const { cell, rle } = goldenTerrain();
    expect(Array.from(encodeRle(decodeRle(geometry, cell, rle).tiles))).toEqual(Array.from(rle));
  });

  it('rejects data of the wrong length, odd length or unknown tiles', () => {
    const { cell, rle } = goldenTerrain();
    expect(terrainError(() => decodeRle(geometry, cell, rle.subarray(1))).kind).toBe('Truncated');
    expect(terrainError(() => decodeRle(geometry, cell, rle.subarray(2))).kind).toBe('WrongLength');
    expect(terrainError(() => decodeRle(geometry, cell, new Uint8Array([...rle, 1, 1]))).kind).toBe('WrongLength');
    expect(terrainError(() => decodeRle(geometry, cell, new Uint8Array([9, 1]))).message).toBe('unknown tile value 9');
    expect(terrainError(() => decodeRle(geometry, cell, new Uint8Array(0))).kind).toBe('WrongLength');
  });

  it('accepts zero-length runs like the Rust decoder', () => {
    const tiny: WorldGeometry = { widthCells: 1, heightCells: 1, cellTiles: 2 };
    const t = decodeRle(tiny, { x: 0, y: 0, depth: 0 }, new Uint8Array([2, 0, 1, 3, 0, 1]));
    expect(Array.from(t.tiles)).toEqual([1, 1, 1, 0]);
  });
});

describe('terrain map', () => {
  it('reads loaded cells and Solid everywhere else', () => {
    const map = new TerrainMap(2);
    map.insert(new CellTerrain({ x: 1, y: 0, depth: 0 }, 2, 0, 2, new Uint8Array([0, 2, 0, 0])));
    expect(map.tile(2, 0)).toBe(Tile.Empty);
    expect(map.tile(3, 0)).toBe(Tile.Platform);
    expect(map.tile(0, 0)).toBe(Tile.Solid); // cell (0, 0) not loaded
    expect(map.tile(2, 2)).toBe(Tile.Solid); // cell (1, 1) not loaded
    expect(map.tile(-1, 0)).toBe(Tile.Solid);
    expect(map.tile(2, -1)).toBe(Tile.Solid);
    expect(map.contains(1, 0)).toBe(true);
    expect(map.contains(0, 0)).toBe(false);
  });
});
