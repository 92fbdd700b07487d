import type { EventStore } from '../../store/event-store.js';
import { DAY_MS } from '../../domain/time.js';
import { DAYS_PER_MONTH, RevenueLedger } from '../../simulation/index.js';

/**
 * The billing records a lab run outside the server reads its revenue noise from (`twinloop
 * simulate FILE`): the server's lab keeps the bills and top-ups its intake applies as they come
 * (`RevenueLedger`), a command that opens the store afterwards has only the log to read them from.
 */

/** Events read per page of the log. */
const PAGE = 10_000;

/** Months of records kept: `RevenueLedger`'s default (`revenueSd`'s 6 and a part month). */
const KEEP_MONTHS = 7;

/**
 * A ledger of every bill and top-up of the log whose event time falls in the `KEEP_MONTHS` months
 * before `untilMs`. The whole log is read: neither seq nor the time an event was received follows
 * event time (a backfill receives a year of history at once; a server that ran the sandbox ahead
 * of the wall clock and restarted on it received later events at earlier times), so no seq can be
 * known to start the window. Only the two kinds' bodies are parsed.
 */
export async function revenueLedgerFromLog(store: Pick<EventStore, 'readLog'>, untilMs: number, onProgress?: (seq: number) => void): Promise<RevenueLedger> {
  const ledger = new RevenueLedger(KEEP_MONTHS);
  const fromMs = untilMs - KEEP_MONTHS * DAYS_PER_MONTH * DAY_MS;
  let after = 0;
  for (;;) {
    const page = await store.readLog(after, PAGE);
    if (page.length === 0) return ledger;
    for (const e of page) {
      if ((e.kind !== 'bill' && e.kind !== 'topup') || e.time < fromMs || e.time >= untilMs) continue;
      const amount = (JSON.parse(e.body) as { data?: { amount?: unknown } }).data?.amount;
      if (typeof amount === 'number') ledger.add({ customerId: e.customerId, timeMs: e.time, amount });
    }
    after = page[page.length - 1].seq;
    onProgress?.(after);
  }
}
