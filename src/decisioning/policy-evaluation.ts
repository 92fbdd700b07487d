import { DECISION_SOURCES, notCarriedOut, outcomeCoverage, type DecisionRecord, type OutcomeCoverage } from './decision-record.js';
import { estimatePolicyValue, type OffPolicyReport, type PolicyEstimate } from './off-policy-estimators.js';
import { crossFittedRewardModel } from './reward-model.js';
import { targetPolicyByName } from './target-policies.js';
import { decisionCursor, MAX_PAGE_SIZE, type DecisionQuery, type RecordStore } from '../store/record-store.js';

/**
 * A decision policy judged on the decision log (`twinloop policy evaluate`, `GET
 * /decisions/evaluation`): how far the log has come back, every count adding up to the one above
 * it, and what the policy would have earned by IPS, SNIPS and DR. One reading and one wording for
 * every edge.
 */

/** The folds of DR's cross-fitted reward model, said in the report. */
export const REWARD_MODEL_FOLDS = 5;

/** Every logged decision in [from, to), read page by page. */
export async function readDecisionLog(records: Pick<RecordStore, 'listDecisions'>, range: Pick<DecisionQuery, 'from' | 'to'>): Promise<DecisionRecord[]> {
  const out: DecisionRecord[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await records.listDecisions({ ...range, limit: MAX_PAGE_SIZE, after });
    out.push(...page);
    if (page.length < MAX_PAGE_SIZE) return out;
    after = decisionCursor(page[page.length - 1]);
  }
}

/** A target policy judged on a decision log. */
export interface PolicyEvaluation {
  readonly policy: string;
  readonly coverage: OutcomeCoverage;
  /** The estimate over `coverage.evaluated` decisions; null while none has an outcome the estimators can use. */
  readonly estimate: OffPolicyReport | null;
}

/**
 * Judges the policy named `policy` (`targetPolicyByName`) on `log` (pure). A recommendation nobody
 * carried out is left out: its logged choice never happened, so its reward says nothing of it.
 */
export function evaluateLoggedPolicy(log: readonly DecisionRecord[], policy: string): PolicyEvaluation {
  const target = targetPolicyByName(policy);
  const coverage = outcomeCoverage(log);
  const evaluated = log.filter((d) => !notCarriedOut(d));
  if (coverage.evaluated === 0) return { policy, coverage, estimate: null };
  // DR's direct model is fitted on the log's own rewards (the answers), cross-fitted: the
  // expected values logged with the candidates are money, another unit than the reward.
  const estimate = estimatePolicyValue(evaluated, target, { rewardModel: crossFittedRewardModel(evaluated, { folds: REWARD_MODEL_FOLDS }) });
  return { policy, coverage, estimate };
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const money = (x: number) => x.toFixed(2);
const interval = (e: PolicyEstimate) => `${money(e.value)} [${money(e.lower)}, ${money(e.upper)}]`;
/** `2027-01-21 10:00 UTC`: the log's times are event times, in UTC as the events carry them. */
const utc = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * How far the log has come back, in lines whose counts add up: the decisions logged (by who
 * decided), those with an outcome (by result) and those without (past their window or not), and
 * the ones evaluated (those with an outcome less the recommendations nobody carried out).
 */
export function coverageText(c: OutcomeCoverage): string[] {
  if (c.logged === 0) return ['decision log: no decision logged'];
  const results = Object.entries(c.byResult).filter(([, n]) => n > 0).map(([r, n]) => `${r} ${n}`).join(', ');
  const sources = DECISION_SOURCES.filter((s) => c.bySource[s].logged > 0);
  const inWindow = c.withoutOutcome - c.overdue;
  return [
    `decision log: ${plural(c.logged, 'decision')} as of ${utc(c.asOf)}${sources.length ? `, by who decided: ${sources.map((s) => `${s} ${c.bySource[s].logged}`).join(', ')}` : ''}`,
    `  ${c.withOutcome} with an outcome${results ? ` (${results})` : ''}`,
    `  ${c.withoutOutcome} without one yet${c.withoutOutcome > 0 ? `: ${inWindow} still inside their 7-day window${c.overdue > 0 ? `, ${c.overdue} past it and not closed yet (the outcome watch closes them at its next sweep)` : ''}` : ''}`,
    `  past their 7-day window: ${c.due ? `${c.closed} of ${c.due} came back (${pct(c.share)})` : 'none yet'}${c.due ? `; by who decided: ${sources.filter((s) => c.bySource[s].due > 0).map((s) => `${s} ${c.bySource[s].closed} of ${c.bySource[s].due}`).join(', ')}` : ''}`,
    `  evaluated: ${c.evaluated} = the ${c.withOutcome} with an outcome${c.notCarriedOut > 0 ? ` less ${c.notCarriedOut} that recommended an action nobody carried out (what they chose never happened)` : ''}`,
  ];
}

/** The estimate in words: on how many decisions, what the reward is, each estimator's value with its interval. */
export function estimateText(policy: string, r: OffPolicyReport): string[] {
  return [
    `policy ${policy} on the ${plural(r.decisions, 'evaluated decision')}${r.withoutOutcome > 0 ? ` (the ${r.withoutOutcome} without an outcome wait for one)` : ''}; the logged policy's own value ${money(r.loggedMean)} per decision`,
    `  reward: the customer's answer, 1 accepted and 0 otherwise (declined, ignored, not acted on): a value is acceptances per decision; DR's model is the log's own rewards by context and action, cross-fitted in ${REWARD_MODEL_FOLDS} folds`,
    `  IPS   ${interval(r.ips)}`,
    `  SNIPS ${interval(r.snips)}`,
    ...(r.dr ? [`  DR    ${interval(r.dr)}`] : []),
    `  effective sample size ${r.effectiveSampleSize.toFixed(1)}; propensities clipped ${r.clipped}; unsupported mass ${r.unsupportedMass.toFixed(3)}${r.unsupportedMass > 0 ? ' (the log cannot see part of this policy: the estimate is of a different policy)' : ''}`,
    '  value per decision, 90 % bootstrap interval',
  ];
}

/** Why nothing could be estimated, or null when something was. */
export function nothingToEvaluate(e: PolicyEvaluation, span = ''): string | null {
  if (e.estimate) return null;
  return e.coverage.logged === 0
    ? `the decision log is empty${span}: nothing to evaluate; decisions are logged by a running server (POST /decisions, the agent desktop, churn prevention, campaigns) and need outcomes (the answers to their offers)`
    : `none of the ${e.coverage.logged} logged decisions${span} has an outcome that can be evaluated yet; an outcome comes with the answer to the decision's offer, or 7 days after the decision; evaluate once some have`;
}

/** The whole evaluation in words: the coverage, then the estimate or why there is none. */
export function policyEvaluationText(e: PolicyEvaluation, span = ''): string[] {
  const none = nothingToEvaluate(e, span);
  return [...coverageText(e.coverage), ...(none === null && e.estimate ? estimateText(e.policy, e.estimate) : [none ?? ''])];
}
