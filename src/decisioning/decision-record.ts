import type { Channel } from '../domain/events.js';

/** The id of the action that stands for "contact nobody, offer nothing". */
export const DO_NOTHING = 'do-nothing';

/** One candidate as the arbitration saw it (logged with every decision). */
export interface LoggedCandidate {
  /** Offer id, or DO_NOTHING. */
  readonly actionId: string;
  /** Arbitration score (expected value × levers); higher is better. */
  readonly score: number;
  /** Probability with which the logging policy would have chosen this candidate. */
  readonly propensity: number;
  /** Expected value in currency units (Δ lifetime value less cost). */
  readonly expectedValue: number;
}

/**
 * A logged decision: everything an off-policy estimator needs to value another policy from the
 * logs (candidates with the logging policy's propensities, the chosen one, and later its outcome).
 */
export interface DecisionRecord {
  readonly decisionId: string;
  readonly customerId: string;
  /** Event time of the decision (ms since epoch). */
  readonly at: number;
  readonly channel: Channel;
  /** Why the customer is in contact (e.g. `billing_question`), when known. */
  readonly reason?: string;
  /** Context bucket the online learner keys its posteriors on (e.g. `call|high-risk`). */
  readonly contextKey: string;
  readonly candidates: readonly LoggedCandidate[];
  /** The chosen actionId (DO_NOTHING included). */
  readonly chosen: string;
  /** Probability the logging policy chose `chosen`. */
  readonly propensity: number;
  /** Filled in when the outcome is known. */
  readonly outcome?: DecisionOutcome;
}

/** What came of a decision: acceptance, and the realised reward in currency units. */
export interface DecisionOutcome {
  readonly accepted: boolean;
  readonly reward: number;
  readonly at: number;
}
