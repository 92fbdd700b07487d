import type { Command } from 'commander';
import { evaluateRetentionAgent, RETENTION_POLICIES, type AgentEvaluation, type Interval } from '../../evaluation/agent-evaluation.js';
import { formatInterval, formatTable, intOption } from './cli-numbers.js';

const iv = (x: Interval, digits = 0) => formatInterval(x.mean, x.low, x.high, digits);
const verdict = (x: Interval, target: number) => `${x.mean >= target ? 'met' : 'MISSED'} (target ≥ ${target})`;

/** The human report of `agent evaluate`. */
export function formatAgentEvaluation(r: AgentEvaluation): string {
  const o = r.options;
  const lines = [
    `retention intent on ${r.seeds.length} seeds: ${o.customers} customers, ${o.historyMonths} months of history, offer ${o.offerId}, budget ${(o.budgetShare * 100).toFixed(0)}% of the active customers (${r.seconds.toFixed(1)} s)`,
    formatTable([['policy', 'net value mean [90 % interval]'], ...RETENTION_POLICIES.map((p) => [p, iv(r.netValue[p])])]),
    `agent / oracle       ${iv(r.agentVsOracle, 2)}  ${verdict(r.agentVsOracle, r.targets.agentVsOracle)}`,
    `agent / highest-risk ${iv(r.agentVsHighestRisk, 2)}  ${verdict(r.agentVsHighestRisk, r.targets.agentVsHighestRisk)}`,
    'per seed (net value; contacted):',
  ];
  for (const s of r.seeds) {
    const cells = RETENTION_POLICIES.map((p) => `${p} ${Math.round(s.policies[p].netValue)} (${s.policies[p].contacted})`).join(', ');
    lines.push(`  seed ${s.seed}: ${s.activeCustomers} active, budget ${Math.round(s.budget)}; ${cells}`);
  }
  return lines.join('\n');
}

/** Adds `agent evaluate`: the retention agent against the oracle and simple policies on sandbox worlds. */
export function registerAgentCommands(program: Command): void {
  const agent = program.command('agent').description('the agents judged on sandbox worlds');
  agent
    .command('evaluate')
    .description('gives the retention intent on sandbox worlds and compares the agent\'s net value with the oracle, highest-risk and random policies')
    .option('--seeds <n>', 'worlds (seeds 1..n)', intOption('--seeds', 1, 50), 5)
    .option('--customers <n>', 'population per world', intOption('--customers', 100), 6_000)
    .option('--history <m>', 'months of history before the intent', intOption('--history', 1), 9)
    .option('--offer <id>', "offer of the world's catalogue", 'retain-10')
    .option('--json', 'last line: one JSON object')
    .action(
      async (opts: { seeds: number; customers: number; history: number; offer: string; json?: boolean }) => {
        const r = await evaluateRetentionAgent({
          seeds: Array.from({ length: opts.seeds }, (_, i) => i + 1),
          customers: opts.customers,
          historyMonths: opts.history,
          offerId: opts.offer,
          log: (l) => process.stderr.write(`${l}\n`),
        });
        process.stdout.write(`${formatAgentEvaluation(r)}\n`);
        if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
      },
    );
}
