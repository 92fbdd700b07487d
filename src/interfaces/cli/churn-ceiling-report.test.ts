import { describe, expect, it } from 'vitest';
import type { ChurnCeiling, CeilingSeed } from '../../evaluation/churn-ceiling.js';
import { CUSTOMER_LOGIT_SD } from '../../intelligence/live/score-interval.js';
import { formatChurnCeiling } from './churn-ceiling-report.js';

const seed = (n: number, truth: number, feature: number, model: number): CeilingSeed => ({
  seed: n, validationRows: 1900 + n, validationPositives: 30 + n, modelAuc: model, truthAuc: truth, featureAuc: feature, monthlyHazardAuc: truth - 0.02,
  gap: truth - model, unobservableGap: truth - feature, featureGap: feature - model, learner: 'gbdt',
  intervals: { coverage: 0.9, pointInside: 1, atRiskRows: 12 + n, atRiskCoverage: 0.75, atRiskMean: { served: 0.15, raw: 0.3, truth: 0.14 }, atRiskBalance: 1.1, logitSpread: 0.8 },
  // Every active customer: the truth a little lower, the model a little nearer the feature oracle.
  everyCustomer: { rows: 6800 + n, positives: 100 + n, truthAuc: truth - 0.01, featureAuc: feature, modelAuc: model + 0.01 },
});

const ceiling = (seeds: CeilingSeed[]): ChurnCeiling => {
  const mean = (f: (s: CeilingSeed) => number) => seeds.reduce((a, s) => a + f(s), 0) / seeds.length;
  return {
    world: 'default', customers: 2000, months: 12, seeds, seconds: 12.5, targetGap: 0.03, gapSe: 0.004,
    modelAuc: mean((s) => s.modelAuc), truthAuc: mean((s) => s.truthAuc), featureAuc: mean((s) => s.featureAuc), monthlyHazardAuc: mean((s) => s.monthlyHazardAuc),
    gap: mean((s) => s.gap), unobservableGap: mean((s) => s.unobservableGap), featureGap: mean((s) => s.featureGap),
    everyCustomer: {
      truthAuc: mean((s) => s.everyCustomer.truthAuc), featureAuc: mean((s) => s.everyCustomer.featureAuc), modelAuc: mean((s) => s.everyCustomer.modelAuc),
      gap: mean((s) => s.everyCustomer.truthAuc - s.everyCustomer.modelAuc), gapSe: 0.002,
      unobservableGap: mean((s) => s.everyCustomer.truthAuc - s.everyCustomer.featureAuc), featureGap: mean((s) => s.everyCustomer.featureAuc - s.everyCustomer.modelAuc),
    },
  };
};

describe('model ceiling report', () => {
  it('puts the truth, the feature oracle and the model side by side, and says when the target is out of any model\u2019s reach', () => {
    const text = formatChurnCeiling(ceiling([seed(1, 0.86, 0.8, 0.78), seed(2, 0.84, 0.78, 0.76)]));
    const lines = text.split('\n');
    const header = lines.find((l) => l.includes('truth') && l.includes('feature oracle') && l.includes('live model'))!;
    expect(header.indexOf('truth')).toBeLessThan(header.indexOf('feature oracle'));
    expect(header.indexOf('feature oracle')).toBeLessThan(header.indexOf('live model'));
    // Each seed's row and the mean carry the three AUCs in that order, then the gaps.
    expect(lines.find((l) => l.startsWith('seed 1'))).toMatch(/1901 \(31\)\s+0\.860\s+0\.800\s+0\.780\s+0\.060\s+0\.020\s+0\.080\s+gbdt/);
    expect(lines.find((l) => l.startsWith('mean'))).toMatch(/0\.850\s+0\.790\s+0\.770\s+0\.060\s+0\.020\s+0\.080/);
    expect(text).toMatch(/within 0\.03 of the truth: MISSED by 0\.050 \(gap 0\.080 ± 0\.004/);
    expect(lines.find((l) => l.startsWith('  seed 1: 90 % intervals'))).toMatch(/hold the truth on 90 % of the rows \(the point strictly inside on 100 %\), 75 % of the 13 served 10 % or more \(mean served 0\.150, model's own 0\.300, truth 0\.140; point's place 1\.10\); the truth lies 0\.80 log-odds \(sd\) from the served score/);
    expect(lines.find((l) => l.startsWith('  seed 1: 90 % intervals'))).toContain(`against the ${CUSTOMER_LOGIT_SD} stated`);
    expect(text).toMatch(/unreachable as written on this world: even the feature oracle.* is 0\.060 below the truth/);
    expect(text).toMatch(/against the feature oracle: met \(feature oracle − model 0\.020\)/);
    // The second table: every customer active at the latest cutoff, after the validation rows' one.
    const every = lines.findIndex((l) => l.startsWith('the same model and references on every customer active at the latest cutoff'));
    expect(every).toBeGreaterThan(lines.indexOf(lines.find((l) => l.startsWith('mean'))!));
    expect(lines.slice(every).find((l) => l.startsWith('seed 1'))).toMatch(/6801 \(101\)\s+0\.850\s+0\.800\s+0\.790\s+0\.050\s+0\.010\s+0\.060/);
    expect(lines.slice(every).find((l) => l.startsWith('mean'))).toMatch(/0\.840\s+0\.790\s+0\.780\s+0\.050\s+0\.010\s+0\.060/);
    expect(text).toMatch(/target on every active customer: MISSED by 0\.030 \(gap 0\.060 ± 0\.002\); the feature oracle is 0\.050 below the truth, the model 0\.010 below the feature oracle/);
  });

  it('says the target is reachable where the hidden traits carry less than its margin, and names a model short of the feature oracle', () => {
    const text = formatChurnCeiling(ceiling([seed(1, 0.8, 0.79, 0.74)]));
    expect(text).not.toMatch(/^mean/m);
    expect(text).toMatch(/MISSED by 0\.030 .*reachable only by a model within 0\.020 of the feature oracle, which is 0\.010 below the truth/);
    expect(text).toMatch(/against the feature oracle: MISSED \(feature oracle − model 0\.050\)/);
  });
});
