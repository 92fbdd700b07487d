import { DAY_MS, DAYS_PER_MONTH } from '../domain/time.js';

/**
 * How much each customer's monthly revenue varies from month to month, from the operator's own
 * billing records (bills and prepaid top-ups): what a scenario's realised revenue carries beyond
 * its expectation once the world with the scenario and the world without it draw their months
 * apart (`TwinSource.revenueSd`).
 */

/** One billing record: an amount billed or topped up by a customer at a time. */
export interface RevenueRecord {
  readonly customerId: string;
  readonly timeMs: number;
  readonly amount: number;
}

/** Options of `revenueSd`. */
export interface RevenueSdOptions {
  /** The end of the records read (the simulation's start). */
  readonly untilMs: number;
  /** Whole months before `untilMs` read (default 6). */
  readonly months?: number;
}

/**
 * Each customer's month-to-month standard deviation of revenue, from the mean squared successive
 * difference of its monthly totals (von Neumann): a level that steps once (a plan change, a
 * discount starting) moves one difference, not every month's distance from the mean. A customer's
 * first month with revenue is left out (it may be a part month); a customer with fewer than three
 * months after it gets the median of the others' variances. Months are 30.4375-day windows ending
 * at `untilMs`.
 */
export function revenueSd(records: Iterable<RevenueRecord>, options: RevenueSdOptions): (customerId: string) => number {
  const months = options.months ?? 6;
  const monthMs = DAYS_PER_MONTH * DAY_MS;
  const from = options.untilMs - months * monthMs;
  const totals = new Map<string, Float64Array>();
  const first = new Map<string, number>();
  for (const r of records) {
    if (r.timeMs >= options.untilMs) continue;
    // The first month a customer brought revenue, counted over all the records read.
    const m = Math.floor((r.timeMs - from) / monthMs);
    const f = first.get(r.customerId);
    if (f === undefined || m < f) first.set(r.customerId, m);
    if (m < 0) continue;
    let row = totals.get(r.customerId);
    if (!row) totals.set(r.customerId, (row = new Float64Array(months)));
    row[m] += r.amount;
  }
  const variance = new Map<string, number>();
  for (const [id, row] of totals) {
    const start = Math.max(0, (first.get(id) ?? 0) + 1);
    if (months - start < 3) continue;
    let sum = 0;
    for (let m = start + 1; m < months; m++) sum += (row[m] - row[m - 1]) ** 2;
    variance.set(id, sum / (2 * (months - start - 1)));
  }
  const sorted = [...variance.values()].sort((a, b) => a - b);
  const fallback = sorted.length > 0 ? sorted[Math.floor(sorted.length / 2)] : 0;
  return (id) => Math.sqrt(variance.get(id) ?? fallback);
}

/**
 * Billing records kept as they arrive (the server's intake), the last `keepMonths` of them, so
 * that the lab reads each twin's revenue noise (`revenueSd`) as `simulate validate` does from its
 * history. Older records are dropped as newer ones come (amortised: when the kept ones double).
 */
export class RevenueLedger {
  private records: RevenueRecord[] = [];
  private newestMs = -Infinity;
  private pruneAt = 1024;

  /** `keepMonths`: months of records kept before the newest (default 7: `revenueSd`'s 6 and a part month). */
  constructor(private readonly keepMonths = 7) {}

  add(record: RevenueRecord): void {
    this.records.push(record);
    if (record.timeMs > this.newestMs) this.newestMs = record.timeMs;
    if (this.records.length >= this.pruneAt) {
      const from = this.newestMs - this.keepMonths * DAYS_PER_MONTH * DAY_MS;
      this.records = this.records.filter((r) => r.timeMs >= from);
      this.pruneAt = Math.max(1024, 2 * this.records.length);
    }
  }

  /** Records kept. */
  get size(): number {
    return this.records.length;
  }

  /** Each customer's month-to-month sd of revenue over the months before `untilMs` (`revenueSd`). */
  sd(untilMs: number): (customerId: string) => number {
    return revenueSd(this.records, { untilMs });
  }
}
