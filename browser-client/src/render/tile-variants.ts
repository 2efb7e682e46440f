/**
 * Which look each tile gets: its material by depth below its column's surface, a decoration
 * chosen by a stable hash of its coordinates (so a tile looks the same every frame and on
 * every client), the grass variant of a cap, and which part of a plank run a platform tile
 * is. Pure: `tile-art.ts` paints the looks, `tiles.ts` places them.
 */

/** A well-mixed 32-bit hash of tile `(x, y)` and a salt (the murmur3 finaliser). */
export function tileHash(x: number, y: number, salt = 0): number {
  let h = Math.imul(x | 0, 0x27d4eb2d) ^ Math.imul(y | 0, 0x165667b1) ^ Math.imul(salt | 0, 0x9e3779b9);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export const Material = {
  /** Brown earth under the grass. */
  Dirt: 0,
  /** Grey rock deeper down. */
  Stone: 1,
} as const;
export type Material = (typeof Material)[keyof typeof Material];

/** Dirt reaches this many tiles below the surface, give or take one by column (a ragged line). */
export const DIRT_DEPTH = 8;

/**
 * The material of a solid tile of column `x`, `depth` tiles below the column's surface (null:
 * the surface is not known, so it is deep rock).
 */
export function materialAt(x: number, depth: number | null): Material {
  if (depth === null) {
    return Material.Stone;
  }
  const jitter = (tileHash(x, 0, 1) % 3) - 1;
  return depth < DIRT_DEPTH + jitter ? Material.Dirt : Material.Stone;
}

export const Decal = {
  None: 0,
  Pebbles: 1,
  Crack: 2,
  /** Only just under the grass. */
  Roots: 3,
  /** A buried bone, rare, in dirt. */
  Bone: 4,
  /** Glinting ore, rare, in stone. */
  Ore: 5,
} as const;
export type Decal = (typeof Decal)[keyof typeof Decal];

/** The decoration of a solid tile: most have none, about one in four has one. */
export function decalAt(x: number, y: number, material: Material, depth: number | null): Decal {
  const r = tileHash(x, y, 2) % 100;
  if (material === Material.Dirt) {
    if (depth !== null && depth <= 2 && r < 14) {
      return Decal.Roots;
    }
    if (r >= 97) {
      return Decal.Bone;
    }
    if (r >= 84) {
      return Decal.Pebbles;
    }
    if (r >= 77) {
      return Decal.Crack;
    }
    return Decal.None;
  }
  if (r >= 96) {
    return Decal.Ore;
  }
  if (r >= 82) {
    return Decal.Crack;
  }
  if (r >= 74) {
    return Decal.Pebbles;
  }
  return Decal.None;
}

/** How many grass caps there are: plain, tufts, flowers, a mushroom. */
export const GRASS_VARIANTS = 4;

/** The grass cap of the tile `(x, y)`: mostly plain (0), now and then tufts, flowers or a mushroom. */
export function grassVariant(x: number, y: number): number {
  const r = tileHash(x, y, 3) % 100;
  return r < 55 ? 0 : r < 78 ? 1 : r < 94 ? 2 : 3;
}

/** How many cave floors there are: bare rock, rock with moss, glowing mushrooms. */
export const CAVE_FLOOR_VARIANTS = 3;

/** The floor of a cave at tile `(x, y)`: bare or mossy rock, now and then glowing mushrooms. */
export function caveFloorVariant(x: number, y: number): number {
  const r = tileHash(x, y, 6) % 100;
  return r < 12 ? 2 : r < 55 ? 1 : 0;
}

export type PlankPart = 'single' | 'left' | 'middle' | 'right';

/** Which part of its run a platform tile is, from whether its neighbours are platforms too. */
export function plankPart(platformLeft: boolean, platformRight: boolean): PlankPart {
  if (platformLeft && platformRight) {
    return 'middle';
  }
  if (platformLeft) {
    return 'right';
  }
  return platformRight ? 'left' : 'single';
}

/** Sides of a solid tile that face open air (bits). */
export const Edge = {
  Top: 1,
  Right: 2,
  Bottom: 4,
  Left: 8,
} as const;
