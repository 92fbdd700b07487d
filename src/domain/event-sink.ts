import { isRetryable, type TwinloopError } from './errors.js';
import type { TwinEvent } from './events.js';

/** Per-record answer of the intake, in input order. */
export type RecordOutcome =
  | { status: 'accepted'; id: string }
  | { status: 'duplicate'; id: string }
  | {
      status: 'rejected';
      id?: string;
      reason: string;
      /** The same record may be taken later as it is: its time is ahead of the intake's clock, which will reach it. */
      retryable?: true;
    };

/**
 * Where producers (the sandbox, connectors, brokers) hand events to the ordinary intake. It
 * resolves once the accepted events are durable; it may reject the whole call with an
 * OVERLOADED TwinloopError when the intake's queue is full (retry later).
 */
export interface EventSink {
  submit(events: readonly TwinEvent[]): Promise<RecordOutcome[]>;
}

/**
 * How long (wall clock) a record the intake refuses as dated ahead of its clock (`retryable`) is kept
 * and offered again: a restart's world behind the last run's catches up within minutes at any live
 * speed; one that never does (a world reset under the same data) would be retried for ever.
 */
export const KEEP_REFUSED_MS = 15 * 60_000;

/**
 * Backoff after an answer to try again later (OVERLOADED, or a transient store failure such as a
 * busy database or a connection cut off: `isRetryable`): starts at 20 ms, doubles, capped at 2 s,
 * so a store back after an outage is used again within 2 s.
 */
export const SUBMIT_BACKOFF_START_MS = 20;
export const SUBMIT_BACKOFF_MAX_MS = 2000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Submits `events` and awaits the answer, again after a backoff while the sink answers "try again
 * later" (`isRetryable`); a permanent error is thrown at once. `first`: the failure of a submission
 * already made. `patienceMs`: once the waits add up to it, the next retryable failure is thrown
 * (forever by default). `onRetry` is told each failure before its wait.
 */
export async function submitUntilTaken(
  sink: EventSink,
  events: readonly TwinEvent[],
  o: { first?: unknown; patienceMs?: number; onRetry?: (err: TwinloopError) => void; sleep?: (ms: number) => Promise<void> } = {},
): Promise<RecordOutcome[]> {
  let wait = SUBMIT_BACKOFF_START_MS;
  let waited = 0;
  let err = o.first;
  for (;;) {
    if (err !== undefined) {
      if (!isRetryable(err) || waited >= (o.patienceMs ?? Number.POSITIVE_INFINITY)) throw err;
      o.onRetry?.(err as TwinloopError);
      await (o.sleep ?? sleep)(wait);
      waited += wait;
      wait = Math.min(SUBMIT_BACKOFF_MAX_MS, wait * 2);
    }
    try {
      return await sink.submit(events);
    } catch (e) {
      err = e;
    }
  }
}
