import { TwinloopError } from '../../domain/errors.js';
import type { TwinEvent } from '../../domain/events.js';
import type { EventStore, StoredEvent } from '../../store/event-store.js';
import { DEFAULT_LATENESS_MS, TwinEngine } from '../../twin/twin-engine.js';
import { computeFeatures, FEATURE_COUNT, FEATURE_INDEX, FEATURE_NAMES } from '../../twin/twin-features.js';
import { emptyCursor, type TwinCursor } from '../../twin/twin-table.js';
import type { FeatureMatrix } from '../tabular/encoder.js';
import { createRng } from '../random.js';
import { readLogInPages } from './log-pages.js';

/**
 * The features a churn model reads: every twin feature except `churned`, which is the label's
 * own state (always 0 on a training row, so it could only leak).
 */
export const CHURN_MODEL_FEATURES: readonly string[] = FEATURE_NAMES.filter((n) => n !== 'churned');
const MODEL_SOURCE = Int32Array.from(CHURN_MODEL_FEATURES, (n) => FEATURE_NAMES.indexOf(n as (typeof FEATURE_NAMES)[number]));

/** Log events read per round trip. */
const PAGE = 10_000;
/** Customers read between two turns of the event loop (a few hundred ms of work at most). */
const YIELD_EVERY_CUSTOMERS = 100;
/**
 * Rows kept at most (uniform reservoir sample over all eligible rows): every row of the
 * `DEFAULT_TRAINING_CUSTOMERS` sample at the 12 monthly cutoffs a training stacks, so the sample's
 * rows are never thinned again (the buffer grows with the rows, so a small world holds only its
 * own). More rows are not "little" to a churn model: on the default world every row (192,559)
 * ranked the next month's churners 0.015 and 0.004 AUC above a 54,591-row sample (BENCHMARKS.md).
 */
export const DEFAULT_MAX_TRAINING_ROWS = 300_000;
/** Rows the buffer starts with before it grows (doubling) toward `maxRows`. */
const FIRST_BUFFER_ROWS = 8_192;

/** How to build the set. */
export interface TwinTrainingSetOptions {
  /** Cutoff times (ms), any order; each row is one customer as of one cutoff. */
  readonly cutoffs: readonly number[];
  /** Label window: churned within (T, T + horizon]. */
  readonly horizonMs: number;
  /** The lateness the intake enforced (bounds how far back a later-logged event can be dated). */
  readonly latenessMs?: number;
  readonly maxRows?: number;
  readonly seed?: number;
  /** Read the log only up to this seq (e.g. what the live engine reflects). */
  readonly untilSeq?: number;
  /**
   * Only these customers' rows, their events read customer by customer (`readCustomer`) rather
   * than the whole log: a sample of a large population (`sampleTrainingCustomers`) reads and
   * replays a fraction of the history. Absent: every customer, from one pass over the log.
   */
  readonly customers?: readonly string[];
  readonly onProgress?: (seq: number) => void;
  /** Stops the reading at its next turn of the event loop (a training thread asked to end): rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /**
   * Leaves a row out when the customer was made an offer (an `offer` event) in the
   * `contactEffectMs` before its cutoff or inside its label window: its churn then is partly the
   * contact's doing, not the customer's own. A model of churn without any contact (the simulation
   * lab's untreated arm) is fitted on the rest; fitted on every row it learns a recent offer's
   * effect through the offer features and carries it past the effect's end (a pilot's decliners
   * read 1.5 × their churn four months on, its acceptors 0.75 ×). Absent: every row.
   */
  readonly contactEffectMs?: number;
}

/** Rows of (customer, cutoff) with features as of the cutoff and the churn label after it. */
export interface TwinTrainingSet {
  readonly featureNames: readonly string[];
  readonly matrix: FeatureMatrix;
  readonly labels: Uint8Array;
  /** Index into `cutoffs` of each row. */
  readonly cutoffIndex: Uint16Array;
  readonly customerIds: readonly string[];
  readonly cutoffs: readonly number[];
  readonly horizonMs: number;
  readonly positives: number;
  /** Eligible (customer, cutoff) pairs before sampling down to `maxRows`. */
  readonly eligibleRows: number;
  /** Rows left out as a contact's (`contactEffectMs`), of the sampled ones. */
  readonly contactedRows?: number;
  readonly eventsRead: number;
}

interface Held {
  time: number;
  body: string;
}

/**
 * Builds a leakage-free churn training set from the event log in one pass, for all customers at
 * once, into a fresh engine (the live twins are not touched).
 *
 * Protocol: for each cutoff T, a customer is a row when it has an active or suspended plan at T
 * (so it exists and has not churned); its features are computed as of T from its events dated
 * ≤ T only; its label is 1 when its last plan is terminated at a time in (T, T + horizon].
 *
 * One pass: events dated after a customer's next cutoff are held back (unparsed) until no later
 * log entry can be dated at or before that cutoff. The intake refuses events more than the
 * lateness behind the customer's latest event time, so once a customer's events reach
 * T + lateness, its state as of T is final: the row is taken and the held events replayed.
 */
export async function buildTwinTrainingSet(store: EventStore, options: TwinTrainingSetOptions): Promise<TwinTrainingSet> {
  const cutoffs = [...options.cutoffs].sort((a, b) => a - b);
  const K = cutoffs.length;
  if (K === 0) throw new TwinloopError('BAD_INPUT', 'cutoffs: at least one cutoff is needed; the history may be shorter than the horizon');
  if (!(options.horizonMs > 0)) throw new TwinloopError('BAD_INPUT', 'horizon: must be positive');
  const lateness = options.latenessMs ?? DEFAULT_LATENESS_MS;
  const maxRows = options.maxRows ?? DEFAULT_MAX_TRAINING_ROWS;
  const horizon = options.horizonMs;
  const labelEnd = cutoffs[K - 1] + horizon;
  const rng = createRng(options.seed ?? 1);

  const engine = new TwinEngine({ latenessMs: lateness });
  const cursor: TwinCursor = emptyCursor();
  const scratch = new Float64Array(FEATURE_COUNT);
  const P = CHURN_MODEL_FEATURES.length;
  const nextCut: number[] = [];
  const watermark: number[] = [];
  const held: (Held[] | undefined)[] = [];
  const churned: boolean[] = [];
  const churnTimes = new Map<number, number[]>();
  // The times each customer was made an offer, when rows under a contact's effect are left out.
  const contactTimes = new Map<number, number[]>();

  // Reservoir of rows, grown as rows come (a fixed maxRows × P would be 149 MB for any world).
  let data = new Float64Array(Math.min(maxRows, FIRST_BUFFER_ROWS) * P);
  const rowSlot: number[] = [];
  const rowCut: number[] = [];
  let eligible = 0;

  const apply = (slot: number, event: TwinEvent, time: number): void => {
    engine.applyTo(engine.table.point(slot, cursor), event, time);
    if (event.kind !== 'subscription') return;
    const now = computeFeatures(cursor, time, scratch)[FEATURE_INDEX.churned] === 1;
    if (now && !churned[slot]) {
      const list = churnTimes.get(slot);
      if (list) list.push(time);
      else churnTimes.set(slot, [time]);
    }
    churned[slot] = now;
  };
  const emit = (slot: number, k: number): void => {
    const f = computeFeatures(engine.table.point(slot, cursor), cutoffs[k], scratch);
    if (f[FEATURE_INDEX.churned] !== 0 || f[FEATURE_INDEX.active_plans] + f[FEATURE_INDEX.suspended_products] === 0) return;
    eligible++;
    let at = rowSlot.length;
    if (at >= maxRows) {
      at = rng.int(eligible);
      if (at >= maxRows) return;
    } else {
      if ((at + 1) * P > data.length) {
        const grown = new Float64Array(Math.min(maxRows, 2 * (data.length / P)) * P);
        grown.set(data);
        data = grown;
      }
      rowSlot.push(0);
      rowCut.push(0);
    }
    rowSlot[at] = slot;
    rowCut[at] = k;
    for (let j = 0; j < P; j++) data[at * P + j] = f[MODEL_SOURCE[j]];
  };
  /** Takes the row at the customer's next cutoff, then replays what that cutoff held back. */
  const advance = (slot: number): void => {
    const k = nextCut[slot];
    emit(slot, k);
    nextCut[slot] = k + 1;
    const list = held[slot];
    if (!list || list.length === 0) return;
    const limit = k + 1 < K ? cutoffs[k + 1] : Infinity;
    const keep: Held[] = [];
    for (const h of list) {
      if (h.time <= limit) apply(slot, JSON.parse(h.body) as TwinEvent, h.time);
      else keep.push(h);
    }
    held[slot] = keep;
  };

  let eventsRead = 0;
  const until = options.untilSeq ?? Infinity;
  /** One log entry of a customer, in the customer's log order. */
  const take = (e: StoredEvent): void => {
    eventsRead++;
    // Past the last label window nothing matters.
    if (e.time > labelEnd) return;
    const slot = engine.table.ensure(e.customerId);
    if (slot >= nextCut.length) {
      nextCut.push(0);
      watermark.push(0);
      held.push(undefined);
      churned.push(false);
    }
    if (options.contactEffectMs !== undefined && e.kind === 'offer') {
      const list = contactTimes.get(slot);
      if (list) list.push(e.time);
      else contactTimes.set(slot, [e.time]);
    }
    if (nextCut[slot] >= K) {
      // Every row of this customer is taken; only churn (subscription events) still matters.
      if (e.kind === 'subscription') apply(slot, JSON.parse(e.body) as TwinEvent, e.time);
      return;
    }
    if (e.time > watermark[slot]) watermark[slot] = e.time;
    if (e.time <= cutoffs[nextCut[slot]]) apply(slot, JSON.parse(e.body) as TwinEvent, e.time);
    else (held[slot] ??= []).push({ time: e.time, body: e.body });
    while (nextCut[slot] < K && watermark[slot] > cutoffs[nextCut[slot]] + lateness) advance(slot);
  };

  if (options.customers) {
    // A customer's rows depend on its own events only, so customer by customer gives the rows
    // the pass over the whole log gives for them.
    for (const [i, id] of options.customers.entries()) {
      let after = 0;
      for (;;) {
        const page = await store.readCustomer(id, { afterSeq: after, untilTime: labelEnd, limit: PAGE });
        let done = page.length < PAGE;
        for (const e of page) {
          if (e.seq > until) {
            done = true;
            break;
          }
          take(e);
        }
        if (done || page.length === 0) break;
        after = page[page.length - 1].seq;
      }
      // The end of this customer's log: its remaining cutoffs are final.
      const slot = engine.table.slotOf(id);
      if (slot !== undefined) while (nextCut[slot] < K) advance(slot);
      // The embedded store answers synchronously: a turn of the event loop now and then keeps a server answering.
      if (i % YIELD_EVERY_CUSTOMERS === YIELD_EVERY_CUSTOMERS - 1) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        options.signal?.throwIfAborted();
      }
    }
  } else {
    await readLogInPages(store, until, take, options.onProgress, options.signal);
    // The end of the log: nothing later can arrive, every remaining cutoff is final.
    for (let slot = 0; slot < nextCut.length; slot++) while (nextCut[slot] < K) advance(slot);
  }

  // Rows under a contact's effect: an offer in the effect's length before the cutoff or in the label window.
  const effect = options.contactEffectMs;
  const contacted = (i: number): boolean => {
    if (effect === undefined) return false;
    const T = cutoffs[rowCut[i]];
    return (contactTimes.get(rowSlot[i]) ?? []).some((t) => t > T - effect && t <= T + horizon);
  };
  const kept = rowSlot.map((_, i) => i).filter((i) => !contacted(i));
  const n = kept.length;
  const labels = new Uint8Array(n);
  const cutoffIndex = new Uint16Array(n);
  const matrix = new Float64Array(n * P);
  let positives = 0;
  kept.forEach((r, i) => {
    const T = cutoffs[rowCut[r]];
    cutoffIndex[i] = rowCut[r];
    matrix.set(data.subarray(r * P, (r + 1) * P), i * P);
    const times = churnTimes.get(rowSlot[r]);
    if (times && times.some((t) => t > T && t <= T + horizon)) {
      labels[i] = 1;
      positives++;
    }
  });
  return {
    featureNames: CHURN_MODEL_FEATURES,
    matrix: { rows: n, cols: P, data: matrix },
    labels,
    cutoffIndex,
    customerIds: kept.map((r) => engine.table.idAt(rowSlot[r])),
    cutoffs,
    horizonMs: horizon,
    positives,
    eligibleRows: eligible,
    ...(effect === undefined ? {} : { contactedRows: rowSlot.length - n }),
    eventsRead,
  };
}
