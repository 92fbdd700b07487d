import { TwinloopError } from '../domain/errors.js';
import { DAYS_PER_MONTH } from '../domain/time.js';
import { monthlyHazardFromWindow } from '../intelligence/clv/customer-lifetime-value.js';
import type { ChurnScorer } from '../intelligence/live/churn-scorer.js';
import type { HazardDecay } from '../intelligence/evaluation/hazard-decay-fit.js';
import type { LearnedIncidentEffect } from './incident-ledger.js';
import type { TwinEngine } from '../twin/twin-engine.js';
import { FEATURE_COUNT, FEATURE_INDEX } from '../twin/twin-features.js';

/**
 * Where the simulator's population comes from: each active twin's id, features, churn
 * probability over the model's horizon, and the scorer to re-score changed features (the
 * model's own estimate of a response to a price or network change).
 */
export interface TwinSource {
  /** Upper bound of the number of twins `forEach` visits. */
  readonly capacity: number;
  /** Churn label window of the model, in days (30 for the default churn model). */
  readonly horizonDays: number;
  /** Re-scores a feature vector; null when only the probabilities are known. */
  readonly scorer: ChurnScorer | null;
  /** Visits each active twin once, in a stable order (features may be reused between calls). */
  forEach(fn: (id: string, features: Float64Array, probability: number) => void): void;
  /**
   * What is known of each twin's answer to the offers simulated: the shift of its log-odds of
   * accepting against the base's (its response profile: its kind of customer and its own answers),
   * added to an offer scenario's acceptance. Absent: every twin alike, but for `acceptanceByRisk`.
   */
  readonly acceptanceShift?: (id: string) => number;
  /**
   * Each twin's month-to-month standard deviation of revenue (bills and top-ups vary with usage),
   * from the operator's own billing records: the noise a realised difference carries (see
   * `KernelPopulation.revenueVar`). Absent: revenue as if it were the same every month.
   */
  readonly revenueSd?: (id: string) => number;
  /**
   * How the churn model's picked groups churn in the months after the pick (its metadata's
   * `hazardDecay`): each scenario's treated group then gets the level that fall gives over its
   * horizon (`decayLevel`, applied by `compileScenarios`). Absent: hazards held as scored.
   */
  readonly hazardDecay?: HazardDecay;
  /**
   * An incident's effect on churn learned from the operator's own history of incidents and churn
   * (`IncidentLedger.effect`): what a network scenario that states none of its own is run with,
   * in place of the churn model's re-scoring. Read only when a network scenario asks (a year of
   * customer-days). Absent, or undefined when the history holds too little: the re-scoring.
   */
  readonly incidentEffect?: () => LearnedIncidentEffect | undefined;
}

/**
 * The active twins of an engine (a plan and not churned), scored with a churn model (the live
 * model's document or any registered one).
 */
export function twinSource(engine: TwinEngine, scorer: ChurnScorer, horizonDays: number, known: Pick<TwinSource, 'acceptanceShift' | 'revenueSd' | 'hazardDecay'> = {}, among?: ReadonlySet<string>): TwinSource {
  if (!(horizonDays > 0)) throw new TwinloopError('BAD_INPUT', `the churn model's horizonDays must be positive; got ${horizonDays}`);
  // `among`: only these customers are read, in the table's order as a walk of every twin visits
  // them (the same draws follow), unknown ones left out: a check of a plan's few hundred customers
  // read the whole base (24,000 twins' features and scores) on the server's thread.
  const slots = among ? Int32Array.from([...among].flatMap((id) => engine.table.slotOf(id) ?? [])).sort() : undefined;
  return {
    capacity: slots ? slots.length : engine.table.size,
    horizonDays,
    scorer,
    ...(known.acceptanceShift ? { acceptanceShift: known.acceptanceShift } : {}),
    ...(known.revenueSd ? { revenueSd: known.revenueSd } : {}),
    ...(known.hazardDecay ? { hazardDecay: known.hazardDecay } : {}),
    forEach(fn) {
      const f = new Float64Array(FEATURE_COUNT);
      const at = engine.eventClock;
      const n = slots ? slots.length : engine.table.size;
      for (let k = 0; k < n; k++) {
        const id = engine.table.idAt(slots ? slots[k] : k);
        if (!engine.features(id, at, f)) continue;
        if (f[FEATURE_INDEX.churned] !== 0 || f[FEATURE_INDEX.active_plans] === 0) continue;
        fn(id, f, scorer.probability(f));
      }
    },
  };
}

/** A source from rows held in memory (tests, and populations read from elsewhere). */
export function arraySource(rows: readonly { id: string; features: Float64Array; probability: number }[], horizonDays: number, scorer: ChurnScorer | null = null): TwinSource {
  return {
    capacity: rows.length,
    horizonDays,
    scorer,
    forEach(fn) {
      for (const r of rows) fn(r.id, r.features, r.probability);
    },
  };
}

/** Monthly hazard from a churn probability over `horizonDays`. */
export function hazardOf(probability: number, horizonDays: number): number {
  return monthlyHazardFromWindow(probability, horizonDays / DAYS_PER_MONTH);
}

/** Monthly revenue of a twin: its 3-month ARPU, else its plans' price. */
export function monthlyRevenueOf(f: Float64Array): number {
  const arpu = f[FEATURE_INDEX.arpu_3m];
  return arpu > 0 ? arpu : f[FEATURE_INDEX.monthly_price];
}
