import { describe, expect, it } from 'vitest';
import { InterpolationBuffer, ServerClock } from '../src/interpolation';

type Item = { id: number; pos: { x: number; y: number } };
const items = (...list: [number, number, number][]) => new Map<number, Item>(list.map(([id, x, y]) => [id, { id, pos: { x, y } }]));

describe('interpolation of others', () => {
  it('draws between the two samples around the render tick', () => {
    const buf = new InterpolationBuffer<Item>();
    buf.push(10, items([1, 0, 0]));
    buf.push(12, items([1, 100, 20]));
    expect(buf.sample(11).map((e) => e.pos)).toEqual([{ x: 50, y: 10 }]);
    expect(buf.sample(11.5).map((e) => e.pos)).toEqual([{ x: 75, y: 15 }]);
    expect(buf.sample(12).map((e) => e.pos)).toEqual([{ x: 100, y: 20 }]);
  });

  it('holds the last known position past the newest sample and the first before the oldest', () => {
    const buf = new InterpolationBuffer<Item>();
    buf.push(10, items([1, 0, 0]));
    buf.push(11, items([1, 16, 0]));
    expect(buf.sample(15)[0].pos).toEqual({ x: 16, y: 0 });
    expect(buf.sample(3)[0].pos).toEqual({ x: 0, y: 0 });
  });

  it('shows spawned entities from their first sample and removed ones until theirs', () => {
    const buf = new InterpolationBuffer<Item>();
    buf.push(10, items([1, 0, 0]));
    buf.push(11, items([2, 5, 5]));
    expect(buf.sample(10.5).map((e) => e.id)).toEqual([1]);
    expect(buf.sample(11).map((e) => e.id)).toEqual([2]);
  });

  it('sorts samples that arrive out of order', () => {
    const buf = new InterpolationBuffer<Item>(3);
    buf.push(12, items([1, 20, 0]));
    buf.push(10, items([1, 0, 0]));
    buf.push(11, items([1, 10, 0]));
    buf.push(13, items([1, 30, 0]));
    expect(buf.newestTick).toBe(13);
    expect(buf.sample(11.5)[0].pos.x).toBe(15);
    expect(buf.sample(0)[0].pos.x).toBe(10); // tick 10 was evicted
  });
});

describe('server clock', () => {
  it('follows the least delayed arrivals', () => {
    const clock = new ServerClock(50);
    expect(clock.tickAt(0)).toBeNull();
    clock.observe(100, 10_030); // 30 ms late
    clock.observe(101, 10_060); // 10 ms late: the better estimate
    expect(clock.tickAt(10_060)).toBeCloseTo(101, 5);
    expect(clock.tickAt(10_085)).toBeCloseTo(101.5, 5);
    clock.observe(102, 10_140); // 30 ms slower than the best: barely moves it
    expect(clock.tickAt(10_160)).toBeCloseTo(103, 1);
    clock.observe(200, 20_000); // the clock jumped (a suspended tab): start over
    expect(clock.tickAt(20_000)).toBeCloseTo(200, 5);
  });
});
