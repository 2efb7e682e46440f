/**
 * A party in the page: Ann invites Bea by typing `/invite bea` in the chat box, Bea accepts,
 * both party panels list both with their level, and a `/p` line reaches the other page.
 */

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinAs, launchChromium, screenshot, startLocalServer, type RunningServer } from './harness';

let browser: Browser;
let server: RunningServer;
let pages: Page[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  server = await startLocalServer();
});

afterAll(async () => {
  for (const page of pages) {
    await page.context().close();
  }
  await server?.stop();
  await browser?.close();
});

/** Types `text` in the chat box as a player does: Enter, the text, Enter. */
async function type(page: Page, text: string): Promise<void> {
  await page.keyboard.press('Enter');
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

describe('party', () => {
  it('forms from the chat box and shows on both panels, with party chat', async () => {
    const ann = await joinAs(browser, server.url, 'ann');
    const bea = await joinAs(browser, server.url, 'bea');
    pages = [ann, bea];
    expect(await ann.evaluate(() => window.__mmo.partyPanelText())).toBe('');

    await type(ann, '/invite bea');
    await bea.waitForFunction(() => document.getElementById('chat-lines')?.textContent?.includes('ann invites you'), undefined, {
      timeout: 10_000,
    });
    await type(bea, '/accept');
    for (const page of [ann, bea]) {
      await page.waitForFunction(
        () => {
          const party = window.__mmo.party();
          return party.members.length === 2 && party.members.every((m) => m.online && m.hp > 0 && m.level >= 1);
        },
        undefined,
        { timeout: 10_000 },
      );
      const panel = await page.evaluate(() => window.__mmo.partyPanelText());
      expect(panel).toContain('ann');
      expect(panel).toContain('bea');
      expect(panel).toContain('Lv 1');
    }
    expect((await ann.evaluate(() => window.__mmo.party())).leader).toBe('ann');

    await type(bea, '/p over here');
    await ann.waitForFunction(() => window.__mmo.chat().some((l) => l.from === 'bea' && l.text === 'over here'), undefined, {
      timeout: 10_000,
    });
    await screenshot(ann, 'party-ann.png');
  });
});
