/**
 * A browser player survives the `kill -9` of its gateway. A multi-process cluster
 * (`mmo-launcher up --gateways 2`, its own etcd and Redis); the page is opened on gateway 2,
 * logs in as a guest, walks a bit; gateway 2 is killed. Its page origin is gone for good (the
 * launcher starts it again on other ports), so the page must open gateway 1 directly (the
 * `others` of its last `/api/connect` answer) and resume there with its token, once the dead
 * gateway's lease expired: no click, no typing, no login form, the same player near where it
 * stood. Once over WebTransport (a killed gateway sends no close: the page's watchdog notices
 * the silence) and once over the WebSocket fallback (the socket breaks).
 */

import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIST_DIR, launchChromium, screenshot, startLauncher, waitForStatus, type LaunchedGateway, type RunningCluster } from './harness';

/** How long the page may take to play again after the kill (watchdog 3 s, lease TTL 2 s, resume). */
const RESUME_TIMEOUT_MS = 15_000;
/** How far (tiles) the resumed player may be from where it stood. */
const NEAR_TILES = 3;

let browser: Browser;
let cluster: RunningCluster;
let pages: Page[] = [];
/** The pid of gateway 2 each test killed (the next waits for its restart). */
const killed: number[] = [];
const logs = new Map<Page, string[]>();

beforeAll(async () => {
  browser = await launchChromium();
  cluster = await startLauncher(
    // No mobs: a bite or a death would move the player while its position is compared.
    ['--gateways', '2', '--zones', '2', '--coordinators', '1', '--http', '127.0.0.1:0', '--quic', '127.0.0.1:0', '--client-dir', DIST_DIR, '--npcs-per-cell', '0'],
    2,
  );
});

afterAll(async () => {
  await browser?.close();
  await cluster?.stop();
});

afterEach(async () => {
  for (const page of pages) {
    await page.context().close();
  }
  pages = [];
});

/** A guest logged in through the form on `url` (a real player's way: no `?name=`). */
async function guest(url: string, name: string, transport: 'auto' | 'websocket'): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  pages.push(page);
  const lines: string[] = [];
  logs.set(page, lines);
  page.on('console', (m) => lines.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => lines.push(`[pageerror] ${e.message}`));
  await page.goto(transport === 'auto' ? url : `${url}?transport=${transport}`);
  await waitForStatus(page, 'login', 30_000);
  await page.fill('#login-name', name);
  await page.evaluate(() => document.querySelector<HTMLFormElement>('#login-form')!.requestSubmit());
  await page.waitForFunction(() => window.__mmo.status === 'playing' && window.__mmo.self() !== null, undefined, {
    timeout: 30_000,
    polling: 50,
  });
  return page;
}

/** The player's own position once it stopped moving (two readings 200 ms apart agree). */
async function standing(page: Page): Promise<{ x: number; y: number }> {
  const handle = await page.waitForFunction(
    () => {
      const w = window as unknown as { __lastSelf?: { x: number; y: number; at: number } };
      const now = performance.now();
      const self = window.__mmo.self();
      if (self === null || window.__mmo.status !== 'playing') {
        w.__lastSelf = undefined;
        return null;
      }
      const last = w.__lastSelf;
      if (last === undefined || Math.abs(last.x - self.x) > 0.01 || Math.abs(last.y - self.y) > 0.01) {
        w.__lastSelf = { ...self, at: now };
        return null;
      }
      return now - last.at >= 200 ? self : null;
    },
    undefined,
    { timeout: 15_000, polling: 50 },
  );
  return (await handle.jsonValue())!;
}

/**
 * Walks a few tiles (right, or left when something blocks the way right) and returns where the
 * player then stands.
 */
async function walk(page: Page, start: { x: number; y: number }): Promise<{ x: number; y: number }> {
  for (const key of ['ArrowRight', 'ArrowLeft']) {
    await page.keyboard.down(key);
    const moved = await page
      .waitForFunction((x0) => Math.abs(window.__mmo.self()!.x - x0) > 2, start.x, { timeout: 5000, polling: 50 })
      .then(() => true)
      .catch(() => false);
    await page.keyboard.up(key);
    const now = await standing(page);
    if (moved) {
      return now;
    }
    await screenshot(page, `gateway-loss-blocked-${key}.png`);
    console.log(`could not walk with ${key} from (${start.x}, ${start.y}): at (${now.x}, ${now.y}); ${JSON.stringify(await state(page))}`);
    start = now;
  }
  throw new Error(`the player could not walk: ${JSON.stringify(await state(page))}\n${(logs.get(page) ?? []).join('\n')}`);
}

/** Records in the page, every 20 ms, each status it goes through and whether the login form shows. */
async function watchStatuses(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __seen: string[] };
    w.__seen = [];
    setInterval(() => {
      const form = document.getElementById('login')!.hidden ? '' : '+form';
      const entry = `${window.__mmo.status}${form}`;
      if (w.__seen.at(-1) !== entry) {
        w.__seen.push(entry);
      }
    }, 20);
  });
}

function state(page: Page): Promise<unknown> {
  return page.evaluate(() => ({
    status: window.__mmo.status,
    error: window.__mmo.error,
    name: window.__mmo.name,
    transport: window.__mmo.transportUrl,
    seen: (window as unknown as { __seen: string[] }).__seen,
  }));
}

/** The transport URLs `/api/connect` of `gateway` names for itself. */
async function transportUrls(gateway: LaunchedGateway): Promise<string[]> {
  const info = (await (await fetch(new URL('/api/connect', gateway.url))).json()) as {
    webtransport: { url: string } | null;
    websocket: { url: string };
  };
  return [info.webtransport?.url, info.websocket.url].filter((u): u is string => typeof u === 'string');
}

async function survivesTheKill(name: string, transport: 'auto' | 'websocket'): Promise<void> {
  const gw1 = cluster.gateways.get(1)!;
  const gw2 = cluster.gateways.get(2)!;
  const page = await guest(gw2.url, name, transport);
  const tag = transport === 'auto' ? 'webtransport' : 'websocket';
  const kind = await page.evaluate(() => window.__mmo.transport);
  expect(kind).toBe(tag);
  const oldUrl = (await page.evaluate(() => window.__mmo.transportUrl))!;
  expect(await transportUrls(gw2), 'the page plays through gateway 2').toContain(oldUrl);
  expect(await page.evaluate(() => window.__mmo.otherGateways), 'gateway 2 named gateway 1').toBeGreaterThanOrEqual(1);

  const start = await standing(page);
  const before = await walk(page, start);
  await screenshot(page, `gateway-loss-${tag}-before.png`);
  await watchStatuses(page);

  const killedAt = Date.now();
  process.kill(gw2.pid, 'SIGKILL');
  killed.push(gw2.pid);
  try {
    await page.waitForFunction(
      ({ old, expected }) =>
        window.__mmo.status === 'playing' && window.__mmo.transportUrl !== old && window.__mmo.name === expected && window.__mmo.self() !== null,
      { old: oldUrl, expected: name },
      { timeout: RESUME_TIMEOUT_MS, polling: 50 },
    );
  } catch (e) {
    throw new Error(
      `${name} did not play again within ${RESUME_TIMEOUT_MS} ms of the kill: ${String(e)}\n` +
        `page: ${JSON.stringify(await state(page))}\n--- console ---\n${(logs.get(page) ?? []).join('\n')}\n${cluster.diagnostics()}`,
    );
  }
  const tookMs = Date.now() - killedAt;
  const after = await standing(page);
  await screenshot(page, `gateway-loss-${tag}-after.png`);
  const resumed = (await page.evaluate(() => ({
    url: window.__mmo.transportUrl,
    kind: window.__mmo.transport,
    seen: (window as unknown as { __seen: string[] }).__seen,
    lastResumeMs: window.__mmo.lastResumeMs,
  })))!;
  console.log(
    `[gateway-loss ${tag}] playing again ${tookMs} ms after the kill (the page: ${Math.round(resumed.lastResumeMs ?? -1)} ms from noticing the loss); ` +
      `now on ${resumed.url}; stood at (${before.x.toFixed(2)}, ${before.y.toFixed(2)}), resumed at (${after.x.toFixed(2)}, ${after.y.toFixed(2)}); ` +
      `statuses: ${resumed.seen.join(' -> ')}`,
  );

  // Gateway 1 directly (the page's origin is gone; the restarted gateway 2 is on new ports and
  // the page never heard of it), or else any gateway of the world.
  const restarted = cluster.gateways.get(2);
  const anyGateway = [...(await transportUrls(gw1)), ...(restarted !== undefined && restarted.pid !== gw2.pid ? await transportUrls(restarted) : [])];
  expect(anyGateway, `resumed on ${resumed.url}`).toContain(resumed.url);
  expect(await transportUrls(gw1), 'gateway 1, whose address the page remembered').toContain(resumed.url);
  expect(resumed.kind).toBe(tag);
  expect(resumed.seen.filter((s) => s.endsWith('+form')), 'the login form never showed').toEqual([]);
  expect(resumed.seen, 'no error on the way').not.toContain('error');
  expect(await page.locator('#login').isHidden()).toBe(true);
  expect(Math.abs(after.x - before.x), `resumed at x=${after.x}, stood at x=${before.x}`).toBeLessThan(NEAR_TILES);
  expect(Math.abs(after.y - before.y), `resumed at y=${after.y}, stood at y=${before.y}`).toBeLessThan(NEAR_TILES);
  expect(tookMs).toBeLessThan(RESUME_TIMEOUT_MS);
}

describe('the kill -9 of the page gateway', () => {
  it('over WebTransport: the page notices the silence and resumes on the other gateway by itself', async () => {
    await survivesTheKill('wtguest', 'auto');
  });

  it('over the WebSocket: the page resumes on the other gateway by itself', async () => {
    // Gateway 2 is started again (on new ports) after the first test's kill.
    await cluster.waitForGateway(2, killed.at(-1) ?? -1);
    await survivesTheKill('wsguest', 'websocket');
  });
});
