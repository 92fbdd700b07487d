import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Whether the environment says this is CI, by the usual convention (std-env's, ci-info's): `CI`
 * set to anything but empty, `false` or `0`. A truthiness test read `CI=false` (a person turning
 * it off, a tool that writes it) as CI, and ran a file per core on a machine others share.
 */
export function isCi(env: Readonly<Record<string, string | undefined>>): boolean {
  const v = env.CI?.trim().toLowerCase();
  return v !== undefined && v !== '' && v !== 'false' && v !== '0';
}

/**
 * Vitest's own default is one fork fewer than the cores: on CI's two cores, one file at a time,
 * with the second core idle whenever a test waits on a server, a child process or a timer. CI
 * (`.ci/run` sets CI) runs a file per core; the files were written to share a machine (ports
 * claimed across processes, per-process stream and schema names), and a person's run on a
 * machine others share keeps the default (undefined).
 */
export function maxWorkersFor(env: Readonly<Record<string, string | undefined>>, cores: number): number | undefined {
  return isCi(env) ? Math.max(2, cores) : undefined;
}

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: maxWorkersFor(process.env, availableParallelism()),
  },
});
