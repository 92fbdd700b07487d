import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURE_INDEX } from '../twin/twin-features.js';
import { expectedNetValue, twinExpectedNet } from './expected-value.js';
import { LEAVING_MONTH_SHARE } from './monte-carlo-kernel.js';
import { parseScenarios } from './scenario.js';
import { compileScenarios } from './scenario-plan.js';
import { simulatePlans } from './simulate.js';
import { arraySource } from './twin-population.js';

function population(n: number, probability: (i: number) => number) {
  return Array.from({ length: n }, (_, i) => {
    const f = new Float64Array(FEATURE_COUNT);
    f[FEATURE_INDEX.monthly_price] = 40;
    f[FEATURE_INDEX.arpu_3m] = 30 + (i % 7) * 5;
    f[FEATURE_INDEX.active_plans] = 1;
    f[FEATURE_INDEX.marketing_consent] = 1;
    return { id: `c${i}`, features: f, probability: probability(i) };
  });
}

const scenario = (extra: Record<string, unknown>) =>
  parseScenarios({
    kind: 'retention_campaign', name: 'keep', horizonMonths: 12, draws: 200, seed: 7, hazardCalibrationSd: 0.1,
    targeting: { rank: 'churn_value', k: 4000 }, costPerContact: 0.5,
    offer: { id: 'retain-10', discountPct: 10, months: 6, costPerAcceptance: 1, acceptance: { mean: 0.3, sd: 0.05 }, acceptedHazardMultiplier: { mean: 0.6, sd: 0.1 }, effectMonths: 3 },
    ...extra,
  }).scenarios[0];

describe('expected net value of an offer', () => {
  it("agrees with the kernel's sampled mean over many twins (same process, dice integrated out)", async () => {
    // 4,000 treated twins × 200 draws: the kernel's mean carries dice noise of a few tenths of a
    // percent of the gross; the bound below is several times that and still fails on a wrong formula.
    for (const [contacts, contacted] of [[1, 0], [3, 0], [2, 0.03]] as const) {
      const base = scenario({});
      const offer = base.kind === 'retention_campaign' ? { ...base.offer, contactedHazardIncrease: { mean: contacted, sd: contacted / 5 } } : undefined;
      const plan = compileScenarios(arraySource(population(4000, (i) => 0.02 + (i % 10) * 0.02), 30), [scenario({ contactPolicy: { maxContacts: contacts }, offer })])[0];
      const [sampled] = await simulatePlans([plan], { workers: 0 });
      const expected = expectedNetValue(plan);
      const scale = sampled.overall.revenueDelta.mean + sampled.overall.cost.mean;
      expect(Math.abs(expected.overall.mean - sampled.overall.netValue.mean) / scale, `contacts ${contacts}: expected ${expected.overall.mean}, sampled ${sampled.overall.netValue.mean}`).toBeLessThan(0.01);
      expect(expected.twins).toHaveLength(4000);
      // Summed over twins draw by draw.
      const sum = expected.twins.reduce((a, t) => a + t.netValue.mean, 0);
      expect(sum).toBeCloseTo(expected.overall.mean, 6);
    }
  });

  it("is positive for one valuable customer at risk, where one realisation's interval is not", async () => {
    const rows = population(50, (i) => (i === 0 ? 0.4 : 0.01));
    rows[0].features[FEATURE_INDEX.arpu_3m] = 80;
    const plan = compileScenarios(arraySource(rows, 30), [scenario({ customers: ['c0'], targeting: { rank: 'churn_value', k: 50 }, offer: { id: 'retain-10', discountPct: 10, months: 6, acceptance: { mean: 0.3, sd: 0.03 }, acceptedHazardMultiplier: { mean: 0.6, sd: 0.05 }, effectMonths: 3 } })])[0];
    expect(plan.treatedIds).toEqual(['c0']);
    const [sampled] = await simulatePlans([plan], { workers: 0 });
    const expected = expectedNetValue(plan);
    // Most realisations are a declined contact (−0.5): the realised 5th percentile is negative.
    expect(sampled.overall.netValue.p05).toBeLessThan(0);
    expect(expected.overall.p05).toBeGreaterThan(0);
    expect(expected.twins[0].id).toBe('c0');
  });

  it('counts nothing but the contact when the twin never accepts, and nothing gained without an effect', () => {
    expect(twinExpectedNet(0.1, 0.05, 0.1, 0, 50, 5, 1, 0.5, 3, 3, 6, 12)).toBeCloseTo(-0.5, 12);
    // Same hazard with the offer: it only costs (the discount on the bills it pays: the month in
    // full if it stays, half of it if it leaves then).
    const noEffect = twinExpectedNet(0.1, 0.1, 0.1, 1, 50, 5, 1, 0, 0, 3, 1, 12);
    expect(noEffect).toBeCloseTo(-5 * (0.9 + LEAVING_MONTH_SHARE * 0.1), 12);
  });

  it('charges a contact that provokes those who decline, and an uplift ranking counts it', () => {
    // Never accepted, hazard doubled for 3 months after the one contact: 12 months of 50 lose
    // (the survival lost over the window, and after it the lower survival carries on), each month
    // paid in full by those who stay and half by those who leave in it.
    const provoked = twinExpectedNet(0.1, 0.05, 0.2, 0, 50, 5, 1, 0.5, 3, 3, 6, 12);
    let s0 = 1;
    let s1 = 1;
    let lost = 0;
    for (let t = 1; t <= 12; t++) {
      const leave0 = s0 * 0.1;
      const leave1 = s1 * (t <= 3 ? 0.2 : 0.1);
      s0 *= 0.9;
      s1 *= t <= 3 ? 0.8 : 0.9;
      lost += 50 * (s0 - s1) + 50 * LEAVING_MONTH_SHARE * (leave0 - leave1);
    }
    expect(provoked).toBeCloseTo(-0.5 - lost, 9);
    const rows = population(20, (i) => (i < 10 ? 0.05 : 0.2));
    for (const r of rows) r.features[FEATURE_INDEX.arpu_3m] = 40;
    const plan = compileScenarios(arraySource(rows, 30), [scenario({ targeting: { rank: 'uplift', k: 10 }, offer: { id: 'retain-10', discountPct: 10, months: 6, acceptance: { mean: 0.05, sd: 0 }, acceptedHazardMultiplier: { mean: 1, sd: 0 }, contactedHazardIncrease: { mean: 0.05, sd: 0 }, effectMonths: 3 } })])[0];
    // The same increase of the hazard costs a low-risk twin more (it had more months to lose): an
    // uplift campaign whose contact provokes picks the high-risk half.
    expect(plan.treatedIds).toEqual(rows.slice(10).map((r) => r.id));
  });

  it('refuses structural scenarios', () => {
    const s = parseScenarios({ kind: 'price_change', name: 'p', horizonMonths: 3, draws: 5, pricePct: 5, response: { kind: 'configured', elasticity: { mean: 0.01 } } }).scenarios[0];
    const plan = compileScenarios(arraySource(population(10, () => 0.1), 30), [s])[0];
    expect(() => expectedNetValue(plan)).toThrow(/not one/);
  });
});
