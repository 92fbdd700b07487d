import type { TwinEvent } from '../../domain/events.js';
import type { ApplyObserver, TwinEngine } from '../../twin/twin-engine.js';
import { computeFeatures, FEATURE_COUNT, FEATURE_INDEX, FEATURE_NAMES } from '../../twin/twin-features.js';
import { emptyCursor } from '../../twin/twin-table.js';
import { churnCutoffs, DEFAULT_HORIZON_DAYS } from './train-churn-from-twins.js';
import { FIRST_MODEL_CUSTOMERS } from './training-customers.js';
import { compareSampleKeys, sampleKey, type SampleKey } from './training-parts.js';
import { CHURN_MODEL_FEATURES, type TwinTrainingSet } from './twin-training-set.js';
import { DAY_MS } from '../../domain/time.js';

const MODEL_SOURCE = Int32Array.from(CHURN_MODEL_FEATURES, (n) => FEATURE_NAMES.indexOf(n as (typeof FEATURE_NAMES)[number]));

/** What to collect while a history streams into the twins. */
export interface TrainingRowCollectorOptions {
  /**
   * The history's last moment (ms): the cutoffs are planned over the log's first event … `to`, as
   * `churnCutoffs` plans them for a training at that event clock. The sandbox knows it before the
   * history starts (its backfill ends where the live world begins).
   */
  readonly to: number;
  readonly horizonDays?: number;
  /** Monthly cutoffs at most (default 12, as the training). */
  readonly cutoffs?: number;
  /** The sample's size (default `FIRST_MODEL_CUSTOMERS`): the customers `sampleTrainingCustomers` picks at the end. */
  readonly maxCustomers?: number;
}

/** The rows a collector took, and the customers whose rows it could not take exactly. */
export interface CollectedTrainingRows {
  /** Every row of the sample's customers but those of `inexact`, customer by customer in the sample's order, cutoffs in order. */
  readonly set: TwinTrainingSet;
  /** The sample's customers in its order (`sampleTrainingCustomers`), or undefined when the sample is everyone. */
  readonly customers?: readonly string[];
  /**
   * Customers an event reached dated at or before a cutoff whose row was already taken (an event
   * later than one after that cutoff, within the intake's lateness): their rows must be read back
   * from the log (`buildTwinTrainingSet` with these customers) to equal the replay's.
   */
  readonly inexact: readonly string[];
}

/** One sampled customer's rows as they are taken. */
interface Tracked {
  readonly slot: number;
  readonly key: SampleKey;
  /** Index of the next cutoff whose row is still to take. */
  next: number;
  readonly rows: Float64Array;
  /** Per cutoff: 1 when the customer was a row then (a plan active or suspended, not churned). */
  readonly eligible: Uint8Array;
  churned: boolean;
  churnTimes: number[] | undefined;
  inexact: boolean;
}

/**
 * Collects the first churn model's training rows while the history is applied to the live twins
 * (issue 16), so that the first training reads nothing back from the log. A row is a twin's
 * features as of a cutoff with the label of churn within the horizon after it; the history
 * arrives in time order, so the moment a customer's first event dated after a cutoff is applied,
 * its twin stands exactly as of that cutoff, and its row is taken from the twin itself (the engine
 * tells the collector before each event, `ApplyObserver`). Labels come from the churns seen later.
 *
 * The rows equal those `buildTwinTrainingSet` builds by replaying the log as of the history's
 * end, at the same cutoffs and for the same sample: the same customers (those whose ids hash
 * lowest; a customer is tracked while it is among the lowest seen so far, which every customer of
 * the final sample is when it first appears), each cutoff's state from the customer's events dated
 * at or before it, churn as the replay tells it (after each subscription event). A customer one of
 * whose events comes after another dated past a cutoff, yet is dated at or before it, is the one
 * case the live twin cannot give: it is named in `inexact` and read back from the log.
 */
export class TrainingRowCollector implements ApplyObserver {
  private readonly horizonDays: number;
  private readonly horizonMs: number;
  private readonly maxCutoffs: number | undefined;
  private readonly max: number;
  private readonly to: number;
  private cutoffs: number[] | null = null;
  /** Why no rows can be given (the history too short for the horizon, …); null while collecting. */
  private refused: string | null = null;
  /** Per engine slot: seen already (a customer's first event decides whether it is sampled). */
  private seen = new Uint8Array(1024);
  private readonly tracked: (Tracked | undefined)[] = [];
  /** The tracked customers as a max-heap on their sample key: the root is the first to leave. */
  private readonly heap: Tracked[] = [];
  private readonly cursor = emptyCursor();
  private readonly scratch = new Float64Array(FEATURE_COUNT);
  private population = 0;

  constructor(
    private readonly engine: TwinEngine,
    options: TrainingRowCollectorOptions,
  ) {
    this.horizonDays = options.horizonDays ?? DEFAULT_HORIZON_DAYS;
    this.horizonMs = this.horizonDays * DAY_MS;
    this.maxCutoffs = options.cutoffs;
    this.max = options.maxCustomers ?? FIRST_MODEL_CUSTOMERS;
    this.to = options.to;
  }

  before(slot: number, time: number): void {
    if (this.cutoffs === null) {
      if (this.refused !== null) return;
      // The log's first event: the cutoffs are planned from its time, as the training plans them.
      try {
        this.cutoffs = churnCutoffs({ from: time, to: this.to, horizonDays: this.horizonDays, cutoffs: this.maxCutoffs });
      } catch (err) {
        this.refused = (err as Error).message;
        return;
      }
    }
    if (slot >= this.seen.length || this.seen[slot] === 0) this.firstSeen(slot);
    const t = this.tracked[slot];
    if (t === undefined) return;
    const cutoffs = this.cutoffs;
    if (t.next > 0 && time <= cutoffs[t.next - 1]) t.inexact = true;
    while (t.next < cutoffs.length && time > cutoffs[t.next]) this.take(t);
  }

  after(slot: number, event: TwinEvent, time: number): void {
    if (event.kind !== 'subscription') return;
    const t = this.tracked[slot];
    if (t === undefined) return;
    // Churn as the replay reads it: the churned flag after each subscription event.
    const now = computeFeatures(this.engine.table.point(slot, this.cursor), time, this.scratch)[FEATURE_INDEX.churned] === 1;
    if (now && !t.churned) (t.churnTimes ??= []).push(time);
    t.churned = now;
  }

  /**
   * The rows as of the end of the history (every remaining cutoff is final then): call once the
   * last history event is applied (and stop observing first). A string says why there are none.
   */
  finish(): CollectedTrainingRows | string {
    if (this.refused !== null) return this.refused;
    const cutoffs = this.cutoffs;
    if (cutoffs === null) return 'no events were seen';
    const K = cutoffs.length;
    const P = CHURN_MODEL_FEATURES.length;
    const sample = [...this.heap].sort((a, b) => compareSampleKeys(a.key, b.key));
    for (const t of sample) while (t.next < K) this.take(t);
    const kept = sample.filter((t) => !t.inexact);
    let n = 0;
    for (const t of kept) for (let k = 0; k < K; k++) n += t.eligible[k];
    const data = new Float64Array(n * P);
    const labels = new Uint8Array(n);
    const cutoffIndex = new Uint16Array(n);
    const customerIds: string[] = [];
    let positives = 0;
    let at = 0;
    for (const t of kept) {
      for (let k = 0; k < K; k++) {
        if (!t.eligible[k]) continue;
        data.set(t.rows.subarray(k * P, (k + 1) * P), at * P);
        const T = cutoffs[k];
        if (t.churnTimes?.some((c) => c > T && c <= T + this.horizonMs)) {
          labels[at] = 1;
          positives++;
        }
        cutoffIndex[at] = k;
        customerIds.push(t.key.id);
        at++;
      }
    }
    return {
      set: { featureNames: CHURN_MODEL_FEATURES, matrix: { rows: n, cols: P, data }, labels, cutoffIndex, customerIds, cutoffs, horizonMs: this.horizonMs, positives, eligibleRows: n, eventsRead: 0 },
      ...(this.population > this.max ? { customers: sample.map((t) => t.key.id) } : {}),
      inexact: sample.filter((t) => t.inexact).map((t) => t.key.id),
    };
  }

  /** The cutoffs the rows are taken at (null before the first event, or when none fit the history). */
  plannedCutoffs(): readonly number[] | null {
    return this.cutoffs;
  }

  private take(t: Tracked): void {
    const k = t.next++;
    const f = computeFeatures(this.engine.table.point(t.slot, this.cursor), this.cutoffs![k], this.scratch);
    // A row when the customer has a plan active or suspended at the cutoff and has not churned (the replay's rule).
    if (f[FEATURE_INDEX.churned] !== 0 || f[FEATURE_INDEX.active_plans] + f[FEATURE_INDEX.suspended_products] === 0) return;
    t.eligible[k] = 1;
    const P = MODEL_SOURCE.length;
    for (let j = 0; j < P; j++) t.rows[k * P + j] = f[MODEL_SOURCE[j]];
  }

  /** A customer's first event: tracked while it is among the `max` lowest sample keys seen. */
  private firstSeen(slot: number): void {
    if (slot >= this.seen.length) {
      const grown = new Uint8Array(Math.max(slot + 1, this.seen.length * 2));
      grown.set(this.seen);
      this.seen = grown;
    }
    this.seen[slot] = 1;
    this.population++;
    if (!(this.max > 0)) return;
    const key = sampleKey(this.engine.table.idAt(slot));
    const heap = this.heap;
    if (heap.length >= this.max) {
      if (compareSampleKeys(key, heap[0].key) >= 0) return;
      // The root leaves the sample for good: the population only grows, so it cannot come back.
      this.tracked[heap[0].slot] = undefined;
      heap[0] = heap[heap.length - 1];
      heap.pop();
      this.siftDown(0);
    }
    const K = this.cutoffs!.length;
    const t: Tracked = { slot, key, next: 0, rows: new Float64Array(K * MODEL_SOURCE.length), eligible: new Uint8Array(K), churned: false, churnTimes: undefined, inexact: false };
    this.tracked[slot] = t;
    heap.push(t);
    this.siftUp(heap.length - 1);
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (compareSampleKeys(heap[i].key, heap[p].key) <= 0) return;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < heap.length && compareSampleKeys(heap[l].key, heap[top].key) > 0) top = l;
      if (r < heap.length && compareSampleKeys(heap[r].key, heap[top].key) > 0) top = r;
      if (top === i) return;
      [heap[i], heap[top]] = [heap[top], heap[i]];
      i = top;
    }
  }
}

/** Starts collecting on the engine; `stop` ends it (the history is in) and gives the rows, or why there are none (the same answer each call). */
export function collectTrainingRows(engine: TwinEngine, options: TrainingRowCollectorOptions): { collector: TrainingRowCollector; stop(): CollectedTrainingRows | string } {
  const collector = new TrainingRowCollector(engine, options);
  const unobserve = engine.observe(collector);
  let rows: CollectedTrainingRows | string | undefined;
  return {
    collector,
    stop() {
      if (rows === undefined) {
        unobserve();
        rows = collector.finish();
      }
      return rows;
    },
  };
}
