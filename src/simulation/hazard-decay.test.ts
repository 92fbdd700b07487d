import { describe, expect, it } from 'vitest';
import { decayLevel, type HazardDecay } from './hazard-decay.js';
import { poissonTrend } from './poisson-trend.js';

describe('the fall of a picked group\'s churn', () => {
  it('reads the fall per month from churners against their expectation, base aside', () => {
    // Exposure 1,000 a month at a base of 0.05 churners per unit, falling by 0.8 a month: 50, 40, 32, 25.6, 20.5.
    const exposure = [1000, 1000, 1000, 1000, 1000];
    const events = exposure.map((e, m) => 0.05 * e * 0.8 ** m);
    const t = poissonTrend(exposure, events);
    expect(Math.exp(t.beta)).toBeCloseTo(0.8, 6);
    // Fewer survivors later (less exposure) leave the fall as it is.
    const shrinking = [1000, 900, 800, 700, 600];
    expect(Math.exp(poissonTrend(shrinking, shrinking.map((e, m) => 0.05 * e * 0.8 ** m)).beta)).toBeCloseTo(0.8, 6);
    // Twice the churners tell the same fall more surely.
    expect(poissonTrend(exposure, events.map((x) => 2 * x)).sd).toBeLessThan(t.sd);
    // No churner at all: no fall read, and no certainty.
    expect(poissonTrend(exposure, [0, 0, 0, 0, 0])).toEqual({ beta: 0, sd: 5 });
  });

  it('gives a group the mean of its bands\' falls over the horizon, weighed by the twins\' hazards', () => {
    const decay: HazardDecay = { cutoffs: 9, bands: [
      { below: 0.02, perMonth: 1, sd: 0.1, churners: 10, expected: 10 },
      { below: Infinity, perMonth: 0.8, sd: 0.1, churners: 10, expected: 10 },
    ] };
    // The first month is the model's own: a one-month horizon keeps the level.
    expect(decayLevel(decay, [0.1, 0.01], [0.1, 0.01], 1)).toBe(1);
    // Three months of the risky band: (1 + 0.8 + 0.64) / 3.
    expect(decayLevel(decay, [0.1], [0.1], 3)).toBeCloseTo(2.44 / 3, 10);
    expect(decayLevel(decay, [0.01], [0.01], 3)).toBe(1);
    // Mixed, by hazard: 0.1 of the risky twin against 0.01 of the safe one.
    expect(decayLevel(decay, [0.1, 0.01], [0.1, 0.01], 3)).toBeCloseTo((0.1 * (2.44 / 3) + 0.01) / 0.11, 10);
    expect(decayLevel(decay, [], [], 3)).toBe(1);
  });
});
