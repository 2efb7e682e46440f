import { describe, expect, it } from 'vitest';
import * as physics from '../src/physics';
import { TileGrid } from '../src/terrain';
import { bodyFromSerde, bodyToSerde, readGolden, type GoldenPhysics } from './golden';

const golden = readGolden<GoldenPhysics>('physics.json');

describe('golden physics (shared/protocol/golden/physics.json)', () => {
  it('uses the same constants', () => {
    const ours: Record<string, number> = {
      SUB: physics.SUB,
      HALF_WIDTH: physics.HALF_WIDTH,
      HEIGHT: physics.HEIGHT,
      RUN_SPEED: physics.RUN_SPEED,
      GRAVITY: physics.GRAVITY,
      JUMP_SPEED: physics.JUMP_SPEED,
    };
    expect(ours).toEqual(golden.constants);
  });

  it('has scenarios', () => {
    expect(golden.scenarios.length).toBeGreaterThanOrEqual(5);
  });

  it.each(golden.scenarios.map((s) => [s.name, s] as const))('%s replays bit for bit', (_, s) => {
    expect(s.bodies).toHaveLength(s.inputs.length);
    const grid = new TileGrid(s.map);
    let body = bodyFromSerde(s.start);
    s.inputs.forEach((buttons, i) => {
      body = physics.step(body, buttons, grid);
      const got = bodyToSerde(body);
      if (JSON.stringify(got) !== JSON.stringify(s.bodies[i])) {
        // Report the first divergence with its step and input.
        expect({ step: i, buttons, body: got }).toEqual({ step: i, buttons, body: s.bodies[i] });
      }
    });
    expect(bodyToSerde(body)).toEqual(s.bodies[s.bodies.length - 1]);
  });
});
