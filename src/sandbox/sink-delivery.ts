import type { EventSink, RecordOutcome } from '../domain/event-sink.js';
import type { TwinEvent } from '../domain/events.js';
import { TwinloopError } from '../domain/errors.js';

/**
 * Batches a backfill keeps in the intake at once: enough that the next day is generated and
 * checked while the last one commits, few enough (20,000 events at 5,000 a batch) to stay far
 * below the intake's queue bound, so a backfill never crowds out other producers.
 */
export const INTAKE_DELIVERY_WINDOW = 4;

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
        if (!isOverloaded(err)) throw err;
        tally.retries++;
        await sleep(wait);
        wait = Math.min(BACKOFF_MAX_MS, wait * 2);
      }
    }
    count(outcomes, tally);
  }
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
 * submitted. A sink that may refuse later must be given a window of 1. `then`
 * callbacks run once every batch submitted before them is answered: a producer records its
 * position there, never ahead of what the sink took.
 */
export class DeliveryWindow {
  private readonly inFlight: InFlight[] = [];

  constructor(
    private readonly sink: EventSink,
    private readonly batchSize: number,
    readonly tally: DeliveryTally,
    private readonly window: number,
  ) {
    if (!(window >= 1) || !(batchSize >= 1)) throw new TwinloopError('BAD_INPUT', 'delivery window and batch size must be at least 1');
  }

  /** Submits `events` in batches, waiting only while the window is full. */
  async send(events: readonly TwinEvent[]): Promise<void> {
    for (let from = 0; from < events.length; from += this.batchSize) {
      while (this.inFlight.length >= this.window) await this.settleOldest();
      const batch = events.slice(from, from + this.batchSize);
      let wait = BACKOFF_START_MS;
      for (;;) {
        try {
          const answer = this.sink.submit(batch);
          // Handled when its turn comes; marked now so a failure meanwhile is not reported as unhandled.
          answer.catch(() => {});
          this.inFlight.push({ batch, answer, after: [] });
          break;
        } catch (err) {
          if (!isOverloaded(err)) throw err;
          this.tally.retries++;
          if (this.inFlight.length) await this.settleOldest();
          else {
            await sleep(wait);
            wait = Math.min(BACKOFF_MAX_MS, wait * 2);
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
    let wait = BACKOFF_START_MS;
    for (;;) {
      try {
        outcomes = await head.answer;
        break;
      } catch (err) {
        // A sink that refuses after submission is asked again, unless later batches went in
        // meanwhile: taking this one after them could reorder a customer's events.
        if (!isOverloaded(err) || this.inFlight.length > 1) {
          this.inFlight.length = 0;
          throw isOverloaded(err) ? new TwinloopError('INTERNAL', 'the sink refused a batch after later ones were submitted; deliver to it with a window of 1', { cause: err }) : err;
        }
        this.tally.retries++;
        await sleep(wait);
        wait = Math.min(BACKOFF_MAX_MS, wait * 2);
        head.answer = this.sink.submit(head.batch);
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
