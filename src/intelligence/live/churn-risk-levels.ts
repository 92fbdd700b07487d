import { kthLargest } from '../../domain/kth-largest.js';

/**
 * The churn-risk levels that thresholds on the served churn score read, one number each (decision
 * 0030). The score is the calibrated probability of churning within the model's window (30 days),
 * so a level reads as it says: 0.1 is a one-in-ten chance, and a customer served 0.1 churns about
 * one time in ten, whichever model serves.
 */

/**
 * The fixed level "at risk" was before it was the riskiest share (AT_RISK_SHARE): what an intent's
 * plan stored before then reads `at-risk` as, and the acceptance model's medium band. Not what a
 * customer "at risk" is now: on `npm start`'s default world the calibrated 30-day model scores 89
 * of 19,217 active customers at 0.1 or more.
 */
export const AT_RISK_CHURN = 0.1;

/** From this a customer is at "high risk": the 25 % discount a person offers, and the acceptance model's high band. */
export const HIGH_RISK_CHURN = 0.3;

/**
 * The share of the scored customers "at risk" means: the riskiest tenth, by the served churn score.
 * One notion for every reader: an intent's named segment `at-risk` (at the level of when its plan is
 * made), the catalogue's eligibility `at_risk` (the 10 % retention discount's), and the level live
 * scoring serves. A share of the riskiest means the same on every world and under every model's
 * window and calibration, where a fixed probability does not.
 */
export const AT_RISK_SHARE = 0.1;

/** The churn score from which the riskiest share of the scored customers start, when it was read. */
export interface RiskiestShareLevel {
  /** The lowest churn score of the riskiest `share` (a customer scored at least this is in it). */
  readonly churn: number;
  readonly share: number;
  /** The scored customers it was read over. */
  readonly of: number;
}

/**
 * The churn score from which the riskiest `share` of `scores` start (their lowest), over the scores
 * that are numbers; undefined when there are none. Ties at the level are in: a level is a condition
 * `churn >= level`, which holds a few more than the share when many share its score. Found by
 * selection on a copy, not a sort: it is read over the whole scored base (200,000 twins and more)
 * on the server's thread (BENCHMARKS.md, "An intent's 'at risk' level").
 */
export function riskiestShareLevel(scores: ArrayLike<number>, share: number = AT_RISK_SHARE): number | undefined {
  const known = new Float64Array(scores.length);
  let n = 0;
  for (let i = 0; i < scores.length; i++) if (Number.isFinite(scores[i])) known[n++] = scores[i];
  if (n === 0) return undefined;
  return kthLargest(known, Math.min(n, Math.max(1, Math.ceil(n * share))), n);
}
