import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventSink } from '../../domain/event-sink.js';
import type { TwinEvent } from '../../domain/events.js';
import { intOption } from '../cli/cli-numbers.js';

/** Runs `work` in a fresh folder under the system's temp dir (the bench's throw-away stores), removed after, whatever happens. */
export async function inTempDir<T>(prefix: string, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), `twinloop-${prefix}-`));
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Events per submit when a bench loads its workload: big enough for group commit, small enough for flat memory. */
const LOAD_BATCH = 5_000;

/** Submits `events` to `sink` in batches, each awaited (a bench's set-up, not what it times); returns how many. */
export async function submitInBatches(sink: EventSink, events: Iterable<TwinEvent>): Promise<number> {
  let count = 0;
  let batch: TwinEvent[] = [];
  for (const e of events) {
    batch.push(e);
    if (batch.length === LOAD_BATCH) {
      await sink.submit(batch);
      count += batch.length;
      batch = [];
    }
  }
  await sink.submit(batch);
  return count + batch.length;
}

/** The sandbox world a bench of the first start runs on: `--world`, `--customers`, `--months`, `--seed` (defaults per bench). */
export function worldOptions(defaults: { customers: number; months: number }) {
  return [
    { flags: '--world <name>', description: 'built-in world', default: 'default' },
    { flags: '--customers <n>', description: 'population', parse: intOption('--customers', 1), default: defaults.customers },
    { flags: '--months <m>', description: 'months of history', parse: intOption('--months', 1), default: defaults.months },
    { flags: '--seed <n>', description: 'world seed', parse: intOption('--seed', 1), default: 1 },
  ];
}
