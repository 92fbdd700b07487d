import { describe, expect, it } from 'vitest';
import { decayLevel, type HazardDecay } from './hazard-decay.js';
import { compileScenarios } from './scenario-plan.js';
import { parseScenarios } from './scenario.js';
import { viewOf } from './shared-population.js';
import { arraySource } from './twin-population.js';
import { FEATURE_COUNT, FEATURE_INDEX } from '../twin/twin-features.js';

const decay: HazardDecay = { cutoffs: 9, bands: [
  { below: 0.02, perMonth: 1, sd: 0.1, churners: 10, expected: 10 },
  { below: null, perMonth: 0.8, sd: 0.1, churners: 10, expected: 10 },
] };

describe('the fall of a picked group\'s churn in the lab', () => {
  it('gives a group the mean of its bands\' falls over the horizon, weighed by the twins\' hazards', () => {
    // The first month is the model's own: a one-month horizon keeps the level.
    expect(decayLevel(decay, [0.1, 0.01], [0.1, 0.01], 1)).toBe(1);
    // Three months of the risky band: (1 + 0.8 + 0.64) / 3.
    expect(decayLevel(decay, [0.1], [0.1], 3)).toBeCloseTo(2.44 / 3, 10);
    expect(decayLevel(decay, [0.01], [0.01], 3)).toBe(1);
    // Mixed, by hazard: 0.1 of the risky twin against 0.01 of the safe one.
    expect(decayLevel(decay, [0.1, 0.01], [0.1, 0.01], 3)).toBeCloseTo((0.1 * (2.44 / 3) + 0.01) / 0.11, 10);
    expect(decayLevel(decay, [], [], 3)).toBe(1);
  });

  it('reads a twin\'s cell by its score and whether its contract ends within the horizon', () => {
    const split: HazardDecay = { cutoffs: 9, bands: [
      { below: null, contractEnds: false, level: 0.9, perMonth: 1, sd: 0.1, churners: 10, expected: 10 },
      { below: null, contractEnds: true, level: 0.25, perMonth: 1, sd: 0.1, churners: 10, expected: 10 },
    ] };
    // The first month is the score's own; a quarter of it from then on when the contract ends in the window.
    expect(decayLevel(split, [0.2], [0.2], 4, [1])).toBeCloseTo((1 + 3 * 0.25) / 4, 10);
    expect(decayLevel(split, [0.2], [0.2], 4, [0])).toBeCloseTo((1 + 3 * 0.9) / 4, 10);
    expect(decayLevel(split, [0.2], [0.2], 4)).toBeCloseTo((1 + 3 * 0.9) / 4, 10);
    // A fall read before the split (bands of the score alone, no level) serves every twin.
    expect(decayLevel(decay, [0.1], [0.1], 3, [1])).toBeCloseTo(2.44 / 3, 10);
  });

  it('holds each twin at its own fall, and reports the treated group\'s mean times the scenario\'s own level', () => {
    const rows = Array.from({ length: 200 }, (_, i) => {
      const f = new Float64Array(FEATURE_COUNT);
      f[FEATURE_INDEX.monthly_price] = 40;
      f[FEATURE_INDEX.active_plans] = 1;
      f[FEATURE_INDEX.is_prepaid] = i % 2;
      return { id: `c${i}`, features: f, probability: i % 2 ? 0.1 : 0.01 };
    });
    const scenarios = parseScenarios([
      // The risky half (prepaid) for 3 months, at a level of its own of 1.2.
      { kind: 'price_change', name: 'risky', horizonMonths: 3, pricePct: 5, hazardLevel: 1.2, response: { kind: 'estimated' }, target: [{ field: 'is_prepaid', op: '==', value: 1 }] },
      { kind: 'price_change', name: 'safe', horizonMonths: 3, pricePct: 5, response: { kind: 'estimated' }, target: [{ field: 'is_prepaid', op: '==', value: 0 }] },
    ]).scenarios;
    const [risky, safe] = compileScenarios({ ...arraySource(rows, 30), hazardDecay: decay }, scenarios);
    expect(risky.treatedLevel).toBeCloseTo(1.2 * (2.44 / 3), 10);
    expect(safe.treatedLevel).toBe(1);
    // The fall is each twin's, whichever scenario treats it: the same column in both plans.
    for (const plan of [risky, safe]) {
      const fall = viewOf(plan.population).fall;
      expect(fall[1]).toBeCloseTo(2.44 / 3, 6);
      expect(fall[0]).toBe(1);
    }
    expect(risky.params.level).toBe(1.2);
    expect(safe.params.level).toBe(1);
    // Without the model's fall, the scenario's own level alone.
    const plain = compileScenarios(arraySource(rows, 30), scenarios)[0];
    expect(plain.treatedLevel).toBe(1.2);
    expect(viewOf(plain.population).fall[1]).toBe(1);
  });
});
