import type { IntentExpectation } from './intent-schema.js';

/** A simulated quantity: mean and a confidence interval. */
export interface Interval {
  readonly mean: number;
  readonly low: number;
  readonly high: number;
}

/**
 * What the simulation lab says a plan would do by the intent's horizon. The three intervals are
 * required; the optional fields let more expectations be judged (without them, a churn-rate or
 * acceptance target cannot be checked and is reported as such).
 */
export interface PlanOutcome {
  readonly netValue: Interval;
  readonly churnersAvoided: Interval;
  readonly cost: Interval;
  /** Churners expected in the segment without the plan. */
  readonly baselineChurners?: Interval;
  /** Customers in the segment. */
  readonly segmentSize?: number;
  /** Customers the plan contacts (the control group excluded). */
  readonly targeted?: number;
  /** Offers expected to be accepted. */
  readonly acceptances?: Interval;
}

/**
 * An expectation's value, in the expectation's own terms, as the plan outcome projects it at the
 * horizon: the metric's level for atLeast / atMost, the relative change in percent for
 * increaseBy / decreaseBy. Undefined when the outcome lacks what the metric needs.
 */
export function expectedAtHorizon(e: IntentExpectation, o: PlanOutcome): number | undefined {
  if (e.targetCondition === 'decreaseBy' || e.targetCondition === 'increaseBy') {
    // Only churn has a no-plan baseline in an outcome; other relative targets cannot be projected.
    if (e.targetName !== 'churn_rate' || !o.baselineChurners || o.baselineChurners.mean <= 0) return undefined;
    const reduction = (o.churnersAvoided.mean / o.baselineChurners.mean) * 100;
    return e.targetCondition === 'decreaseBy' ? reduction : -reduction;
  }
  switch (e.targetName) {
    case 'retained_customers':
      return o.churnersAvoided.mean;
    case 'net_value':
      return o.netValue.mean;
    case 'accepted_offers':
      return o.acceptances?.mean;
    case 'acceptance_rate':
      return o.acceptances && o.targeted ? (o.acceptances.mean / o.targeted) * 100 : undefined;
    case 'churn_rate':
      return o.baselineChurners && o.segmentSize ? ((o.baselineChurners.mean - o.churnersAvoided.mean) / o.segmentSize) * 100 : undefined;
  }
}

/** Whether a value, in the expectation's terms, meets it. */
export function meetsTarget(e: IntentExpectation, value: number): boolean {
  return e.targetCondition === 'atMost' ? value <= e.targetValue : value >= e.targetValue;
}

/**
 * How far a value falls short of the target, as a share of the target's size or of `scale` when
 * larger (0 when met). The scale matters for targets near 0 ("net value ≥ 0"): the plan's
 * expected value gives the shortfall a size to be measured against.
 */
export function relativeShortfall(e: IntentExpectation, value: number, scale = 0): number {
  if (meetsTarget(e, value)) return 0;
  return Math.abs(value - e.targetValue) / Math.max(Math.abs(e.targetValue), Math.abs(scale), 1);
}

/** Whether a metric accumulates over the horizon (a count or money) rather than being a rate. */
export function isCumulative(e: IntentExpectation): boolean {
  return e.targetCondition !== 'decreaseBy' && e.targetCondition !== 'increaseBy' && (e.targetName === 'retained_customers' || e.targetName === 'net_value' || e.targetName === 'accepted_offers');
}

/** An expectation in words ("retained_customers atLeast 500"). */
export function describeExpectation(e: IntentExpectation): string {
  return `${e.targetName} ${e.targetCondition} ${e.targetValue}`;
}
