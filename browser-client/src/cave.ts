/**
 * Inside or outside: which open tiles are cave interior. The terrain generator
 * (`shared/world/src/terrain.rs`) makes each column a height map (open air above its surface,
 * ground below) and carves caves only into the ground, so an open tile below its column's
 * surface is inside a cave. A cave's entrance is a shaft from the surface, closed at the top by
 * a trapdoor: a platform in the ground's top row (the ground on both sides of it), with rungs
 * down the shaft. The client knows only the cells it holds: the surface of a column is its first
 * solid tile (or trapdoor) under known open air, and a column without one (nothing known above
 * its ground) has no inside.
 */

import { Tile, type TerrainMap } from './terrain';

/** A tile lookup that tells unknown cells apart: a `Tile`, or `UNKNOWN`. */
export type TileProbe = (x: number, y: number) => number;

/** Not loaded, or outside the world. */
export const UNKNOWN = -1;

/** The widest trapdoor the generator makes, in tiles (its shafts are 3 wide). */
const TRAPDOOR_MAX = 4;

/**
 * Whether the platform at `(x, y)` is a trapdoor: the nearest tiles of its row that are not
 * platforms, on both sides and within `TRAPDOOR_MAX`, are ground. (A platform in the air has
 * open air beside it.)
 */
export function isTrapdoor(probe: TileProbe, x: number, y: number): boolean {
  const groundOn = (dx: number): boolean => {
    for (let i = 1; i <= TRAPDOOR_MAX; i++) {
      const t = probe(x + dx * i, y);
      if (t !== Tile.Platform) {
        return t === Tile.Solid;
      }
    }
    return false;
  };
  return groundOn(-1) && groundOn(1);
}

/**
 * The surface row of column `x`, scanning rows `yFrom` to `yTo` (exclusive) downwards: the
 * first Solid tile or trapdoor under known open air, or the first under an unknown one (the
 * open air above it, if any, is in a cell the client does not hold, so the ground starts there
 * at the latest and an opening below it is a cave). Solid rows at the very top (the world's
 * border) do not count. Null if there is none.
 */
export function findSurface(probe: TileProbe, x: number, yFrom: number, yTo: number): number | null {
  let above: 'border' | 'air' | 'unknown' = 'border';
  for (let y = yFrom; y < yTo; y++) {
    const t = probe(x, y);
    if (t === UNKNOWN) {
      above = 'unknown';
    } else if (t === Tile.Solid || (t === Tile.Platform && above !== 'border' && isTrapdoor(probe, x, y))) {
      if (above !== 'border') {
        return y;
      }
    } else {
      above = 'air';
    }
  }
  return null;
}

/** How an open tile is drawn. */
export const Openness = {
  /** Solid or unknown: not open. */
  Closed: 0,
  /** Open air above the surface (the sky shows). */
  Outside: 1,
  /** Open air below the surface: a cave. */
  Inside: 2,
} as const;
export type Openness = (typeof Openness)[keyof typeof Openness];

/** Whether tile `t` of a column whose surface is `surface` is open sky, cave or closed. */
export function classify(t: number, y: number, surface: number | null): Openness {
  if (t === UNKNOWN || t === Tile.Solid) {
    return Openness.Closed;
  }
  return surface !== null && y > surface ? Openness.Inside : Openness.Outside;
}

/**
 * Surfaces of columns, computed once per column until the terrain changes (cells arrive; the
 * terrain of a cell never changes). Scans from the top of the world.
 */
export class SurfaceCache {
  private readonly rows = new Map<number, number | null>();
  private version = -1;

  constructor(private readonly probe: TileProbe) {}

  /** Forgets everything when `version` (e.g. the count of cells held) changed. */
  sync(version: number): void {
    if (version !== this.version) {
      this.version = version;
      this.rows.clear();
    }
  }

  /** The surface of column `x`, scanning rows 0 to `worldH`. */
  surface(x: number, worldH: number): number | null {
    let s = this.rows.get(x);
    if (s === undefined) {
      s = findSurface(this.probe, x, 0, worldH);
      this.rows.set(x, s);
    }
    return s;
  }

  /** Whether the open tile `(x, y)` is inside a cave (false for solid or unknown tiles). */
  inside(x: number, y: number, worldH: number): boolean {
    return classify(this.probe(x, y), y, this.surface(x, worldH)) === Openness.Inside;
  }
}

/**
 * The cave tile nearest `(x, y)` (in rings of growing distance, up to `radius` tiles) whose
 * whole `(2 * margin + 1)` square is cave interior: a place to look at inside a cave, with
 * open cave all around it. Null when there is none in reach.
 */
export function nearestCave(cache: SurfaceCache, worldH: number, x: number, y: number, radius: number, margin = 1): { x: number; y: number } | null {
  const open = (cx: number, cy: number): boolean => {
    for (let dy = -margin; dy <= margin; dy++) {
      for (let dx = -margin; dx <= margin; dx++) {
        if (!cache.inside(cx + dx, cy + dy, worldH)) {
          return false;
        }
      }
    }
    return true;
  };
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  for (let r = 0; r <= radius; r++) {
    let best: { x: number; y: number; d: number } | null = null;
    for (let dy = -r; dy <= r; dy++) {
      for (let dx = -r; dx <= r; dx++) {
        if (Math.max(Math.abs(dx), Math.abs(dy)) !== r || !open(x0 + dx, y0 + dy)) {
          continue;
        }
        const d = dx * dx + dy * dy;
        if (best === null || d < best.d) {
          best = { x: x0 + dx, y: y0 + dy, d };
        }
      }
    }
    if (best !== null) {
      return { x: best.x, y: best.y };
    }
  }
  return null;
}

/**
 * The trapdoor nearest column `x` (up to `radius` columns away, nearer first): where one stands
 * over its middle (`x`, in tiles) and its row (`y`), or null when none is in reach.
 */
export function nearestTrapdoor(cache: SurfaceCache, probe: TileProbe, worldH: number, x: number, radius: number): { x: number; y: number } | null {
  const x0 = Math.floor(x);
  for (let r = 0; r <= radius; r++) {
    for (const c of r === 0 ? [x0] : [x0 - r, x0 + r]) {
      const y = cache.surface(c, worldH);
      if (y === null || probe(c, y) !== Tile.Platform) {
        continue;
      }
      let [left, right] = [c, c];
      while (probe(left - 1, y) === Tile.Platform) {
        left--;
      }
      while (probe(right + 1, y) === Tile.Platform) {
        right++;
      }
      return { x: (left + right + 1) / 2, y };
    }
  }
  return null;
}

/** A probe of the client's terrain: unknown outside the world and in cells it does not hold. */
export function terrainProbe(terrain: TerrainMap, worldW: number, worldH: number): TileProbe {
  const size = terrain.cellTiles;
  return (x, y) => {
    if (x < 0 || y < 0 || x >= worldW || y >= worldH || !terrain.contains(Math.trunc(x / size), Math.trunc(y / size))) {
      return UNKNOWN;
    }
    return terrain.tile(x, y);
  };
}
