import type { ChurnCeiling } from '../../evaluation/churn-ceiling.js';
import type { LiveCeilingReport } from '../../evaluation/live-churn-ceiling.js';
import { formatTable } from './cli-numbers.js';
import { CUSTOMER_LOGIT_SD } from '../../intelligence/live/score-interval.js';

/**
 * The human report of `model ceiling`: per seed and on average, the AUCs of the true churn
 * probabilities, of the feature oracle (the truth with the hidden traits integrated out given the
 * observables) and of the live churn model on the same validation rows, side by side, with the
 * gaps between them; then issue 10's target (the model within `targetGap` of the truth) judged as
 * written and against the feature oracle, saying when it is out of any model's reach: when the
 * truth is further than the target above the feature oracle, no model of the twins' events meets it.
 */
export function formatChurnCeiling(r: ChurnCeiling): string {
  const f = (x: number) => x.toFixed(3);
  const rows = r.seeds.map((s) => [`seed ${s.seed}`, `${s.validationRows} (${s.validationPositives})`, f(s.truthAuc), f(s.featureAuc), f(s.modelAuc), f(s.unobservableGap), f(s.featureGap), f(s.gap), s.learner]);
  const sums = r.seeds.reduce((a, s) => [a[0] + s.validationRows, a[1] + s.validationPositives], [0, 0]);
  if (r.seeds.length > 1) rows.push(['mean', `${Math.round(sums[0] / r.seeds.length)} (${Math.round(sums[1] / r.seeds.length)})`, f(r.truthAuc), f(r.featureAuc), f(r.modelAuc), f(r.unobservableGap), f(r.featureGap), f(r.gap), '']);
  const spread = r.seeds.length > 1 ? ` ± ${f(r.gapSe)} (standard error over ${r.seeds.length} seeds)` : '';
  const t = r.targetGap;
  const asWritten = r.gap <= t ? `met (gap ${f(r.gap)}${spread})` : `MISSED by ${f(r.gap - t)} (gap ${f(r.gap)}${spread})`;
  const reach =
    r.unobservableGap > t
      ? `unreachable as written on this world: even the feature oracle, the most a model of the observables can rank, is ${f(r.unobservableGap)} below the truth`
      : `reachable only by a model ${t - r.unobservableGap < 0.0005 ? 'ranking as well as' : `within ${f(t - r.unobservableGap)} of`} the feature oracle, which is ${f(r.unobservableGap)} below the truth`;
  const e = r.everyCustomer;
  const everyRows = r.seeds.map((s) => {
    const v = s.everyCustomer;
    return [`seed ${s.seed}`, `${v.rows} (${v.positives})`, f(v.truthAuc), f(v.featureAuc), f(v.modelAuc), f(v.truthAuc - v.featureAuc), f(v.featureAuc - v.modelAuc), f(v.truthAuc - v.modelAuc)];
  });
  if (r.seeds.length > 1) everyRows.push(['mean', '', f(e.truthAuc), f(e.featureAuc), f(e.modelAuc), f(e.unobservableGap), f(e.featureGap), f(e.gap)]);
  return [
    `world ${r.world}, ${r.customers} customers, ${r.months} months, ${r.seeds.length} seed(s), ${r.seconds} s`,
    'AUC on the same validation rows (the latest monthly cutoff): the true churn probabilities, the feature oracle (the true model with the hidden traits integrated out given the observables) and the live churn model',
    formatTable([['', 'rows (churned)', 'truth', 'feature oracle', 'live model', 'truth − feature oracle', 'feature oracle − model', 'truth − model', 'learner'], ...rows]),
    `target (issue 10), the live model within ${t} of the truth: ${asWritten}; ${reach}`,
    `the same margin against the feature oracle: ${r.featureGap <= t ? 'met' : 'MISSED'} (feature oracle − model ${f(r.featureGap)})`,
    'the same model and references on every customer active at the latest cutoff (the validation rows above are the share of them the training set kept):',
    formatTable([['', 'rows (churned)', 'truth', 'feature oracle', 'live model', 'truth − feature oracle', 'feature oracle − model', 'truth − model'], ...everyRows]),
    `target on every active customer: ${e.gap <= t ? 'met' : `MISSED by ${f(e.gap - t)}`} (gap ${f(e.gap)}${r.seeds.length > 1 ? ` ± ${f(e.gapSe)}` : ''}); the feature oracle is ${f(e.unobservableGap)} below the truth, the model ${f(e.featureGap)} below the feature oracle`,
    `(the true monthly hazard alone, without the decisions of contracts ending within the horizon: AUC ${f(r.monthlyHazardAuc)})`,
    `the churn score's 90 % interval as served (the score recalibrated out of time, the customers' stated spread of ${CUSTOMER_LOGIT_SD} log-odds around it and the level's own uncertainty: decision 0030) against the true probability; the point's place is the median of log(high / point) / log(point / low), 1 in the middle, 0 at the top:`,
    ...r.seeds.map((s) => {
      const v = s.intervals;
      const pct = (x: number) => `${Math.round(x * 100)} %`;
      return `  seed ${s.seed}: 90 % intervals hold the truth on ${pct(v.coverage)} of the rows (the point strictly inside on ${pct(v.pointInside)}), ${pct(v.atRiskCoverage)} of the ${v.atRiskRows} served 10 % or more (mean served ${f(v.atRiskMean.served)}, model's own ${f(v.atRiskMean.raw)}, truth ${f(v.atRiskMean.truth)}; point's place ${v.atRiskBalance.toFixed(2)}); the truth lies ${v.logitSpread.toFixed(2)} log-odds (sd) from the served score, against the ${CUSTOMER_LOGIT_SD} stated`;
    }),
  ].join('\n');
}

/** The human report of `twinloop sandbox churn-ceiling` (GET /sandbox/churn-ceiling): the three AUCs on the live world's recorded rows, expected and (once the horizon has passed) realised, and the reading. */
export function formatLiveChurnCeiling(r: LiveCeilingReport): string {
  const f = (x: number) => x.toFixed(3);
  const row = (label: string, a: LiveCeilingReport['expected']) => [label, String(a.churners), f(a.truth), f(a.featureOracle), f(a.model), f(a.truth - a.featureOracle), f(a.featureOracle - a.model), f(a.truth - a.model)];
  return [
    `${r.modelId} on the live world: ${r.rows} scored twins recorded at ${r.at} (world time), churn within ${r.horizonDays} days`,
    formatTable([
      ['AUC', 'churners', 'truth', 'feature oracle', 'live model', 'truth − feature oracle', 'feature oracle − model', 'truth − model'],
      row('expected', r.expected),
      ...(r.realised ? [row('realised', r.realised)] : []),
    ]),
    ...(r.realised ? [] : [`realised AUCs from ${r.labelsAt} (world time), when the ${r.horizonDays} days have passed`]),
    r.reading,
  ].join('\n');
}
