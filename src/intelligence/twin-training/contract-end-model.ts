import { TwinloopError } from '../../domain/errors.js';
import { FEATURE_INDEX, NEVER_DAYS } from '../../twin/twin-features.js';
import { newtonLogistic } from '../learners/logistic-regression.js';
import type { ContractEndRow } from './contract-end-set.js';

/**
 * The customer's decision at a contract's end: P(leave at the end | what the twin shows then),
 * fitted on every end the log holds (`collectContractEnds`).
 *
 * Out of the lock-in a customer weighs leaving as a month-to-month customer would, so the one
 * covariate is the churn model's reading of the customer's row as a month-to-month customer's
 * (`monthToMonthRow`: the contract's term and end taken away), a model fitted on thousands of
 * month-to-month rows; the end's own model only maps that reading to the decision: logit P(leave)
 * = α + β · logit p_m2m, a ridge logistic regression of the ends' outcomes (sd 1 on β, the
 * intercept free). Two parameters read from every end in the history, where the churn model's
 * trees must place the renewal's step from the few dozen churners whose 30-day window held an end
 * (2026-12-07: tenure-credit's model said 0.10 at a renewal whose truth was 0.20; docs/learning.md).
 */

/** The churn model's monthly probability of a feature row (`FEATURE_NAMES` order). */
export type RowProbability = (features: Float64Array) => number;

/** The fitted decision at a contract's end. */
export interface ContractEndModel {
  /** Probability of leaving at the end, for a customer with these features (the row as of now; its contract is taken away inside). */
  probability(features: Float64Array, churnOf: RowProbability): number;
  /** α and β (intercept, slope on the month-to-month log-odds). */
  readonly coefficients: readonly [number, number];
  /** The evidence: ends read and how many left at them. */
  readonly ends: number;
  readonly leavers: number;
}

/** The slope's normal prior, as a ridge: sd 1 on the log-odds per unit of the month-to-month log-odds, weak beside a few hundred ends. */
const END_RIDGE = 1;
/** Fewer leavers than this say nothing of how the decision varies by customer: the model is the ends' base rate (β 0). */
export const MIN_END_LEAVERS = 5;

const logit = (p: number) => {
  const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(q / (1 - q));
};

/** The row as a month-to-month customer's: no term and no end (what a twin rolled on month to month shows). */
export function monthToMonthRow(features: Float64Array): Float64Array {
  const r = Float64Array.from(features);
  r[FEATURE_INDEX.contract_months] = 0;
  r[FEATURE_INDEX.contract_days_left] = NEVER_DAYS;
  return r;
}

/** The row with its contract's end moved `days` further away: the lock-in's risk alone, the end's decision out of the churn model's window. */
export function endMovedRow(features: Float64Array, days: number): Float64Array {
  const r = Float64Array.from(features);
  if (r[FEATURE_INDEX.contract_days_left] < NEVER_DAYS) r[FEATURE_INDEX.contract_days_left] += days;
  return r;
}

/**
 * Fits the decision on `rows` with the churn model `churnOf` (the one the model will be asked
 * with: its covariate is that model's reading). Refuses an empty set; with fewer than
 * `MIN_END_LEAVERS` leavers (or stayers) it is the ends' base rate, pooled toward nothing else.
 */
export function fitContractEndModel(rows: readonly ContractEndRow[], churnOf: RowProbability): ContractEndModel {
  const n = rows.length;
  if (n === 0) throw new TwinloopError('BAD_INPUT', 'no contract end in the history: the contract-end model needs at least one');
  const y = rows.map((r) => (r.left ? 1 : 0));
  const leavers = y.reduce<number>((a, b) => a + b, 0);
  const z = rows.map((r) => logit(churnOf(monthToMonthRow(r.features))));
  let alpha: number, beta: number;
  if (leavers < MIN_END_LEAVERS || n - leavers < MIN_END_LEAVERS) {
    // The base rate, with half an end of each kind added so that none or all is not read as certain.
    alpha = logit((leavers + 0.5) / (n + 1));
    beta = 0;
  } else {
    const centre = z.reduce((a, b) => a + b, 0) / n;
    const X = Float64Array.from(z, (v) => v - centre);
    const b = newtonLogistic(X, n, 1, y, END_RIDGE, 50);
    beta = b[1];
    alpha = b[0] - beta * centre;
  }
  return {
    coefficients: [alpha, beta],
    ends: n,
    leavers,
    probability(features, churnOf2) {
      return 1 / (1 + Math.exp(-(alpha + beta * logit(churnOf2(monthToMonthRow(features))))));
    },
  };
}
