import { describe, expect, it } from 'vitest';
import { CAVE_FLOOR_VARIANTS, caveFloorVariant, Decal, decalAt, DIRT_DEPTH, GRASS_VARIANTS, grassVariant, Material, materialAt, plankPart, tileHash } from '../src/render/tile-variants';

/** Counts of `f(x, y)` over a 100 x 100 block of tiles. */
function census<T>(f: (x: number, y: number) => T): Map<T, number> {
  const counts = new Map<T, number>();
  for (let y = 0; y < 100; y++) {
    for (let x = 0; x < 100; x++) {
      const v = f(x, y);
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
  }
  return counts;
}

describe('tile variants', () => {
  it('the hash is stable and tells neighbours apart', () => {
    expect(tileHash(12, 34)).toBe(tileHash(12, 34));
    expect(tileHash(12, 34)).not.toBe(tileHash(13, 34));
    expect(tileHash(12, 34)).not.toBe(tileHash(12, 35));
    expect(tileHash(12, 34, 1)).not.toBe(tileHash(12, 34, 2));
    const buckets = census((x, y) => tileHash(x, y) % 4);
    for (const n of buckets.values()) {
      expect(n, 'spread evenly').toBeGreaterThan(2000);
    }
  });

  it('earth near the surface, stone deeper, with a ragged line between; stone where no surface is known', () => {
    expect(materialAt(5, 0)).toBe(Material.Dirt);
    expect(materialAt(5, DIRT_DEPTH - 2)).toBe(Material.Dirt);
    expect(materialAt(5, DIRT_DEPTH + 1)).toBe(Material.Stone);
    expect(materialAt(5, null)).toBe(Material.Stone);
    const lines = new Set(Array.from({ length: 50 }, (_, x) => [...Array(20).keys()].find((d) => materialAt(x, d) === Material.Stone)));
    expect(lines.size, 'the line moves from column to column').toBeGreaterThan(1);
  });

  it('most tiles are plain, the others decorated by a mix of decorations; roots only just under the grass', () => {
    const shallow = census((x, y) => decalAt(x, y, Material.Dirt, 1));
    const deep = census((x, y) => decalAt(x, y, Material.Dirt, 5));
    const stone = census((x, y) => decalAt(x, y, Material.Stone, 20));
    for (const c of [shallow, deep, stone]) {
      expect(c.get(Decal.None)! / 10_000).toBeGreaterThan(0.55);
      expect(c.get(Decal.None)! / 10_000).toBeLessThan(0.85);
    }
    expect(shallow.get(Decal.Roots)).toBeGreaterThan(0);
    expect(deep.has(Decal.Roots)).toBe(false);
    expect([Decal.Pebbles, Decal.Crack, Decal.Bone].every((d) => (deep.get(d) ?? 0) > 0)).toBe(true);
    expect(stone.get(Decal.Ore)).toBeGreaterThan(0);
    expect(stone.has(Decal.Bone)).toBe(false);
    expect(decalAt(7, 9, Material.Dirt, 5)).toBe(decalAt(7, 9, Material.Dirt, 5));
  });

  it('grass caps: mostly plain, every variant somewhere', () => {
    const c = census(grassVariant);
    expect(c.size).toBe(GRASS_VARIANTS);
    expect(c.get(0)! / 10_000).toBeGreaterThan(0.4);
  });

  it('cave floors: bare or mossy rock, glowing mushrooms now and then', () => {
    const c = census(caveFloorVariant);
    expect(c.size).toBe(CAVE_FLOOR_VARIANTS);
    expect(c.get(2)! / 10_000).toBeGreaterThan(0.05);
    expect(c.get(2)! / 10_000).toBeLessThan(0.2);
  });

  it('a plank knows its part of the run from its neighbours', () => {
    expect(plankPart(false, false)).toBe('single');
    expect(plankPart(false, true)).toBe('left');
    expect(plankPart(true, true)).toBe('middle');
    expect(plankPart(true, false)).toBe('right');
  });
});
