import { describe, expect, it } from 'vitest';
import { classify, findSurface, nearestCave, nearestTrapdoor, Openness, SurfaceCache, terrainProbe, UNKNOWN, type TileProbe } from '../src/cave';
import { decodeRle, encodeRle, Tile, TerrainMap } from '../src/terrain';

/** A probe over rows of `#` solid, `=` platform, `?` unknown, anything else open; outside: unknown. */
function grid(rows: string[]): TileProbe {
  return (x, y) => {
    const c = rows[y]?.[x];
    return c === undefined || c === '?' ? UNKNOWN : c === '#' ? Tile.Solid : c === '=' ? Tile.Platform : Tile.Empty;
  };
}

// The generator's shape: the world's top row solid, sky, a hill, and a cave sealed under the ground.
const WORLD = [
  '##########',
  '          ',
  '   ==     ',
  '     #    ',
  '#  ####  #',
  '##########',
  '##...#####',
  '##....####',
  '##########',
];

describe('the surface of a column', () => {
  it('is the first solid tile under open air, not the world top nor a cave floor', () => {
    const probe = grid(WORLD);
    expect(findSurface(probe, 5, 0, WORLD.length)).toBe(3);
    expect(findSurface(probe, 2, 0, WORLD.length), 'under the sky, through the cave, the first ground counts').toBe(5);
    expect(findSurface(probe, 0, 0, WORLD.length)).toBe(4);
  });

  it('under a cell not held, the first known ground counts: an opening below it is a cave', () => {
    const rows = ['??????', '??????', '######', '#....#', '######'];
    expect(findSurface(grid(rows), 2, 0, 5), 'not the cave floor').toBe(2);
    const cache = new SurfaceCache(grid(rows));
    expect(cache.inside(2, 3, 5)).toBe(true);
    const known = grid(['??????', '      ', '######', '#....#', '######']);
    expect(findSurface(known, 2, 0, 5)).toBe(2);
  });

  it('is the trapdoor over a shaft down to a cave, not a platform in the air', () => {
    // A shaft three wide under a trapdoor in row 4, rungs in row 6, into the cave of rows 7-8.
    const rows = [
      '##########',
      '          ',
      '   ===    ',
      '          ',
      '####===###',
      '####   ###',
      '####===###',
      '##.......#',
      '##.......#',
      '##########',
    ];
    const probe = grid(rows);
    for (const x of [4, 5, 6]) {
      expect(findSurface(probe, x, 0, rows.length), `column ${x}: the trapdoor`).toBe(4);
    }
    expect(findSurface(probe, 3, 0, rows.length), 'the platform in the air is not ground').toBe(4);
    const cache = new SurfaceCache(probe);
    expect(cache.inside(5, 5, rows.length), 'the shaft is inside').toBe(true);
    expect(cache.inside(5, 8, rows.length), 'and the cave under it').toBe(true);
    expect(cache.inside(4, 3, rows.length), 'above the trapdoor: the sky').toBe(false);
    expect(nearestTrapdoor(cache, probe, rows.length, 1, 10), 'stand over its middle').toEqual({ x: 5.5, y: 4 });
    expect(nearestTrapdoor(cache, probe, rows.length, 1, 2), 'out of reach').toBeNull();
  });

  it('is null for a column that is solid all the way', () => {
    expect(findSurface(grid(['#', '#', '#']), 0, 0, 3)).toBeNull();
  });
});

describe('inside or outside', () => {
  it('open tiles below the surface are inside a cave, above it outside; solid and unknown are closed', () => {
    expect(classify(Tile.Empty, 6, 5)).toBe(Openness.Inside);
    expect(classify(Tile.Empty, 1, 5)).toBe(Openness.Outside);
    expect(classify(Tile.Platform, 2, 5)).toBe(Openness.Outside);
    expect(classify(Tile.Solid, 6, 5)).toBe(Openness.Closed);
    expect(classify(UNKNOWN, 6, 5)).toBe(Openness.Closed);
    expect(classify(Tile.Empty, 6, null), 'no surface known: not inside').toBe(Openness.Outside);
  });

  it('the cache classifies the world above: the cave inside, the sky outside', () => {
    const cache = new SurfaceCache(grid(WORLD));
    cache.sync(1);
    expect(cache.inside(3, 6, WORLD.length)).toBe(true);
    expect(cache.inside(5, 7, WORLD.length)).toBe(true);
    expect(cache.inside(3, 1, WORLD.length)).toBe(false);
    expect(cache.inside(3, 5, WORLD.length), 'solid ground is not inside').toBe(false);
  });

  it('recomputes surfaces when the terrain changes (a cell above arrives)', () => {
    // Open air under cells not held looks like sky, until they arrive and show ground above it.
    let rows = ['????', '????', '    ', '####'];
    const cache = new SurfaceCache((x, y) => grid(rows)(x, y));
    cache.sync(1);
    expect(cache.inside(2, 2, 4)).toBe(false);
    rows = ['    ', '####', '    ', '####'];
    cache.sync(1);
    expect(cache.inside(2, 2, 4), 'same version: still the old answer').toBe(false);
    cache.sync(2);
    expect(cache.inside(2, 2, 4)).toBe(true);
  });
});

describe('the nearest cave', () => {
  it('finds a spot with open cave all around, the nearest first', () => {
    const rows = [
      '            ',
      '############',
      '#.##########',
      '############',
      '#######....#',
      '#######....#',
      '#######....#',
      '############',
    ];
    const cache = new SurfaceCache(grid(rows));
    cache.sync(1);
    const spot = nearestCave(cache, rows.length, 2, 0, 20);
    expect(spot, 'the one-tile pocket is too small; the room is found').toEqual({ x: 8, y: 5 });
    expect(nearestCave(cache, rows.length, 2, 0, 3), 'out of reach').toBeNull();
  });
});

describe('the terrain probe', () => {
  it('reads held cells, and unknown outside the world and in cells not held', () => {
    const map = new TerrainMap(2);
    const geometry = { widthCells: 2, heightCells: 2, cellTiles: 2 };
    map.insert(decodeRle(geometry, { x: 0, y: 0, depth: 0 }, encodeRle(Uint8Array.from([Tile.Empty, Tile.Solid, Tile.Solid, Tile.Empty]))));
    const probe = terrainProbe(map, 4, 4);
    expect([probe(0, 0), probe(1, 0), probe(0, 1)]).toEqual([Tile.Empty, Tile.Solid, Tile.Solid]);
    expect(probe(2, 0), 'a cell not held').toBe(UNKNOWN);
    expect(probe(-1, 0)).toBe(UNKNOWN);
    expect(probe(0, 4)).toBe(UNKNOWN);
  });
});
