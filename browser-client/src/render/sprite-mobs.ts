/**
 * The mobs' frames, each species a pose table and a painter, facing right: the slime (a
 * hopping blob that melts when it dies), the bat (flapping, diving to bite, dropping when it
 * dies) and the hunter (a low rust-red stalker that gallops, pounces, and falls on its side).
 */

import type { AnimName } from '../animation';
import type { Painter } from './pixel';
import type { SheetArt } from './sprite-sheet';

type Eyes = 'open' | 'angry' | 'shut' | 'x';

/** Small 3 x 3 crossed-out eye, the sign of a hit or a death. */
function xEye(pp: Painter, x: number, y: number, color: string): void {
  for (const [dx, dy] of [
    [0, 0],
    [2, 0],
    [1, 1],
    [0, 2],
    [2, 2],
  ]) {
    pp.px(x + dx, y + dy, color);
  }
}

// --- Slime -----------------------------------------------------------------------------------

interface SlimePose {
  /** Width and height of the blob, how high it is off the ground, and its shift forward. */
  w: number;
  h: number;
  lift?: number;
  dx?: number;
  eyes?: Eyes;
  mouth?: boolean;
}

const sp = (w: number, h: number, extra: Omit<SlimePose, 'w' | 'h'> = {}): SlimePose => ({ w, h, ...extra });

const SLIME: Record<AnimName, SlimePose[]> = {
  idle: [sp(16, 11), sp(17, 10), sp(18, 9), sp(17, 10)],
  // A hop: stretch, leave the ground, land squashed.
  run: [sp(14, 13), sp(14, 13, { lift: 3, dx: 1 }), sp(16, 11, { lift: 5, dx: 1 }), sp(16, 11, { lift: 3, dx: 1 }), sp(18, 9), sp(20, 8)],
  jump: [sp(13, 14), sp(14, 13)],
  fall: [sp(16, 11), sp(15, 12)],
  attack: [
    sp(14, 13, { dx: -2, eyes: 'angry' }),
    sp(20, 9, { dx: 4, eyes: 'angry', mouth: true }),
    sp(19, 10, { dx: 3, eyes: 'angry', mouth: true }),
    sp(17, 10, { dx: 1, eyes: 'angry' }),
  ],
  hurt: [sp(20, 8, { dx: -2, eyes: 'x' }), sp(18, 9, { dx: -1, eyes: 'x' })],
  // Melting into a puddle.
  death: [sp(20, 8, { eyes: 'x' }), sp(22, 6, { eyes: 'x' }), sp(24, 4, { eyes: 'x' }), sp(26, 3, { eyes: 'shut' }), sp(26, 2, { eyes: 'shut' })],
};

export interface SlimeColors {
  body: string;
  dark: string;
  light: string;
  outline: string;
  /** A mark painted on the body (the unknown species' "?"). */
  mark?: string;
}

export const SLIME_GREEN: SlimeColors = { body: '#48c774', dark: '#2f9a55', light: '#a8f5bf', outline: '#163f26' };

export function slimeArt(c: SlimeColors): SheetArt {
  function paint(pp: Painter, pose: SlimePose): void {
    const dx = pose.dx ?? 0;
    const bottom = -1 - (pose.lift ?? 0);
    const top = bottom - pose.h + 1;
    pp.dome(dx, bottom, pose.w, pose.h, c.body);
    // Shade at the bottom, a glint at the top back.
    pp.rect(dx - pose.w / 2 + 1, bottom, pose.w - 2, 1, c.dark);
    pp.rect(dx - pose.w / 2 + 2, bottom - 1, 2, 1, c.dark);
    if (pose.h >= 6) {
      pp.rect(dx - Math.floor(pose.w / 4) - 1, top + 2, 2, 2, c.light);
      pp.px(dx - Math.floor(pose.w / 4) + 1, top + 1, c.light);
    }
    if (pose.h >= 4) {
      const ey = top + Math.max(1, Math.floor(pose.h * 0.35));
      eyes(pp, dx, ey, pose.eyes ?? 'open', pose.h >= 8);
      if (pose.mouth === true) {
        pp.rect(dx + 2, ey + 4, 5, 2, '#163f26');
        pp.px(dx + 3, ey + 4, '#ffffff');
        pp.px(dx + 5, ey + 4, '#ffffff');
      }
    } else {
      // A puddle: a bubble or two.
      pp.px(dx - 6, top - 1, c.light);
      pp.px(dx + 5, top - 2, c.light);
    }
    if (c.mark !== undefined && pose.h >= 8) {
      pp.rect(dx - 1, top + 2, 3, 1, c.mark);
      pp.px(dx + 1, top + 3, c.mark);
      pp.px(dx, top + 4, c.mark);
      pp.px(dx, top + 6, c.mark);
    }
  }

  function eyes(pp: Painter, dx: number, ey: number, kind: Eyes, tall: boolean): void {
    const h = tall ? 3 : 2;
    for (const ex of [dx + 1, dx + 5]) {
      if (kind === 'x') {
        xEye(pp, ex - 1, ey, '#163f26');
      } else if (kind === 'shut') {
        pp.rect(ex - 1, ey + 1, 3, 1, '#163f26');
      } else {
        pp.rect(ex - 1, ey, 3, h, '#ffffff');
        pp.rect(ex + 1, ey + (kind === 'angry' ? 1 : 0), 1, h - (kind === 'angry' ? 1 : 0), '#1a1a22');
        if (kind === 'angry') {
          pp.rect(ex - 1, ey - 1, 3, 1, '#163f26');
        }
      }
    }
  }

  return {
    frameW: 36,
    frameH: 28,
    footX: 18,
    footY: 25,
    height: 15,
    outline: c.outline,
    paint: (pp, anim, frame) => paint(pp, SLIME[anim][frame]),
  };
}

// --- Bat -------------------------------------------------------------------------------------

type Wing = 'up' | 'mid' | 'down' | 'folded';

interface BatPose {
  wing: Wing;
  /** The body's middle above the feet (negative), and its shift forward. */
  y: number;
  dx?: number;
  eyes?: Eyes;
  mouth?: boolean;
  /** Lying on its back (dead). */
  flipped?: boolean;
}

const bp = (wing: Wing, y: number, extra: Omit<BatPose, 'wing' | 'y'> = {}): BatPose => ({ wing, y, ...extra });

const BAT: Record<AnimName, BatPose[]> = {
  idle: [bp('up', -12), bp('mid', -13), bp('down', -14), bp('mid', -13)],
  run: [bp('up', -12, { dx: 1 }), bp('mid', -12, { dx: 1 }), bp('down', -13, { dx: 1 }), bp('down', -14, { dx: 1 }), bp('mid', -13, { dx: 1 }), bp('up', -12, { dx: 1 })],
  jump: [bp('down', -13), bp('mid', -14)],
  fall: [bp('up', -12), bp('mid', -12)],
  attack: [
    bp('up', -14, { dx: -2, eyes: 'angry' }),
    bp('down', -11, { dx: 4, eyes: 'angry', mouth: true }),
    bp('down', -11, { dx: 3, eyes: 'angry', mouth: true }),
    bp('mid', -12, { dx: 1, eyes: 'angry' }),
  ],
  hurt: [bp('mid', -12, { dx: -2, eyes: 'x' }), bp('up', -12, { dx: -1, eyes: 'x' })],
  // Wings folded, it drops to the ground and lies there.
  death: [bp('up', -12, { eyes: 'x' }), bp('folded', -9, { eyes: 'x' }), bp('folded', -6, { eyes: 'x' }), bp('folded', -4, { eyes: 'x', flipped: true }), bp('folded', -4, { eyes: 'x', flipped: true })],
};

const BAT_BODY = '#8e5bd6';
const BAT_DARK = '#5b3596';
const BAT_LIGHT = '#c4a0f0';
const BAT_WING = '#6a3fa8';
const BAT_BONE = '#3f2170';

/** Wing tip and the scalloped lower edge of the right wing, relative to the body's middle. */
const WING_SHAPE: Record<Wing, [number, number][]> = {
  up: [
    [3, -2],
    [13, -10],
    [12, -4],
    [9, -5],
    [7, -1],
    [4, 1],
  ],
  mid: [
    [3, -2],
    [14, -3],
    [12, 1],
    [9, 0],
    [7, 3],
    [4, 2],
  ],
  down: [
    [3, -1],
    [12, 6],
    [9, 6],
    [7, 4],
    [5, 6],
    [3, 2],
  ],
  folded: [
    [2, -2],
    [5, 0],
    [5, 4],
    [3, 3],
  ],
};

export function batArt(): SheetArt {
  function wing(pp: Painter, cx: number, cy: number, shape: [number, number][], side: 1 | -1, color: string): void {
    const pts = shape.map(([x, y]) => [cx + side * x, cy + y] as const);
    pp.poly(pts, color);
    // The bone along the top edge to the tip.
    pp.line(pts[0][0], pts[0][1], pts[1][0], pts[1][1], BAT_BONE);
  }

  function paint(pp: Painter, pose: BatPose): void {
    const cx = pose.dx ?? 0;
    const cy = pose.y;
    const shape = WING_SHAPE[pose.wing];
    // The far wing behind the body, darker; the near wing in front.
    wing(pp, cx, cy, shape, -1, BAT_DARK);
    pp.ellipse(cx, cy, 4, 5, BAT_BODY);
    pp.ellipse(cx + 1, cy + 2, 2, 2, BAT_LIGHT);
    const earY = pose.flipped === true ? cy + 5 : cy - 6;
    const earDir = pose.flipped === true ? 1 : -1;
    for (const ex of [cx - 2, cx + 2]) {
      pp.px(ex, earY, BAT_BODY);
      pp.px(ex, earY + earDir, BAT_BODY);
    }
    const eyeY = pose.flipped === true ? cy + 2 : cy - 2;
    const kind = pose.eyes ?? 'open';
    for (const ex of [cx, cx + 3]) {
      if (kind === 'x') {
        pp.px(ex, eyeY, '#ffde59');
      } else if (kind === 'shut') {
        pp.rect(ex, eyeY, 2, 1, BAT_BONE);
      } else {
        pp.rect(ex, eyeY, 1, kind === 'angry' ? 1 : 2, '#ffde59');
      }
    }
    if (pose.mouth === true) {
      pp.rect(cx, cy + 1, 4, 2, '#2a1040');
      pp.px(cx, cy + 1, '#ffffff');
      pp.px(cx + 3, cy + 1, '#ffffff');
    }
    if (pose.flipped !== true) {
      pp.px(cx - 1, cy + 5, BAT_BONE);
      pp.px(cx + 1, cy + 5, BAT_BONE);
    }
    wing(pp, cx, cy, shape, 1, BAT_WING);
  }

  return {
    frameW: 40,
    frameH: 34,
    footX: 20,
    footY: 31,
    height: 22,
    outline: '#1c0d33',
    paint: (pp, anim, frame) => paint(pp, BAT[anim][frame]),
  };
}

// --- Hunter ----------------------------------------------------------------------------------

type Paw = [number, number];

interface HunterPose {
  dx: number;
  dy: number;
  /** Paws (x, lift) from the feet's middle: back far, back near, front far, front near. */
  paws: [Paw, Paw, Paw, Paw];
  /** Tail tip relative to the rump. */
  tail: Paw;
  head?: number;
  eyes?: Eyes;
  mouth?: boolean;
  /** Fallen on its side (dead): legs stick out forward, flat. */
  lying?: boolean;
}

const STANCE: HunterPose['paws'] = [
  [-6, 0],
  [-4, 0],
  [4, 0],
  [6, 0],
];

const hp = (dx: number, dy: number, paws: HunterPose['paws'], tail: Paw, extra: Partial<HunterPose> = {}): HunterPose => ({ dx, dy, paws, tail, ...extra });

const HUNTER: Record<AnimName, HunterPose[]> = {
  idle: [hp(0, 0, STANCE, [-7, -7]), hp(0, 0, STANCE, [-8, -5]), hp(0, 1, STANCE, [-7, -3]), hp(0, 1, STANCE, [-6, -5])],
  run: [
    hp(0, 0, [[-2, 0], [0, 0], [2, 0], [4, 0]], [-8, -2]),
    hp(0, -1, [[-5, 0], [-3, -1], [5, -2], [7, -3]], [-8, -3]),
    hp(0, -2, [[-9, -2], [-7, -2], [9, -3], [11, -2]], [-8, -2]),
    hp(0, -1, [[-7, -3], [-5, -3], [7, 0], [9, 0]], [-8, -1]),
    hp(0, 0, [[-3, -2], [-1, -1], [4, 0], [6, 0]], [-8, -2]),
    hp(0, 1, [[-2, 0], [0, 0], [3, -1], [5, -2]], [-8, -3]),
  ],
  jump: [hp(0, 2, STANCE, [-7, -4], { head: 1 }), hp(1, -2, [[-9, -2], [-7, -2], [9, -4], [11, -3]], [-8, -1])],
  fall: [hp(0, -1, [[-7, -2], [-5, -2], [7, 0], [9, 0]], [-7, -6]), hp(0, -1, [[-6, -2], [-4, -3], [7, 0], [9, -1]], [-7, -7])],
  attack: [
    hp(-2, 2, STANCE, [-7, -2], { head: 2, eyes: 'angry' }),
    hp(4, -3, [[-6, 0], [-4, 0], [12, -8], [13, -6]], [-8, -1], { eyes: 'angry', mouth: true }),
    hp(4, -1, [[-6, 0], [-4, 0], [13, -3], [11, -1]], [-8, -2], { eyes: 'angry', mouth: true }),
    hp(1, 0, STANCE, [-7, -4], { eyes: 'angry' }),
  ],
  hurt: [hp(-2, 1, STANCE, [-6, -2], { head: 2, eyes: 'x' }), hp(-1, 0, STANCE, [-7, -4], { head: 1, eyes: 'x' })],
  death: [
    hp(-2, 1, STANCE, [-6, -2], { head: 2, eyes: 'x' }),
    hp(-1, 3, [[-7, 0], [-5, 0], [5, 0], [7, 0]], [-8, 0], { head: 3, eyes: 'x' }),
    hp(0, 4, [[-8, 2], [-6, 2], [8, 2], [10, 2]], [-9, 1], { head: 4, eyes: 'x', lying: true }),
    hp(0, 4, [[-8, 2], [-6, 2], [8, 2], [10, 2]], [-9, 2], { head: 4, eyes: 'x', lying: true }),
    hp(0, 4, [[-8, 3], [-6, 3], [8, 3], [10, 3]], [-10, 2], { head: 4, eyes: 'shut', lying: true }),
  ],
};

const FUR = '#c4512d';
const FUR_DARK = '#7d2f1a';
const FUR_LIGHT = '#e07a4a';
const CREAM = '#f0d0a0';
const NOSE = '#2a1008';
const GLOW = '#ffe14d';

export function hunterArt(): SheetArt {
  function leg(pp: Painter, hipX: number, hipY: number, paw: Paw, color: string, lying: boolean): void {
    // Lying on its side the legs stick out forward at the height of the body.
    const [px, lift] = paw;
    const footY = lying ? -4 : -lift;
    pp.line(hipX, hipY, px, footY - 1, color, 2);
    pp.rect(px, footY - 1, 2, 1, FUR_DARK);
  }

  function paint(pp: Painter, pose: HunterPose): void {
    const { dx, dy } = pose;
    const lying = pose.lying === true;
    const bodyY = -8 + dy;
    const hipY = bodyY + 2;
    const [bf, bn, ff, fn] = pose.paws;
    // Tail: from the rump, two segments, a cream tip.
    const rx = dx - 7;
    const ry = bodyY - 1;
    const [tx, ty] = pose.tail;
    pp.line(rx, ry, rx + tx / 2, ry + ty / 2 - 1, FUR, 3);
    pp.line(rx + tx / 2, ry + ty / 2 - 1, rx + tx, ry + ty, FUR, 2);
    pp.rect(rx + tx - 1, ry + ty - 1, 2, 2, CREAM);
    // Far legs, body, near legs.
    leg(pp, dx - 5, hipY, bf, FUR_DARK, lying);
    leg(pp, dx + 4, hipY, ff, FUR_DARK, lying);
    pp.ellipse(dx, bodyY, 8, 4, FUR);
    pp.rect(dx - 7, bodyY - 4, 13, 1, FUR_DARK);
    pp.rect(dx - 5, bodyY + 2, 11, 2, CREAM);
    pp.rect(dx - 4, bodyY - 2, 6, 1, FUR_LIGHT);
    leg(pp, dx - 3, hipY, bn, FUR, lying);
    leg(pp, dx + 6, hipY, fn, FUR, lying);
    // Head: low and forward, a long snout, ears up, a glowing eye.
    const hx = dx + 8;
    const hy = bodyY - 4 + (pose.head ?? 0);
    pp.ellipse(hx, hy, 3, 3, FUR);
    pp.rect(hx + 2, hy, 4, 2, FUR);
    pp.rect(hx + 2, hy + 2, 3, 1, CREAM);
    pp.px(hx + 6, hy, NOSE);
    pp.line(hx - 2, hy - 3, hx - 1, hy - 6, FUR_DARK, 2);
    pp.line(hx + 1, hy - 3, hx + 2, hy - 6, FUR, 2);
    if (pose.mouth === true) {
      pp.rect(hx + 3, hy + 2, 4, 2, NOSE);
      pp.px(hx + 4, hy + 2, '#ffffff');
      pp.px(hx + 6, hy + 2, '#ffffff');
    }
    const eyes = pose.eyes ?? 'open';
    if (eyes === 'x') {
      xEye(pp, hx, hy - 2, NOSE);
    } else if (eyes === 'shut') {
      pp.rect(hx, hy - 1, 3, 1, NOSE);
    } else {
      pp.rect(hx + 1, hy - 1, 2, 1, GLOW);
      if (eyes === 'angry') {
        pp.rect(hx, hy - 2, 3, 1, FUR_DARK);
      }
    }
  }

  return {
    frameW: 48,
    frameH: 34,
    footX: 24,
    footY: 31,
    height: 20,
    outline: '#3a1408',
    paint: (pp, anim, frame) => paint(pp, HUNTER[anim][frame]),
  };
}
