import { runOfferUpliftEvaluation, type OfferUpliftEvaluationResult } from '../../evaluation/offer-uplift-evaluation.js';
import { WORLD_NAMES } from '../../sandbox/index.js';
import { intOption } from '../cli/cli-numbers.js';
import { defineBench } from './bench-harness.js';

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

/** `bench uplift`: uplift models judged against the sandbox oracle's true offer effects. */
export const upliftBench = defineBench({
  name: 'uplift',
  description: "Randomised offer experiment on a sandbox world; uplift models judged by the oracle's true effects (correlation, Qini, sleeping dogs found)",
  options: [
    { flags: '--world <name>', description: `built-in world: ${WORLD_NAMES.join(', ')}`, default: 'default' },
    { flags: '--customers <n>', description: 'population', parse: intOption('--customers', 1), default: 20_000 },
    { flags: '--history <m>', description: 'months of history before the offer', parse: intOption('--history', 1), default: 6 },
    { flags: '--horizon <m>', description: 'months after the offer in which churn is counted', parse: intOption('--horizon', 1), default: 3 },
    { flags: '--offer <id>', description: "offer id of the world's catalogue", default: 'retain-25' },
    { flags: '--seed <n>', description: 'seed of the world, the assignment and the models', parse: intOption('--seed', 0), default: 1 },
  ],
  run: (o: { world: string; customers: number; history: number; horizon: number; offer: string; seed: number }, { log }) =>
    runOfferUpliftEvaluation({ world: o.world, customers: o.customers, historyMonths: o.history, horizonMonths: o.horizon, offerId: o.offer, seed: o.seed, log }),
  summary: formatUpliftBench,
});
