import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURE_INDEX } from '../../twin/twin-features.js';
import { contractPhase, fitStratumCalibration, recalibratedChurn, recalibratedHazard } from './stratum-calibration.js';

/** A feature row with a contract of `months` and `daysLeft` days to run (0 months: month to month). */
function rowOf(months: number, daysLeft: number): Float64Array {
  const f = new Float64Array(FEATURE_COUNT);
  f[FEATURE_INDEX.contract_months] = months;
  f[FEATURE_INDEX.contract_days_left] = daysLeft;
  return f;
}

describe("the churn model's calibration per stratum of the campaign's controls", () => {
  it("reads a contract's phase over the horizon", () => {
    expect(contractPhase(rowOf(0, 0), 3)).toBe('month-to-month');
    expect(contractPhase(rowOf(12, 20), 3)).toBe('ends-within-30-days');
    expect(contractPhase(rowOf(12, 60), 3)).toBe('ends-within-horizon');
    expect(contractPhase(rowOf(12, 200), 3)).toBe('locked-within-year');
    expect(contractPhase(rowOf(24, 500), 3)).toBe('locked-beyond-year');
    // A shorter horizon: 60 days left is beyond a one-month window.
    expect(contractPhase(rowOf(12, 60), 1)).toBe('locked-within-year');
  });

  // 600 month-to-month controls churning as the model says (10 %), 300 renewals in 31–91 days the model reads
  // at 2 % that churn 20 %: the renewal is what the 30-day score compounded misses.
  const controls = [
    ...Array.from({ length: 600 }, (_, i) => ({ features: rowOf(0, 0), hazard: 0.035, expectedChurn: 0.1, churned: i % 10 === 0 })),
    ...Array.from({ length: 300 }, (_, i) => ({ features: rowOf(12, 60), hazard: 0.007, expectedChurn: 0.02, churned: i % 5 === 0 })),
  ];

  it('finds the stratum the model misses and leaves the one it reads right, against the pooled factor', () => {
    const c = fitStratumCalibration(controls, 3);
    // 120 churners against 66 expected in all.
    expect(c.pooled).toBeCloseTo(120 / 66, 6);
    const renewals = c.stratumOf(rowOf(12, 60), 0.007);
    const monthly = c.stratumOf(rowOf(0, 0), 0.035);
    expect(renewals).not.toBe(monthly);
    // 60 churners against 6 expected, shrunk toward the pooled 1.82 by a prior worth 5 expected churns: (5 + 60) / (5 / 1.82 + 6) = 7.4, not 1.8.
    expect(c.ratio(renewals)).toBeCloseTo(65 / (5 / (120 / 66) + 6), 6);
    expect(c.ratio(renewals)).toBeGreaterThan(7);
    expect(c.ratio(monthly)).toBeCloseTo(1, 1);
    // Relative to the pooled factor, which the pilot's own calibration applies: the renewals' 2 % read as about 15 %.
    expect(recalibratedChurn(c, renewals, 0.02) * c.pooled).toBeCloseTo(0.02 * c.ratio(renewals), 6);
    expect(recalibratedChurn(c, renewals, 0.02) * c.pooled).toBeGreaterThan(0.14);
    // The monthly hazard compounds to the recalibrated churn over the window.
    const h = recalibratedHazard(c, renewals, 0.007, 3);
    expect(1 - (1 - h) ** 3).toBeCloseTo(recalibratedChurn(c, renewals, 1 - (1 - 0.007) ** 3), 9);
  });

  it('keeps a stratum of a few customers near the pooled factor, and one no control fell in at it', () => {
    const few = [...controls, { features: rowOf(24, 500), hazard: 0.001, expectedChurn: 0.01, churned: true }];
    const c = fitStratumCalibration(few, 3);
    const locked = c.stratumOf(rowOf(24, 500), 0.001);
    // One churner against 0.01 expected: (5 + 1) / (5 / pooled + 0.01), within 20 % of the pooled factor, not 100.
    expect(c.ratio(locked) / c.pooled).toBeLessThan(1.2);
    expect(c.ratio('locked-within-year/high')).toBe(c.pooled);
  });

  it('caps a recalibrated churn below certainty, and refuses a bad control or prior', () => {
    const c = fitStratumCalibration(controls, 3);
    expect(recalibratedChurn(c, c.stratumOf(rowOf(12, 60), 0.007), 0.5)).toBeLessThan(1);
    expect(() => fitStratumCalibration([{ features: rowOf(0, 0), hazard: 0.1, expectedChurn: 1.5, churned: false }], 3)).toThrow(/expected churn in \[0, 1\]/);
    expect(() => fitStratumCalibration(controls, 3, 0)).toThrow(/prior strength/);
  });
});
