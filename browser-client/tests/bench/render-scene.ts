/**
 * A render-only page for measuring frame rate (`render-fps.mjs` bundles and runs it): the real
 * `Renderer` drawing a world of hills, caves and platforms with 200 animated figures in view
 * (players of many colours and the three mob species running, jumping, attacking, getting
 * hit and dying), fed with synthetic figures instead of a server. `?cave` looks from inside a
 * cave, `?figures=N` draws N figures, `?ms=N` measures N ms. It reports `window.benchResult`.
 */

import { Pose } from '../../src/protocol';
import { cameraAt } from '../../src/render/camera';
import type { Figure } from '../../src/render/figures';
import { TILE_PX } from '../../src/render/palette';
import { Renderer } from '../../src/render/renderer';
import { tileHash } from '../../src/render/tile-variants';
import { encodeRle, decodeRle, Tile, TerrainMap } from '../../src/terrain';

const CELL = 128;
const GEOMETRY = { widthCells: 4, heightCells: 2, cellTiles: CELL };
const W = GEOMETRY.widthCells * CELL;
const H = GEOMETRY.heightCells * CELL;
const FIGURES = Number(new URLSearchParams(location.search).get('figures') ?? 200);
const WARMUP_MS = 2000;
const MEASURE_MS = Number(new URLSearchParams(location.search).get('ms') ?? 10_000);
const inCave = new URLSearchParams(location.search).has('cave');

/** Hills every 16 columns, sealed caves below, platform rows above: the generator's shapes. */
function surface(x: number): number {
  const control = (i: number): number => 160 + (tileHash(i, 0, 1) % 25) - 12;
  const i = Math.floor(x / 16);
  return control(i) + Math.trunc(((control(i + 1) - control(i)) * (x % 16)) / 16);
}

function tile(x: number, y: number): number {
  if (x <= 0 || y <= 0 || x >= W - 1 || y >= H - 2) {
    return Tile.Solid;
  }
  const s = surface(x);
  if (y >= s) {
    const g = (i: number, j: number): number => tileHash(i, j, 2) % 256;
    const [gx, gy, fx, fy] = [Math.floor(x / 12), Math.floor(y / 12), x % 12, y % 12];
    const v = ((g(gx, gy) * (12 - fx) + g(gx + 1, gy) * fx) * (12 - fy) + (g(gx, gy + 1) * (12 - fx) + g(gx + 1, gy + 1) * fx) * fy) / 144;
    return y > s + 5 && v > 170 ? Tile.Empty : Tile.Solid;
  }
  const h = tileHash(Math.floor(x / 14), Math.floor(y / 4), 3);
  const at = x % 14;
  return y % 4 === 0 && y < s - 3 && y > 6 && h % 100 < 45 && at >= (h >>> 8) % 6 && at < ((h >>> 8) % 6) + 4 + ((h >>> 16) % 7) ? Tile.Platform : Tile.Empty;
}

const terrain = new TerrainMap(CELL);
for (let cy = 0; cy < GEOMETRY.heightCells; cy++) {
  for (let cx = 0; cx < GEOMETRY.widthCells; cx++) {
    const tiles = new Uint8Array(CELL * CELL);
    for (let y = 0; y < CELL; y++) {
      for (let x = 0; x < CELL; x++) {
        tiles[y * CELL + x] = tile(cx * CELL + x, cy * CELL + y);
      }
    }
    terrain.insert(decodeRle(GEOMETRY, { x: cx, y: cy, depth: 0 }, encodeRle(tiles)));
  }
}

/** The cave nearest the middle of the world (for `?cave`). */
function caveFocus(): { x: number; y: number } {
  for (let r = 0; r < 100; r++) {
    for (let x = W / 2 - r; x <= W / 2 + r; x++) {
      const y = surface(x) + 10;
      if (tile(x, y) === Tile.Empty && tile(x, y - 1) === Tile.Empty) {
        return { x: x + 0.5, y };
      }
    }
  }
  return { x: W / 2, y: surface(W / 2) + 10 };
}
const centre = inCave ? caveFocus() : { x: W / 2, y: surface(W / 2) - 4 };

interface Walker {
  id: number;
  kind: Figure['kind'];
  x0: number;
  y: number;
  range: number;
  speed: number;
  phase: number;
}

const walkers: Walker[] = Array.from({ length: FIGURES }, (_, i) => {
  const h = tileHash(i, 0, 9);
  const player = i % 10 < 3;
  return {
    id: player ? 1000 + i * 7 : 5000 + i,
    kind: player ? { type: 'Player', name: `player${i}` } : { type: 'Npc', species: i % 3 },
    // Within the view (80 x 45 tiles) however they pace and however the camera pans.
    x0: (centre.x - 28 + (h % 56)) * TILE_PX,
    y: (centre.y - 19 + ((h >>> 8) % 38)) * TILE_PX,
    range: 16 + ((h >>> 16) % 48),
    speed: 1.5 + ((h >>> 24) % 10) / 4,
    phase: h % 628,
  };
});

/** Every walker at `t`: pacing, now and then jumping, swinging, hit, or dead for a while. */
function figuresAt(t: number): Figure[] {
  return walkers.map((w, i) => {
    const s = t / 1000;
    const a = w.speed * s + w.phase / 100;
    const vx = Math.cos(a) * w.range * w.speed;
    const cycle = (s + i * 0.37) % 6;
    const jumping = i % 4 === 0 && cycle > 1 && cycle < 1.6;
    const vy = jumping ? (cycle < 1.3 ? -300 : 300) : 0;
    let pose = vx < 0 ? Pose.FACING_LEFT : 0;
    pose |= jumping ? 0 : Pose.ON_GROUND;
    pose |= cycle > 3 && cycle < 3.2 ? Pose.ATTACKING : 0;
    pose |= cycle > 4 && cycle < 4.2 ? Pose.HURT : 0;
    pose |= i % 25 === 0 && cycle > 5 ? Pose.DEAD : 0;
    const hurt = i % 2 === 0;
    return {
      id: w.id,
      kind: w.kind,
      x: w.x0 + Math.sin(a) * w.range,
      y: w.y - (jumping ? 20 : 0),
      hp: hurt ? 7 : 10,
      maxHp: 10,
      pose,
      isSelf: i === FIGURES - 1,
      vx,
      vy,
      onGround: !jumping,
    };
  });
}

const canvas = document.createElement('canvas');
canvas.id = 'world';
document.body.style.margin = '0';
document.body.appendChild(canvas);
const renderer = new Renderer(canvas);
const items = Array.from({ length: 20 }, (_, i) => ({ x: (centre.x - 30 + i * 3) * TILE_PX, y: surface(Math.floor(centre.x - 30 + i * 3)) * TILE_PX, kind: i }));
const drawMs: number[] = [];
let start: number | null = null;
let frames = 0;

function frame(now: number): void {
  const t0 = performance.now();
  renderer.draw(
    {
      worldW: W,
      worldH: H,
      terrain,
      // The camera pans slowly, so the parallax layers and tiles move (not out of the cave).
      focusX: centre.x + (inCave ? 0 : Math.sin(now / 3000) * 6),
      focusY: centre.y,
      items,
      figures: figuresAt(now),
    },
    now,
  );
  const spent = performance.now() - t0;
  if (now > WARMUP_MS) {
    start ??= now;
    frames++;
    drawMs.push(spent);
    if (now - start >= MEASURE_MS) {
      drawMs.sort((a, b) => a - b);
      const cam = cameraAt(renderer.drawn.focus.x, renderer.drawn.focus.y, W, H);
      const inView = figuresAt(now).filter((f) => f.x >= cam.left && f.x < cam.left + cam.widthPx && f.y >= cam.top && f.y < cam.top + cam.heightPx).length;
      (window as unknown as { benchResult: unknown }).benchResult = {
        fps: ((frames - 1) * 1000) / (now - start),
        drawMsMedian: drawMs[Math.floor(drawMs.length / 2)],
        drawMsP95: drawMs[Math.floor(drawMs.length * 0.95)],
        figuresInView: inView,
        inCave: renderer.drawn.inCave,
        canvas: `${canvas.width}x${canvas.height}`,
      };
      return;
    }
  }
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
