/**
 * The terrain's pixel art, painted once into small canvases: seamless textures for dirt,
 * stone, the rock wall behind caves and unknown cells (filled as patterns, a run of tiles in
 * one call), and 16 px overlays blitted on single tiles: decorations, grass caps, cave floors,
 * shaded sides, undersides with roots or stalactites, and the parts of a plank platform.
 * Speckles come from `tileHash`, so the art is the same on every run.
 */

import { TILE_PX as T } from './palette';
import { makeCanvas, Painter, type Surface } from './pixel';
import { CAVE_FLOOR_VARIANTS, Decal, GRASS_VARIANTS, tileHash, type PlankPart } from './tile-variants';

/** Textures repeat every this many pixels (4 tiles). */
const TEX = 64;

export interface TileArt {
  dirt: Surface;
  stone: Surface;
  /** The far rock wall seen inside caves. */
  caveWall: Surface;
  unknown: Surface;
  /** Two variants of each decoration, by `Decal` (none for `Decal.None`). */
  decals: Surface[][];
  /** Grass caps (16 x 13, drawn 6 px above the tile's top: blades stick up into the air). */
  grass: Surface[];
  /** Grass running down an exposed side (16 x 8 from the top), left and right. */
  grassSide: { left: Surface; right: Surface };
  /** Rocky lips on cave floors (16 x 8, drawn 2 px above the tile), by `caveFloorVariant`. */
  caveFloor: Surface[];
  /** Shade on a side facing open air (16 x 16). */
  side: { left: Surface; right: Surface };
  /** Undersides (16 x 22 from the tile's top): roots under open sky, stalactites in caves. */
  underside: { sky: Surface[]; cave: Surface[] };
  /** Plank platforms (16 x 16), two variants of each part. */
  planks: Record<PlankPart, Surface[]>;
}

/** Offsets at which the hanging/protruding overlays are drawn relative to the tile's corner. */
export const GRASS_DY = -6;
export const CAVE_FLOOR_DY = -2;

/** A canvas of `w x h` painted by `paint`. */
function painted(w: number, h: number, paint: (p: Painter) => void): Surface {
  const { canvas, ctx } = makeCanvas(w, h);
  paint(new Painter(ctx));
  return canvas;
}

/** A pixel that wraps around the texture's edges (so textures tile seamlessly). */
function wrapPx(p: Painter, x: number, y: number, color: string): void {
  p.px(((x % TEX) + TEX) % TEX, ((y % TEX) + TEX) % TEX, color);
}

/** Speckles: each pixel, by its hash, may take one of `specks` colours (chance in 1000). */
function speckle(p: Painter, salt: number, specks: [string, number][]): void {
  for (let y = 0; y < TEX; y++) {
    for (let x = 0; x < TEX; x++) {
      let r = tileHash(x, y, salt) % 1000;
      for (const [color, chance] of specks) {
        if (r < chance) {
          p.px(x, y, color);
          break;
        }
        r -= chance;
      }
    }
  }
}

/**
 * Irregular stones: each pixel belongs to the nearest of `count` seed points (on a torus, so
 * the texture tiles), each stone in its own shade, dark where two stones meet and lit along
 * its upper edge: natural rock, seamless.
 */
function stones(p: Painter, salt: number, count: number, shades: string[], gap: string, lit: string): void {
  const seeds = Array.from({ length: count }, (_, i) => {
    const h = tileHash(i, 0, salt);
    return { x: h % TEX, y: (h >>> 8) % TEX, shade: shades[(h >>> 16) % shades.length] };
  });
  const wrap = (d: number): number => Math.min(Math.abs(d), TEX - Math.abs(d));
  const owner = new Int32Array(TEX * TEX);
  const border = new Uint8Array(TEX * TEX);
  for (let y = 0; y < TEX; y++) {
    for (let x = 0; x < TEX; x++) {
      let best = Infinity;
      let second = Infinity;
      let who = 0;
      for (const [i, s] of seeds.entries()) {
        // Squashed vertically: stones lie flat, as in strata.
        const d = Math.hypot(wrap(x - s.x), wrap(y - s.y) * 1.6);
        if (d < best) {
          second = best;
          best = d;
          who = i;
        } else if (d < second) {
          second = d;
        }
      }
      owner[y * TEX + x] = who;
      border[y * TEX + x] = second - best < 1.2 ? 1 : 0;
    }
  }
  for (let y = 0; y < TEX; y++) {
    for (let x = 0; x < TEX; x++) {
      const i = y * TEX + x;
      const above = owner[((y + TEX - 1) % TEX) * TEX + x];
      p.px(x, y, border[i] === 1 ? gap : above !== owner[i] ? lit : seeds[owner[i]].shade);
    }
  }
}

function dirtTexture(): Surface {
  return painted(TEX, TEX, (p) => {
    p.rect(0, 0, TEX, TEX, '#7a5535');
    speckle(p, 10, [
      ['#694629', 70],
      ['#8b6240', 45],
      ['#5e3f26', 12],
      ['#9a7048', 6],
    ]);
    // A few short darker streaks: layered earth.
    for (let i = 0; i < 14; i++) {
      const h = tileHash(i, 0, 11);
      for (let d = 0; d < 3 + (h % 4); d++) {
        wrapPx(p, (h >>> 8) + d, h >>> 20, '#6a4a2e');
      }
    }
  });
}

function stoneTexture(): Surface {
  return painted(TEX, TEX, (p) => {
    stones(p, 20, 16, ['#625e66', '#5c5961', '#67626a', '#58555d'], '#45424b', '#75717a');
    speckle(p, 21, [
      ['#53505a', 40],
      ['#7a767f', 15],
    ]);
  });
}

function caveWallTexture(): Surface {
  return painted(TEX, TEX, (p) => {
    stones(p, 30, 7, ['#343a4d', '#30364a', '#383f54', '#2d3345'], '#20242f', '#414a62');
    speckle(p, 31, [
      ['#2a2f3e', 50],
      ['#454d64', 10],
    ]);
  });
}

function unknownTexture(): Surface {
  return painted(T, T, (p) => {
    p.rect(0, 0, T, T, '#2b2f3a');
    p.rect(0, 0, 4, 4, '#363b48');
    p.rect(8, 8, 4, 4, '#363b48');
  });
}

function decal(kind: Decal, variant: number): Surface {
  const h = (i: number): number => tileHash(kind, variant, 40 + i);
  return painted(T, T, (p) => {
    switch (kind) {
      case Decal.Pebbles:
        for (let i = 0; i < 3; i++) {
          const x = 1 + (h(i) % 11);
          const y = 3 + ((h(i) >>> 8) % 10);
          p.rect(x, y, 3, 2, '#9a9080');
          p.px(x, y, '#c4bcaa');
          p.rect(x, y + 2, 3, 1, '#4e463e');
        }
        break;
      case Decal.Crack: {
        let x = 3 + (h(0) % 8);
        for (let y = 2; y < 14; y++) {
          p.px(x, y, 'rgba(20, 12, 8, 0.45)');
          if (tileHash(x, y, h(1)) % 3 === 0) {
            x += tileHash(y, x, h(2)) % 2 === 0 ? 1 : -1;
            p.px(x, y, 'rgba(20, 12, 8, 0.45)');
          }
        }
        break;
      }
      case Decal.Roots:
        for (let i = 0; i < 2; i++) {
          let x = 2 + (h(i) % 12);
          for (let y = 0; y < 7 + (h(i) % 6); y++) {
            p.px(x, y, i === 0 ? '#a07850' : '#5c3d22');
            if (tileHash(x, y, h(i + 3)) % 4 === 0) {
              x += tileHash(y, i, h(4)) % 2 === 0 ? 1 : -1;
            }
          }
        }
        break;
      case Decal.Bone:
        p.line(5, 10, 9, 8, '#d8cfb4');
        p.rect(4, 9, 2, 2, '#e6dec6');
        p.rect(9, 7, 2, 2, '#e6dec6');
        p.line(6, 11, 10, 9, '#a89c80');
        break;
      case Decal.Ore: {
        const color = variant === 0 ? '#f2c94c' : '#5ce1e6';
        for (let i = 0; i < 4; i++) {
          const x = 2 + (h(i) % 11);
          const y = 2 + ((h(i) >>> 8) % 11);
          p.rect(x, y, 2, 2, '#2e2c33');
          p.px(x, y, color);
          if (i % 2 === 0) {
            p.px(x + 1, y + 1, '#ffffff');
          }
        }
        break;
      }
      default:
        break;
    }
  });
}

const GRASS = '#5dbb4a';
const GRASS_LIGHT = '#8ad86c';
const GRASS_DARK = '#3f8f36';

function grassCap(variant: number): Surface {
  return painted(T, 13, (p) => {
    const top = -GRASS_DY; // the tile's top row in this canvas
    p.rect(0, top, T, 4, GRASS);
    p.rect(0, top, T, 1, GRASS_LIGHT);
    p.rect(0, top + 3, T, 1, GRASS_DARK);
    for (let x = 0; x < T; x++) {
      const h = tileHash(x, variant, 50);
      // Drips of grass into the earth, and a soft shadow under them.
      const drip = h % 4 === 0 ? 2 : h % 3 === 0 ? 1 : 0;
      p.rect(x, top + 4, 1, drip, GRASS_DARK);
      p.px(x, top + 4 + drip, 'rgba(0, 0, 0, 0.18)');
      // Blades up into the air: short everywhere, taller as tufts.
      const blade = variant === 1 ? (h >>> 4) % 5 : (h >>> 4) % 3 === 0 ? 1 + ((h >>> 8) % 2) : 0;
      p.rect(x, top - blade, 1, blade, (h >>> 12) % 2 === 0 ? GRASS : GRASS_LIGHT);
    }
    if (variant === 2) {
      // Flowers on stems.
      for (const [x, color] of [
        [3, '#ff6b6b'],
        [11, '#ffd84a'],
      ] as const) {
        p.rect(x, top - 3, 1, 3, GRASS_DARK);
        p.rect(x - 1, top - 5, 3, 2, color);
        p.px(x, top - 5, '#fff6d0');
      }
    } else if (variant === 3) {
      // A little red mushroom.
      p.rect(9, top - 3, 2, 3, '#f0e6d0');
      p.rect(7, top - 5, 6, 2, '#d64040');
      p.rect(8, top - 6, 4, 1, '#d64040');
      p.px(8, top - 5, '#ffffff');
      p.px(11, top - 5, '#ffffff');
    }
  });
}

function grassSide(left: boolean): Surface {
  return painted(T, 8, (p) => {
    const x = left ? 0 : T - 2;
    p.rect(x, 0, 2, 5, GRASS);
    p.rect(left ? 0 : T - 1, 0, 1, 6, GRASS_DARK);
    p.rect(x, 5, 2, 1, GRASS_DARK);
  });
}

function caveFloor(variant: number): Surface {
  return painted(T, 8, (p) => {
    const top = -CAVE_FLOOR_DY;
    p.rect(0, top, T, 2, '#8b8490');
    p.rect(0, top + 2, T, 1, 'rgba(0, 0, 0, 0.25)');
    for (let x = 0; x < T; x++) {
      const h = tileHash(x, variant, 60);
      if (h % 5 === 0) {
        p.rect(x, top - 1, 2, 1, '#a39ca8');
      }
      if (variant === 1 && h % 7 === 0) {
        p.px(x, top - 1, '#5f9e6e'); // a speck of cave moss
      }
    }
    if (variant === 2) {
      // Glowing cave mushrooms.
      for (const [x, h] of [
        [4, 4],
        [9, 3],
        [12, 2],
      ] as const) {
        p.rect(x, top - h + 1, 1, h - 1, '#cfe8e0');
        p.rect(x - 1, top - h, 3, 1, '#4fd8e0');
        p.px(x, top - h, '#c8fcff');
      }
    }
  });
}

function sideShade(left: boolean): Surface {
  return painted(T, T, (p) => {
    const outer = left ? 0 : T - 1;
    const inner = left ? 1 : T - 2;
    p.rect(outer, 0, 1, T, 'rgba(0, 0, 0, 0.4)');
    p.rect(inner, 0, 1, T, 'rgba(0, 0, 0, 0.18)');
    // A notch or two, so a straight wall is not a ruler.
    for (let y = 0; y < T; y += 5) {
      if (tileHash(y, left ? 1 : 2, 70) % 2 === 0) {
        p.rect(left ? 2 : T - 3, y, 1, 2, 'rgba(0, 0, 0, 0.15)');
      }
    }
  });
}

function underside(cave: boolean, variant: number): Surface {
  return painted(T, T + 6, (p) => {
    p.rect(0, T - 3, T, 3, 'rgba(0, 0, 0, 0.28)');
    p.rect(0, T - 1, T, 1, 'rgba(0, 0, 0, 0.2)');
    for (let i = 0; i < 3; i++) {
      const h = tileHash(i, variant, cave ? 80 : 81);
      const x = 1 + (h % 13);
      const len = 2 + ((h >>> 8) % 5);
      if (cave) {
        // A stalactite: wide at the top, to a point.
        for (let d = 0; d < len; d++) {
          const w = Math.max(1, 3 - Math.floor((d * 3) / len));
          p.rect(x - Math.floor(w / 2), T + d, w, 1, d === 0 ? '#5a5560' : '#6e6874');
        }
      } else {
        // A hanging root.
        p.rect(x, T, 1, len, '#5c3d22');
        p.px(x + ((h >>> 16) % 2 === 0 ? 1 : -1), T + len - 1, '#5c3d22');
      }
    }
  });
}

const PLANK = '#c8955a';
const PLANK_LIGHT = '#e2b47c';
const PLANK_DARK = '#8a5f33';
const PLANK_GRAIN = '#b08048';
const POST = '#7a522c';

function plank(part: PlankPart, variant: number): Surface {
  return painted(T, T, (p) => {
    p.rect(0, 0, T, 6, PLANK);
    p.rect(0, 0, T, 1, PLANK_LIGHT);
    p.rect(0, 5, T, 1, PLANK_DARK);
    // Wood grain, and the joint between boards.
    for (let i = 0; i < 3; i++) {
      const h = tileHash(i, variant, 90 + part.length);
      p.rect(h % 10, 2 + (i % 3), 3 + ((h >>> 8) % 4), 1, PLANK_GRAIN);
    }
    p.rect(T - 1, 1, 1, 4, PLANK_DARK);
    if (variant === 1) {
      p.rect(6, 2, 3, 2, PLANK_DARK); // a knot
      p.px(7, 2, PLANK_GRAIN);
    }
    p.px(2, 2, '#4a3422'); // nails
    p.px(T - 3, 2, '#4a3422');
    const ends: ('left' | 'right')[] = part === 'single' ? ['left', 'right'] : part === 'left' || part === 'right' ? [part] : [];
    for (const end of ends) {
      // A rounded board end resting on a crossbeam log, seen end-on.
      const x = end === 'left' ? 0 : T - 1;
      p.rect(x, 0, 1, 6, PLANK_DARK);
      p.clear(x, 0);
      p.clear(x, 5);
      const log = end === 'left' ? 3 : T - 4;
      p.ellipse(log, 8, 2.5, 2.5, POST);
      p.ellipse(log, 8, 1, 1, PLANK);
      p.px(log, 8, PLANK_DARK);
    }
  });
}

export function paintTileArt(): TileArt {
  const two = <X>(f: (variant: number) => X): X[] => [f(0), f(1)];
  const decals: Surface[][] = [];
  for (const kind of Object.values(Decal)) {
    decals[kind] = kind === Decal.None ? [] : two((v) => decal(kind, v));
  }
  return {
    dirt: dirtTexture(),
    stone: stoneTexture(),
    caveWall: caveWallTexture(),
    unknown: unknownTexture(),
    decals,
    grass: Array.from({ length: GRASS_VARIANTS }, (_, v) => grassCap(v)),
    grassSide: { left: grassSide(true), right: grassSide(false) },
    caveFloor: Array.from({ length: CAVE_FLOOR_VARIANTS }, (_, v) => caveFloor(v)),
    side: { left: sideShade(true), right: sideShade(false) },
    underside: { sky: two((v) => underside(false, v)), cave: two((v) => underside(true, v)) },
    planks: {
      single: two((v) => plank('single', v)),
      left: two((v) => plank('left', v)),
      middle: two((v) => plank('middle', v)),
      right: two((v) => plank('right', v)),
    },
  };
}
