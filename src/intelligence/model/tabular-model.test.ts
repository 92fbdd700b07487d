import { describe, expect, it } from 'vitest';
import { parseCsvTable } from '../tabular/csv-table.js';
import { createRng } from '../random.js';
import { trainTabularModel } from './train-tabular-model.js';
import { parseModel } from './model-file.js';
import { createTabularScorer } from './tabular-scorer.js';
import { crossValidateTable } from './cross-validate.js';

/** A churn-like CSV where month-to-month plans, short tenure and some regions churn more. */
function syntheticCsv(n: number, seed: number): string {
  const rng = createRng(seed);
  const lines = ['Customer ID,Plan,Tenure,Paperless,Region,Churned'];
  for (let i = 0; i < n; i++) {
    const plan = ['Month-to-month', 'One year', 'Two year'][rng.int(3)];
    const tenure = 1 + rng.int(72);
    const paperless = rng.next() < 0.5 ? 'Yes' : 'No';
    const region = `R${rng.int(80)}`;
    const z = -1 + (plan === 'Month-to-month' ? 1.5 : 0) - 0.04 * tenure + (paperless === 'Yes' ? 0.4 : 0) + (Number(region.slice(1)) < 10 ? 0.8 : 0);
    const churn = rng.next() < 1 / (1 + Math.exp(-z)) ? 'True' : 'False';
    lines.push(`C${i},${plan},${rng.next() < 0.02 ? '' : tenure},${paperless},${region},${churn}`);
  }
  return lines.join('\r\n');
}

describe('tabular model', () => {
  const table = parseCsvTable(syntheticCsv(2000, 1));
  const doc = parseModel(JSON.stringify(trainTabularModel(table, { target: 'Churned', id: 'Customer ID', seed: 3 })));
  const scorer = createTabularScorer(doc);

  it('learns the signal and records what it did', () => {
    expect(doc.target.positive).toBe('True');
    expect(doc.featureNames).toEqual(['Plan', 'Tenure', 'Paperless', 'Region']);
    expect(doc.encoder.features.find((f) => f.name === 'Region')?.kind).toBe('target-encoded');
    expect(doc.metrics.cvAuc[doc.learner]).toBeGreaterThan(0.7);
    expect(doc.metrics.eceCalibrated).toBeLessThan(0.06);
  });

  it('explains a record exactly: expected + contributions = log-odds', () => {
    const r = scorer.scoreRecord({ 'Customer ID': 'x', Plan: 'Month-to-month', Tenure: '2', Paperless: 'Yes', Region: 'R3' });
    const sum = r.expected + r.contributions.reduce((s, c) => s + c.contribution, 0);
    expect(sum).toBeCloseTo(r.logOdds, 9);
    expect(r.probability).toBeCloseTo(1 / (1 + Math.exp(-r.logOdds)), 9);
    expect(r.reasons[0]).toMatch(/^(Plan = Month-to-month|Tenure = 2): \+\d\.\d\d$/);
    expect(r.units).toBe('calibrated log-odds');
  });

  it('scores records with unseen categories and missing columns, with warnings', () => {
    const r = scorer.scoreRecord({ Plan: 'Lifetime deal', Tenure: '10' });
    expect(r.probability).toBeGreaterThan(0);
    expect(r.probability).toBeLessThan(1);
    expect(r.warnings.some((w) => w.includes('Lifetime deal'))).toBe(true);
    expect(r.warnings.some((w) => w.includes('Paperless'))).toBe(true);
  });

  it('batch and single-record scoring agree', () => {
    const small = parseCsvTable('Plan,Tenure,Paperless,Region\nOne year,30,No,R50\nMonth-to-month,,Yes,R1\n');
    const { probabilities } = scorer.scoreTable(small);
    expect(probabilities[1]).toBeCloseTo(scorer.scoreRecord({ Plan: 'Month-to-month', Tenure: '', Paperless: 'Yes', Region: 'R1' }).probability, 12);
    expect(probabilities[1]).toBeGreaterThan(probabilities[0]);
  });

  it('cross-validates the whole pipeline inside each fold', () => {
    const r = crossValidateTable(table, { target: 'Churned', id: 'Customer ID', folds: 3, repeats: 1, learners: ['logistic'] });
    expect(r.auc.selected).toHaveLength(3);
    for (const a of r.auc.selected) expect(a).toBeGreaterThan(0.7);
  });
});
