import { describe, expect, it } from 'vitest';
import { Effects, LEVEL_UP_LIFE_MS, TEXT_LIFE_MS, TEXT_RISE_PX, floatMotion } from '../src/render/effects';

describe('floating numbers', () => {
  it('pop in large, rise quickly then slowly, and fade out in the second half of their life', () => {
    const born = floatMotion(0);
    expect(born).toEqual({ rise: 0, alpha: 1, scale: expect.closeTo(1.7, 5) });
    expect(floatMotion(200).scale, 'the pop is over').toBe(1);
    const half = floatMotion(TEXT_LIFE_MS / 2);
    expect(half.alpha).toBe(1);
    expect(half.rise, 'ease-out: most of the rise in the first half').toBeGreaterThan(0.8 * TEXT_RISE_PX);
    const late = floatMotion(TEXT_LIFE_MS * 0.8);
    expect(late.alpha).toBeGreaterThan(0);
    expect(late.alpha).toBeLessThan(1);
    expect(floatMotion(TEXT_LIFE_MS)).toEqual({ rise: TEXT_RISE_PX, alpha: 0, scale: 1 });
    expect(floatMotion(TEXT_LIFE_MS * 3), 'clamped past the end').toEqual(floatMotion(TEXT_LIFE_MS));
  });

  it('rise monotonically and fade monotonically', () => {
    let last = floatMotion(0);
    for (let t = 10; t <= TEXT_LIFE_MS; t += 10) {
      const m = floatMotion(t);
      expect(m.rise).toBeGreaterThanOrEqual(last.rise);
      expect(m.alpha).toBeLessThanOrEqual(last.alpha);
      last = m;
    }
  });

  it('show over the head of the target, stack for quick blows on one target, and expire', () => {
    const fx = new Effects();
    fx.damage(7, 'npc', 12, 100, 200, 1000);
    fx.damage(7, 'npc', 12, 100, 200, 1100);
    fx.damage(8, 'self', 9, 300, 200, 1100);
    const [first, second, self] = fx.active(1100);
    expect(first.text).toBe('12');
    expect(first.y).toBeLessThan(200 - 30);
    expect(second.y, 'the second blow stacks above the first').toBeLessThan(first.y);
    expect(self).toMatchObject({ style: 'self', text: '9', x: 300 });
    expect(fx.active(1000 + TEXT_LIFE_MS).map((t) => t.text), 'the first has expired').toEqual(['12', '9']);
    expect(fx.active(1100 + TEXT_LIFE_MS)).toEqual([]);
  });

  it('texts about the player follow it; none are listed while it is not drawn', () => {
    const fx = new Effects();
    fx.follow({ x: 50, y: 100 });
    fx.selfText('xp', '+10 XP', 0);
    const [note] = fx.active(0);
    expect(note).toMatchObject({ style: 'xp', text: '+10 XP' });
    expect(note.x, 'beside the player').toBeGreaterThan(50);
    expect(note.y, 'above its feet').toBeLessThan(100);
    fx.follow({ x: 80, y: 90 });
    expect(fx.active(0)[0]).toMatchObject({ x: note.x + 30, y: note.y - 10 });
    fx.follow(null);
    expect(fx.active(0)).toEqual([]);
  });

  it('a level-up burst lasts its time', () => {
    const fx = new Effects();
    fx.levelUp(3, 500);
    expect(fx.activeLevelUps(500 + LEVEL_UP_LIFE_MS - 1)).toEqual([3]);
    expect(fx.activeLevelUps(500 + LEVEL_UP_LIFE_MS)).toEqual([]);
  });
});
