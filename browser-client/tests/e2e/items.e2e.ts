/**
 * Items on the ground in a real local world: a player drops an item (`/drop` in the chat), it
 * leaves its inventory and lies at its feet, drawn on both its page and a nearby player's.
 */

import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, joinAs, launchChromium, screenshotAll, startLocalServer, type RunningServer } from './harness';

let browser: Browser;
let server: RunningServer;
let pages: Page[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  server = await startLocalServer(60_000, ['--npcs-per-cell', '0']);
});

afterAll(() => closeAll(pages, server, browser));

afterEach(() => screenshotAll(pages, 'items'));

/** Polls `read` on `page` until `done` holds for its value (or the time is up); the last value. */
async function until<T>(page: Page, read: () => T, done: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await page.evaluate(read);
  while (!done(value) && Date.now() < deadline) {
    await page.waitForTimeout(100);
    value = await page.evaluate(read);
  }
  return value;
}

describe('items on the ground', () => {
  it('a dropped item leaves the inventory and is seen on the ground by both players', async () => {
    const alice = await joinAs(browser, server.url, 'alice', 'webtransport');
    const bob = await joinAs(browser, server.url, 'bob', 'websocket');
    pages = [alice, bob];
    const items = await until(alice, () => window.__mmo.inventory(), (v) => v.length === 2);
    expect(items, 'a new character has two starter items').toHaveLength(2);
    expect(await alice.evaluate(() => window.__mmo.ground()), 'nothing on the ground yet').toEqual([]);

    expect(await alice.evaluate(() => window.__mmo.sendChat('/drop'))).toBe(true);
    const left = await until(alice, () => window.__mmo.inventory(), (v) => v.length === 1);
    expect(left, 'one item left the inventory').toHaveLength(1);
    const dropped = items.find((s) => !left.includes(s));

    const onGround = await until(alice, () => window.__mmo.ground(), (g) => g.length === 1);
    expect(onGround.map((g) => g.serial), 'the dropped item lies on the ground').toEqual([dropped]);
    const self = (await alice.evaluate(() => window.__mmo.self()))!;
    expect(Math.abs(onGround[0].x - self.x), 'at her feet').toBeLessThan(2);
    const seenByBob = await until(bob, () => window.__mmo.ground(), (g) => g.length === 1);
    expect(seenByBob.map((g) => g.serial), 'bob, nearby, sees it too').toEqual([dropped]);
  });
});
