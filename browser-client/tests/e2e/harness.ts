/**
 * Shared pieces of the end-to-end tests: the server binary, headless Chromium, pages that join
 * as a player, and screenshots in test-results/.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
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

/** One gateway of a launched cluster, as `mmo-launcher up` printed it. */
export interface LaunchedGateway {
  id: number;
  /** Its page, e.g. `http://127.0.0.1:PORT/`. */
  url: string;
  pid: number;
}

export interface RunningCluster {
  /** The newest line printed for each gateway id (a restarted gateway gets a new one). */
  gateways: Map<number, LaunchedGateway>;
  /** Where the services' logs are (one file per service). */
  runDir: string;
  /** Waits for a line of gateway `id` other than `notPid`'s (its restart). */
  waitForGateway(id: number, notPid: number, timeoutMs?: number): Promise<LaunchedGateway>;
  /** The launcher's stdout so far, and the tail of each gateway log (for failure messages). */
  diagnostics(): string;
  stop(): Promise<void>;
}

/**
 * Starts `mmo-launcher up` (`MMO_LAUNCHER_BIN`, default ../target/debug/mmo-launcher; its
 * services' binaries next to it) with `args`, and waits until it is ready and has printed a
 * `gateway N: URL (pid P)` line for each of `gateways`. It runs in its own process group, so
 * stopping it (SIGTERM, SIGKILL to the whole group after `STOP_GRACE_MS`) leaves nothing behind.
 */
export async function startLauncher(args: string[], gateways: number, timeoutMs = 120_000): Promise<RunningCluster> {
  const bin = resolve(CLIENT_DIR, process.env.MMO_LAUNCHER_BIN ?? '../target/debug/mmo-launcher');
  if (!existsSync(bin)) {
    throw new Error(`launcher binary ${bin} not found: build it (cargo build --bins) or set MMO_LAUNCHER_BIN`);
  }
  const child = spawn(bin, ['up', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info' },
  });
  const group = child.pid!;
  // The launcher stops its services when this process goes (even on a crash of the test).
  const killGroup = (): void => {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // gone already
    }
  };
  process.once('exit', killGroup);
  let out = '';
  let err = '';
  const found = new Map<number, LaunchedGateway>();
  const waiters: (() => void)[] = [];
  let exited: string | null = null;
  let runDir = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const m of out.matchAll(/^gateway (\d+): (\S+) \(pid (\d+)\)$/gm)) {
      found.set(Number(m[1]), { id: Number(m[1]), url: m[2], pid: Number(m[3]) });
    }
    runDir = /logs: (\S+)/.exec(out)?.[1] ?? runDir;
    waiters.splice(0).forEach((w) => w());
  });
  child.stderr.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-20_000);
  });
  child.on('exit', (code, signal) => {
    exited = `launcher exited (${code ?? signal})`;
    waiters.splice(0).forEach((w) => w());
  });
  const diagnostics = (): string => {
    let text = `--- launcher stdout ---\n${out}\n--- launcher stderr (tail) ---\n${err.slice(-4000)}`;
    if (runDir !== '') {
      for (const id of [...found.keys()].sort()) {
        const log = resolve(runDir, `gateway-${id}.log`);
        if (existsSync(log)) {
          text += `\n--- ${log} (tail) ---\n${readFileSync(log, 'utf8').slice(-6000)}`;
        }
      }
    }
    return text;
  };
  /** Resolves once `pred` holds, re-checked on every line of output. */
  const until = <T>(pred: () => T | undefined, ms: number, what: string): Promise<T> =>
    new Promise<T>((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms\n${diagnostics()}`)), ms);
      const check = (): void => {
        const value = pred();
        if (value !== undefined) {
          clearTimeout(timer);
          resolvePromise(value);
        } else if (exited !== null) {
          clearTimeout(timer);
          reject(new Error(`${what}: ${exited}\n${diagnostics()}`));
        } else {
          waiters.push(check);
        }
      };
      check();
    });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(killGroup, STOP_GRACE_MS);
      await gone;
      clearTimeout(timer);
    }
    // Whatever it started and did not stop (it stops everything on SIGTERM; this is for a SIGKILL).
    killGroup();
    process.removeListener('exit', killGroup);
  };
  try {
    await until(() => (/^ready: /m.test(out) && found.size >= gateways ? true : undefined), timeoutMs, 'mmo-launcher up');
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    gateways: found,
    get runDir() {
      return runDir;
    },
    waitForGateway: (id, notPid, ms = 60_000) => {
      return until(() => {
        const g = found.get(id);
        return g !== undefined && g.pid !== notPid ? g : undefined;
      }, ms, `gateway ${id} started again`);
    },
    diagnostics,
    stop,
  };
}

/** How long the launcher may take to stop its cluster after SIGTERM (its services: up to ~15 s). */
const STOP_GRACE_MS = 40_000;

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
