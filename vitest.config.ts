import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's own default is one fork fewer than the cores: on CI's two cores, one file at a time,
    // with the second core idle whenever a test waits on a server, a child process or a timer. CI
    // (`.ci/run` sets CI) runs a file per core; the files were written to share a machine (ports
    // claimed across processes, per-process stream and schema names), and a person's run on a
    // machine others share keeps the default.
    maxWorkers: process.env.CI ? Math.max(2, availableParallelism()) : undefined,
  },
});
