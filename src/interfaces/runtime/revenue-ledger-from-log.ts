import type { EventStore } from '../../store/event-store.js';
import type { TwinEvent } from '../../domain/events.js';
import type { TwinService } from '../../twin/twin-service.js';
import { DAY_MS, DAYS_PER_MONTH } from '../../domain/time.js';
import { isRetryable } from '../../domain/errors.js';
import { RevenueLedger } from '../../simulation/index.js';

/**
 * The billing records (bills and top-ups) the lab reads each twin's revenue noise from, whoever
 * runs it: the server keeps them as its intake applies them and, after a restart, reads the ones
 * already in the log (`keepRevenueLedger`); `twinloop simulate FILE`, which opens the store
 * afterwards, reads them all from the log (`revenueLedgerFromLog`).
 */

/** Events read per page of the log. */
const PAGE = 10_000;

/** Months of records kept: `RevenueLedger`'s default (`revenueSd`'s 6 and a part month). */
const KEEP_MONTHS = 7;
const KEEP_MS = KEEP_MONTHS * DAYS_PER_MONTH * DAY_MS;

/**
 * Adds to `ledger` every bill and top-up of the log whose event time is in [fromMs, untilMs) and
 * whose seq is at most `throughSeq`. The whole log is read: neither seq nor the time an event was
 * received follows event time (a backfill receives a year of history at once; a server that ran
 * the sandbox ahead of the wall clock and restarted on it received later events at earlier
 * times), so no seq can be known to start the window. Only the two kinds' bodies are parsed.
 */
async function addRevenueFromLog(
  ledger: RevenueLedger,
  store: Pick<EventStore, 'readLog'>,
  window: { fromMs: number; untilMs?: number; throughSeq?: number },
  read: (store: Pick<EventStore, 'readLog'>, after: number) => ReturnType<EventStore['readLog']>,
  onProgress?: (seq: number) => void,
  contacts?: LogContacts,
): Promise<void> {
  const { fromMs, untilMs = Infinity, throughSeq = Infinity } = window;
  let after = 0;
  while (after < throughSeq) {
    const page = await read(store, after);
    if (page.length === 0) return;
    const seen: TwinEvent[] = [];
    for (const e of page) {
      if (e.seq > throughSeq) break;
      if (contacts && (e.kind === 'offer' || e.kind === 'action') && e.time >= contacts.fromMs) seen.push(JSON.parse(e.body) as TwinEvent);
      if ((e.kind !== 'bill' && e.kind !== 'topup') || e.time < fromMs || e.time >= untilMs) continue;
      const amount = (JSON.parse(e.body) as { data?: { amount?: unknown } }).data?.amount;
      if (typeof amount === 'number') ledger.add({ customerId: e.customerId, timeMs: e.time, amount });
    }
    if (seen.length > 0) contacts!.remember(seen);
    if (page[page.length - 1].seq > throughSeq) return;
    after = page[page.length - 1].seq;
    onProgress?.(after);
    // The embedded store answers synchronously: without a turn of the event loop between pages, a
    // restarted server's read of a year's log (31 s on the default world at load 15) held it
    // whole, and the server listened only after it (decision 0025).
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Wait between tries of a page the store cannot give yet. */
const RETRY_MS = 5_000;

/**
 * A page of the log, waiting while the store says it will come (UNAVAILABLE: the first start's
 * history still being written behind, decision 0021; a busy database): read once at start, a
 * restarted server's ledger would otherwise stay without the log's records for 3 months. The
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

/**
 * A ledger of every bill and top-up of the log in the `KEEP_MONTHS` months before `untilMs`, for a
 * command that opened the store itself (`twinloop simulate FILE`). A log the store cannot give yet
 * (the first start's history not yet written behind: only a server writes it) is refused
 * UNAVAILABLE with the store's reason. It waited for it on a timer that holds no process: the
 * command then exited 0 having printed nothing.
 */
export async function revenueLedgerFromLog(store: Pick<EventStore, 'readLog'>, untilMs: number, onProgress?: (seq: number) => void): Promise<RevenueLedger> {
  const ledger = new RevenueLedger(KEEP_MONTHS);
  await addRevenueFromLog(ledger, store, { fromMs: untilMs - KEEP_MS, untilMs }, (s, after) => s.readLog(after, PAGE), onProgress);
  return ledger;
}

/**
 * Months of the intake's own billing records after which each twin's revenue noise no longer needs
 * the log's: `revenueSd` leaves a customer's first (part) month out and wants three after it.
 */
const MONTHS_TO_MAKE_UP = 4;

/** How far the server's ledger is from holding the log's billing records (`KeptRevenueLedger.progress`). */
export interface RevenueLedgerProgress {
  readonly done: boolean;
  readonly readSeq: number;
  readonly throughSeq: number;
  /** The log's records could not be read: why, and from when (event time, ms) the intake's own records make up for them. */
  readonly failed?: { readonly reason: string; readonly madeUpAt: number };
}

/**
 * What a simulation on the ledger goes without at event time `nowMs`, in words (undefined: nothing):
 * the log's records still being read after a restart, or their read failed and the intake's own
 * records do not cover the months the noise is read on yet. An intent's plan keeps it as a caveat;
 * a failed read said nothing, and the plan read as if its net value's interval were whole.
 */
export function revenueCaveat(progress: RevenueLedgerProgress, nowMs: number): string | undefined {
  const gap = "the net value's interval leaves out how each twin's bills vary month to month";
  if (!progress.done) {
    return `planned without the twins' revenue noise: the billing records of the log are still being read after the restart (${Math.floor((100 * progress.readSeq) / Math.max(1, progress.throughSeq))} % of the log), so ${gap}`;
  }
  if (progress.failed && nowMs < progress.failed.madeUpAt) {
    return `planned without the twins' revenue noise: the billing records of the log could not be read after the restart (${progress.failed.reason}), so ${gap} until ${MONTHS_TO_MAKE_UP} months of new records are in (${new Date(progress.failed.madeUpAt).toISOString().slice(0, 10)}, world time)`;
  }
  return undefined;
}

/**
 * Who hears, in the same read, of the contacts the log held at start (offers presented and
 * answered, marketing messages delivered) from `fromMs` (event time) on: the decision service's
 * contact ledger, fed only by the intake, forgot at each restart every offer a customer holds
 * (`offer-in-force`) and every contact the caps count.
 */
export interface LogContacts {
  readonly fromMs: number;
  remember(events: readonly TwinEvent[]): void;
}

/** The server's ledger, and when the records the log held at start are in it. */
export interface KeptRevenueLedger {
  readonly ledger: RevenueLedger;
  /** Resolves once the log's records from before the start are read (at once on a first start); never rejects. */
  readonly loaded: Promise<void>;
  /**
   * Whether the log's records are in, and how far the read is (log seqs read of those to read):
   * what a caller that does not wait for them (an intent's planning) says it went without. A read
   * that failed is done too, with why, and when the intake's own records make up for it (`failed`).
   */
  progress(): RevenueLedgerProgress;
  /** Stops taking the intake's records. */
  detach(): void;
}

/**
 * The server's ledger: every bill and top-up the intake applies from now on, and, read from the
 * log in the background, those of the `KEEP_MONTHS` months before the event clock that it held
 * already. Filled only from the intake, a restarted server's ledger was empty, and each twin's
 * revenue noise, which needs 3 months of its records, was left out of the lab's intervals for the
 * next 3 months. The split is by seq (the log's up to the one applied at start, the intake's after
 * it), so no record counts twice.
 */
export function keepRevenueLedger(twins: Pick<TwinService, 'intake' | 'store' | 'engine' | 'appliedSeq'>, log: (line: string) => void, contacts?: { readonly days: number; remember(events: readonly TwinEvent[]): void }): KeptRevenueLedger {
  const ledger = new RevenueLedger(KEEP_MONTHS);
  const throughSeq = twins.appliedSeq();
  const detach = twins.intake.onApplied((batch) => {
    for (const { event: e, seq } of batch) if (seq > throughSeq && (e.kind === 'bill' || e.kind === 'topup')) ledger.add({ customerId: e.customerId, timeMs: Date.parse(e.time), amount: e.data.amount });
  });
  let readSeq = 0;
  let done = throughSeq === 0;
  let failed: RevenueLedgerProgress['failed'];
  const startedAt = twins.engine.eventClock;
  const loaded =
    throughSeq === 0
      ? Promise.resolve()
      : addRevenueFromLog(ledger, twins.store, { fromMs: startedAt - KEEP_MS, throughSeq }, readLogWaiting, (seq) => (readSeq = seq), contacts && { fromMs: startedAt - contacts.days * DAY_MS, remember: contacts.remember })
          .catch((err: Error) => {
            failed = { reason: err.message, madeUpAt: startedAt + MONTHS_TO_MAKE_UP * DAYS_PER_MONTH * DAY_MS };
            log(`simulation lab: the billing records in the log could not be read (${err.message}); its revenue intervals leave out the twins' revenue noise until ${MONTHS_TO_MAKE_UP} months of new records are in`);
          })
          .finally(() => (done = true));
  return { ledger, loaded, detach, progress: () => ({ done, readSeq: Math.min(readSeq, throughSeq), throughSeq, ...(failed ? { failed } : {}) }) };
}
