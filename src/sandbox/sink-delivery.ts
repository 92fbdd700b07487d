import type { EventSink, RecordOutcome } from '../domain/event-sink.js';
import type { TwinEvent } from '../domain/events.js';
import { TwinloopError } from '../domain/errors.js';

/** Backoff after an OVERLOADED answer: starts at 20 ms, doubles, capped at 2 s. */
const BACKOFF_START_MS = 20;
const BACKOFF_MAX_MS = 2000;

/** What the intake answered over a run. */
export interface DeliveryTally {
  accepted: number;
  duplicate: number;
  rejected: number;
  /** The first few rejection reasons, for diagnosis. */
  rejections: string[];
  /** How many times the intake said OVERLOADED and we waited. */
  retries: number;
}

/** An empty tally. */
export function emptyTally(): DeliveryTally {
  return { accepted: 0, duplicate: 0, rejected: 0, rejections: [], retries: 0 };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Hands events to the sink in batches, awaiting each (backpressure), waiting and retrying the
 * same batch when the intake answers OVERLOADED. Any other error stops the run.
 */
export async function deliver(sink: EventSink, events: readonly TwinEvent[], batchSize: number, tally: DeliveryTally): Promise<void> {
  for (let from = 0; from < events.length; from += batchSize) {
    const batch = events.slice(from, from + batchSize);
    let wait = BACKOFF_START_MS;
    let outcomes: RecordOutcome[];
    for (;;) {
      try {
        outcomes = await sink.submit(batch);
        break;
      } catch (err) {
        if (!(err instanceof TwinloopError) || err.code !== 'OVERLOADED') throw err;
        tally.retries++;
        await sleep(wait);
        wait = Math.min(BACKOFF_MAX_MS, wait * 2);
      }
    }
    for (const o of outcomes) {
      tally[o.status]++;
      if (o.status === 'rejected' && tally.rejections.length < 10) tally.rejections.push(`${o.id ?? '?'}: ${o.reason}`);
    }
  }
}
