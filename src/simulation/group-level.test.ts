import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURE_INDEX } from '../twin/twin-features.js';
import { GROUP_LEVEL_PRIOR_SD, groupLevel, withGroupLevels, type LatestWindow } from './group-level.js';
import { parseScenarios, type Scenario } from './scenario.js';
import { simulate } from './simulate.js';
import { arraySource } from './twin-population.js';

/** 2,000 twins of 30-day churn probability 3 %: the postpaid half churned 1 % in the window, the prepaid half 3 %. */
function window(): LatestWindow {
  const rows = Array.from({ length: 2000 }, (_, i) => {
    const f = new Float64Array(FEATURE_COUNT);
    f[FEATURE_INDEX.monthly_price] = 40;
    f[FEATURE_INDEX.arpu_3m] = 40;
    f[FEATURE_INDEX.active_plans] = 1;
    f[FEATURE_INDEX.marketing_consent] = 1;
    f[FEATURE_INDEX.is_prepaid] = i % 2;
    return { id: `c${i}`, features: f, probability: 0.03 };
  });
  // Every 100th postpaid twin (10 of 1,000) and every 33rd-ish prepaid one (30 of 1,000) churned.
  const churned = new Set(rows.filter((_, i) => (i % 2 === 0 ? i % 200 === 0 : i % 66 === 1 && i < 1980)).map((r) => r.id));
  return { source: arraySource(rows, 30), churned, cutoffMs: 0 };
}

const price = (name: string, extra: Record<string, unknown>): Scenario =>
  parseScenarios({ kind: 'price_change', name, horizonMonths: 3, draws: 200, pricePct: 5, response: { kind: 'configured', elasticity: { mean: 0.01, sd: 0 } }, ...extra }).scenarios[0];

describe('a scenario group\'s churn level', () => {
  it('is the gamma posterior: a group far below the model moves most of the way, a small one stays near the model', () => {
    const alpha = 1 / GROUP_LEVEL_PRIOR_SD ** 2;
    const big = groupLevel(700, 20, 13);
    expect(big.factor).toBeCloseTo((alpha + 13) / (alpha + 20), 10);
    expect(big.factor).toBeLessThan(0.8);
    expect(big.sd).toBeCloseTo(1 / Math.sqrt(alpha + 13), 10);
    const small = groupLevel(50, 1.5, 0);
    expect(small.factor).toBeGreaterThan(0.85);
    expect(small.factor).toBeLessThan(1);
  });

  it('checks each group by its own rule at the window: the one churning below the model gets a lower level, a list of today\'s customers is left alone', () => {
    const w = window();
    const postpaid = price('postpaid', { target: [{ field: 'is_prepaid', op: '==', value: 0 }] });
    const prepaid = price('prepaid', { target: [{ field: 'is_prepaid', op: '==', value: 1 }] });
    const listed = price('listed', { customers: ['c0', 'c2', 'c4'] });
    const { scenarios, levels } = withGroupLevels(w, [postpaid, prepaid, listed]);
    expect(w.churned.size).toBe(40);
    expect(levels[0]).toMatchObject({ rows: 1000, churners: 10 });
    expect(levels[0]!.expected).toBeCloseTo(30, 6);
    expect(levels[0]!.factor).toBeCloseTo(groupLevel(1000, 30, 10).factor, 10);
    expect(levels[1]!.churners).toBe(30);
    expect(levels[1]!.factor).toBeCloseTo(1, 10);
    expect(levels[2]).toBeNull();
    expect(scenarios[0].hazardLevel).toBeLessThan(0.6);
    expect(scenarios[0].hazardCalibrationSd).toBeCloseTo(levels[0]!.sd, 10);
    expect(scenarios[2]).toBe(listed);
    // A list is checked when the caller gives the list of the window's time.
    const back = withGroupLevels(w, [listed], (s) => ({ ...s, customers: Array.from({ length: 1000 }, (_, i) => `c${2 * i}`) }));
    expect(back.levels[0]).toMatchObject({ rows: 1000, churners: 10 });
  });

  it('moves the lab\'s churn by the level: a group at half the model\'s level loses about half the customers', async () => {
    const src = window().source;
    const at = (hazardLevel: number) => price(`l${hazardLevel}`, { hazardLevel, hazardCalibrationSd: 0, horizonMonths: 6 });
    const [full, half] = await simulate(src, [at(1), at(0.5)], { workers: 0 });
    const ratio = half.overall.churnersBaseline.mean / full.overall.churnersBaseline.mean;
    expect(ratio).toBeGreaterThan(0.45);
    expect(ratio).toBeLessThan(0.55);
  });
});
