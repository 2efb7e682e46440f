/**
 * How smooth movement looks, measured in the page: alice walks right for three seconds in the
 * real local world while both pages record, on every animation frame, where they draw her
 * (bob: interpolated from snapshots; alice: her own prediction, between predicted ticks). The
 * figures (speed per frame while she moves, frames backwards, frames standing, the largest
 * frame-to-frame change of speed) go to
 * `test-results/jitter.json` and the log: they are reported, not asserted (timings are not
 * asserted in tests); the test checks only that both pages saw her walk.
 */

import type { Browser, Page } from 'playwright-core';
import { writeFileSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESULTS_DIR, closeAll, joinAs, launchChromium, startLocalServer, waitForPlayer, type RunningServer } from './harness';

let browser: Browser;
let server: RunningServer;
let pages: Page[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  server = await startLocalServer();
});

afterAll(async () => {
  await closeAll(pages, server, browser);
});

interface Sample {
  t: number;
  x: number;
}

/** Starts recording, on every animation frame, the x of what `who` selects. */
async function record(page: Page, who: 'self' | string): Promise<void> {
  await page.evaluate((name) => {
    const samples: { t: number; x: number }[] = [];
    (window as unknown as { __samples: typeof samples }).__samples = samples;
    const frame = (t: number): void => {
      const seen = name === 'self' ? window.__mmo.drawnSelf() : window.__mmo.entities().find((e) => e.name === name);
      if (seen) {
        samples.push({ t, x: seen.x });
      }
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }, who);
}

async function samples(page: Page): Promise<Sample[]> {
  return page.evaluate(() => (window as unknown as { __samples: { t: number; x: number }[] }).__samples.slice());
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

/**
 * Speed per frame (tiles/s) over the frames of `[from, to]` ms in which she moved, and how it
 * varies from frame to frame (a smooth walk on flat ground keeps it nearly constant).
 */
function smoothness(all: Sample[], from: number, to: number) {
  const s = all.filter((p) => p.t >= from && p.t <= to);
  const speeds: number[] = [];
  let backwards = 0;
  let still = 0;
  for (let i = 1; i < s.length; i++) {
    const dt = (s[i]!.t - s[i - 1]!.t) / 1000;
    const dx = s[i]!.x - s[i - 1]!.x;
    if (dt <= 0) continue;
    if (dx < 0) backwards++;
    if (dx === 0) {
      // Standing (against a wall, say): not a speed to compare.
      still++;
      continue;
    }
    speeds.push(dx / dt);
  }
  const changes = speeds.slice(1).map((v, i) => Math.abs(v - speeds[i]!));
  const sorted = [...speeds].sort((a, b) => a - b);
  const mean = speeds.reduce((a, b) => a + b, 0) / Math.max(1, speeds.length);
  const sd = Math.sqrt(speeds.reduce((a, v) => a + (v - mean) ** 2, 0) / Math.max(1, speeds.length));
  const round = (v: number) => Math.round(v * 100) / 100;
  return {
    frames: s.length,
    tiles: round((s.at(-1)?.x ?? 0) - (s[0]?.x ?? 0)),
    frames_moving: speeds.length,
    speed_mean: round(mean),
    speed_sd: round(sd),
    speed_p5: round(quantile(sorted, 0.05)),
    speed_p50: round(quantile(sorted, 0.5)),
    speed_p95: round(quantile(sorted, 0.95)),
    frames_backwards: backwards,
    frames_still: still,
    largest_speed_change: round(Math.max(0, ...changes)),
  };
}

describe('movement as drawn', () => {
  it('is recorded frame by frame while a player walks, by her own page and by another', async () => {
    const alice = await joinAs(browser, server.url, 'alice', 'webtransport');
    const bob = await joinAs(browser, server.url, 'bob', 'webtransport');
    pages = [alice, bob];
    expect(await waitForPlayer(bob, 'alice', () => true), 'bob sees alice').toBeDefined();
    await alice.waitForTimeout(500);
    await record(alice, 'self');
    await record(bob, 'alice');

    const [aliceStart, bobStart] = await Promise.all([alice.evaluate(() => performance.now()), bob.evaluate(() => performance.now())]);
    await alice.keyboard.down('ArrowRight');
    await alice.waitForTimeout(3000);
    await alice.keyboard.up('ArrowRight');
    // Bob draws her about 100 ms (the interpolation delay) behind: let that pass.
    await bob.waitForTimeout(500);

    // The steady part of the walk: from 0.5 s after the key went down to the key's release
    // (on bob's page, shifted by the interpolation delay).
    const own = smoothness(await samples(alice), aliceStart + 500, aliceStart + 3000);
    const seen = smoothness(await samples(bob), bobStart + 600, bobStart + 3100);
    const report = { transport: 'webtransport', walk_ms: 3000, own_prediction: own, seen_by_another: seen };
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(resolve(RESULTS_DIR, 'jitter.json'), JSON.stringify(report, null, 2));
    console.log(`movement as drawn: ${JSON.stringify(report)}`);

    expect(own.tiles, 'alice walked, as her page draws her').toBeGreaterThan(3);
    expect(seen.tiles, 'alice walked, as bob draws her').toBeGreaterThan(3);
  });
});
