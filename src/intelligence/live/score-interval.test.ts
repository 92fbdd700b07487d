import { describe, expect, it } from 'vitest';
import { createRng } from '../random.js';
import { CUSTOMER_LOGIT_SD, churnInterval, churnLevel, levelSd } from './score-interval.js';

const logit = (p: number) => Math.log(p / (1 - p));
const expit = (z: number) => 1 / (1 + Math.exp(-z));
/** A model's out-of-time recalibration, its level well measured (thousands of churners). */
const measured = { intercept: 0, slope: 1, centre: logit(0.02), interceptSd: 0.02, slopeSd: 0.02, rows: 100_000, positives: 2_000 };

describe('churn score intervals', () => {
  it('hold the served point strictly inside, at every level of risk and for every kind of model', () => {
    const levels = [
      churnLevel({ outOfTime: measured }),
      churnLevel({ outOfTime: { ...measured, interceptSd: 0.4, slopeSd: 0.3 } }),
      churnLevel({ scoreBins: { upper: [0.01, 1], count: [500, 500], positives: [2, 30], expected: [3, 28] } }),
      churnLevel({}),
    ];
    for (const level of levels) {
      for (const p of [1e-7, 0.0005, 0.003, 0.02, 0.1, 0.3065, 0.6, 0.95, 0.999999]) {
        const [lo, hi] = churnInterval(level, p);
        expect(lo, `${level.kind} ${p}`).toBeLessThan(p);
        expect(hi, `${level.kind} ${p}`).toBeGreaterThan(p);
        expect(lo).toBeGreaterThan(0);
        expect(hi).toBeLessThan(1);
      }
    }
  });

  it('hold 90 % of the true probabilities of customers spread as stated around the probability served', () => {
    // Customers served p whose true probabilities are logit-normal with the stated sd and mean p
    // (the served probability is calibrated): the interval of a well-measured model holds 90 % of them.
    const rng = createRng(11);
    const level = churnLevel({ outOfTime: measured });
    for (const p of [0.004, 0.05, 0.3]) {
      const [lo, hi] = churnInterval(level, p);
      // The median of such customers solves mean = p; drawn around it, their mean is p again.
      const median = logit(lo) + (logit(hi) - logit(lo)) / 2;
      let inside = 0;
      let sum = 0;
      const n = 40_000;
      for (let i = 0; i < n; i++) {
        const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
        const truth = expit(median + CUSTOMER_LOGIT_SD * z);
        sum += truth;
        if (truth >= lo && truth <= hi) inside++;
      }
      expect(sum / n / p, `mean at ${p}`).toBeGreaterThan(0.97);
      expect(sum / n / p, `mean at ${p}`).toBeLessThan(1.03);
      expect(inside / n, `coverage at ${p}`).toBeGreaterThan(0.89);
      expect(inside / n, `coverage at ${p}`).toBeLessThan(0.92);
    }
  });

  it('widen where the model\u2019s level was measured on fewer churners or far from its centre', () => {
    const width = (level: ReturnType<typeof churnLevel>, p: number) => {
      const [lo, hi] = churnInterval(level, p);
      return logit(hi) - logit(lo);
    };
    const sure = churnLevel({ outOfTime: measured });
    const unsure = churnLevel({ outOfTime: { ...measured, interceptSd: 0.5, slopeSd: 0.25 } });
    expect(width(unsure, 0.02)).toBeGreaterThan(width(sure, 0.02) + 0.2);
    // The slope's uncertainty weighs more the further a score lies from the rows' mean log-odds.
    expect(levelSd(unsure, 0.3)).toBeGreaterThan(levelSd(unsure, 0.02));
    // Older models: their validation bin's churners; without any, the recalibration prior's level sd.
    const bins = churnLevel({ scoreBins: { upper: [0.01, 1], count: [500, 500], positives: [2, 30], expected: [3, 28] } });
    expect(levelSd(bins, 0.005)).toBeCloseTo(1 / Math.sqrt(2.5), 6);
    expect(levelSd(bins, 0.2)).toBeCloseTo(1 / Math.sqrt(30.5), 6);
    expect(levelSd(churnLevel({}), 0.2)).toBe(0.5);
  });
});
