import { describe, expect, it } from 'vitest';
import { labelsOf, motionOf, type Figure } from '../src/render/figures';
import { lookKey, speciesName } from '../src/render/sprites';
import { Pose } from '../src/protocol';

function npc(species: number, hp = 10, pose: number = Pose.ON_GROUND): Figure {
  return { id: 1, kind: { type: 'Npc', species }, x: 0, y: 0, hp, maxHp: 10, pose, isSelf: false };
}

function player(isSelf: boolean, hp = 100): Figure {
  return { id: 7, kind: { type: 'Player', name: 'ada' }, x: 0, y: 0, hp, maxHp: 100, pose: Pose.ON_GROUND, isSelf };
}

describe('figures', () => {
  it('each species has its own look and name; an unknown species a look of its own', () => {
    const looks = [0, 1, 2, 9].map((species) => lookKey({ type: 'Npc', species }, 1));
    expect(new Set(looks).size).toBe(4);
    expect([0, 1, 2].map(speciesName)).toEqual(['slime', 'bat', 'hunter']);
  });

  it('players look by their id (shirt and hair), not by their name', () => {
    expect(lookKey({ type: 'Player', name: 'a' }, 7)).toBe(lookKey({ type: 'Player', name: 'b' }, 7));
    const looks = new Set(Array.from({ length: 40 }, (_, id) => lookKey({ type: 'Player', name: 'a' }, id)));
    expect(looks.size).toBeGreaterThan(10);
  });

  it("a mob's name and HP bar show only while it is hurt and alive", () => {
    expect(labelsOf(npc(0))).toEqual({ name: null, style: 'mob', hpBar: false });
    expect(labelsOf(npc(1, 4))).toEqual({ name: 'bat', style: 'mob', hpBar: true });
    expect(labelsOf(npc(2, 0, Pose.DEAD))).toEqual({ name: null, style: 'mob', hpBar: false });
  });

  it('players keep their name; the own HP bar stays on the HUD, others show theirs when hurt', () => {
    expect(labelsOf(player(true, 40))).toEqual({ name: 'ada', style: 'self', hpBar: false });
    expect(labelsOf(player(false))).toEqual({ name: 'ada', style: 'player', hpBar: false });
    expect(labelsOf(player(false, 40))).toEqual({ name: 'ada', style: 'player', hpBar: true });
  });

  it('the motion for the animation: given velocity, or standing per the pose', () => {
    expect(motionOf({ ...npc(0), vx: 5, vy: -3, onGround: false })).toEqual({ pose: Pose.ON_GROUND, vx: 5, vy: -3, onGround: false });
    expect(motionOf(npc(0))).toMatchObject({ vx: 0, vy: 0, onGround: true });
    expect(motionOf(npc(0, 10, 0)).onGround).toBe(false);
  });
});
