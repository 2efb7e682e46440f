/**
 * How the world looks, in a real local world and real Chromium: a cave seen from inside is
 * dark where the sky above the ground is bright and blue (the debug camera of the test hook,
 * `__mmo.lookAt`, points at the nearest cave the client holds), a player who walks onto a
 * cave's trapdoor and holds down drops into the cave and is drawn inside it, and the player's
 * sprite runs through its run frames while a move key is held.
 */

import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, joinAs, launchChromium, screenshot, screenshotAll, startLocalServer, type RunningServer } from './harness';

let browser: Browser;
let server: RunningServer;
let pages: Page[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  server = await startLocalServer();
});

afterAll(() => closeAll(pages, server, browser));

afterEach(() => screenshotAll(pages, 'art'));

/** The canvas's average colour and median brightness over a rectangle (fractions of its size). */
interface Patch {
  r: number;
  g: number;
  b: number;
  /** Median of (r + g + b) / 3: a sprite passing through hardly moves it. */
  brightness: number;
}

function patch(page: Page, x: number, y: number, w: number, h: number): Promise<Patch> {
  return page.evaluate(
    ([fx, fy, fw, fh]) => {
      const canvas = document.getElementById('world') as HTMLCanvasElement;
      const copy = document.createElement('canvas');
      copy.width = canvas.width;
      copy.height = canvas.height;
      const ctx = copy.getContext('2d')!;
      ctx.drawImage(canvas, 0, 0);
      const data = ctx.getImageData(Math.round(fx * canvas.width), Math.round(fy * canvas.height), Math.round(fw * canvas.width), Math.round(fh * canvas.height)).data;
      let [r, g, b] = [0, 0, 0];
      const levels: number[] = [];
      for (let i = 0; i < data.length; i += 4) {
        r += data[i];
        g += data[i + 1];
        b += data[i + 2];
        levels.push((data[i] + data[i + 1] + data[i + 2]) / 3);
      }
      const n = data.length / 4;
      levels.sort((p, q) => p - q);
      return { r: r / n, g: g / n, b: b / n, brightness: levels[Math.floor(n / 2)] };
    },
    [x, y, w, h],
  );
}

describe('the look of the world', () => {
  it('a cave seen from inside is dark where the sky above the ground is bright and blue', async () => {
    const page = await joinAs(browser, server.url, 'caver');
    pages = [page];
    // Standing on the ground: the camera is outside, the sky fills the top of the view.
    await page.waitForFunction(() => window.__mmo.drawn().frames > 5 && !window.__mmo.drawn().inCave, undefined, { timeout: 15_000 });
    const sky = await patch(page, 0.3, 0.02, 0.4, 0.12);
    await screenshot(page, 'art-surface.png');

    const cave = await page.evaluate(() => window.__mmo.nearestCave());
    expect(cave, 'the terrain around the start has a cave').not.toBeNull();
    await page.evaluate((c) => window.__mmo.lookAt(c.x + 0.5, c.y + 0.5), cave!);
    await page.waitForFunction(() => window.__mmo.drawn().inCave && window.__mmo.drawn().caveDarkness === 1, undefined, { timeout: 15_000 });
    // The middle of the view is the cave tile looked at, open cave all around it.
    const inside = await patch(page, 0.5 - 0.02, 0.5 - 0.035, 0.04, 0.07);
    await screenshot(page, 'art-cave.png');

    expect(sky.b, `the sky is blue: ${JSON.stringify(sky)}`).toBeGreaterThan(sky.r + 30);
    expect(sky.brightness, `the sky is bright: ${JSON.stringify(sky)}`).toBeGreaterThan(120);
    expect(inside.brightness, `the cave is dark: ${JSON.stringify(inside)}`).toBeLessThan(70);
    expect(inside.brightness, 'much darker than the sky').toBeLessThan(sky.brightness / 2);

    await page.evaluate(() => window.__mmo.lookAt(null));
    await page.waitForFunction(() => !window.__mmo.drawn().inCave && window.__mmo.drawn().caveDarkness === 0, undefined, { timeout: 15_000 });
  });

  it('a player drops through a trapdoor into a cave and is drawn inside it', async () => {
    const page = await joinAs(browser, server.url, 'delver');
    pages = [page];
    await page.waitForFunction(() => window.__mmo.self() !== null && window.__mmo.nearestTrapdoor() !== null, undefined, { timeout: 15_000 });
    const door = (await page.evaluate(() => window.__mmo.nearestTrapdoor()))!;
    // Walk (hopping over steps) until standing over the trapdoor's middle: the shaft is 3
    // tiles wide, a player not 1.
    let me = (await page.evaluate(() => window.__mmo.self()))!;
    for (let tries = 0; tries < 20 && Math.abs(door.x - me.x) > 0.8; tries++) {
      const key = door.x > me.x ? 'ArrowRight' : 'ArrowLeft';
      const far = Math.abs(door.x - me.x) > 3;
      await page.keyboard.down(key);
      if (far) {
        await page.keyboard.down('ArrowUp');
      }
      await page
        .waitForFunction(([x, right]) => (right ? window.__mmo.self()!.x > x - 0.6 : window.__mmo.self()!.x < x + 0.6), [door.x, key === 'ArrowRight'] as const, { timeout: 10_000, polling: 16 })
        .catch(() => undefined);
      await page.keyboard.up(key);
      await page.keyboard.up('ArrowUp');
      await page.waitForFunction(() => window.__mmo.drawn().selfAnimation?.name === 'idle', undefined, { timeout: 10_000 });
      me = (await page.evaluate(() => window.__mmo.self()))!;
    }
    expect(Math.abs(door.x - me.x), `standing over the trapdoor at ${JSON.stringify(door)}: ${JSON.stringify(me)}`).toBeLessThanOrEqual(0.8);
    expect(await page.evaluate(() => window.__mmo.drawn().inCave), 'on the trapdoor: outside').toBe(false);

    await page.keyboard.down('ArrowDown');
    await page.waitForFunction((y) => window.__mmo.self()!.y > y + 6 && window.__mmo.drawn().inCave, door.y, { timeout: 15_000 });
    await page.keyboard.up('ArrowDown');
    await page.waitForFunction(() => window.__mmo.drawn().caveDarkness === 1, undefined, { timeout: 15_000 });
    await screenshot(page, 'art-cave-entered.png');
  });

  it("the player's sprite runs through its run frames while a move key is held", async () => {
    const page = await joinAs(browser, server.url, 'runner');
    pages = [page];
    // Landed and standing.
    await page.waitForFunction(() => window.__mmo.drawn().selfAnimation?.name === 'idle', undefined, { timeout: 15_000 });
    await page.keyboard.down('ArrowRight');
    const runFrames = new Set<number>();
    await expect
      .poll(
        async () => {
          const a = await page.evaluate(() => window.__mmo.drawn().selfAnimation);
          if (a?.name === 'run') {
            runFrames.add(a.frame);
          }
          return runFrames.size;
        },
        { timeout: 15_000, interval: 20, message: 'distinct run frames drawn' },
      )
      .toBeGreaterThanOrEqual(3);
    await page.keyboard.up('ArrowRight');
    // Let go: the player stops and stands again.
    await expect.poll(() => page.evaluate(() => window.__mmo.drawn().selfAnimation?.name), { timeout: 15_000 }).toBe('idle');
  });
});
