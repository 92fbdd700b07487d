import { defineConfig } from 'vite';

/**
 * Builds the operator console (docs/decisions/0010-console-stack.md) from this folder into
 * `dist/console`, which the server answers at `/` and `/console/…` (console-routes.ts). Run from
 * the package root by `npm run build`; no plugin: Vite's own transformer compiles Preact's JSX.
 */
export default defineConfig({
  root: 'src/interfaces/console/web',
  base: '/console/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../../../../dist/console',
    emptyOutDir: true,
    target: 'es2022',
    // The console is small: one script and one style sheet load faster than a waterfall of chunks.
    chunkSizeWarningLimit: 300,
    reportCompressedSize: false,
  },
});
