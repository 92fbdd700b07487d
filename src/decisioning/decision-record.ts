import type { StoredCandidate, StoredDecision, StoredDecisionOutcome } from '../store/record-store.js';

/** The id of the action that stands for "contact nobody, offer nothing". */
export const DO_NOTHING = 'do-nothing';

/**
 * One candidate as the arbitration saw it, logged with every decision: its actionId (an offer id
 * or DO_NOTHING), arbitration score, expected value (Δ lifetime value less cost) and the
 * probability with which the logging policy would have chosen it.
 */
export type LoggedCandidate = StoredCandidate;

/**
 * A logged decision: everything an off-policy estimator needs to value another policy from the
 * logs (candidates with the logging policy's propensities, the chosen one, the context key the
 * learner uses, and later its outcome). The decision log in the record store keeps exactly this.
 */
export type DecisionRecord = StoredDecision;

/** What came of a decision: acceptance, and the realised reward. */
export type DecisionOutcome = StoredDecisionOutcome;
