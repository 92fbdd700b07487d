import type { EventStore, StoredEvent } from '../../store/event-store.js';
import type { IncidentLedger } from '../../simulation/index.js';
import { incidentsInto } from './incidents-from-log.js';
import type { TwinService } from '../../twin/twin-service.js';
import { DAY_MS, DAYS_PER_MONTH } from '../../domain/time.js';
import { RevenueLedger } from '../../simulation/index.js';
import { passOverLog, type LogConsumer, type StartLogProgress } from './start-log-pass.js';

/**
 * The billing records (bills and top-ups) the lab reads each twin's revenue noise from, whoever
 * runs it: the server keeps them as its intake applies them and, after a restart, takes the ones
 * already in the log from the start's pass over it (`keepRevenueLedger`, `startLogPass`);
 * `twinloop simulate FILE`, which opens the store afterwards, reads them all from the log
 * (`revenueLedgerFromLog`).
 */

/** Months of records kept: `RevenueLedger`'s default (`revenueSd`'s 6 and a part month). */
const KEEP_MONTHS = 7;
const KEEP_MS = KEEP_MONTHS * DAYS_PER_MONTH * DAY_MS;

const BILLING_KINDS: ReadonlySet<string> = new Set(['bill', 'topup']);

/** The consumer that adds every bill and top-up of the log with an event time in [fromMs, untilMs) to `ledger`: only their bodies are parsed. */
function billingRecordsInto(ledger: RevenueLedger, fromMs: number, untilMs?: number): LogConsumer {
  return {
    kinds: BILLING_KINDS,
    fromMs,
    ...(untilMs === undefined ? {} : { untilMs }),
    take(events: readonly StoredEvent[]) {
      for (const e of events) {
        const amount = (JSON.parse(e.body) as { data?: { amount?: unknown } }).data?.amount;
        if (typeof amount === 'number') ledger.add({ customerId: e.customerId, timeMs: e.time, amount });
      }
    },
  };
}

/**
 * A ledger of every bill and top-up of the log in the `KEEP_MONTHS` months before `untilMs`, for a
 * command that opened the store itself (`twinloop simulate FILE`). A log the store cannot give yet
 * (the first start's history not yet written behind: only a server writes it) is refused
 * UNAVAILABLE with the store's reason. It waited for it on a timer that holds no process: the
 * command then exited 0 having printed nothing.
 */
export async function revenueLedgerFromLog(store: Pick<EventStore, 'readLog'>, untilMs: number, onProgress?: (seq: number) => void, incidents?: IncidentLedger): Promise<RevenueLedger> {
  const ledger = new RevenueLedger(KEEP_MONTHS);
  // `incidents`, when given, takes the log's incidents and churn of the year before in the same pass.
  await passOverLog(store, [billingRecordsInto(ledger, untilMs - KEEP_MS, untilMs), ...(incidents ? [incidentsInto(incidents, untilMs)] : [])], { onProgress });
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

/** The server's ledger: the intake's billing records, and the log's from the start's pass. */
export interface KeptRevenueLedger {
  readonly ledger: RevenueLedger;
  /** Its consumer of the start's pass over the log (`startLogPass`): the records of the `KEEP_MONTHS` months before the start. */
  readonly fromLog: LogConsumer;
  /**
   * Whether the log's records are in, from the start pass's progress, and how far the read is: what
   * a caller that does not wait for them (an intent's planning) says it went without. A read that
   * failed is done too, with why, and when the intake's own records make up for it (`failed`).
   */
  progress(pass: StartLogProgress): RevenueLedgerProgress;
  /** Stops taking the intake's records. */
  detach(): void;
}

/**
 * The server's ledger: every bill and top-up the intake applies from now on, and, through its
 * consumer of the start's pass over the log (`fromLog`), those of the `KEEP_MONTHS` months before
 * the event clock that it held already. Filled only from the intake, a restarted server's ledger
 * was empty, and each twin's revenue noise, which needs 3 months of its records, was left out of
 * the lab's intervals for the next 3 months. The split is by seq (the log's up to the one applied
 * at start, the intake's after it), so no record counts twice.
 */
export function keepRevenueLedger(twins: Pick<TwinService, 'intake' | 'engine' | 'appliedSeq'>, log: (line: string) => void): KeptRevenueLedger {
  const ledger = new RevenueLedger(KEEP_MONTHS);
  const throughSeq = twins.appliedSeq();
  const detach = twins.intake.onApplied((batch) => {
    for (const { event: e, seq } of batch) if (seq > throughSeq && (e.kind === 'bill' || e.kind === 'topup')) ledger.add({ customerId: e.customerId, timeMs: Date.parse(e.time), amount: e.data.amount });
  });
  const startedAt = twins.engine.eventClock;
  const madeUpAt = startedAt + MONTHS_TO_MAKE_UP * DAYS_PER_MONTH * DAY_MS;
  return {
    ledger,
    fromLog: {
      ...billingRecordsInto(ledger, startedAt - KEEP_MS),
      onFailed: (reason) => log(`simulation lab: the billing records in the log could not be read (${reason}); its revenue intervals leave out the twins' revenue noise until ${MONTHS_TO_MAKE_UP} months of new records are in`),
    },
    progress: (pass) => ({ done: pass.done, readSeq: pass.readSeq, throughSeq: pass.throughSeq, ...(pass.failed === undefined ? {} : { failed: { reason: pass.failed, madeUpAt } }) }),
    detach,
  };
}
