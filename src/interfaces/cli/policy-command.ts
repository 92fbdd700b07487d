import type { Command } from 'commander';
import { TwinloopError } from '../../domain/errors.js';
import type { DecisionRecord } from '../../decisioning/decision-record.js';
import type { PolicyEstimate } from '../../decisioning/off-policy-estimators.js';
import { coverageText, estimateText, evaluateLoggedPolicy, nothingToEvaluate, readDecisionLog } from '../../decisioning/policy-evaluation.js';
import { TARGET_POLICY_NAMES, targetPolicyByName } from '../../decisioning/target-policies.js';
import { CHECKED_ESTIMATORS, checkOffPolicy, type OffPolicyCheckResult } from '../../evaluation/off-policy-check.js';
import { resolveStoreOptions } from '../../store/store-options.js';
import { openRecordStore } from '../../store/open-record-store.js';
import { registerActionPolicyCommands } from './action-policy-commands.js';
import { intOption } from './cli-numbers.js';
import { globalOptions } from './cli-context.js';

function parseTime(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new TwinloopError('BAD_INPUT', `${name} "${text}" is not an ISO date or time (example: 2026-03-01 or 2026-03-01T12:00:00Z)`);
  return t;
}

const money = (x: number) => x.toFixed(2);
const interval = (e: PolicyEstimate) => `${money(e.value)} [${money(e.lower)}, ${money(e.upper)}]`;

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
        const evaluation = evaluateLoggedPolicy(log, opts.policy ?? 'greedy');
        // How far the log has come back is worth knowing even when nothing can be evaluated yet.
        if (log.length > 0) process.stdout.write(`${coverageText(evaluation.coverage).join('\n')}\n`);
        const none = nothingToEvaluate(evaluation, span);
        if (none !== null || !evaluation.estimate) throw new TwinloopError('NOT_FOUND', none ?? 'nothing to evaluate');
        process.stdout.write(`${estimateText(evaluation.policy, evaluation.estimate).join('\n')}\n`);
        if (opts.json) process.stdout.write(`${JSON.stringify({ policy: evaluation.policy, from: opts.from ?? null, to: opts.to ?? null, coverage: evaluation.coverage, ...evaluation.estimate })}\n`);
      },
    );
}
