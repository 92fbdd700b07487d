import { Command, InvalidArgumentError } from 'commander';
import { runOfferUpliftEvaluation, type OfferUpliftEvaluationResult } from '../../evaluation/index.js';
import { WORLD_NAMES } from '../../sandbox/index.js';

const int = (name: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}`);
  return n;
};

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const num = (v: number) => v.toFixed(3);

/** A short human summary of the evaluation (one line per method). */
export function formatUpliftBench(r: OfferUpliftEvaluationResult): string {
  const lines = [
    `${r.world}, ${r.counts.activeAtCutoff} active customers at the cutoff after ${r.historyMonths} months; offer ${r.offerId} to ${r.counts.treated} (control ${r.counts.control}); ${r.horizonMonths}-month horizon`,
    `churn: treated ${pct(r.churn.rateTreated)}, control ${pct(r.churn.rateControl)}, observed effect ${pct(r.churn.observedEffect)} ± ${pct(r.churn.observedEffectSe)}; mean true monthly effect ${pct(r.churn.meanTrueMonthlyEffect)}`,
    `acceptance: ${pct(r.acceptance.rate)} (expected ${pct(r.acceptance.expectedRate)}); ` +
      Object.entries(r.acceptance.byType)
        .map(([t, a]) => `${t} ${pct(a.rate)}`)
        .join(', '),
    'method               pearson  spearman  qini    sleeping dogs top 10% (lift)  persuadables top 10% (lift)',
    ...Object.entries(r.methods).map(
      ([m, s]) =>
        `${m.padEnd(20)} ${num(s.pearson).padStart(7)}  ${num(s.spearman).padStart(8)}  ${num(s.qini).padStart(6)}  ${pct(s.sleepingDogsTop10.share).padStart(6)} of ${pct(s.sleepingDogsTop10.populationShare)} (${s.sleepingDogsTop10.lift.toFixed(2)})      ${pct(s.persuadablesTop10.share).padStart(6)} of ${pct(s.persuadablesTop10.populationShare)} (${s.persuadablesTop10.lift.toFixed(2)})`,
    ),
  ];
  return lines.join('\n');
}

/** Adds `bench uplift`: uplift models judged against the sandbox oracle's true offer effects. */
export function registerUpliftBench(bench: Command): void {
  bench
    .command('uplift')
    .description('Randomised offer experiment on a sandbox world; uplift models judged by the oracle\'s true effects (correlation, Qini, sleeping dogs found)')
    .option('--world <name>', `built-in world: ${WORLD_NAMES.join(', ')}`, 'default')
    .option('--customers <n>', 'population', int('--customers', 1), 20_000)
    .option('--history <m>', 'months of history before the offer', int('--history', 1), 6)
    .option('--horizon <m>', 'months after the offer in which churn is counted', int('--horizon', 1), 3)
    .option('--offer <id>', "offer id of the world's catalogue", 'retain-25')
    .option('--seed <n>', 'seed of the world, the assignment and the models', int('--seed', 0), 1)
    .option('--json', 'last line: one JSON object')
    .action(
      async (opts: { world: string; customers: number; history: number; horizon: number; offer: string; seed: number; json?: boolean }) => {
        const result = await runOfferUpliftEvaluation({
          world: opts.world,
          customers: opts.customers,
          historyMonths: opts.history,
          horizonMonths: opts.horizon,
          offerId: opts.offer,
          seed: opts.seed,
          log: (s) => process.stderr.write(`${s}\n`),
        });
        process.stdout.write(opts.json ? `${JSON.stringify(result)}\n` : `${formatUpliftBench(result)}\n`);
      },
    );
}
