/**
 * Tiles, the run-length terrain format and tile lookups, mirroring
 * `shared/world/src/terrain.rs`. Clients never generate terrain: they receive each cell's tiles
 * run-length encoded on the control stream. Whatever a lookup does not know reads as Solid.
 */

import type { CellId, WorldGeometry } from './geometry';

/** What occupies one tile (`mmo_world::Tile`, same numeric values as on the wire). */
export const Tile = {
  Empty: 0,
  Solid: 1,
  Platform: 2,
} as const;
export type Tile = (typeof Tile)[keyof typeof Tile];

export function tileFromU8(v: number): Tile | null {
  return v === Tile.Empty || v === Tile.Solid || v === Tile.Platform ? v : null;
}

/** Anything the physics can ask for tiles. Outside what it knows it must answer Solid. */
export interface TileSource {
  tile(x: number, y: number): Tile;
}

export type TerrainErrorKind = 'WrongLength' | 'UnknownTile' | 'Truncated';

export class TerrainError extends Error {
  constructor(
    readonly kind: TerrainErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'TerrainError';
  }
}

/** The tiles of one cell, row by row. */
export class CellTerrain {
  constructor(
    readonly cell: CellId,
    readonly originX: number,
    readonly originY: number,
    readonly size: number,
    readonly tiles: Uint8Array,
  ) {}

  /** The tile at world tile `(x, y)`, or null outside this cell. */
  get(x: number, y: number): Tile | null {
    const lx = x - this.originX;
    const ly = y - this.originY;
    if (lx < 0 || ly < 0 || lx >= this.size || ly >= this.size) {
      return null;
    }
    return this.tiles[ly * this.size + lx] as Tile;
  }
}

/** Decodes `CellTerrain::to_rle` output (`(tile, run)` byte pairs) for `cell`. */
export function decodeRle(geometry: WorldGeometry, cell: CellId, rle: Uint8Array): CellTerrain {
  if (rle.length % 2 !== 0) {
    throw new TerrainError('Truncated', 'run-length data has an odd number of bytes');
  }
  const size = geometry.cellTiles;
  const expected = size * size;
  const tiles = new Uint8Array(expected);
  let n = 0;
  for (let i = 0; i < rle.length; i += 2) {
    const tile = tileFromU8(rle[i]);
    if (tile === null) {
      throw new TerrainError('UnknownTile', `unknown tile value ${rle[i]}`);
    }
    const run = rle[i + 1];
    if (n + run > expected) {
      throw new TerrainError('WrongLength', `run-length data decodes to ${n + run} tiles, expected ${expected}`);
    }
    tiles.fill(tile, n, n + run);
    n += run;
  }
  if (n !== expected) {
    throw new TerrainError('WrongLength', `run-length data decodes to ${n} tiles, expected ${expected}`);
  }
  return new CellTerrain(cell, cell.x * size, cell.y * size, size, tiles);
}

/** Encodes tiles as `(tile, run)` pairs with runs of 1 to 255 (`CellTerrain::to_rle`). */
export function encodeRle(tiles: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < tiles.length) {
    const tile = tiles[i];
    let run = 1;
    while (run < 255 && i + run < tiles.length && tiles[i + run] === tile) {
      run++;
    }
    out.push(tile, run);
    i += run;
  }
  return Uint8Array.from(out);
}

/** The cells of terrain the client holds; tiles of any other cell read as Solid. */
export class TerrainMap implements TileSource {
  private readonly cells = new Map<number, CellTerrain>();

  constructor(readonly cellTiles: number) {}

  private static key(x: number, y: number): number {
    return x * 65536 + y;
  }

  insert(cell: CellTerrain): void {
    this.cells.set(TerrainMap.key(cell.cell.x, cell.cell.y), cell);
  }

  contains(x: number, y: number): boolean {
    return this.cells.has(TerrainMap.key(x, y));
  }

  get cellCount(): number {
    return this.cells.size;
  }

  tile(x: number, y: number): Tile {
    if (x < 0 || y < 0) {
      return Tile.Solid;
    }
    const cell = this.cells.get(TerrainMap.key(Math.trunc(x / this.cellTiles), Math.trunc(y / this.cellTiles)));
    return cell?.get(x, y) ?? Tile.Solid;
  }
}

/**
 * A small hand-drawn map (`#` solid, `=` platform, anything else empty) with its top-left tile
 * at the origin; outside it everything is solid. Used by the physics golden vectors.
 */
export class TileGrid implements TileSource {
  constructor(readonly rows: readonly string[]) {}

  tile(x: number, y: number): Tile {
    if (x < 0 || y < 0) {
      return Tile.Solid;
    }
    const row = this.rows[y];
    if (row === undefined || x >= row.length) {
      return Tile.Solid;
    }
    switch (row.charCodeAt(x)) {
      case 0x23: // '#'
        return Tile.Solid;
      case 0x3d: // '='
        return Tile.Platform;
      default:
        return Tile.Empty;
    }
  }
}
