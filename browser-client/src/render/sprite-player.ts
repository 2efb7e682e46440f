/**
 * The player character's frames: a pose table (where feet, hands and sword are in each frame
 * of each animation) and one painter that draws a 12 x 28 px adventurer in any pose, in the
 * player's shirt colour and hair colour. Facing right; the sheet mirrors it.
 */

import type { AnimName } from '../animation';
import type { SheetArt } from './sprite-sheet';
import { hsl, makeCanvas, Painter } from './pixel';

interface Point {
  x: number;
  y: number;
}

/** One frame's pose. Feet are relative to the ground under the body's middle; hands to the shoulder. */
interface Pose {
  /** Upper body offset: lean forward (+x) and bob down (+y). */
  dx: number;
  dy: number;
  back: Point;
  front: Point;
  backHand: Point;
  frontHand: Point;
  /** The sword in the front hand, pointing `angle` degrees below forward (-90 is up). */
  sword?: number;
  /** The blade's arc in front: the strike itself or its fading trail. */
  swoosh?: 'strike' | 'trail';
  eyes?: 'open' | 'shut' | 'x';
  /** Fallen backwards by this many degrees (death). */
  tilt?: number;
}

const p = (x: number, y: number): Point => ({ x, y });

const STAND: Pose = { dx: 0, dy: 0, back: p(-2, 0), front: p(2, 0), backHand: p(-1, 7), frontHand: p(1, 7) };

/** Run: a six-frame stride, arms swinging against the legs, bobbing on the down beats. */
const RUN_FEET: [Point, Point][] = [
  [p(-4, -2), p(5, 0)],
  [p(-2, -4), p(3, 0)],
  [p(1, -5), p(0, 0)],
  [p(5, 0), p(-4, -2)],
  [p(3, 0), p(-2, -4)],
  [p(0, 0), p(1, -5)],
];
const RUN: Pose[] = RUN_FEET.map(([back, front], i) => {
  const frontForward = i < 3;
  return {
    dx: 1,
    dy: i % 3 === 1 ? 1 : 0,
    back,
    front,
    backHand: frontForward ? p(3, 5) : p(-3, 6),
    frontHand: frontForward ? p(-3, 6) : p(4, 5),
  };
});

const POSES: Record<AnimName, Pose[]> = {
  idle: [0, 0, 1, 1].map((dy, i) => ({ ...STAND, dy, backHand: p(-1, 7 - dy), frontHand: p(i === 2 ? 2 : 1, 7 - dy) })),
  run: RUN,
  jump: [
    { dx: 0, dy: 2, back: p(-3, 0), front: p(3, 0), backHand: p(-4, 5), frontHand: p(-2, 6) },
    { dx: 0, dy: 0, back: p(-2, -1), front: p(3, -5), backHand: p(-2, -6), frontHand: p(3, -7) },
  ],
  fall: [
    { dx: 0, dy: 0, back: p(-3, -1), front: p(3, 0), backHand: p(-4, -5), frontHand: p(4, -6) },
    { dx: 0, dy: 0, back: p(-3, 0), front: p(3, -1), backHand: p(-5, -4), frontHand: p(5, -5) },
  ],
  attack: [
    { dx: -1, dy: 1, back: p(-3, 0), front: p(3, 0), backHand: p(-3, 4), frontHand: p(-2, -6), sword: -125 },
    { dx: 2, dy: 0, back: p(-3, 0), front: p(5, 0), backHand: p(-4, 3), frontHand: p(5, -1), sword: -8, swoosh: 'strike' },
    { dx: 2, dy: 1, back: p(-3, 0), front: p(5, 0), backHand: p(-4, 4), frontHand: p(5, 2), sword: 35, swoosh: 'trail' },
    { dx: 1, dy: 0, back: p(-2, 0), front: p(4, 0), backHand: p(-2, 6), frontHand: p(3, 5), sword: 70 },
  ],
  hurt: [
    { dx: -2, dy: 0, back: p(-3, 0), front: p(2, 0), backHand: p(-4, -4), frontHand: p(2, -5), eyes: 'x' },
    { dx: -1, dy: 1, back: p(-3, 0), front: p(2, 0), backHand: p(-3, 3), frontHand: p(2, 4), eyes: 'shut' },
  ],
  death: [
    { dx: -2, dy: 0, back: p(-3, 0), front: p(2, 0), backHand: p(-4, -4), frontHand: p(2, -5), eyes: 'x' },
    { dx: -1, dy: 4, back: p(-4, 0), front: p(3, 0), backHand: p(-2, 7), frontHand: p(2, 7), eyes: 'shut' },
    { dx: 0, dy: 1, back: p(-2, 0), front: p(3, 0), backHand: p(-4, -3), frontHand: p(3, -4), eyes: 'x', tilt: 45 },
    { ...STAND, eyes: 'x', tilt: 90, backHand: p(-2, 6), frontHand: p(2, 6) },
    { ...STAND, eyes: 'x', tilt: 90, backHand: p(-1, 7), frontHand: p(1, 7) },
  ],
};

export interface PlayerLook {
  /** Shirt hue (degrees). */
  hue: number;
  hair: string;
  /** The hair's shadow (its top edge). */
  hairDark: string;
}

const SKIN = '#f2c9a0';
const SKIN_SHADE = '#d9a77c';
const PANTS = '#3a3a4a';
const PANTS_DARK = '#2a2a36';
const BOOTS = '#4a3222';
const BELT = '#5a3a1e';
const BUCKLE = '#e8c050';
const BLADE = '#e4ebf2';
const BLADE_EDGE = '#9aa6b4';
const GUARD = '#c9a640';
const GRIP = '#6b4526';
const EYE = '#1e1e28';

const FRAME_W = 60;
const FRAME_H = 46;
const FOOT_X = 30;
const FOOT_Y = 42;

/** The player's sheet art for a shirt hue and hair colour. */
export function playerArt(look: PlayerLook): SheetArt {
  const shirt = hsl(look.hue, 70, 52);
  const shirtDark = hsl(look.hue, 70, 36);
  const shirtLight = hsl(look.hue, 80, 68);

  function body(pp: Painter, pose: Pose): void {
    const { dx, dy } = pose;
    const shoulderBack = p(-3 + dx, -18 + dy);
    const shoulderFront = p(2 + dx, -18 + dy);
    const hand = (s: Point, h: Point): Point => p(s.x + h.x, s.y + h.y);
    // Back arm and leg first, darker: they are farther away.
    arm(pp, shoulderBack, hand(shoulderBack, pose.backHand), shirtDark, SKIN_SHADE);
    leg(pp, p(-1 + dx, -10 + dy), pose.back, PANTS_DARK);
    // Torso: shaded at the back, lit at the front, a belt with a buckle.
    pp.rect(-5 + dx, -19 + dy, 10, 9, shirt);
    pp.rect(-5 + dx, -19 + dy, 2, 9, shirtDark);
    pp.rect(3 + dx, -18 + dy, 1, 6, shirtLight);
    pp.rect(-2 + dx, -19 + dy, 4, 1, shirtDark);
    pp.rect(-5 + dx, -11 + dy, 10, 2, BELT);
    pp.rect(1 + dx, -11 + dy, 2, 2, BUCKLE);
    leg(pp, p(1 + dx, -10 + dy), pose.front, PANTS);
    head(pp, dx, dy, pose.eyes ?? 'open');
    // Front arm, then the sword over everything.
    const fh = hand(shoulderFront, pose.frontHand);
    arm(pp, shoulderFront, fh, shirtLight, SKIN);
    if (pose.sword !== undefined) {
      sword(pp, fh.x + 1, fh.y + 1, pose.sword);
    }
    if (pose.swoosh !== undefined) {
      swoosh(pp, shoulderFront.x, shoulderFront.y + 2, pose.swoosh);
    }
  }

  /** A sleeve from the shoulder to the elbow, a bare forearm and a hand. */
  function arm(pp: Painter, shoulder: Point, h: Point, sleeve: string, skin: string): void {
    const ex = Math.round((shoulder.x + h.x) / 2);
    const ey = Math.round((shoulder.y + h.y) / 2);
    pp.line(ex, ey, h.x, h.y, skin, 2);
    pp.line(shoulder.x, shoulder.y, ex, ey, sleeve, 2);
    pp.rect(h.x, h.y, 2, 2, skin);
  }

  function leg(pp: Painter, hip: Point, foot: Point, color: string): void {
    pp.line(hip.x, hip.y, foot.x, foot.y - 2, color, 3);
    // A boot pointing forward.
    pp.rect(foot.x - 1, foot.y - 2, 4, 2, BOOTS);
  }

  function head(pp: Painter, dx: number, dy: number, eyes: 'open' | 'shut' | 'x'): void {
    const x = -4 + dx;
    const y = -27 + dy;
    pp.rect(x, y, 8, 8, SKIN);
    pp.rect(x, y + 7, 8, 1, SKIN_SHADE);
    // Hair: a cap over the top, down the back, a fringe at the front.
    pp.rect(x - 1, y - 1, 9, 3, look.hair);
    pp.rect(x - 1, y + 2, 3, 4, look.hair);
    pp.rect(x + 6, y + 2, 1, 1, look.hair);
    pp.rect(x - 1, y - 1, 9, 1, look.hairDark);
    pp.px(x + 1, y + 4, SKIN_SHADE); // the ear
    if (eyes === 'open') {
      pp.rect(x + 5, y + 3, 1, 2, EYE);
    } else if (eyes === 'shut') {
      pp.rect(x + 4, y + 4, 2, 1, EYE);
    } else {
      pp.px(x + 4, y + 3, EYE);
      pp.px(x + 6, y + 3, EYE);
      pp.px(x + 5, y + 4, EYE);
      pp.px(x + 4, y + 5, EYE);
      pp.px(x + 6, y + 5, EYE);
    }
    pp.rect(x + 5, y + 6, 2, 1, SKIN_SHADE); // the mouth
  }

  function sword(pp: Painter, hx: number, hy: number, angleDeg: number): void {
    const a = (angleDeg * Math.PI) / 180;
    const ux = Math.cos(a);
    const uy = Math.sin(a);
    const len = 12;
    // Grip behind the hand, guard across, blade out with its edge shaded.
    pp.line(hx - ux * 2, hy - uy * 2, hx, hy, GRIP, 2);
    pp.line(hx + ux * 1 - uy * 2, hy + uy * 1 + ux * 2, hx + ux * 1 + uy * 2, hy + uy * 1 - ux * 2, GUARD);
    pp.line(hx + ux * 2, hy + uy * 2, hx + ux * len, hy + uy * len, BLADE, 2);
    pp.line(hx + ux * 2 + uy, hy + uy * 2 - ux, hx + ux * (len - 1) + uy, hy + uy * (len - 1) - ux, BLADE_EDGE);
  }

  function swoosh(pp: Painter, cx: number, cy: number, kind: 'strike' | 'trail'): void {
    // A crescent of light in front of the shoulder, thick in its middle, thin at its ends.
    const r = 15;
    const from = kind === 'strike' ? -65 : -5;
    const to = kind === 'strike' ? 50 : 65;
    const thick = kind === 'strike' ? 3 : 1.5;
    for (let t = 0; t <= 1; t += 1 / 40) {
      const a = ((from + (to - from) * t) * Math.PI) / 180;
      const width = Math.max(1, Math.round(thick * Math.sin(Math.PI * t)));
      for (let k = 0; k < width; k++) {
        const color = kind === 'trail' ? 'rgba(220, 236, 255, 0.5)' : k === 0 ? '#ffffff' : 'rgba(190, 225, 255, 0.85)';
        pp.px(cx + Math.cos(a) * (r - k), cy + Math.sin(a) * (r - k), color);
      }
    }
  }

  return {
    frameW: FRAME_W,
    frameH: FRAME_H,
    footX: FOOT_X,
    footY: FOOT_Y,
    height: 29,
    outline: 'rgba(16, 12, 20, 0.85)',
    paint(pp, anim, frame) {
      const pose = POSES[anim][frame];
      if (pose.tilt === undefined) {
        body(pp, pose);
        return;
      }
      // Falling backwards: paint upright, then turn about the feet and lift so the back rests
      // on the ground.
      const upright = makeCanvas(FRAME_W, FRAME_H);
      body(new Painter(upright.ctx, FOOT_X, FOOT_Y), pose);
      const a = (-pose.tilt * Math.PI) / 180;
      const ctx = pp.ctx;
      ctx.save();
      ctx.translate(FOOT_X, FOOT_Y - Math.round(6 * Math.sin(-a)));
      ctx.rotate(a);
      ctx.drawImage(upright.canvas, -FOOT_X, -FOOT_Y);
      ctx.restore();
    },
  };
}
