/**
 * Two players in a real local world (the mmo-local binary): one holds "right" for a second,
 * the other sees it walk. Once over WebTransport, once over the WebSocket fallback.
 */

import type { Browser, JSHandle, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { joinAs, launchChromium, screenshot, seenPlayer, startLocalServer, waitForPlayer, type RunningServer } from './harness';

let browser: Browser;
let server: RunningServer;
let pages: Page[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  server = await startLocalServer();
});

afterEach(async () => {
  for (const page of pages) {
    await page.context().close();
  }
  pages = [];
  await server?.stop();
});

async function walkAndWatch(transport: 'webtransport' | 'websocket'): Promise<void> {
  const alice = await joinAs(browser, server.url, 'alice', transport);
  const bob = await joinAs(browser, server.url, 'bob', transport);
  pages = [alice, bob];
  expect(await alice.evaluate(() => window.__mmo.transport)).toBe(transport);
  expect(await bob.evaluate(() => window.__mmo.transport)).toBe(transport);
  const aliceTransport: JSHandle = await alice.evaluateHandle(() => window.__mmo.transportObject);

  const before = await waitForPlayer(bob, 'alice', () => true);
  expect(before, 'bob sees alice').toBeDefined();
  // Let alice land first, so the walk starts from standing.
  await alice.waitForTimeout(500);
  const start = (await seenPlayer(bob, 'alice'))!;

  await alice.keyboard.down('ArrowRight');
  await alice.waitForTimeout(1000);
  await alice.keyboard.up('ArrowRight');

  const after = await waitForPlayer(bob, 'alice', (e) => e.x > start.x + 3, 3000);
  await screenshot(alice, `${transport}-alice.png`);
  await screenshot(bob, `${transport}-bob.png`);
  expect(after, 'bob still sees alice').toBeDefined();
  expect(after!.x - start.x, `alice moved from x=${start.x} to x=${after!.x} as bob sees it`).toBeGreaterThan(3);
  // Alice's own prediction moved too, and the session never switched transport.
  expect(await alice.evaluate((t) => t === window.__mmo.transportObject, aliceTransport)).toBe(true);
  expect(await alice.evaluate(() => window.__mmo.status)).toBe('playing');
  expect(await bob.evaluate(() => window.__mmo.status)).toBe('playing');
}

describe('two players in the local world', () => {
  it('see each other move over WebTransport', async () => {
    await walkAndWatch('webtransport');
  });

  it('see each other move over the WebSocket fallback', async () => {
    await walkAndWatch('websocket');
  });
});

describe('a dropped connection', () => {
  it('reconnects and resumes the same character with the session token, without the login form', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    const page = await context.newPage();
    pages = [page];
    // An account (name and password), logged in through the form: after the drop only the
    // token can bring the character back, since the page does not keep the password.
    await page.goto(`${server.url}?transport=websocket`);
    await page.waitForFunction(() => window.__mmo.status === 'login', undefined, { timeout: 15_000 });
    await page.fill('#login-name', 'dora');
    await page.fill('#login-password', 'correct horse');
    await page.evaluate(() => document.querySelector<HTMLFormElement>('#login-form')!.requestSubmit());
    await page.waitForFunction(() => window.__mmo.status === 'playing' && window.__mmo.self() !== null, undefined, { timeout: 15_000 });
    await page.waitForTimeout(500); // land
    const before = (await page.evaluate(() => window.__mmo.self()))!;
    expect(await page.evaluate(() => sessionStorage.getItem('mmo.sessionToken'))).not.toBeNull();
    const oldTransport: JSHandle = await page.evaluateHandle(() => window.__mmo.transportObject);

    await page.evaluate(() => (window.__mmo.transportObject as WebSocket).close());
    await page.waitForFunction(
      (old) => window.__mmo.transportObject !== old && window.__mmo.status === 'playing' && window.__mmo.self() !== null,
      oldTransport,
      { timeout: 15_000 },
    );
    const after = (await page.evaluate(() => window.__mmo.self()))!;
    expect(await page.locator('#login').isHidden()).toBe(true);
    expect(Math.abs(after.x - before.x), `resumed at x=${after.x}, left at x=${before.x}`).toBeLessThan(1.5);
    expect(Math.abs(after.y - before.y)).toBeLessThan(1.5);
  });
});
