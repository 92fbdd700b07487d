import { z } from 'zod';
import { DECISION_SOURCES } from '../../decisioning/decision-record.js';
import { DECISION_RESULTS } from '../../store/record-store.js';
import { evaluateLoggedPolicy, policyEvaluationText, readDecisionLog } from '../../decisioning/policy-evaluation.js';
import { TARGET_POLICY_NAMES, targetPolicyByName } from '../../decisioning/target-policies.js';
import { TwinloopError } from '../../domain/errors.js';
import type { OperatorServices } from '../runtime/operator-services.js';
import { errors, isoTime, isoTimeQuery } from './api-schemas.js';
import type { RouteModule } from './route-module.js';

const iso = (ms: number) => new Date(ms).toISOString();
const count = (what: string) => z.number().int().min(0).describe(what);
const byResult = z.object(Object.fromEntries([...DECISION_RESULTS, 'unknown'].map((r) => [r, z.number().int()]))).describe('Outcomes by how they ended (unknown: kept before results were); they sum to withOutcome');
const estimate = z.object({ value: z.number(), lower: z.number().describe('5 % bootstrap percentile'), upper: z.number().describe('95 % bootstrap percentile') });

const coverage = z.object({
  asOf: isoTime.describe('The log\'s newest time (a decision or an outcome): "older than the window" is measured from it'),
  logged: count('Every decision in the log (the range asked) = withOutcome + withoutOutcome'),
  withOutcome: count('Decisions with an outcome (an answer, a delivery, or the 7-day window over with none) = the sum of byResult = evaluated + notCarriedOut'),
  withoutOutcome: count('Decisions with no outcome yet = overdue + those still inside their 7-day window'),
  due: count('Decisions older than their 7-day window = closed + overdue'),
  closed: count('Of the due, those with an outcome'),
  overdue: count('Of the due, those with no outcome yet: the outcome watch closes them at its next sweep'),
  share: z.number().describe('closed / due (1 when none is due)'),
  byResult,
  notCarriedOut: count('Decisions with an outcome whose recommended action nobody carried out: left out of the estimates (what they chose never happened)'),
  evaluated: count('Decisions the estimates are over = withOutcome − notCarriedOut'),
  bySource: z
    .object(Object.fromEntries(DECISION_SOURCES.map((s) => [s, z.object({ logged: z.number().int(), withOutcome: z.number().int(), due: z.number().int(), closed: z.number().int(), share: z.number(), byResult })])))
    .describe('The same by who decided: next-best-action (nba), churn prevention, campaigns; their logged sum to logged'),
});

const evaluation = z
  .object({
    policy: z.string(),
    from: isoTime.nullable(),
    to: isoTime.nullable(),
    coverage,
    estimate: z
      .object({
        decisions: count('The decisions estimated on (= coverage.evaluated)'),
        withoutOutcome: count('Left out for want of an outcome (= coverage.withoutOutcome)'),
        clipped: count('Decisions whose logged propensity was raised to the minimum (0.001) before dividing'),
        unsupportedMass: z.number().describe('Probability the policy puts on actions the log never chose (> 0: the estimate is of a different policy)'),
        loggedMean: z.number().describe('The logged policy\'s own value: acceptances per decision'),
        effectiveSampleSize: z.number(),
        ips: estimate,
        snips: estimate,
        dr: estimate.optional(),
      })
      .nullable()
      .describe('Acceptances per decision the policy would have earned (inverse propensity, self-normalised, doubly robust; 90 % intervals); null while no decision can be evaluated'),
    text: z.array(z.string()).describe('The same in words, as `twinloop policy evaluate` prints it'),
  })
  .meta({ id: 'PolicyEvaluation' });

const query = z.object({
  policy: z.string().default('greedy').describe(`The policy to judge: ${TARGET_POLICY_NAMES.join(', ')}`),
  from: isoTimeQuery.optional().describe('Decisions at or after this time'),
  to: isoTimeQuery.optional().describe('Decisions before this time'),
});

/**
 * `GET /decisions/evaluation`: what a decision policy would have earned on the decision log, with
 * how far the log has come back, every count adding up (docs/learning.md); `twinloop policy
 * evaluate`'s report over HTTP.
 */
export function decisionEvaluationRoutes(s: Pick<OperatorServices, 'records'>): RouteModule {
  return (app) => {
    app.get(
      '/decisions/evaluation',
      { schema: { summary: 'A decision policy judged on the decision log (IPS, SNIPS, DR), with how far the log has come back: every count adds up, each field says what it counts', querystring: query, response: { 200: evaluation, ...errors(400) } } },
      async (req) => {
        const { policy, from, to } = req.query;
        // An unknown name is refused before the log is read (BAD_INPUT naming the policies there are).
        targetPolicyByName(policy);
        if (from !== undefined && to !== undefined && from >= to) throw new TwinloopError('BAD_INPUT', `from (${iso(from)}) must be before to (${iso(to)})`);
        const e = evaluateLoggedPolicy(await readDecisionLog(s.records, { from, to }), policy);
        const span = from !== undefined || to !== undefined ? ` between ${from === undefined ? 'the start' : iso(from)} and ${to === undefined ? 'now' : iso(to)}` : '';
        return { policy, from: from === undefined ? null : iso(from), to: to === undefined ? null : iso(to), coverage: { ...e.coverage, asOf: iso(e.coverage.asOf) }, estimate: e.estimate, text: policyEvaluationText(e, span) };
      },
    );
  };
}
