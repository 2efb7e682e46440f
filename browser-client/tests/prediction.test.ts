import { describe, expect, it } from 'vitest';
import { Buttons, SUB, bodyAt, step, type Body } from '../src/physics';
import { Predictor } from '../src/prediction';
import { TileGrid } from '../src/terrain';

const room = new TileGrid([
  '########################',
  '#......................#',
  '#......................#',
  '#....======............#',
  '#......................#',
  '#..............#.......#',
  '#..............#.......#',
  '#......====....#.......#',
  '#..............#.......#',
  '#..............#.......#',
  '########################',
]);

const start = bodyAt({ x: 3 * SUB + SUB / 2, y: 10 * SUB });
const { LEFT, RIGHT, JUMP, DOWN } = Buttons;
const inputs = [0, 0, RIGHT, RIGHT, RIGHT | JUMP, RIGHT | JUMP, JUMP, 0, LEFT, LEFT, LEFT, DOWN, 0, RIGHT, RIGHT, RIGHT, RIGHT, 0, 0, 0];

/** The server: the same physics on the same tiles, one input per tick. */
function serverBodies(from: Body, buttons: number[]): Body[] {
  const out: Body[] = [];
  let b = from;
  for (const bt of buttons) {
    b = step(b, bt, room);
    out.push(b);
  }
  return out;
}

describe('prediction and reconciliation', () => {
  const server = serverBodies(start, inputs);

  it('predicts nothing before the first snapshot, then replays every unacknowledged input', () => {
    const p = new Predictor(room);
    inputs.slice(0, 5).forEach((b, i) => p.push(i + 1, b));
    expect(p.body).toBeNull();
    // The first snapshot: the server has applied input 2.
    p.reconcile(server[1], 2);
    expect(p.body).toEqual(server[4]);
    expect(p.pendingCount).toBe(3);
  });

  it('agrees with the server at every acknowledgement when nothing is lost', () => {
    const p = new Predictor(room);
    p.reconcile(start, 0);
    inputs.forEach((b, i) => {
      p.push(i + 1, b);
      if (i >= 3) {
        // The snapshot for input i - 3 arrives now (a round trip of 3 ticks).
        expect(p.reconcile(server[i - 3], i - 2)).toBe(false);
        expect(p.body).toEqual(server[i]);
      }
    });
    expect(p.corrections).toBe(0);
  });

  it('a correction from the server is replayed into the same result the server will reach', () => {
    const p = new Predictor(room);
    p.reconcile(start, 0);
    inputs.forEach((b, i) => p.push(i + 1, b));
    // The server says that after input 8 the body was somewhere else (e.g. knocked back).
    const knocked: Body = { ...server[7], pos: { x: server[7].pos.x + 300, y: server[7].pos.y }, vel: { x: -50, y: -100 } };
    expect(p.reconcile(knocked, 8)).toBe(true);
    expect(p.corrections).toBe(1);
    // The server continues from its own state with the inputs after 8.
    const continued = serverBodies(knocked, inputs.slice(8));
    expect(p.body).toEqual(continued[continued.length - 1]);
    expect(p.previousBody).toEqual(continued[continued.length - 2]);
    expect(p.pendingCount).toBe(inputs.length - 8);
  });

  it('ignores an acknowledgement older than one already applied', () => {
    const p = new Predictor(room);
    p.reconcile(start, 0);
    inputs.slice(0, 10).forEach((b, i) => p.push(i + 1, b));
    p.reconcile(server[7], 8);
    const before = p.body;
    expect(p.reconcile(server[3], 4)).toBe(false);
    expect(p.body).toBe(before);
  });
});
