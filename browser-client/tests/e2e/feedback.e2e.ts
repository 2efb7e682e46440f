/**
 * Feedback in a real local world crowded with mobs (cells of 32 tiles with the default dozen
 * mobs each, so they find a new player at once): a player who stands and fights sees damage
 * numbers over the mobs it hits and over itself, hears the blows, and its minimap is drawn;
 * killed, it sees the death screen counting down until it respawns. And the sound settings:
 * M mutes, - lowers the volume, and both survive a reload.
 */

import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, joinAs, launchChromium, screenshot, screenshotAll, startLocalServer, waitForStatus, type RunningServer } from './harness';

let browser: Browser;
let server: RunningServer;
let pages: Page[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  server = await startLocalServer(60_000, ['--cell-tiles', '32', '--rebalance', 'off']);
});

afterAll(() => closeAll([], server, browser));

afterEach(async () => {
  await screenshotAll(pages, 'feedback');
  for (const page of pages) {
    await page.context().close();
  }
  pages = [];
});

/** A floating text as `window.__mmo.effects()` lists it. */
interface Text {
  style: string;
  text: string;
  x: number;
  y: number;
}

/**
 * Waits until floating texts of every style in `styles` have been on screen (checked every
 * frame, since each lives under a second); returns the first of each, with where the player
 * was drawn then (world pixels).
 */
async function waitForTexts(page: Page, styles: string[][], timeout: number): Promise<{ seen: Text[]; self: { x: number; y: number } }[]> {
  const handle = await page.waitForFunction(
    (wanted) => {
      const w = window as unknown as { __seen?: { seen: Text[]; self: { x: number; y: number } }[] };
      const found = (w.__seen ??= wanted.map(() => ({ seen: [], self: { x: 0, y: 0 } })));
      const texts = window.__mmo.effects();
      const drawn = window.__mmo.drawnSelf();
      wanted.forEach((anyOf, i) => {
        const t = texts.find((e) => anyOf.includes(e.style));
        if (found[i].seen.length === 0 && t !== undefined && drawn !== null) {
          found[i] = { seen: [t], self: { x: drawn.x * 16, y: drawn.y * 16 } };
        }
      });
      return found.every((f) => f.seen.length > 0) ? found : null;
    },
    styles,
    { timeout, polling: 'raf' },
  );
  return (await handle.jsonValue())!;
}

/** Non-transparent pixels of the minimap canvas, and whether the player's yellow dot is among them. */
function minimapPixels(page: Page): Promise<{ opaque: number; total: number; selfDot: boolean }> {
  return page.evaluate(() => {
    const canvas = document.getElementById('minimap') as HTMLCanvasElement;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let opaque = 0;
    let selfDot = false;
    for (let i = 0; i < data.length; i += 4) {
      opaque += data[i + 3] > 0 ? 1 : 0;
      selfDot ||= data[i] === 0xff && data[i + 1] === 0xe0 && data[i + 2] === 0x66;
    }
    return { opaque, total: data.length / 4, selfDot };
  });
}

describe('feedback', () => {
  it('a player fighting mobs sees damage numbers over them and itself, hears the blows, and has a minimap', async () => {
    const page = await joinAs(browser, server.url, 'fighter', 'websocket');
    pages = [page];
    // Holding attack is also the gesture that lets the page start audio.
    await page.keyboard.down('KeyJ');
    const [dealt, taken] = await waitForTexts(page, [['npc', 'kill'], ['self']], 90_000);
    await screenshot(page, 'feedback-numbers.png');
    expect(dealt.seen[0].text, "the player's blow: PLAYER_ATTACK_DAMAGE").toBe('12');
    expect(Number(taken.seen[0].text), 'a mob blow: 8 to 14').toBeGreaterThanOrEqual(8);
    // Over the player's head: close in x, above its feet.
    expect(Math.abs(taken.seen[0].x - taken.self.x)).toBeLessThan(12);
    expect(taken.seen[0].y).toBeLessThan(taken.self.y - 24);
    const audio = () => page.evaluate(() => window.__mmo.audio());
    expect(await audio()).toMatchObject({ running: true, muted: false });
    await expect.poll(async () => (await audio()).played.swing, { message: 'swings heard' }).toBeGreaterThan(0);
    await expect.poll(async () => (await audio()).played.hit, { message: 'blows landed heard' }).toBeGreaterThan(0);
    await expect.poll(async () => (await audio()).played.hurt, { message: 'blows taken heard' }).toBeGreaterThan(0);
    await page.keyboard.up('KeyJ');

    // The minimap shows terrain around the player, and the player on it; N hides and shows it.
    const map = await minimapPixels(page);
    expect(map.opaque, 'terrain drawn on most of the minimap').toBeGreaterThan(map.total / 2);
    expect(map.selfDot, "the player's dot").toBe(true);
    expect(await page.evaluate(() => window.__mmo.minimap().layerBuilds), 'the terrain layer is not rebuilt every frame').toBeLessThan(50);
    await page.keyboard.press('KeyN');
    await expect.poll(() => page.locator('#minimap').isHidden()).toBe(true);
    await page.keyboard.press('KeyN');
    await expect.poll(() => page.locator('#minimap').isVisible()).toBe(true);
  });

  it('a player killed by mobs sees the death screen count down, and it goes at the respawn', async () => {
    const page = await joinAs(browser, server.url, 'victim', 'websocket');
    pages = [page];
    await page.keyboard.press('KeyA'); // a gesture: audio on
    // Standing still among the mobs without fighting back: they will kill it.
    await page.waitForFunction(() => window.__mmo.deathScreen, undefined, { timeout: 90_000, polling: 100 });
    await screenshot(page, 'feedback-death.png');
    expect(await page.locator('#death h2').textContent()).toBe('You died');
    expect(await page.locator('#death-countdown').textContent()).toMatch(/^Respawning in [1-3]…$|^Respawning…$/);
    await expect.poll(() => page.evaluate(() => window.__mmo.audio().played.death)).toBeGreaterThan(0);
    // PLAYER_RESPAWN_TICKS (3 s at 20 Hz) later the player is back, and the screen gone.
    await page.waitForFunction(() => !window.__mmo.deathScreen, undefined, { timeout: 20_000, polling: 100 });
    expect(await page.locator('#death').isHidden()).toBe(true);
    expect(await page.evaluate(() => window.__mmo.events().respawn)).toBeGreaterThan(0);
    await expect.poll(() => page.evaluate(() => window.__mmo.audio().played.respawn)).toBeGreaterThan(0);
  });

  it('M mutes and - lowers the volume; both are kept across a reload', async () => {
    const page = await joinAs(browser, server.url, 'listener', 'websocket');
    pages = [page];
    expect(await page.evaluate(() => window.__mmo.audio())).toMatchObject({ muted: false, volume: 0.6 });
    await page.keyboard.press('Minus');
    await page.keyboard.press('Minus');
    await page.keyboard.press('KeyM');
    await expect.poll(() => page.evaluate(() => window.__mmo.audio())).toMatchObject({ muted: true, volume: 0.4, running: false });
    expect(await page.textContent('#hud-volume-text')).toBe('muted');
    expect(await page.evaluate(() => [localStorage.getItem('mmo.muted'), localStorage.getItem('mmo.volume')])).toEqual(['true', '0.4']);

    await page.reload();
    await waitForStatus(page, 'playing');
    expect(await page.evaluate(() => window.__mmo.audio()), 'as left before the reload').toMatchObject({ muted: true, volume: 0.4 });
    await expect.poll(() => page.textContent('#hud-volume-text')).toBe('muted');
    expect(await page.locator('#hud-mute').getAttribute('class')).toContain('muted');

    await page.keyboard.press('KeyM');
    await expect.poll(() => page.evaluate(() => window.__mmo.audio())).toMatchObject({ muted: false, volume: 0.4, running: true });
    await expect.poll(() => page.textContent('#hud-volume-text')).toBe('40%');
  });
});
