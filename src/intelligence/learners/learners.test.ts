import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRng } from '../random.js';
import type { FeatureMatrix } from '../tabular/encoder.js';
import { fitLogistic, logisticLogOdds } from './logistic-regression.js';
import { fitBoosting } from './gradient-boosting.js';
import { packForest, predictPacked } from './packed-forest.js';
import { applyIsotonic, fitIsotonic } from './isotonic-regression.js';
import { calibrate, fitCalibrator } from './calibrator.js';
import { rocAuc } from '../evaluation/roc-auc.js';

function synthetic(n: number, p: number, seed: number, label: (x: Float64Array, u: number) => number): { m: FeatureMatrix; y: Uint8Array } {
  const rng = createRng(seed);
  const data = new Float64Array(n * p);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const x = new Float64Array(p);
    for (let j = 0; j < p; j++) x[j] = data[i * p + j] = rng.next() * 2 - 1;
    y[i] = label(x, rng.next());
  }
  return { m: { rows: n, cols: p, data }, y };
}
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

describe('logistic regression', () => {
  it('recovers the generating coefficients', () => {
    const truth = [0.5, 2, -1.5];
    const { m, y } = synthetic(20000, 2, 7, (x, u) => (u < sigmoid(truth[0] + truth[1] * x[0] + truth[2] * x[1]) ? 1 : 0));
    const model = fitLogistic(m, y, { C: 1e6, categoricalLevels: [0, 0] });
    // Back from standardised units to raw: w_raw = w / scale, intercept adjusted by the means.
    const cols = model.design.columns;
    const w = cols.map((c, k) => model.weights[k] / c.scale);
    const b = model.intercept - cols.reduce((s, c, k) => s + (model.weights[k] * c.mean) / c.scale, 0);
    expect(b).toBeCloseTo(truth[0], 1);
    expect(w[0]).toBeCloseTo(truth[1], 1);
    expect(w[1]).toBeCloseTo(truth[2], 1);
  });
});

describe('gradient boosting', () => {
  const xor = (x: Float64Array): number => (x[0] > 0 !== x[1] > 0 ? 1 : 0);
  it('fits an XOR that a linear model cannot', () => {
    const train = synthetic(3000, 3, 1, xor);
    const test = synthetic(1000, 3, 2, xor);
    const gb = fitBoosting(train.m, train.y, { seed: 3 });
    const lr = fitLogistic(train.m, train.y, { categoricalLevels: [0, 0, 0] });
    expect(rocAuc(test.y, predictPacked(packForest(gb), test.m))).toBeGreaterThan(0.97);
    expect(rocAuc(test.y, logisticLogOdds(lr, test.m))).toBeLessThan(0.6);
  });
  it('routes missing values to the side that fits them', () => {
    const { m, y } = synthetic(2000, 1, 4, (x, u) => (u < 0.5 ? 1 : 0));
    for (let i = 0; i < m.rows; i++) if (y[i] === 1 && i % 2 === 0) m.data[i] = Number.NaN;
    const gb = fitBoosting(m, y, { seed: 1 });
    const z = predictPacked(packForest(gb), { rows: 2, cols: 1, data: Float64Array.from([Number.NaN, 0]) });
    expect(z[0]).toBeGreaterThan(z[1] + 1);
  });
  it('is deterministic given a seed', () => {
    const { m, y } = synthetic(800, 3, 5, xor);
    expect(JSON.stringify(fitBoosting(m, y, { seed: 9 }))).toBe(JSON.stringify(fitBoosting(m, y, { seed: 9 })));
  });
});

describe('calibration', () => {
  it('isotonic regression is monotone non-decreasing', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: -5, max: 5, noNaN: true }), fc.integer({ min: 0, max: 1 })), { minLength: 1, maxLength: 60 }), (pairs) => {
        const fit = fitIsotonic(pairs.map((p) => p[0]), pairs.map((p) => p[1]));
        const grid = Array.from({ length: 41 }, (_, i) => -6 + i * 0.3).map((s) => applyIsotonic(fit, s));
        for (let i = 1; i < grid.length; i++) if (grid[i] < grid[i - 1] - 1e-12) return false;
        return grid.every((v) => v >= 0 && v <= 1);
      }),
    );
  });
  it('Platt scaling recovers a known log-odds distortion', () => {
    const rng = createRng(3);
    const z = Array.from({ length: 20000 }, () => rng.next() * 8 - 4);
    const y = z.map((v) => (rng.next() < sigmoid(0.5 * v - 0.3) ? 1 : 0));
    const cal = fitCalibrator('platt', z, y);
    expect(cal.method === 'platt' && cal.a).toBeCloseTo(0.5, 1);
    expect(calibrate(cal, 0)).toBeCloseTo(sigmoid(-0.3), 1);
  });
});
