import { fnv1a32 } from '../domain/string-hash.js';
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

/**
 * Who made a logged decision: next-best-action (a contact's card, POST /decisions, the care flow,
 * MCP), a proactive churn-prevention run, or a managed campaign's contact. Read from the decision
 * id (`runDecisionId`), so the log needs no column for it and older logs read the same.
 */
export const DECISION_SOURCES = ['nba', 'churn-prevention', 'campaign'] as const;
export type DecisionSource = (typeof DECISION_SOURCES)[number];

/** The id prefix of each source's decisions but next-best-action's (whose ids are UUIDs). */
const SOURCE_PREFIX: Readonly<Record<Exclude<DecisionSource, 'nba'>, string>> = { campaign: 'cmp', 'churn-prevention': 'cpr' };

/** Longest decision id: an offer event's (its answers come back under it). */
const MAX_DECISION_ID = 128;
/** How much of a run's id its every decision id starts with: room left for a hash, and a prefix to list its answers by. */
const RUN_ID_KEPT = 64;
/** The second seed of a decision id's 64-bit hash (two FNV-1a of 32 bits; any fixed value but 0). */
const SECOND_HASH_SEED = 0x5bd1e995;
const hex32 = (n: number) => n.toString(16).padStart(8, '0');

/**
 * The decision id of a run's choice for one customer (a campaign's contact, a churn-prevention
 * run's offer or holdout): `<prefix>:<run>:<customer>`, one per run and customer, so a run that
 * asks again (a replay, a customer tried with another variant) logs nothing twice. When that is
 * longer than an event carries: the run id's first 64 characters and a 64-bit hash of both ids
 * (cut short instead, every customer of a long run id had the same id).
 */
export function runDecisionId(source: Exclude<DecisionSource, 'nba'>, runId: string, customerId: string): string {
  const whole = `${SOURCE_PREFIX[source]}:${runId}:${customerId}`;
  if (whole.length <= MAX_DECISION_ID) return whole;
  const key = `${runId}:${customerId}`;
  return `${runDecisionPrefix(source, runId)}~${hex32(fnv1a32(key))}${hex32(fnv1a32(key, SECOND_HASH_SEED))}`;
}

/** What every decision id of a run starts with (others' too may: the ids themselves tell them apart). */
export const runDecisionPrefix = (source: Exclude<DecisionSource, 'nba'>, runId: string): string => `${SOURCE_PREFIX[source]}:${runId.slice(0, RUN_ID_KEPT)}`;

/** The source of a logged decision, from its id. */
export function decisionSourceOf(decisionId: string): DecisionSource {
  if (decisionId.startsWith('cmp:')) return 'campaign';
  if (decisionId.startsWith('cpr:')) return 'churn-prevention';
  return 'nba';
}

/** Decisions older than the window and how many of them came back with an outcome. */
export interface CoverageCount {
  readonly due: number;
  readonly closed: number;
  /** closed / due (1 when nothing is due). */
  readonly share: number;
}

/**
 * How far the decisions of a log have come back with an outcome. The counts add up:
 * logged = withOutcome + withoutOutcome; withOutcome = the sum of byResult = evaluated + notCarriedOut;
 * due = closed + overdue; withoutOutcome = overdue + the decisions still inside their window.
 */
export interface OutcomeCoverage {
  /** The log's newest time (a decision or an outcome), what "older than the window" is measured from. */
  readonly asOf: number;
  /** Every decision in the log (the range asked). */
  readonly logged: number;
  /** Decisions with an outcome (an answer, a delivery, or the window's end with none). */
  readonly withOutcome: number;
  /** Decisions with no outcome yet. */
  readonly withoutOutcome: number;
  /** Decisions older than the window, and how many of them have an outcome. */
  readonly due: number;
  readonly closed: number;
  /** Decisions older than the window with no outcome yet (due − closed): the outcome watch has not closed them. */
  readonly overdue: number;
  /** closed / due (1 when nothing is due). */
  readonly share: number;
  /** Outcomes by result (`unknown`: written before results were kept); they sum to withOutcome. */
  readonly byResult: Readonly<Record<DecisionResult | 'unknown', number>>;
  /** Decisions whose recommended action nobody carried out: the estimators leave them out. */
  readonly notCarriedOut: number;
  /** Decisions with an outcome the estimators use (withOutcome − notCarriedOut). */
  readonly evaluated: number;
  /** The same by who decided (`decisionSourceOf`): how many each logged, due or not, with an outcome, and their outcomes by result. */
  readonly bySource: Readonly<Record<DecisionSource, CoverageCount & { readonly logged: number; readonly withOutcome: number; readonly byResult: Readonly<Record<DecisionResult | 'unknown', number>> }>>;
}

/** A recommendation nobody carried out: its logged choice never happened, so it says nothing of that choice's value. */
export const notCarriedOut = (d: DecisionRecord): boolean => d.outcome?.result === 'not-acted' && d.chosen !== DO_NOTHING;

/** The outcome coverage of a decision log (pure). */
export function outcomeCoverage(log: readonly DecisionRecord[], windowMs = ANSWER_WINDOW_MS): OutcomeCoverage {
  let asOf = 0;
  for (const d of log) asOf = Math.max(asOf, d.at, d.outcome?.at ?? 0);
  const results = () => Object.fromEntries([...DECISION_RESULTS, 'unknown'].map((r) => [r, 0])) as Record<DecisionResult | 'unknown', number>;
  const byResult = results();
  const sources = Object.fromEntries(DECISION_SOURCES.map((s) => [s, { logged: 0, withOutcome: 0, due: 0, closed: 0, byResult: results() }])) as Record<
    DecisionSource,
    { logged: number; withOutcome: number; due: number; closed: number; byResult: Record<DecisionResult | 'unknown', number> }
  >;
  let due = 0;
  let closed = 0;
  let skipped = 0;
  let withOutcome = 0;
  for (const d of log) {
    const source = sources[decisionSourceOf(d.decisionId)];
    if (d.outcome) {
      withOutcome++;
      source.withOutcome++;
      byResult[d.outcome.result ?? 'unknown']++;
      source.byResult[d.outcome.result ?? 'unknown']++;
    }
    if (notCarriedOut(d)) skipped++;
    source.logged++;
    if (d.at + windowMs > asOf) continue;
    due++;
    source.due++;
    if (d.outcome) {
      closed++;
      source.closed++;
    }
  }
  const share = (n: { due: number; closed: number }) => (n.due === 0 ? 1 : n.closed / n.due);
  const bySource = Object.fromEntries(DECISION_SOURCES.map((s) => [s, { ...sources[s], share: share(sources[s]) }])) as OutcomeCoverage['bySource'];
  return {
    asOf,
    logged: log.length,
    withOutcome,
    withoutOutcome: log.length - withOutcome,
    due,
    closed,
    overdue: due - closed,
    share: share({ due, closed }),
    byResult,
    notCarriedOut: skipped,
    evaluated: withOutcome - skipped,
    bySource,
  };
}
