import { describe, expect, it } from 'vitest';
import { decayLevel, type HazardDecay } from './hazard-decay.js';
import { compileScenarios } from './scenario-plan.js';
import { parseScenarios } from './scenario.js';
import { allocateShared, viewOf, withScenarioColumns } from './shared-population.js';
import { METRIC_COUNT, monthsSurvived, monthsSurvivedFrom, runDraws } from './monte-carlo-kernel.js';
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
      f[FEATURE_INDEX.marketing_consent] = 1;
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
    // The fall is each twin's, whichever scenario treats it: the same column in both plans, its
    // factor from the second month on (the first is the model's own): (0.8 + 0.64) / 2.
    for (const plan of [risky, safe]) {
      const fall = viewOf(plan.population).fall;
      expect(fall[1]).toBeCloseTo(1.44 / 2, 6);
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

describe('the fall in the kernel', () => {
  it('holds the first month at the model\'s own hazard and the fall from the second month on', () => {
    // 20,000 twins at 10 % a month whose fall halves their hazard after the first month: over 3
    // months 1 − 0.9 × 0.95² = 18.8 % leave, 10 % of them in the first month. Held at a fall over
    // the whole horizon, the first month would lose only 5 % (1 − 0.95³ = 14.3 % over the three).
    const n = 20_000;
    const { shared } = allocateShared(n);
    const { view } = withScenarioColumns(shared);
    view.hazard.fill(0.1);
    view.revenue.fill(10);
    view.fall.fill(0.5);
    const base = { seed: 5, segments: 1, calibrationSd: 0, fixedCost: 0, mode: 'structural', effectSd: 0 } as const;
    const churners = (months: number) => {
      const out = new Float64Array(4 * METRIC_COUNT);
      runDraws({ ...view, n }, { ...base, months }, 0, 4, out);
      let c = 0;
      for (let k = 0; k < out.length; k += METRIC_COUNT) c += out[k];
      return c / 4 / n;
    };
    expect(churners(1)).toBeCloseTo(0.1, 2);
    expect(churners(3)).toBeCloseTo(1 - 0.9 * 0.95 ** 2, 2);
  });

  it('counts the pieces from the first month, whose hazard is its own', () => {
    const l = (h: number) => -Math.log1p(-h);
    // The same hazard everywhere: the plain pieces.
    for (const e of [0.01, 0.3, 1.2, 4]) expect(monthsSurvivedFrom(e, l(0.2), l(0.2), 3, l(0.2), 0, l(0.2))).toBe(monthsSurvived(e, l(0.2), 3, l(0.2), 0, l(0.2)));
    // A first month survived at 0.1 (e above its 0.105), then 0.5 a month (0.69 each): churns in the second.
    expect(monthsSurvivedFrom(0.5, l(0.1), l(0.5), 2, l(0.01), 0, l(0.01))).toBe(1);
    // Past the two months of the first piece (0.105 + 0.69 = 0.80), at 1 % a month (0.01005): 20 more months survived.
    expect(monthsSurvivedFrom(0.8 + 20.5 * l(0.01), l(0.1), l(0.5), 2, l(0.01), 0, l(0.01))).toBe(22);
    // No hazard after the first month: never churns once it is survived.
    expect(monthsSurvivedFrom(0.5, l(0.1), 0, 0, 0, 0, 0)).toBe(Infinity);
  });
});
