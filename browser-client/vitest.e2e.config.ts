import { defineConfig } from 'vitest/config';

// End-to-end: a real gateway binary and headless Chromium. Slow, so long timeouts, one file at
// a time.
export default defineConfig({
  test: {
    include: ['tests/e2e/*.e2e.ts'],
    globalSetup: ['tests/e2e/global-setup.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    maxWorkers: 1,
  },
});
