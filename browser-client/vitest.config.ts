import { defineConfig } from 'vitest/config';

// Unit tests only; the end-to-end tests have their own config (vitest.e2e.config.ts).
export default defineConfig({
  test: {
    include: ['tests/*.test.ts'],
    environment: 'node',
  },
});
