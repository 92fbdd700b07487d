import { isRetryable } from '../../domain/errors.js';
import type { EventStore, StoredEvent } from '../../store/event-store.js';
import type { TwinService } from '../../twin/twin-service.js';

/**
 * What the server reads back from the log once at start: each part that keeps something of the log
 * in memory (the lab's billing records, the decision service's contacts) names what it wants and
 * takes it from one pass, read a page at a time, instead of a read of its own.
 */

/** Events read per page of the log. */
const PAGE = 10_000;

/** Wait between tries of a page the store cannot give yet. */
const RETRY_MS = 5_000;

/** One consumer of a pass over the log: the kinds it takes, over which event times, and what it does with them. */
export interface LogConsumer {
  /** The kinds it takes: only their bodies are parsed. */
  readonly kinds: ReadonlySet<string>;
  /** Event time (ms) from which it takes them. */
  readonly fromMs: number;
  /** Event time (ms) before which it takes them (absent: no end). */
  readonly untilMs?: number;
  /** A page's events of its kinds and times, in log order. */
  take(events: readonly StoredEvent[]): void;
  /** Told when the server's pass failed (`startLogPass`; the store's words): it says what it goes without. */
  onFailed?(reason: string): void;
  /** Told once the server's pass has read the log through (`startLogPass`; at once on a first start): every page it takes has been handed. */
  onRead?(): void;
}

/**
 * Hands every consumer the events of the log up to `throughSeq` (all of it when absent) that it
 * takes, a page at a time. The whole log is read: neither seq nor the time an event was received
 * follows event time (a backfill receives a year of history at once; a server that ran the sandbox
 * ahead of the wall clock and restarted on it received later events at earlier times), so no seq
 * can be known to start a window. `read` gives a page after a seq (the store's readLog by default).
 */
export async function passOverLog(
  store: Pick<EventStore, 'readLog'>,
  consumers: readonly LogConsumer[],
  o: { throughSeq?: number; read?: (after: number) => ReturnType<EventStore['readLog']>; onProgress?: (seq: number) => void } = {},
): Promise<void> {
  const { throughSeq = Infinity, read = (after) => store.readLog(after, PAGE), onProgress } = o;
  let after = 0;
  while (after < throughSeq) {
    const page = await read(after);
    if (page.length === 0) return;
    const taken = consumers.map((): StoredEvent[] => []);
    for (const e of page) {
      if (e.seq > throughSeq) break;
      consumers.forEach((c, i) => {
        if (c.kinds.has(e.kind) && e.time >= c.fromMs && e.time < (c.untilMs ?? Infinity)) taken[i].push(e);
      });
    }
    consumers.forEach((c, i) => taken[i].length > 0 && c.take(taken[i]));
    if (page[page.length - 1].seq > throughSeq) return;
    after = page[page.length - 1].seq;
    onProgress?.(after);
    // The embedded store answers synchronously: without a turn of the event loop between pages, a
    // restarted server's read of a year's log (31 s on the default world at load 15) held it
    // whole, and the server listened only after it (decision 0025).
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * A page of the log, waiting while the store says it will come (UNAVAILABLE: the first start's
 * history still being written behind, decision 0021; a busy database): read once at start, a
 * restarted server's ledgers would otherwise stay without the log's records for months. The
 * server's alone: its timer does not hold a process that has nothing else to do.
 */
async function readLogWaiting(store: Pick<EventStore, 'readLog'>, after: number): Promise<Awaited<ReturnType<EventStore['readLog']>>> {
  for (;;) {
    try {
      return await store.readLog(after, PAGE);
    } catch (err) {
      if (!isRetryable(err)) throw err;
      await new Promise((r) => setTimeout(r, RETRY_MS).unref());
    }
  }
}

/** How far the start's pass over the log is (log seqs read of those to read), and why it failed if it did. */
export interface StartLogProgress {
  readonly done: boolean;
  readonly readSeq: number;
  readonly throughSeq: number;
  /** The log could not be read: the store's words. */
  readonly failed?: string;
}

/** The server's pass over what the log held at start. */
export interface StartLogPass {
  /** Resolves once the pass is over (at once on a first start, with nothing in the log); never rejects. */
  readonly loaded: Promise<void>;
  progress(): StartLogProgress;
}

/**
 * Reads, in the background, the log up to the seq the twins had applied at start, once, for every
 * consumer: what the intake applies from then on reaches them from the intake (split by seq, so
 * nothing counts twice). A read the store refuses for now is waited out; one that fails is over:
 * `progress` says why, and each consumer is told.
 */
export function startLogPass(twins: Pick<TwinService, 'store' | 'appliedSeq'>, consumers: readonly LogConsumer[]): StartLogPass {
  const throughSeq = twins.appliedSeq();
  let readSeq = 0;
  let done = throughSeq === 0;
  let failed: string | undefined;
  const read = () => {
    for (const c of consumers) c.onRead?.();
  };
  const loaded =
    throughSeq === 0
      ? Promise.resolve().then(read)
      : passOverLog(twins.store, consumers, { throughSeq, read: (after) => readLogWaiting(twins.store, after), onProgress: (seq) => (readSeq = seq) })
          .then(read)
          .catch((err: Error) => {
            failed = err.message;
            for (const c of consumers) c.onFailed?.(err.message);
          })
          .finally(() => (done = true));
  return { loaded, progress: () => ({ done, readSeq: Math.min(readSeq, throughSeq), throughSeq, ...(failed === undefined ? {} : { failed }) }) };
}

/**
 * What a caller waiting for the pass says it waits for: how much of the log's records from before
 * the start is read (a simulation run after a restart, which would otherwise sit at 0 %).
 */
export function startLogWaiting(p: StartLogProgress): string {
  const share = p.throughSeq === 0 ? 1 : p.readSeq / p.throughSeq;
  return `the log's records from before the server started (billing, contacts, incidents, interactions): ${Math.floor(share * 100)} % read (${p.readSeq.toLocaleString('en-US')} of ${p.throughSeq.toLocaleString('en-US')})`;
}
