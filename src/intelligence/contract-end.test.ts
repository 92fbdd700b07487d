import { describe, expect, it } from 'vitest';
import { DAYS_PER_MONTH } from '../domain/time.js';
import { FEATURE_COUNT, FEATURE_INDEX } from '../twin/twin-features.js';
import { contractEndsWithin } from './contract-end.js';
import { contractPhase } from './uplift/stratum-calibration.js';

describe('a contract end', () => {
  it('counts the end day: a contract with exactly the window left ends within it, one a day more does not', () => {
    expect(contractEndsWithin(90, 90)).toBe(true);
    expect(contractEndsWithin(0, 90)).toBe(true);
    expect(contractEndsWithin(91, 90)).toBe(false);
  });

  it('is read the same by the stratum calibration: 30 days left ends within 30 days, 31 within the horizon, a year left within the year', () => {
    const row = (left: number) => {
      const f = new Float64Array(FEATURE_COUNT);
      f[FEATURE_INDEX.contract_months] = 12;
      f[FEATURE_INDEX.contract_days_left] = left;
      return f;
    };
    expect(contractPhase(row(30), 3)).toBe('ends-within-30-days');
    expect(contractPhase(row(31), 3)).toBe('ends-within-horizon');
    expect(contractPhase(row(Math.floor(3 * DAYS_PER_MONTH)), 3)).toBe('ends-within-horizon');
    expect(contractPhase(row(Math.ceil(3 * DAYS_PER_MONTH)), 3)).toBe('locked-within-year');
    expect(contractPhase(row(365), 3)).toBe('locked-within-year');
    expect(contractPhase(row(366), 3)).toBe('locked-beyond-year');
  });
});
