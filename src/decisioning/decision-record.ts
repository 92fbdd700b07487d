import { DAY_MS } from '../domain/time.js';
import { DECISION_RESULTS, type DecisionResult, type StoredCandidate, type StoredDecision, type StoredDecisionOutcome } from '../store/record-store.js';

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

/**
 * How long a decision stays open: the customer's time to answer an offer (after it, an unanswered
 * offer is `ignored`), and the time within which a recommendation counts as acted on.
 */
export const ANSWER_WINDOW_MS = 7 * DAY_MS;

/** How far the decisions of a log have come back with an outcome. */
export interface OutcomeCoverage {
  /** The log's newest time (a decision or an outcome), what "older than the window" is measured from. */
  readonly asOf: number;
  /** Decisions older than the window, and how many of them have an outcome. */
  readonly due: number;
  readonly closed: number;
  /** closed / due (1 when nothing is due). */
  readonly share: number;
  /** Outcomes by result (`unknown`: written before results were kept). */
  readonly byResult: Readonly<Record<DecisionResult | 'unknown', number>>;
  /** Decisions whose recommended action nobody carried out: the estimators leave them out. */
  readonly notCarriedOut: number;
}

/** A recommendation nobody carried out: its logged choice never happened, so it says nothing of that choice's value. */
export const notCarriedOut = (d: DecisionRecord): boolean => d.outcome?.result === 'not-acted' && d.chosen !== DO_NOTHING;

/** The outcome coverage of a decision log (pure). */
export function outcomeCoverage(log: readonly DecisionRecord[], windowMs = ANSWER_WINDOW_MS): OutcomeCoverage {
  let asOf = 0;
  for (const d of log) asOf = Math.max(asOf, d.at, d.outcome?.at ?? 0);
  const byResult = Object.fromEntries([...DECISION_RESULTS, 'unknown'].map((r) => [r, 0])) as Record<DecisionResult | 'unknown', number>;
  let due = 0;
  let closed = 0;
  let skipped = 0;
  for (const d of log) {
    if (d.outcome) byResult[d.outcome.result ?? 'unknown']++;
    if (notCarriedOut(d)) skipped++;
    if (d.at + windowMs > asOf) continue;
    due++;
    if (d.outcome) closed++;
  }
  return { asOf, due, closed, share: due === 0 ? 1 : closed / due, byResult, notCarriedOut: skipped };
}
