import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from '../../src/interfaces/runtime/open-twins.js';

/**
 * Ports the e2e servers listen on: below Linux's ephemeral range (32768–60999), so no outgoing
 * connection on the machine takes one as its source port while a killed server restarts on it
 * (the old range, 20000–40000, overlapped it); above the ports people and helpers use by hand.
 */
const DEFAULT_RANGE = [20_000, 32_000] as const;
/** `TWINLOOP_TEST_PORTS=18500-18509` keeps a run's servers inside a range of its own (several people testing on one machine). */
const RANGE_ENV = 'TWINLOOP_TEST_PORTS';

function portRange(): readonly [number, number] {
  const text = process.env[RANGE_ENV];
  if (!text) return DEFAULT_RANGE;
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  const range = m ? ([Number(m[1]), Number(m[2])] as const) : null;
  if (!range || range[0] < 1024 || range[1] > 65_535 || range[0] > range[1]) throw new Error(`${RANGE_ENV}=${text}: expected FIRST-LAST, two ports from 1024 to 65535, the first not above the last`);
  return range;
}
const [FIRST, LAST] = portRange();
/** Where the ports are claimed across test processes (vitest runs files in parallel forks). */
const CLAIMS = join(tmpdir(), 'twinloop-test-ports');

const claimed: string[] = [];
let cleanupRegistered = false;

/** Takes `file` for this process: a fresh claim, or one whose process is gone. */
function claim(file: string): boolean {
  try {
    const fd = openSync(file, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const holder = Number(readFileSync(file, 'utf8').trim() || 0);
  if (holder && processAlive(holder)) return false;
  // A claim left by a process that died: freed, then taken like a fresh one (another process may win it).
  rmSync(file, { force: true });
  return claim(file);
}

/** Answers whether nothing listens on `port` now, by listening on it for a moment. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * A port for a test's server, kept for this process's lifetime so the server can be killed and
 * started again on it: claimed by a file in the temp dir that no other test process takes while
 * this one lives (released when it exits, or taken over once it is dead), and free when chosen.
 */
export async function testPort(): Promise<number> {
  mkdirSync(CLAIMS, { recursive: true });
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    process.once('exit', () => {
      for (const file of claimed) rmSync(file, { force: true });
    });
  }
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = FIRST + Math.floor(Math.random() * (LAST - FIRST + 1));
    const file = join(CLAIMS, String(port));
    if (!claim(file)) continue;
    if (await bindable(port)) {
      claimed.push(file);
      return port;
    }
    rmSync(file, { force: true });
  }
  throw new Error(`no free port between ${FIRST} and ${LAST} after 200 tries (claims in ${CLAIMS})`);
}
