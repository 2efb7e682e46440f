/**
 * A player walks across a zone border in a real local world (the mmo-local binary, four zones,
 * cells of 32 tiles so a border is a few seconds' walk from the spawn): the page keeps the
 * same transport object (no reconnect), its debug overlay shows the new zone, and a second
 * page keeps seeing the player move across.
 */

import type { Browser, JSHandle, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, joinAs, launchChromium, screenshotAll, seenPlayer, startLocalServer, waitForPlayer, type RunningServer, type SeenEntity } from './harness';

/** Tiles per cell side in this world; the zones own one column of cells each (4 x 2 cells). */
const CELL_TILES = 32;

let browser: Browser;
let server: RunningServer;
let pages: Page[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  // Few NPCs: with cells this small the default dozen per cell would crowd (and kill) the walker.
  // Rebalancing off: the test relies on the initial layout (one column of cells per zone).
  server = await startLocalServer(60_000, ['--cell-tiles', String(CELL_TILES), '--zones', '4', '--npcs-per-cell', '2', '--rebalance', 'off']);
});

afterAll(() => closeAll(pages, server, browser));

afterEach(() => screenshotAll(pages, 'border'));

describe('a zone border in the local world', () => {
  it('is crossed without a reconnect, the overlay shows the new zone, and others keep seeing the walker', async () => {
    const alice = await joinAs(browser, server.url, 'alice', 'webtransport');
    const bob = await joinAs(browser, server.url, 'bob', 'webtransport');
    pages = [alice, bob];
    const aliceTransport: JSHandle = await alice.evaluateHandle(() => window.__mmo.transportObject);
    const zoneBefore = await alice.evaluate(() => window.__mmo.zone);
    expect(zoneBefore, 'alice is simulated by a zone').not.toBeNull();
    expect(await waitForPlayer(bob, 'alice', () => true), 'bob sees alice').toBeDefined();
    await alice.waitForTimeout(500);
    const start = (await alice.evaluate(() => window.__mmo.self()))!;
    // The zone's eastern border: the next multiple of the cell size.
    const border = (Math.floor(start.x / CELL_TILES) + 1) * CELL_TILES;

    // Show the debug overlay (F3), then hold right and jump until another zone simulates alice.
    await alice.keyboard.press('F3');
    await alice.keyboard.down('ArrowRight');
    await alice.keyboard.down('Space');
    const seenByBob: (SeenEntity | undefined)[] = [];
    let zoneAfter = zoneBefore;
    const deadline = Date.now() + 15_000;
    while (zoneAfter === zoneBefore && Date.now() < deadline) {
      await alice.waitForTimeout(100);
      zoneAfter = await alice.evaluate(() => window.__mmo.zone);
      seenByBob.push(await seenPlayer(bob, 'alice'));
    }
    // A few more steps on the other side.
    for (let i = 0; i < 10; i++) {
      await alice.waitForTimeout(100);
      seenByBob.push(await seenPlayer(bob, 'alice'));
    }
    await alice.keyboard.up('Space');
    await alice.keyboard.up('ArrowRight');

    expect(zoneAfter, `alice walked from x=${start.x.toFixed(1)} past the border at ${border}`).not.toBe(zoneBefore);
    const overlay = await alice.locator('#debug').innerText();
    expect(overlay, 'the debug overlay shows the new zone').toMatch(new RegExp(`zone\\s+${zoneAfter}\\b`));
    expect(await alice.evaluate((t) => t === window.__mmo.transportObject, aliceTransport), 'same transport object').toBe(true);
    expect(await alice.evaluate(() => window.__mmo.status)).toBe('playing');
    const self = (await alice.evaluate(() => window.__mmo.self()))!;
    expect(self.x, 'alice is past the border').toBeGreaterThan(border);

    // Bob saw alice all along (she never vanished at the seam) and sees her on the other side.
    expect(seenByBob.every((e) => e !== undefined), 'bob never lost sight of alice').toBe(true);
    const across = await waitForPlayer(bob, 'alice', (e) => e.x > border, 3000);
    expect(across?.x, 'bob sees alice across the border').toBeGreaterThan(border);
    expect(await bob.evaluate(() => window.__mmo.status)).toBe('playing');
  });
});
