import { defineConfig } from 'vite';

// Relative asset paths so dist/ works wherever the gateway serves it.
export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
  },
});
