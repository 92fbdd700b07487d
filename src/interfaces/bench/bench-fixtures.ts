import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventSink } from '../../domain/event-sink.js';
import type { TwinEvent } from '../../domain/events.js';

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
