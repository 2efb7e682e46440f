/**
 * The login form in a real local world (the mmo-local binary) whose gateway ends connections
 * left at the login form after 2 s (`--login-timeout-secs`; 120 s by default): the page opens
 * a new connection by itself, the name typed stays, no error is shown, and Play joins.
 */

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, screenshot, startLocalServer, waitForStatus, type RunningServer } from './harness';

let browser: Browser;
let server: RunningServer;
let page: Page | undefined;

beforeAll(async () => {
  browser = await launchChromium();
  server = await startLocalServer(60_000, ['--login-timeout-secs', '2']);
});

afterAll(async () => {
  await page?.context().close();
  await browser?.close();
  await server?.stop();
});

describe('the login form', () => {
  it('outlives the gateway ending the idle connection under it', async () => {
    const context = await browser.newContext();
    page = await context.newPage();
    await page.goto(server.url);
    await waitForStatus(page, 'login');
    await page.fill('#login-name', 'dora');
    // The gateway closes the idle connection; the page opens another, twice over.
    await page.waitForFunction(() => window.__mmo.connections >= 3 && window.__mmo.status === 'login', null, {
      timeout: 30_000,
      polling: 50,
    });
    expect(await page.inputValue('#login-name')).toBe('dora');
    expect(await page.evaluate(() => window.__mmo.error)).toBeNull();
    expect(await page.isVisible('#login-form')).toBe(true);
    await page.click('button[type=submit]');
    await waitForStatus(page, 'playing');
    expect(await page.evaluate(() => window.__mmo.name)).toBe('dora');
    await screenshot(page, 'login-after-idle.png');
  });
});
