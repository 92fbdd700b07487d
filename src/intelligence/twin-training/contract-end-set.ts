import { TwinloopError } from '../../domain/errors.js';
import type { TwinEvent } from '../../domain/events.js';
import { DAY_MS } from '../../domain/time.js';
import type { EventStore, StoredEvent } from '../../store/event-store.js';
import { TwinEngine } from '../../twin/twin-engine.js';
import { computeFeatures, contractEndOf, FEATURE_COUNT, FEATURE_INDEX } from '../../twin/twin-features.js';
import { emptyCursor, type TwinCursor } from '../../twin/twin-table.js';
import { readLogInPages } from './log-pages.js';

/**
 * Every contract end the event log holds, with what the customer decided: the evidence of the
 * contract-end model (`contract-end-model.ts`). A fixed-term contract's end is a decision day (the
 * customer renews, rolls on month to month or leaves), and most of a base's churn on contracts
 * falls there; the churn model's training rows see an end only when one of its monthly cutoffs
 * happens to fall within its 30-day window before it (a few dozen churners on a 2,000-customer
 * history), while the log holds every end its history passed.
 *
 * A row is one customer at one end: its features as of the end's day (the twin's state before its
 * first event dated on or after the end, `contract_days_left` 0), and whether it left within
 * `END_WINDOW_DAYS` of the end. An end is read from the twin's own record of its contract (the
 * `contractEnd` its customer events name), so a renewal naming the next end makes the next row.
 */

/** Days after a contract's end within which a leaver counts as leaving at the end: the decision day and a week for a port-out to go through. */
export const END_WINDOW_DAYS = 7;

/** One contract end and the decision taken at it. */
export interface ContractEndRow {
  readonly customerId: string;
  /** The end (ms, the twin's `contractEnd`). */
  readonly end: number;
  /** The twin's features as of the end (`FEATURE_NAMES` order). */
  readonly features: Float64Array;
  /** Left within `END_WINDOW_DAYS` of the end. */
  readonly left: boolean;
}

/** Which part of the log to read. */
export interface ContractEndSetOptions {
  /** The history's latest event time: an end whose window reaches past it is not yet decided and is left out. */
  readonly to: number;
  /** Read the log only up to this seq (what the live engine reflects). */
  readonly untilSeq?: number;
  /** Rows kept at most (the earliest ends first); default 100,000. */
  readonly maxRows?: number;
}

/** Every decided contract end in the log. */
export interface ContractEndSet {
  readonly rows: readonly ContractEndRow[];
  readonly leavers: number;
  readonly eventsRead: number;
}

/**
 * Reads the log once, replaying every customer into a fresh engine (the live twins are not
 * touched), and takes a row at each contract end it passes. Events are replayed in log order; an
 * event logged late (within the intake's lateness) but dated before an end already passed is
 * applied after the row was taken, which moves at most a day's usage of it.
 */
export async function collectContractEnds(store: EventStore, options: ContractEndSetOptions): Promise<ContractEndSet> {
  if (!Number.isFinite(options.to)) throw new TwinloopError('BAD_INPUT', `to: a time (ms) is needed; got ${options.to}`);
  const maxRows = options.maxRows ?? 100_000;
  const until = options.untilSeq ?? Infinity;
  const window = END_WINDOW_DAYS * DAY_MS;
  const engine = new TwinEngine();
  const cursor: TwinCursor = emptyCursor();
  const scratch = new Float64Array(FEATURE_COUNT);
  /** Per slot: the end a row was last taken at (so one end makes one row), whether it has left, and when. */
  const taken: number[] = [];
  const leftAt: number[] = [];
  const pending: { slot: number; end: number; features: Float64Array }[] = [];
  let eventsRead = 0;

  const take = (e: StoredEvent): void => {
    eventsRead++;
    const slot = engine.table.ensure(e.customerId);
    if (slot >= taken.length) {
      taken.push(0);
      leftAt.push(0);
    }
    if (leftAt[slot] > 0 && e.kind !== 'subscription') return;
    const point = engine.table.point(slot, cursor);
    const end = contractEndOf(point);
    if (end > 0 && end <= e.time && end !== taken[slot] && end + window <= options.to && pending.length < maxRows) {
      taken[slot] = end;
      const f = computeFeatures(point, end, scratch);
      if (f[FEATURE_INDEX.churned] === 0 && f[FEATURE_INDEX.active_plans] + f[FEATURE_INDEX.suspended_products] > 0) pending.push({ slot, end, features: Float64Array.from(f) });
    }
    engine.applyTo(point, JSON.parse(e.body) as TwinEvent, e.time);
    if (e.kind === 'subscription' && leftAt[slot] === 0 && computeFeatures(point, e.time, scratch)[FEATURE_INDEX.churned] === 1) leftAt[slot] = e.time;
  };

  await readLogInPages(store, until, take);
  let leavers = 0;
  const rows = pending.map((p) => {
    const t = leftAt[p.slot];
    const left = t >= p.end && t <= p.end + window;
    if (left) leavers++;
    return { customerId: engine.table.idAt(p.slot), end: p.end, features: p.features, left };
  });
  return { rows, leavers, eventsRead };
}
