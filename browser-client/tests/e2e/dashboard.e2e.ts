/**
 * The operators' dashboard against a real local world (the mmo-local binary, four zones, 4 x 2
 * cells, rebalancing off so only the operator moves cells): every cell is shown with its owner,
 * as the coordinator's API states it, a cell moved by hand through the page changes colour
 * and owner, and a cell split through the page is drawn as its four quarters until merged.
 */

import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { launchChromium, screenshot, startLocalServer, type RunningServer } from './harness';

interface ApiCell {
  cell: string;
  zone: number | null;
  simulated: boolean;
}

let browser: Browser;
let server: RunningServer;
let page: Page | undefined;

beforeAll(async () => {
  browser = await launchChromium();
  server = await startLocalServer(60_000, ['--zones', '4', '--world-size', '4x2', '--rebalance', 'off']);
});

afterAll(async () => {
  await page?.context().close();
  await server?.stop();
  await browser?.close();
});

afterEach(async () => {
  if (page !== undefined) {
    await screenshot(page, 'dashboard.png').catch(() => undefined);
  }
});

/** What the page shows for each cell: its owner (data-zone) and its colour. */
async function shownCells(p: Page): Promise<Map<string, { zone: string; colour: string }>> {
  const cells = await p.$$eval('#grid .cell', (els) =>
    els.map((el) => ({ cell: (el as HTMLElement).dataset.cell ?? '', zone: (el as HTMLElement).dataset.zone ?? '', colour: getComputedStyle(el).backgroundColor })),
  );
  return new Map(cells.map((c) => [c.cell, { zone: c.zone, colour: c.colour }]));
}

describe('the dashboard', () => {
  it('shows every cell with its owner, and a cell moved by hand changes colour', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
    await page.goto(`${server.url}dashboard`);
    await page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: 15_000 }).catch((e: unknown) => {
      throw new Error(`dashboard did not load: ${String(e)}\n${logs.join('\n')}`);
    });

    const api = (await (await fetch(`${server.url}api/state`)).json()) as { cells: ApiCell[] };
    expect(api.cells).toHaveLength(8);
    const shown = await shownCells(page);
    expect(shown.size).toBe(8);
    for (const cell of api.cells) {
      expect(cell.zone, `cell ${cell.cell} has an owner`).not.toBeNull();
      expect(shown.get(cell.cell)?.zone, `cell ${cell.cell} shown with its owner`).toBe(String(cell.zone));
      await expect(page.locator(`#grid .cell[data-cell="${cell.cell}"]`)).toBeDefined();
    }
    // Different owners, different colours.
    const zoneColours = new Map([...shown.values()].map((c) => [c.zone, c.colour]));
    expect(new Set(zoneColours.values()).size).toBe(zoneColours.size);

    // Move cell 0.0 by hand to another zone, through the page.
    const before = shown.get('0.0');
    expect(before).toBeDefined();
    const target = [...zoneColours.keys()].find((z) => z !== before?.zone) ?? '';
    await page.click('#grid .cell[data-cell="0.0"]');
    await page.selectOption('#target-zone', target);
    await page.click('#move');
    await page.waitForFunction(
      (zone) => (document.querySelector('#grid .cell[data-cell="0.0"]') as HTMLElement | null)?.dataset.zone === zone,
      target,
      { timeout: 10_000 },
    );
    const after = (await shownCells(page)).get('0.0');
    expect(after?.zone).toBe(target);
    expect(after?.colour).not.toBe(before?.colour);
    expect(after?.colour).toBe(zoneColours.get(target));
    await expect(page.textContent('#action-result')).resolves.toContain(`moved to zone ${target}`);

    // The API agrees, and the decision log shows the operator's move.
    const moved = (await (await fetch(`${server.url}api/state`)).json()) as { cells: ApiCell[] };
    expect(moved.cells.find((c) => c.cell === '0.0')?.zone).toBe(Number(target));
    await page.waitForFunction(() => document.querySelector('#events')?.textContent?.includes('moved by an operator') === true, undefined, { timeout: 5000 });
  });

  it('splits a cell into quarters drawn inside it, and merges them back', async () => {
    if (page === undefined) {
      throw new Error('the first test opens the page');
    }
    const owner = (await shownCells(page)).get('1.1')?.zone;
    await page.click('#grid .cell[data-cell="1.1"]');
    await page.click('#split');
    const quarters = ['2.2/1', '3.2/1', '2.3/1', '3.3/1'];
    await page.waitForFunction((qs) => qs.every((q) => document.querySelector(`#grid .cell[data-cell="${q}"]`) !== null), quarters, { timeout: 5000 });
    const shown = await shownCells(page);
    expect(shown.has('1.1'), 'the split cell is drawn as its quarters').toBe(false);
    for (const q of quarters) {
      expect(shown.get(q)?.zone, `quarter ${q} kept by the cell's zone`).toBe(owner);
    }
    // The quarters tile the cell's square: together exactly as wide and tall as a whole cell.
    const box = async (cell: string) => (await page!.locator(`#grid .cell[data-cell="${cell}"]`).boundingBox())!;
    const [whole, first, last] = [await box('0.1'), await box('2.2/1'), await box('3.3/1')];
    expect(Math.abs(last.x + last.width - first.x - whole.width)).toBeLessThan(2);
    expect(Math.abs(last.y + last.height - first.y - whole.height)).toBeLessThan(2);
    await page.waitForFunction(() => document.querySelector('#events')?.textContent?.includes('split into quarters') === true, undefined, { timeout: 5000 });

    // A merge waits until the zone reports simulating every quarter (its next load report).
    await vi.waitFor(
      async () => {
        const state = (await (await fetch(`${server.url}api/state`)).json()) as { cells: ApiCell[] };
        expect(quarters.every((q) => state.cells.some((c) => c.cell === q && c.simulated))).toBe(true);
      },
      { timeout: 10_000, interval: 100 },
    );
    await page.click('#grid .cell[data-cell="3.3/1"]');
    await page.click('#merge');
    await page.waitForFunction(() => document.querySelector('#grid .cell[data-cell="1.1"]') !== null, undefined, { timeout: 5000 });
    expect((await shownCells(page)).get('1.1')?.zone).toBe(owner);
    const state = (await (await fetch(`${server.url}api/state`)).json()) as { cells: ApiCell[] };
    expect(state.cells).toHaveLength(8);
  });
});
