/**
 * The page on its own, against the stand-in gateway (tests/e2e/fake-gateway.ts, WebSocket only):
 * login, names taken, movement seen by another player, chat, HUD and the debug overlay. Needs
 * no Rust binary.
 */

import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGateway, type FakeGateway } from './fake-gateway';
import { DIST_DIR, joinAs, launchChromium, screenshot, seenPlayer, waitForPlayer, waitForStatus } from './harness';

let browser: Browser;
let gateway: FakeGateway;
let pages: Page[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  gateway = await startFakeGateway(DIST_DIR);
});

afterAll(async () => {
  await browser?.close();
  await gateway?.stop();
});

afterEach(async () => {
  for (const page of pages) {
    await page.context().close();
  }
  pages = [];
});

describe('the page against a stand-in gateway', () => {
  it('falls back to the WebSocket when no WebTransport is offered, and shows the walk of another player', async () => {
    const alice = await joinAs(browser, gateway.url, 'alice');
    const bob = await joinAs(browser, gateway.url, 'bob');
    pages = [alice, bob];
    expect(await alice.evaluate(() => window.__mmo.transport)).toBe('websocket');
    await alice.waitForTimeout(300);
    const start = (await waitForPlayer(bob, 'alice', () => true))!;
    const selfStart = (await alice.evaluate(() => window.__mmo.self()))!;
    await alice.keyboard.down('ArrowRight');
    await alice.waitForTimeout(1000);
    await alice.keyboard.up('ArrowRight');
    const selfEnd = (await alice.evaluate(() => window.__mmo.self()))!;
    expect(selfEnd.x - selfStart.x).toBeGreaterThan(3);
    const after = await waitForPlayer(bob, 'alice', (e) => e.x > start.x + 3, 3000);
    expect(after!.x - start.x).toBeGreaterThan(3);
    // Once alice stops, bob's view settles where alice's own prediction is.
    await bob.waitForTimeout(600);
    const settled = (await seenPlayer(bob, 'alice'))!;
    const own = (await alice.evaluate(() => window.__mmo.self()))!;
    expect(Math.abs(settled.x - own.x)).toBeLessThan(0.1);
    expect(await bob.evaluate(() => window.__mmo.entities().filter((e) => e.kind === 'npc').length)).toBe(4);
    await screenshot(bob, 'fake-bob.png');
  });

  it('keeps the login open with a message when the name is taken, then joins with another', async () => {
    const first = await joinAs(browser, gateway.url, 'carol');
    const context = await browser.newContext();
    const second = await context.newPage();
    pages = [first, second];
    await second.goto(`${gateway.url}?name=carol`);
    await second.waitForFunction(() => window.__mmo.error !== null && window.__mmo.status === 'login');
    expect(await second.textContent('#login-error')).toMatch(/already in use/);
    await second.fill('#login-name', 'carol2');
    await second.click('button[type=submit]');
    await waitForStatus(second, 'playing');
    expect(await second.evaluate(() => window.__mmo.error)).toBeNull();
    await screenshot(second, 'fake-login.png');
  });

  it('refuses an invalid name on the page without asking the server', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    pages = [page];
    await page.goto(gateway.url);
    await waitForStatus(page, 'login');
    await page.fill('#login-name', 'no');
    await page.evaluate(() => document.querySelector<HTMLFormElement>('#login-form')!.requestSubmit());
    await page.waitForFunction(() => /3 to 16 characters/.test(document.querySelector('#login-error')!.textContent ?? ''));
    expect(await page.evaluate(() => window.__mmo.status)).toBe('login');
  });

  it('chats: Enter focuses, Enter sends, game keys are not sent while typing', async () => {
    const dave = await joinAs(browser, gateway.url, 'dave');
    const erin = await joinAs(browser, gateway.url, 'erin');
    pages = [dave, erin];
    const before = (await dave.evaluate(() => window.__mmo.self()))!;
    await dave.keyboard.press('Enter');
    expect(await dave.evaluate(() => document.activeElement?.id)).toBe('chat-input');
    await dave.keyboard.type('hello dd');
    await dave.waitForTimeout(300);
    const during = (await dave.evaluate(() => window.__mmo.self()))!;
    expect(during.x).toBe(before.x); // the 'd's did not move dave
    await dave.keyboard.press('Enter');
    await erin.waitForFunction(() => window.__mmo.chat().some((l) => l.from === 'dave' && l.text === 'hello dd'));
    expect(await erin.textContent('#chat-lines')).toContain('dave: hello dd');
    expect(await erin.evaluate(() => window.__mmo.sendChat('hi dave'))).toBe(true);
    await dave.waitForFunction(() => window.__mmo.chat().some((l) => l.from === 'erin'));
  });

  it('shows the HUD and toggles the debug overlay with F3', async () => {
    const page = await joinAs(browser, gateway.url, 'frank');
    pages = [page];
    await page.waitForTimeout(300);
    expect(await page.textContent('#hud-transport')).toBe('WebSocket');
    expect(await page.textContent('#hud-hp-text')).toBe('HP 100 / 100');
    expect(await page.textContent('#hud-ping')).toMatch(/ping \d+ ms/);
    expect(await page.isHidden('#debug')).toBe(true);
    await page.keyboard.press('F3');
    await page.waitForTimeout(100);
    const debug = (await page.textContent('#debug'))!;
    expect(debug).toMatch(/cell\s+\(0, 0\)/);
    expect(debug).toMatch(/zone\s+1/);
    expect(debug).toMatch(/fps\s+\d+/);
    await screenshot(page, 'fake-debug.png');
    await page.keyboard.press('Backquote');
    expect(await page.isHidden('#debug')).toBe(true);
  });

  it('falls back to the WebSocket when WebTransport is offered but fails, unless forced', async () => {
    // A WebTransport address where nothing listens.
    const broken = await startFakeGateway(DIST_DIR, {
      webtransport: { url: 'https://127.0.0.1:9/play', cert_sha256_hex: 'ab'.repeat(32) },
    });
    try {
      const page = await joinAs(browser, broken.url, 'gina');
      pages = [page];
      expect(await page.evaluate(() => window.__mmo.transport)).toBe('websocket');
      const context = await browser.newContext();
      const forced = await context.newPage();
      pages.push(forced);
      await forced.goto(`${broken.url}?name=hank&transport=webtransport`);
      await waitForStatus(forced, 'error');
      expect(await forced.evaluate(() => window.__mmo.error)).toMatch(/Cannot reach the game server/);
    } finally {
      await broken.stop();
    }
  });

  it('reports an unreachable server', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    pages = [page];
    // Serve the page from the stand-in gateway, but make /api/connect fail.
    await page.route('**/api/connect', (route) => route.abort());
    await page.goto(gateway.url);
    await waitForStatus(page, 'error');
    expect(await page.evaluate(() => window.__mmo.error)).toMatch(/Cannot reach the game server/);
    expect(await page.isVisible('#status-reload')).toBe(true);
  });
});
