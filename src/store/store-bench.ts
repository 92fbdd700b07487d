import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { TwinloopError } from '../domain/errors.js';
import type { EventStore, NewEvent } from './event-store.js';

/** What one append benchmark measured. */
export interface AppendRate {
  events: number;
  seconds: number;
  eventsPerSecond: number;
}

/**
 * Appends `events` in consecutive batches of `batchSize`, each awaited (as the intake does), and
 * reports the rate. Ids already in the store count as appended, so use fresh events for a fair run.
 */
export async function measureAppendRate(store: EventStore, events: readonly NewEvent[], batchSize: number): Promise<AppendRate> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new TwinloopError('BAD_INPUT', `batchSize must be a positive integer, got ${batchSize}`);
  }
  const started = performance.now();
  for (let i = 0; i < events.length; i += batchSize) {
    await store.append(events.slice(i, i + batchSize));
  }
  const seconds = (performance.now() - started) / 1_000;
  return { events: events.length, seconds, eventsPerSecond: seconds > 0 ? events.length / seconds : 0 };
}

/** Event spacing in the synthetic stream: a busy operator's aggregate usage feed. */
const STEP_MS = 10;

/** Start of the synthetic stream; fixed so runs differ only in their random ids. */
const START_MS = Date.UTC(2026, 0, 1);

/** How synthetic ids are made: per-run counters as mediation systems and the sandbox emit, or random UUIDs (worst case for the id index). */
export type SyntheticIdStyle = 'counter' | 'uuid';

/**
 * `n` usage events (~250-byte JSON bodies) spread round-robin over `customers` customers, with a
 * SHA-256 hash like the intake's. Ids are unique across calls (a random run prefix), so repeated
 * runs against one store measure real writes.
 */
export function makeSyntheticEvents(n: number, customers: number, idStyle: SyntheticIdStyle = 'counter'): NewEvent[] {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(customers) || customers < 1) {
    throw new TwinloopError('BAD_INPUT', `need n >= 0 and customers >= 1 (integers), got n=${n}, customers=${customers}`);
  }
  const run = randomBytes(4).toString('hex');
  const events: NewEvent[] = [];
  for (let i = 0; i < n; i++) {
    const id = idStyle === 'uuid' ? randomUUID() : `med-${run}-${i}`;
    const customer = String(i % customers).padStart(7, '0');
    const customerId = `CUST-${customer}`;
    const time = START_MS + i * STEP_MS;
    const envelope = {
      id,
      customerId,
      kind: 'usage',
      time: new Date(time).toISOString(),
      source: 'mediation',
      v: 1,
      data: {
        subscriptionId: `SUB-${customer}`,
        dataMb: Math.round(((i * 7919) % 5_000) * 10.7) / 10,
        voiceMin: (i * 31) % 120,
        sms: (i * 17) % 40,
        roaming: i % 23 === 0,
      },
    };
    const hash = createHash('sha256').update(JSON.stringify(envelope)).digest('hex');
    const receivedAt = time + 250;
    const body = JSON.stringify({ ...envelope, receivedAt: new Date(receivedAt).toISOString() });
    events.push({ id, customerId, kind: 'usage', time, receivedAt, body, hash });
  }
  return events;
}
