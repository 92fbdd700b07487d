import { SUBMIT_BACKOFF_MAX_MS, SUBMIT_BACKOFF_START_MS, submitUntilTaken, type EventSink, type RecordOutcome } from '../domain/event-sink.js';
import type { TwinEvent } from '../domain/events.js';
import { isRetryable, TwinloopError } from '../domain/errors.js';

/**
 * Batches a backfill keeps in the intake at once: enough that the next day is generated and
 * checked while the last one commits, few enough (20,000 events at 5,000 a batch) to stay far
 * below the intake's queue bound, so a backfill never crowds out other producers.
 */
export const INTAKE_DELIVERY_WINDOW = 4;

/** What the intake answered over a run. */
export interface DeliveryTally {
  accepted: number;
  duplicate: number;
  rejected: number;
  /** The first few rejection reasons, for diagnosis. */
  rejections: string[];
  /** How many times the sink answered "try again later" (OVERLOADED, or a transient failure) and we waited. */
  retries: number;
}

/** What a delivery does besides retrying: say so, once in a while, when the sink keeps failing. */
export interface DeliveryOptions {
  /** Called before each wait after a retryable failure other than OVERLOADED, with how many such failures came in a row. */
  onRetry?: (err: TwinloopError, attempt: number) => void;
}

/** An empty tally. */
export function emptyTally(): DeliveryTally {
  return { accepted: 0, duplicate: 0, rejected: 0, rejections: [], retries: 0 };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Hands events to the sink in batches, awaiting each (backpressure), waiting and retrying the
 * same batch while the sink answers "try again later" (`isRetryable`: overloaded, a busy or
 * locked database, a connection cut off), for as long as that lasts. A permanent error (bad
 * input, a closed store, a stop) stops the run.
 */
export async function deliver(sink: EventSink, events: readonly TwinEvent[], batchSize: number, tally: DeliveryTally, options: DeliveryOptions = {}): Promise<void> {
  for (let from = 0; from < events.length; from += batchSize) {
    count(await submitCounted(sink, events.slice(from, from + batchSize), tally, options), tally);
  }
}

/** Submits one batch and awaits its answer, again after a backoff while the failure is retryable (counted in the tally, said to `onRetry`). */
function submitCounted(sink: EventSink, batch: readonly TwinEvent[], tally: DeliveryTally, options: DeliveryOptions, first?: unknown): Promise<RecordOutcome[]> {
  let failures = 0;
  return submitUntilTaken(sink, batch, {
    first,
    onRetry: (err) => {
      tally.retries++;
      if (!isOverloaded(err)) options.onRetry?.(err, ++failures);
    },
  });
}

/** A batch handed to the sink and not yet answered, with what to run once it (and all before it) is answered. */
interface InFlight {
  readonly batch: readonly TwinEvent[];
  answer: Promise<RecordOutcome[]>;
  readonly after: (() => void)[];
}

/**
 * Hands events to the sink with up to `window` batches waiting in it at once, so that the sink
 * checks, writes and applies one batch while the next ones are produced and queued (one batch at
 * a time leaves the producer idle during every durable commit, and the store idle while the
 * producer works). Batches are submitted in order and the intake keeps that order; a batch the
 * sink refuses at once as OVERLOADED (as the intake does) is retried before any later batch is
 * submitted. A sink that may refuse later must be given a window of 1. A batch whose answer is a
 * transient failure (the store busy or cut off while it was written) is submitted again, after a
 * backoff, and every batch submitted after it is answered (and submitted again in order, if the
 * sink refused it too) before any new batch is submitted. The intake refuses whatever was
 * submitted before a failed write was answered, so nothing goes in ahead of the failed batch and
 * none of its events comes late (for a world of a few hundred customers, 4 batches are more than
 * the intake's 3 days of lateness). `then`
 * callbacks run once every batch submitted before them is answered: a producer records its
 * position there, never ahead of what the sink took.
 */
export class DeliveryWindow {
  private readonly inFlight: InFlight[] = [];
  /** A batch was sent again after a transient failure: the ones behind it are settled (sent again if refused) before anything new. */
  private resending = false;

  constructor(
    private readonly sink: EventSink,
    private readonly batchSize: number,
    readonly tally: DeliveryTally,
    private readonly window: number,
    private readonly options: DeliveryOptions = {},
  ) {
    if (!(window >= 1) || !(batchSize >= 1)) throw new TwinloopError('BAD_INPUT', 'delivery window and batch size must be at least 1');
  }

  /** Submits `events` in batches, waiting only while the window is full. */
  async send(events: readonly TwinEvent[]): Promise<void> {
    for (let from = 0; from < events.length; from += this.batchSize) {
      while (this.inFlight.length >= this.window) await this.settleOldest();
      if (this.resending) {
        await this.flush();
        this.resending = false;
      }
      const batch = events.slice(from, from + this.batchSize);
      let wait = SUBMIT_BACKOFF_START_MS;
      for (;;) {
        try {
          const answer = this.sink.submit(batch);
          // Handled when its turn comes; marked now so a failure meanwhile is not reported as unhandled.
          answer.catch(() => {});
          this.inFlight.push({ batch, answer, after: [] });
          break;
        } catch (err) {
          if (!isRetryable(err)) throw err;
          if (!isOverloaded(err)) {
            // Refused at submission for another reason: nothing of it went in, so it may be tried again (after what waits).
            await this.flush();
            count(await submitCounted(this.sink, batch, this.tally, this.options, err), this.tally);
            break;
          }
          this.tally.retries++;
          if (this.inFlight.length) await this.settleOldest();
          else {
            await sleep(wait);
            wait = Math.min(SUBMIT_BACKOFF_MAX_MS, wait * 2);
          }
        }
      }
    }
  }

  /** Runs `fn` once everything submitted so far is answered (at once when nothing waits). */
  then(fn: () => void): void {
    const last = this.inFlight[this.inFlight.length - 1];
    if (last) last.after.push(fn);
    else fn();
  }

  /** Waits for every batch submitted to be answered. */
  async flush(): Promise<void> {
    while (this.inFlight.length) await this.settleOldest();
  }

  private async settleOldest(): Promise<void> {
    const head = this.inFlight[0];
    let outcomes: RecordOutcome[];
    try {
      outcomes = await head.answer;
    } catch (err) {
      // A sink that says OVERLOADED after submission does so routinely: with later batches in,
      // taking this one after them would reorder a customer's events each time. A transient
      // failure is rare, and the batches after it are few (see above).
      if (!isRetryable(err) || (isOverloaded(err) && this.inFlight.length > 1)) {
        this.inFlight.length = 0;
        throw isOverloaded(err) ? new TwinloopError('INTERNAL', 'the sink refused a batch after later ones were submitted; deliver to it with a window of 1', { cause: err }) : err;
      }
      try {
        outcomes = await submitCounted(this.sink, head.batch, this.tally, this.options, err);
        this.resending = true;
      } catch (permanent) {
        this.inFlight.length = 0;
        throw permanent;
      }
    }
    this.inFlight.shift();
    count(outcomes, this.tally);
    for (const fn of head.after) fn();
  }
}

function isOverloaded(err: unknown): boolean {
  return err instanceof TwinloopError && err.code === 'OVERLOADED';
}

function count(outcomes: readonly RecordOutcome[], tally: DeliveryTally): void {
  for (const o of outcomes) {
    tally[o.status]++;
    if (o.status === 'rejected' && tally.rejections.length < 10) tally.rejections.push(`${o.id ?? '?'}: ${o.reason}`);
  }
}
