import { describe, expect, it } from 'vitest';
import { drawFigure, type Figure } from '../src/render/figures';

/** A 2D context that records the fill colours used and ignores everything else. */
function recordingContext(): { ctx: CanvasRenderingContext2D; fills: string[] } {
  const fills: string[] = [];
  const target: Record<string, unknown> = {};
  const ctx = new Proxy(target, {
    get: (t, key) => (key in t ? t[key as string] : () => undefined),
    set: (t, key, value) => {
      if (key === 'fillStyle') fills.push(String(value));
      t[key as string] = value;
      return true;
    },
  });
  return { ctx: ctx as unknown as CanvasRenderingContext2D, fills };
}

function npc(species: number): Figure {
  return { id: 1, kind: { type: 'Npc', species }, x: 0, y: 0, hp: 10, maxHp: 10, pose: 16, isSelf: false };
}

describe('figures', () => {
  it('draws each species its own way, the hunter too', () => {
    const drawn = [0, 1, 2, 9].map((species) => {
      const { ctx, fills } = recordingContext();
      drawFigure(ctx, npc(species), 0, 0, 0);
      return fills.join(' ');
    });
    expect(new Set(drawn).size).toBe(4);
    expect(drawn[2]).toContain('#c4512d');
    expect(drawn[3]).toContain('#888'); // an unknown species: the grey block
  });
});
