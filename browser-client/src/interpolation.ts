/**
 * Drawing other entities about 100 ms in the past, between the two snapshots around that time,
 * so they move smoothly although snapshots come 20 times a second and some are lost.
 */

import type { Vec2 } from './physics';

/** Estimates the server tick running now from snapshot arrival times. */
export class ServerClock {
  /** Local time of tick 0, as the earliest-arriving snapshots suggest. */
  private offset: number | null = null;

  constructor(private tickMs: number) {}

  setTickMs(tickMs: number): void {
    this.tickMs = tickMs;
  }

  /** A snapshot of `tick` arrived at local time `nowMs`. */
  observe(tick: number, nowMs: number): void {
    const sample = nowMs - tick * this.tickMs;
    if (this.offset === null || sample < this.offset || sample - this.offset > 1000) {
      // Earliest arrival so far (least delayed), or the clock jumped: take it.
      this.offset = sample;
    } else {
      // Creep towards later arrivals so a slower path or clock drift is followed.
      this.offset += (sample - this.offset) * 0.02;
    }
  }

  /** The (fractional) server tick at local time `nowMs`, null before any snapshot. */
  tickAt(nowMs: number): number | null {
    return this.offset === null ? null : (nowMs - this.offset) / this.tickMs;
  }
}

interface Sample<T> {
  tick: number;
  items: ReadonlyMap<number, T>;
}

/** What `sample` returns per entity: the item at or before render time and its position. */
export interface Interpolated<T> {
  id: number;
  item: T;
  pos: Vec2;
}

/** Positions of entities by tick, sampled in between. */
export class InterpolationBuffer<T extends { pos: Vec2 }> {
  private samples: Sample<T>[] = [];

  constructor(private readonly capacity = 40) {}

  /** Records the entities at `tick` (in any order of arrival). */
  push(tick: number, items: ReadonlyMap<number, T>): void {
    let i = this.samples.length;
    while (i > 0 && this.samples[i - 1].tick > tick) {
      i--;
    }
    if (i > 0 && this.samples[i - 1].tick === tick) {
      this.samples[i - 1] = { tick, items };
    } else {
      this.samples.splice(i, 0, { tick, items });
    }
    if (this.samples.length > this.capacity) {
      this.samples.splice(0, this.samples.length - this.capacity);
    }
  }

  clear(): void {
    this.samples = [];
  }

  get newestTick(): number | null {
    return this.samples.length === 0 ? null : this.samples[this.samples.length - 1].tick;
  }

  /**
   * The entities at fractional tick `renderTick`: those in the newest sample at or before it
   * (the oldest sample if it is earlier than all), each moved towards its position in the next
   * sample. Past the newest sample, entities stay where they were last seen.
   */
  sample(renderTick: number): Interpolated<T>[] {
    if (this.samples.length === 0) {
      return [];
    }
    let a = 0;
    while (a + 1 < this.samples.length && this.samples[a + 1].tick <= renderTick) {
      a++;
    }
    const from = this.samples[a];
    const to = a + 1 < this.samples.length ? this.samples[a + 1] : null;
    const t = to === null ? 0 : Math.min(Math.max((renderTick - from.tick) / (to.tick - from.tick), 0), 1);
    const out: Interpolated<T>[] = [];
    for (const [id, item] of from.items) {
      const next = to?.items.get(id);
      const pos = next === undefined ? item.pos : lerp(item.pos, next.pos, t);
      out.push({ id, item, pos });
    }
    return out;
  }
}

export function lerp(a: Vec2, b: Vec2, t: number): Vec2 {
  return { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t };
}
