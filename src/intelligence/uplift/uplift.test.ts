import { describe, expect, it } from 'vitest';
import { createRng } from '../random.js';
import { qiniAucScore, qiniCurve, upliftAtK } from './qini.js';
import { fitTwoModel } from './two-model.js';
import { fitXLearner } from './x-learner.js';

describe('Qini (scikit-uplift definitions)', () => {
  const y = [1, 0, 1, 0];
  const t = [1, 1, 0, 0];
  it('builds the curve at distinct score thresholds, starting at the origin', () => {
    const c = qiniCurve(y, [0.9, 0.8, 0.7, 0.6], t);
    expect(Array.from(c.x)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(c.y)).toEqual([0, 1, 1, -1, 0]);
  });
  it('normalises by the perfect curve (hand-computed: 1/3)', () => {
    expect(qiniAucScore(y, [0.9, 0.8, 0.7, 0.6], t)).toBeCloseTo(1 / 3, 12);
  });
  it('scores a perfect ranking 1 and random rankings near 0', () => {
    const rng = createRng(5);
    const n = 4000;
    const tr = Array.from({ length: n }, () => (rng.next() < 0.5 ? 1 : 0));
    const yy = tr.map((ti) => (rng.next() < 0.1 + 0.05 * ti ? 1 : 0));
    const perfect = yy.map((v, i) => v * tr[i] - v * (1 - tr[i]));
    expect(qiniAucScore(yy, perfect, tr)).toBeCloseTo(1, 12);
    const scores = Array.from({ length: 30 }, () => qiniAucScore(yy, yy.map(() => rng.next()), tr));
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
  });
  it('uplift at k compares treated and control response in the top share', () => {
    expect(upliftAtK(y, [0.9, 0.8, 0.7, 0.6], t, 0.5)).toBeCloseTo(0.5, 12);
    expect(upliftAtK(y, [0.9, 0.8, 0.7, 0.6], t, 1)).toBeCloseTo(0, 12);
  });
});

describe('uplift learners', () => {
  // Treatment helps only where x0 > 0: both methods must rank those customers first.
  const rng = createRng(8);
  const n = 6000;
  const data = new Float64Array(n * 2).map(() => rng.next() * 2 - 1);
  const treat = Array.from({ length: n }, () => (rng.next() < 0.5 ? 1 : 0));
  const y = treat.map((ti, i) => (rng.next() < 0.2 + (ti && data[i * 2] > 0 ? 0.3 : 0) ? 1 : 0));
  const m = { rows: n, cols: 2, data };
  const probe = { rows: 2, cols: 2, data: Float64Array.from([0.7, 0, -0.7, 0]) };
  it('two-model and X-learner find where the treatment works', () => {
    const two = fitTwoModel(m, y, treat, { learner: 'gbdt', categoricalLevels: [0, 0], seed: 1 })(probe);
    const x = fitXLearner(m, y, treat, { outcomeLearner: 'gbdt', categoricalLevels: [0, 0], seed: 1 })(probe);
    for (const u of [two, x]) {
      expect(u[0]).toBeGreaterThan(0.15);
      expect(Math.abs(u[1])).toBeLessThan(0.1);
    }
  });
});
