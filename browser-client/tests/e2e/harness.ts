/**
 * Shared pieces of the end-to-end tests: the server binary, headless Chromium, pages that join
 * as a player, and screenshots in test-results/.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CLIENT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST_DIR = resolve(CLIENT_DIR, 'dist');
export const RESULTS_DIR = resolve(CLIENT_DIR, 'test-results');

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the all-in-one server (`MMO_LOCAL_BIN`, default ../target/debug/mmo-local) on free
 * ports, serving dist/, and waits for its `ready: http://127.0.0.1:PORT/` line. `extraArgs` go
 * on its command line (e.g. `['--cell-tiles', '32']`).
 */
export async function startLocalServer(timeoutMs = 60_000, extraArgs: string[] = []): Promise<RunningServer> {
  const bin = resolve(CLIENT_DIR, process.env.MMO_LOCAL_BIN ?? '../target/debug/mmo-local');
  if (!existsSync(bin)) {
    throw new Error(`server binary ${bin} not found: build it (cargo build -p mmo-local-world) or set MMO_LOCAL_BIN`);
  }
  // `--durable memory`: every test run starts with no saved characters and leaves no data folder.
  const child = spawn(bin, ['--http-addr', '127.0.0.1:0', '--quic-addr', '127.0.0.1:0', '--client-dir', DIST_DIR, '--durable', 'memory', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info' },
  });
  let log = '';
  child.stderr.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-20_000);
  });
  const url = await new Promise<string>((resolvePromise, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`no "ready:" line within ${timeoutMs} ms`)), timeoutMs);
    function fail(e: Error): void {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${e.message}\n--- stdout ---\n${out}\n--- stderr (tail) ---\n${log}`));
    }
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready: (http:\/\/\S+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolvePromise(m[1].endsWith('/') ? m[1] : `${m[1]}/`);
      }
    });
    child.on('exit', (code, signal) => fail(new Error(`server exited early (${code ?? signal})`)));
    child.on('error', (e) => fail(e));
  });
  child.removeAllListeners('exit');
  return { url, stop: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** What the page's `window.__mmo.entities()` returns. */
export interface SeenEntity {
  id: number;
  name: string | null;
  kind: 'player' | 'npc';
  x: number;
  y: number;
}

/** Opens the game as `name` in its own browser context and waits until it plays. */
export async function joinAs(browser: Browser, baseUrl: string, name: string, transport?: 'websocket' | 'webtransport'): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  const logs: string[] = [];
  page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
  const query = new URLSearchParams({ name });
  if (transport !== undefined) {
    query.set('transport', transport);
  }
  await page.goto(`${baseUrl}?${query.toString()}`);
  try {
    await waitForStatus(page, 'playing');
    // The first snapshot has arrived: the player has a position.
    await page.waitForFunction(() => window.__mmo.self() !== null, undefined, { timeout: 15_000 });
  } catch (e) {
    const state = await page.evaluate(() => ({ status: window.__mmo?.status, error: window.__mmo?.error })).catch(() => null);
    throw new Error(`${name} did not start playing: ${String(e)}\nstate: ${JSON.stringify(state)}\nconsole:\n${logs.join('\n')}`);
  }
  return page;
}

export async function waitForStatus(page: Page, status: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction((s) => window.__mmo?.status === s, status, { timeout, polling: 50 });
}

/** Polls `window.__mmo.entities()` on `page` for the player `name`. */
export async function seenPlayer(page: Page, name: string): Promise<SeenEntity | undefined> {
  return page.evaluate((n) => window.__mmo.entities().find((e) => e.name === n), name);
}

/** Waits until `page` sees player `name` satisfying `pred`; returns what it saw last. */
export async function waitForPlayer(page: Page, name: string, pred: (e: SeenEntity) => boolean, timeoutMs = 10_000): Promise<SeenEntity | undefined> {
  const deadline = Date.now() + timeoutMs;
  let last: SeenEntity | undefined;
  while (Date.now() < deadline) {
    last = await seenPlayer(page, name);
    if (last !== undefined && pred(last)) {
      return last;
    }
    await page.waitForTimeout(100);
  }
  return last;
}

export async function screenshot(page: Page, file: string): Promise<void> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  await page.screenshot({ path: resolve(RESULTS_DIR, file) });
}

/** Screenshots every page as `<prefix>-<n>.png` (after a test, pass or fail). */
export async function screenshotAll(pages: Page[], prefix: string): Promise<void> {
  for (const [n, page] of pages.entries()) {
    await screenshot(page, `${prefix}-${n}.png`).catch(() => undefined);
  }
}

/** Closes the pages' contexts, stops the server and closes the browser (after all tests). */
export async function closeAll(pages: Page[], server: RunningServer | undefined, browser: Browser | undefined): Promise<void> {
  for (const page of pages) {
    await page.context().close();
  }
  await server?.stop();
  await browser?.close();
}
