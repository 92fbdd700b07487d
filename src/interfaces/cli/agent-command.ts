import { InvalidArgumentError, type Command } from 'commander';
import { DESIGN_VARIANTS, type DesignVariant } from '../../agents/retention/learning-agent.js';
import { evaluateRetentionAgent, FIRST_DECISION_POLICIES, RETENTION_POLICIES, type AgentEvaluation, type Interval } from '../../evaluation/agent-evaluation.js';
import { formatInterval, formatTable, intOption, nonNegativeOption } from './cli-numbers.js';
import { RESPONSE_CLASSES } from '../../intelligence/profile/response-model.js';
import { resolveWorld } from './sandbox-commands.js';

/** `--design`: one of the learning agent's design variants. */
function designOption(value: string): DesignVariant {
  const v = DESIGN_VARIANTS.find((d) => d === value);
  if (!v) throw new InvalidArgumentError(`--design must be one of ${DESIGN_VARIANTS.join(', ')}; got "${value}"`);
  return v;
}

/** A class mix as whole percentages, RESPONSE_CLASSES order. */
const pct = (mix: readonly number[]) => mix.map((x) => `${Math.round(x * 100)}`).join(' / ') + ' %';

const iv = (x: Interval, digits = 0) => formatInterval(x.mean, x.low, x.high, digits);
const TARGET_NAMES: Record<keyof AgentEvaluation['verdicts'], string> = {
  singleDecision: 'single-decision agent ≥ 80 % of the feature oracle',
  learningAboveFeatureOracle: 'learning agent above the feature oracle repeated monthly',
  noMonthBelowZero: 'no month of the learning agent below zero',
  shareOfOracle: 'learning agent at half the oracle',
};

/** The human report of `agent evaluate`. */
export function formatAgentEvaluation(r: AgentEvaluation): string {
  const o = r.options;
  const lines = [
    `retention campaigns on world ${o.world}, ${r.seeds.length} seeds: ${o.customers} customers, ${o.historyMonths} months of history, offer ${o.offerId}, ` +
      `budget ${(o.budgetShare * 100).toFixed(0)}% of the active customers a month, ${o.months} month(s) (${r.seconds.toFixed(1)} s)`,
    'first decision (net value, mean [90 % interval over seeds]):',
    formatTable([['policy', 'net value'], ...FIRST_DECISION_POLICIES.map((p) => [p, iv(r.firstDecision[p])])]),
    `single-decision agent / oracle ${r.agentVsOracle ? iv(r.agentVsOracle, 2) : 'n/a (the oracle made nothing)'}`,
  ];
  if (o.months > 1) {
    lines.push('cumulative net value by month:');
    const header = ['month', ...RETENTION_POLICIES, 'learning − feature oracle'];
    const rows = Array.from({ length: o.months }, (_, m) => [String(m + 1), ...RETENTION_POLICIES.map((p) => iv(r.cumulative[p][m])), iv(r.learningMinusFeatureOracle[m])]);
    lines.push(formatTable([header, ...rows]));
  }
  lines.push('targets (issue 10):');
  for (const [name, v] of Object.entries(r.verdicts)) lines.push(`  ${v.met ? 'met   ' : 'MISSED'} ${TARGET_NAMES[name as keyof AgentEvaluation['verdicts']]}: ${v.why}`);
  lines.push("response profiles vs true types (Brier score, lower is better; the base's mix predicts every customer at the true mix of all profiled customers: the yardstick a profile must beat; the bucket's mix knows which customers the campaigns picked):");
  lines.push(
    formatTable([
      ['contacts', 'customers', 'Brier', "Brier of the base's mix", "Brier of the bucket's mix", `profiles' mean (${RESPONSE_CLASSES.join(' / ')})`, 'true mix'],
      ...r.calibration.map((c) => [c.contacts, String(c.customers), `${c.brier.toFixed(3)}${c.customers > 0 && c.brier > c.brierOfBaseMix ? ' (worse)' : ''}`, c.brierOfBaseMix.toFixed(3), c.brierOfShares.toFixed(3), c.customers > 0 ? pct(c.profileMix) : '–', c.customers > 0 ? pct(c.trueMix) : '–']),
    ]),
  );
  lines.push('per seed (first decision net value; contacted):');
  for (const s of r.seeds) {
    const cells = FIRST_DECISION_POLICIES.map((p) => `${p} ${Math.round(s.firstDecision[p].netValue)} (${s.firstDecision[p].contacted})`).join(', ');
    lines.push(`  seed ${s.seed}: ${s.activeCustomers} active, budget ${s.budget}; ${cells}`);
    const q = s.pilot;
    const left = Object.entries(s.singleDecisionLeft).map(([k, n]) => `${n} ${k}`).join(', ');
    lines.push(`    last quarter's campaign: ${q.customers} customers (half offered), its true net value ${q.netValue}; accepted ${(q.acceptedShare * 100).toFixed(0)} %, hazard × ${q.acceptedMultiplier.mean.toFixed(2)} ± ${q.acceptedMultiplier.sd.toFixed(2)} if accepted, × ${q.declinedMultiplier.mean.toFixed(2)} ± ${q.declinedMultiplier.sd.toFixed(2)} if not, selection factor ${q.selection.mean.toFixed(2)} ± ${q.selection.sd.toFixed(2)}; single-decision agent left ${left}`);
    const e = s.contractEnds;
    lines.push(
      `    contract ends: ${e.ends} in the history, ${e.leavers} left at them${e.coefficients ? ` (logit P(leave) = ${e.coefficients[0].toFixed(2)} + ${e.coefficients[1].toFixed(2)} × logit p(month to month))` : ''}; ` +
        `${e.candidates} candidates' contracts end within the horizon: churn over it ${e.horizonChurn.score.toFixed(3)} by the 30-day score, ${e.horizonChurn.withEnds.toFixed(3)} with the contract-end model, ${e.horizonChurn.truth.toFixed(3)} true; leaving at the end ${e.leaveAtEnd.model.toFixed(3)} by the model, ${e.leaveAtEnd.truth.toFixed(3)} true`,
    );
    const a = s.answers;
    lines.push(`    learning agent's twins: ${a.presented} offers presented, ${a.accepted} accepted, ${a.declined} declined, ${a.ignored} ignored (the rest still in their answer window)`);
  }
  return lines.join('\n');
}

/** Adds `agent evaluate`: the retention agents against the oracles and simple policies on sandbox worlds. */
export function registerAgentCommands(program: Command): void {
  const agent = program.command('agent').description('the agents judged on sandbox worlds');
  agent
    .command('evaluate')
    .description('runs retention campaigns on sandbox worlds and compares the agents\' net value with the oracle, the feature oracle, highest-risk and random policies')
    .option('--seeds <n>', 'worlds (seeds 1..n, or from --seed)', intOption('--seeds', 1, 50), 5)
    .option('--seed <k>', 'the first seed: --seeds 1 --seed 3 runs seed 3 alone (one seed per process, to run seeds side by side)', intOption('--seed', 1, 1_000_000), 1)
    .option('--config <file>', 'world configuration (JSON; may "extends" a built-in world)')
    .option('--world <name>', 'built-in world (default: default)')
    .option('--customers <n>', 'population per world (overrides the world\u2019s)', intOption('--customers', 100), 6_000)
    .option('--history <m>', 'months of history before the first campaign', intOption('--history', 4), 9)
    .option('--months <m>', 'monthly campaigns', intOption('--months', 1, 36), 1)
    .option('--offer <id>', "offer of the world's catalogue (default retain-10, else the world's first)")
    .option('--pilot-share <x>', "share of the active customers in last quarter's randomised campaign, half offered and half held out (default 0.3; its true cost is reported per seed)", nonNegativeOption('--pilot-share'))
    .option('--dump <dir>', "writes each seed's first decision to DIR (candidates with the truth beside, last quarter's campaign) for scripts/agent-offline.mjs, and each month of the learning agent (every active customer: what it did and why, the feature oracle's value and the truth beside) for scripts/agent-months.mjs")
    .option('--design <variant>', `how the learning agent's held-out design reads and plans: ${DESIGN_VARIANTS.join(' or ')} (default pooled; decisions 0094, 0110)`, designOption)
    .option('--json', 'last line: one JSON object')
    .action(
      async (opts: { seeds: number; seed: number; config?: string; world?: string; customers: number; history: number; months: number; offer?: string; pilotShare?: number; dump?: string; design?: DesignVariant; json?: boolean }) => {
        const r = await evaluateRetentionAgent({
          seeds: Array.from({ length: opts.seeds }, (_, i) => i + opts.seed),
          world: resolveWorld({ config: opts.config, world: opts.world }),
          customers: opts.customers,
          historyMonths: opts.history,
          months: opts.months,
          offerId: opts.offer,
          pilotShare: opts.pilotShare,
          design: opts.design,
          dump: opts.dump,
          log: (l) => process.stderr.write(`${l}\n`),
        });
        process.stdout.write(`${formatAgentEvaluation(r)}\n`);
        if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      },
    );
}
