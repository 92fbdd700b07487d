import type { Command } from 'commander';
import { TwinloopError } from '../../domain/errors.js';
import { DECISION_SOURCES, notCarriedOut, outcomeCoverage, type DecisionRecord, type OutcomeCoverage } from '../../decisioning/decision-record.js';
import { estimatePolicyValue, type OffPolicyReport, type PolicyEstimate } from '../../decisioning/off-policy-estimators.js';
import { crossFittedRewardModel } from '../../decisioning/reward-model.js';
import { TARGET_POLICY_NAMES, targetPolicyByName } from '../../decisioning/target-policies.js';
import { CHECKED_ESTIMATORS, checkOffPolicy, type OffPolicyCheckResult } from '../../evaluation/off-policy-check.js';
import { resolveStoreOptions } from '../../store/store-options.js';
import { openRecordStore } from '../../store/open-record-store.js';
import { decisionCursor, MAX_PAGE_SIZE, type DecisionQuery, type RecordStore } from '../../store/record-store.js';
import { registerActionPolicyCommands } from './action-policy-commands.js';
import { intOption } from './cli-numbers.js';
import { globalOptions } from './cli-context.js';

/** Every logged decision in [from, to), read page by page. */
export async function readDecisionLog(records: RecordStore, range: Pick<DecisionQuery, 'from' | 'to'>): Promise<DecisionRecord[]> {
  const out: DecisionRecord[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await records.listDecisions({ ...range, limit: MAX_PAGE_SIZE, after });
    out.push(...page);
    if (page.length < MAX_PAGE_SIZE) return out;
    after = decisionCursor(page[page.length - 1]);
  }
}

function parseTime(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new TwinloopError('BAD_INPUT', `${name} "${text}" is not an ISO date or time (example: 2026-03-01 or 2026-03-01T12:00:00Z)`);
  return t;
}

const money = (x: number) => x.toFixed(2);
/** The folds of DR's cross-fitted reward model (crossFittedRewardModel's default), said in the report. */
const REWARD_MODEL_FOLDS = 5;
const interval = (e: PolicyEstimate) => `${money(e.value)} [${money(e.lower)}, ${money(e.upper)}]`;

/** The human report of an estimate from the decision log. */
export function formatPolicyReport(policy: string, r: OffPolicyReport): string {
  return [
    `policy ${policy} on ${r.decisions} decisions with outcomes (${r.withoutOutcome} more have none yet and are left out); logged policy's value ${money(r.loggedMean)} per decision`,
    `  reward: the customer's answer, 1 accepted and 0 otherwise (declined, ignored, not acted on): a value is acceptances per decision; DR's model is the log's own rewards by context and action, cross-fitted in ${REWARD_MODEL_FOLDS} folds`,
    `  IPS   ${interval(r.ips)}`,
    `  SNIPS ${interval(r.snips)}`,
    ...(r.dr ? [`  DR    ${interval(r.dr)}`] : []),
    `  effective sample size ${r.effectiveSampleSize.toFixed(1)}; propensities clipped ${r.clipped}; unsupported mass ${r.unsupportedMass.toFixed(3)}${r.unsupportedMass > 0 ? ' (the log cannot see part of this policy: the estimate is of a different policy)' : ''}`,
    '  value per decision, 90 % bootstrap interval',
  ].join('\n');
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

/**
 * The decision log's outcomes in two lines: how many decisions past their window came back, then
 * every outcome by result (younger decisions that already came back too, so the results can
 * outnumber the due decisions).
 */
export function formatCoverage(c: OutcomeCoverage): string {
  const results = Object.entries(c.byResult).filter(([, n]) => n > 0).map(([r, n]) => `${r} ${n}`).join(', ');
  const sources = DECISION_SOURCES.filter((s) => c.bySource[s].logged > 0).map((s) => `${s} ${c.bySource[s].closed} of ${c.bySource[s].due}${c.bySource[s].due ? ` (${pct(c.bySource[s].share)})` : ''}, ${c.bySource[s].logged} logged`);
  return [
    `outcomes: ${c.closed} of ${c.due} decisions older than their 7-day window (${c.due ? pct(c.share) : 'none due yet'}), as of ${new Date(c.asOf).toISOString()}; every outcome so far, due or not, by result: ${results || 'none yet'}`,
    ...(sources.length ? [`  by who decided: ${sources.join('; ')}`] : []),
    ...(c.notCarriedOut > 0 ? [`  ${c.notCarriedOut} recommended an action nobody carried out: left out of the estimates (what they chose never happened)`] : []),
  ].join('\n');
}

/** The human report of the sandbox check. */
export function formatOffPolicyCheck(r: OffPolicyCheckResult): string {
  const lines = [
    `sandbox seed ${r.seed}: ${r.customers} customers (${r.activeCustomers} active), ${r.decisions} logged decisions, acceptance ${(r.acceptanceRate * 100).toFixed(1)}%, logged mean reward ${money(r.loggedMeanReward)}${r.identicalCopies ? '' : ' (WARNING: the world copies differed)'}`,
    `reward: ${r.reward}`,
  ];
  for (const p of r.policies) {
    lines.push(`${p.name}: truth ${money(p.truth.expected)} expected, ${money(p.truth.realised)} realised; ESS ${p.effectiveSampleSize.toFixed(1)}`);
    for (const e of CHECKED_ESTIMATORS) {
      const inside = p.inside[e];
      lines.push(`  ${e.toUpperCase().padEnd(5)} ${interval(p.estimates[e])}  expected inside: ${inside.expected ? 'yes' : 'NO'}, realised inside: ${inside.realised ? 'yes' : 'NO'}, error ${money(p.error[e])}`);
    }
  }
  return lines.join('\n');
}

/**
 * Adds `policy show|set|history` (the action policy in force) and `policy evaluate` (off-policy
 * value of a decision policy, from the decision log or checked on the sandbox).
 */
export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('the action policy in force (show, set, history) and decision policies judged offline (evaluate)');
  registerActionPolicyCommands(policy);
  policy
    .command('evaluate')
    .description('estimates what a policy would have earned from the logged decisions (IPS, SNIPS, DR with 90 % intervals); --sandbox checks the estimators against a simulated truth')
    .option('--policy <name>', `target policy: ${TARGET_POLICY_NAMES.join(', ')}`)
    .option('--from <iso>', 'decisions at or after this time')
    .option('--to <iso>', 'decisions before this time')
    .option('--sandbox', 'log decisions on a sandbox world and compare the estimates with the truth')
    .option('--customers <n>', 'sandbox population', intOption('--customers', 10), 2_000)
    .option('--decisions <n>', 'sandbox decisions logged', intOption('--decisions', 10), 1_500)
    .option('--seed <n>', 'sandbox seed', intOption('--seed', 0), 1)
    .option('--json', 'last line: one JSON object')
    .action(
      async (opts: { policy?: string; from?: string; to?: string; sandbox?: boolean; customers: number; decisions: number; seed: number; json?: boolean }, command: Command) => {
        const target = opts.policy ? targetPolicyByName(opts.policy) : undefined;
        if (opts.sandbox) {
          const r = await checkOffPolicy({
            seed: opts.seed,
            customers: opts.customers,
            decisions: opts.decisions,
            policies: target && opts.policy ? [{ name: opts.policy, policy: target }] : undefined,
            log: (l) => process.stderr.write(`${l}\n`),
          });
          process.stdout.write(`${formatOffPolicyCheck(r)}\n`);
          if (opts.json) process.stdout.write(`${JSON.stringify({ ...r, learner: undefined })}\n`);
          return;
        }
        const range = { from: parseTime('--from', opts.from), to: parseTime('--to', opts.to) };
        const g = globalOptions(command);
        const records = await openRecordStore(resolveStoreOptions({ dataDir: g.dataDir, databaseUrl: g.databaseUrl }, process.env));
        let log: DecisionRecord[];
        try {
          log = await readDecisionLog(records, range);
        } finally {
          await records.close();
        }
        const span = opts.from || opts.to ? ` between ${opts.from ?? 'the start'} and ${opts.to ?? 'now'}` : '';
        const coverage = outcomeCoverage(log);
        const evaluated = log.filter((d) => !notCarriedOut(d));
        // How far the log has come back is worth knowing even when nothing can be evaluated yet.
        if (log.length > 0) process.stdout.write(`${formatCoverage(coverage)}\n`);
        if (!evaluated.some((r) => r.outcome)) {
          throw new TwinloopError(
            'NOT_FOUND',
            log.length === 0
              ? `the decision log is empty${span}: nothing to evaluate; decisions are logged by a running server (POST /decisions) and need outcomes (offer events with their decisionId)`
              : `none of the ${log.length} logged decisions${span} has an outcome that can be evaluated yet; an outcome comes with the answer to the decision's offer, or 7 days after the decision; evaluate once some have`,
          );
        }
        const name = opts.policy ?? 'greedy';
        // DR's direct model is fitted on the log's own rewards (the answers), cross-fitted: the
        // expected values logged with the candidates are money, another unit than the reward.
        const report = estimatePolicyValue(evaluated, target ?? targetPolicyByName(name), { rewardModel: crossFittedRewardModel(evaluated, { folds: REWARD_MODEL_FOLDS }) });
        process.stdout.write(`${formatPolicyReport(name, report)}\n`);
        if (opts.json) process.stdout.write(`${JSON.stringify({ policy: name, from: opts.from ?? null, to: opts.to ?? null, coverage, ...report })}\n`);
      },
    );
}
