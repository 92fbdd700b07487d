import { describe, expect, it } from 'vitest';
import { FEATURE_INDEX, FEATURE_NAMES, NEVER_DAYS } from '../../twin/twin-features.js';
import { horizonHazard } from './horizon-hazard.js';

describe('horizonHazard', () => {
  // A model whose 30-day score is 0.2 when the contract ends inside its window, 0.01 otherwise.
  const score = (f: Float64Array) => (f[FEATURE_INDEX.contract_days_left] <= 30 ? 0.2 : 0.01);
  const row = (daysLeft: number) => {
    const f = new Float64Array(FEATURE_NAMES.length);
    f[FEATURE_INDEX.contract_days_left] = daysLeft;
    return f;
  };
  const survival = (h: number) => (1 - h) ** 3;

  it('meets a contract end inside the horizon once, in the window it falls in', () => {
    const once = 0.99 ** 2 * 0.8;
    // Ending in 10 days: the score holds the end; compounded as it stands it would count it three times.
    expect(survival(horizonHazard(row(10), score(row(10)), score, 3, 30))).toBeCloseTo(once, 12);
    // Ending in 45 or 80 days: the score now does not see it; the window it falls in does.
    expect(survival(horizonHazard(row(45), score(row(45)), score, 3, 30))).toBeCloseTo(once, 12);
    expect(survival(horizonHazard(row(80), score(row(80)), score, 3, 30))).toBeCloseTo(once, 12);
  });

  it('is the score itself without an end inside the horizon', () => {
    expect(horizonHazard(row(NEVER_DAYS), 0.05, score, 3, 30)).toBe(0.05);
    expect(horizonHazard(row(120), 0.01, score, 3, 30)).toBe(0.01);
    expect(horizonHazard(row(10), 0.2, score, 1, 30)).toBe(0.2);
  });
});
