import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// Relative asset paths so dist/ works wherever the gateway serves it. Two pages: the game
// (index.html) and the operators' dashboard (dashboard.html, served at /dashboard).
export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, 'index.html'),
        dashboard: resolve(import.meta.dirname, 'dashboard.html'),
      },
    },
  },
});
