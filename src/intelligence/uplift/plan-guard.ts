import { TwinloopError } from '../../domain/errors.js';

/**
 * The plan-level guard of the retention planners that know the effects up to a posterior (the
 * single decision's, pilot-uplift.ts, and the learning agent's): a contact's effects are parameters every
 * candidate shares (what an accepted offer does to an acceptor's churn, what a contact does to the
 * others'), so their uncertainty is the plan's, summed draw by draw over their joint posterior, not
 * each customer's. A plan is the longest run of candidates, best first, whose **kept value**
 * (customers kept less customers driven away, before what the contacts and offers cost) is ≥ 0 with
 * posterior probability 1 − `risk`. What the contacts and offers cost stays out: the expected value
 * that ranks the candidates already weighs it, and a plan that only wastes its spend when the offer
 * does nothing is a priced bet; one that may drive away more than it keeps is not.
 */

/** The default risk: a plan is made when, with 90 % posterior probability, it keeps at least the value it drives away. */
export const PLAN_RISK = 0.1;

/**
 * Whether the weighted `risk`-quantile of `values` (one per draw, `weights` summing to 1) is ≥ 0,
 * in one pass with no sort: the quantile is the first value, in ascending order, where the running
 * weight reaches `risk`, so it is ≥ 0 exactly when every value is, or when the weight on the
 * negative ones stays below `risk` and some value is ≥ 0 to land on.
 */
export function riskQuantileNonNegative(values: ArrayLike<number>, weights: ArrayLike<number>, risk: number): boolean {
  let negative = 0;
  let anyNegative = false;
  let anyNonNegative = false;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0) {
      negative += weights[i];
      anyNegative = true;
    } else anyNonNegative = true;
  }
  return !anyNegative || (negative < risk && anyNonNegative);
}

/**
 * The length of the longest prefix of `kept` (each candidate's kept value per draw, best candidate
 * first) whose sum per draw passes the guard at `risk`; `risk` ≥ 1 allows them all.
 */
export function longestGuardedPrefix(kept: readonly ArrayLike<number>[], weights: ArrayLike<number>, risk: number = PLAN_RISK): number {
  if (!(risk >= 0 && risk <= 1)) throw new TwinloopError('BAD_INPUT', `risk must be a probability in [0, 1]; got ${risk}`);
  if (risk >= 1) return kept.length;
  const plan = new Float64Array(weights.length);
  let length = 0;
  kept.forEach((k, n) => {
    if (k.length !== plan.length) throw new TwinloopError('BAD_INPUT', `every candidate needs one kept value per draw (${plan.length}); got ${k.length}`);
    for (let i = 0; i < plan.length; i++) plan[i] += k[i];
    if (riskQuantileNonNegative(plan, weights, risk)) length = n + 1;
  });
  return length;
}
