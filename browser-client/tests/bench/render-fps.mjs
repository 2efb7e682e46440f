// Measures the renderer's frame rate with 200 figures in view in headless Chromium: bundles
// render-scene.ts (esbuild, from Vite's dependencies) and runs it RUNS times, printing each run
// and the median and spread of the frame rates. Usage (in browser-client/):
//   node tests/bench/render-fps.mjs [runs=3] [extra query, e.g. cave]
// The frame rate is capped at the display's 60 Hz; UNCAPPED=1 lifts the cap (how much room is left).
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(resolve(here, '../../package.json'));
const esbuild = require('esbuild');
const { chromium } = require('playwright-core');

const runs = Number(process.argv[2] ?? 3);
const query = process.argv[3] ?? '';
const bundle = await esbuild.build({ entryPoints: [resolve(here, 'render-scene.ts')], bundle: true, write: false, format: 'iife', target: 'es2022' });
const script = bundle.outputFiles[0].text;

const results = [];
for (let i = 0; i < runs; i++) {
  // The same flags as the end-to-end tests (tests/e2e/harness.ts): software rendering, no GPU.
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...(process.env.UNCAPPED === '1' ? ['--disable-frame-rate-limit', '--disable-gpu-vsync'] : []),
    ],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // A page with a URL (the scene reads its query), then the scene's script.
  await page.route('http://bench.local/**', (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><body></body>' }));
  await page.goto(`http://bench.local/?${query}`);
  await page.addScriptTag({ content: script });
  await page.waitForFunction(() => window.benchResult !== undefined || false, undefined, { timeout: 60_000 }).catch(() => undefined);
  const result = await page.evaluate(() => window.benchResult);
  await browser.close();
  if (result === undefined) {
    throw new Error(`no result: ${errors.join('\n')}`);
  }
  console.log(`run ${i + 1}: ${JSON.stringify(result)}`);
  results.push(result);
}
const fps = results.map((r) => r.fps).sort((a, b) => a - b);
const median = fps[Math.floor(fps.length / 2)];
console.log(`fps: median ${median.toFixed(1)}, min ${fps[0].toFixed(1)}, max ${fps[fps.length - 1].toFixed(1)} over ${runs} runs`);
