import { describe, expect, it } from 'vitest';
import { expectedCalibrationError, reliabilityBins } from './calibration-error.js';

describe('reliabilityBins', () => {
  it('cuts the rows by predicted probability into equal-count bins with their mean prediction and observed rate', () => {
    // 10 rows: the five lowest predictions (0.01..0.05) with one positive, the five highest (0.6..1.0) with four.
    const probabilities = [0.6, 0.01, 0.7, 0.02, 0.8, 0.03, 0.9, 0.04, 1.0, 0.05];
    const labels = [1, 0, 0, 1, 1, 0, 1, 0, 1, 0];
    expect(reliabilityBins(labels, probabilities, 2)).toEqual([
      { rows: 5, predicted: 0.03, observed: 0.2 },
      { rows: 5, predicted: 0.8, observed: 0.8 },
    ]);
    // Fewer rows than bins: no empty bin.
    expect(reliabilityBins([1, 0], [0.2, 0.4], 10).map((b) => b.rows)).toEqual([1, 1]);
    expect(reliabilityBins([], [], 10)).toEqual([]);
  });

  it('puts a calibrated model on the diagonal where equal-width bins would crowd it into one', () => {
    // Predictions near zero, as churn's are: 1,000 rows at 2 % and 1,000 at 6 %, each churning at its rate (spread evenly).
    const probabilities = [...Array.from({ length: 1000 }, () => 0.02), ...Array.from({ length: 1000 }, () => 0.06)];
    const labels = probabilities.map((p, i) => (i % 50 < p * 50 ? 1 : 0));
    const bins = reliabilityBins(labels, probabilities, 4);
    expect(bins.map((b) => b.predicted)).toEqual([0.02, 0.02, 0.06, 0.06]);
    expect(bins.map((b) => b.observed)).toEqual([0.02, 0.02, 0.06, 0.06]);
    // Equal-width bins of 10 % hold all 2,000 rows in the first.
    expect(Math.max(...probabilities) < 0.1).toBe(true);
    expect(expectedCalibrationError(labels, probabilities)).toBeCloseTo(0, 6);
  });
});
