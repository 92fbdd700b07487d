import { describe, expect, it } from 'vitest';
import { seededRandom } from '../domain/seeded-random.js';
import { FEATURE_COUNT, FEATURE_INDEX, NEVER_DAYS, type FeatureName } from '../twin/twin-features.js';
import { DecisionFunnel, type DecisionContext } from './decision-funnel.js';
import { defaultCatalogue } from './default-catalogue.js';
import { whatIfForTwin } from './offer-what-if.js';

const NOON = Date.UTC(2026, 0, 15, 12);
const call: DecisionContext = { channel: 'call', direction: 'inbound', now: NOON };

function customer(set: Partial<Record<FeatureName, number>> = {}): Float64Array {
  const f = new Float64Array(FEATURE_COUNT);
  const base: Partial<Record<FeatureName, number>> = {
    tenure_days: 800, marketing_consent: 1, active_plans: 1, monthly_price: 55, data_allowance_mb: 5120, data_mb_30d: 6000,
    months_over_allowance_3m: 2, complaints_90d: 1, days_since_offer_declined: NEVER_DAYS, days_since_offer_accepted: NEVER_DAYS,
  };
  for (const [k, v] of Object.entries({ ...base, ...set })) f[FEATURE_INDEX[k as FeatureName]] = v as number;
  return f;
}
const funnel = () => new DecisionFunnel({ catalogue: defaultCatalogue(), random: seededRandom(3) });

describe("a customer's what-if", () => {
  it("shows each offering's effect on churn and value in the funnel's own numbers, and whether it would be proposed", () => {
    const f = funnel();
    const twins = { features: (id: string) => (id === 'c1' ? customer() : undefined) };
    const w = whatIfForTwin(f, twins, () => ({ churn: 0.45, clv: 900, atRisk: true }), 'c1', call);
    expect(w).toMatchObject({ customerId: 'c1', at: NOON, channel: 'call', contextKey: 'call|high-risk', churn: 0.45, clv: 900 });
    expect(w.offers.map((o) => o.actionId).sort()).toEqual(defaultCatalogue().offers.map((o) => o.id).sort());
    // retain-25 (the worked example of docs/decisioning.md): retention effect 0.45, P(accept) 0.3, 25 % of 55 for 6 months.
    const r25 = w.offers.find((o) => o.actionId === 'retain-25')!;
    expect(r25.eligible).toBe(true);
    expect(r25.acceptance).toBeCloseTo(0.3, 9);
    expect(r25.churnIfAccepted).toBeCloseTo(0.45 - 0.45 * 0.45, 9);
    expect(r25.expectedChurn).toBeCloseTo(0.45 - 0.3 * 0.45 * 0.45, 9);
    expect(r25.deltaLifetimeValue).toBeCloseTo(182.25, 6);
    expect(r25.costIfAccepted).toBeCloseTo(82.5, 6);
    expect(r25.expectedValue).toBeCloseTo(29.925, 6);
    // The same numbers the decision ranks on, and its ranking.
    const d = f.decide('c1', customer(), { churn: 0.45, clv: 900, atRisk: true }, call);
    for (const r of d.ranked.filter((x) => x.actionId !== 'do-nothing')) {
      const o = w.offers.find((x) => x.actionId === r.actionId)!;
      expect(o.expectedValue).toBeCloseTo(r.expectedValue, 9);
      expect(o.funnel.step).toBe('proposed');
    }
    // Every offering's figures add up as its formula says, with nothing left out (an add-on's revenue was not shown).
    for (const o of w.offers) {
      expect(o.valueIfAccepted, o.actionId).toBeCloseTo(o.deltaLifetimeValue + o.revenueIfAccepted - o.costIfAccepted, 9);
      expect(o.expectedValue, o.actionId).toBeCloseTo(o.acceptance * o.valueIfAccepted - o.costPerContact, 9);
    }
    expect(w.offers.some((o) => o.revenueIfAccepted > 0)).toBe(true);
    // Eligible first, by expected value.
    const eligible = w.offers.filter((o) => o.eligible);
    expect(w.offers.slice(0, eligible.length)).toEqual(eligible);
    for (let i = 1; i < eligible.length; i++) expect(eligible[i - 1].expectedValue).toBeGreaterThanOrEqual(eligible[i].expectedValue);
  });

  it('says why an offering is not open to the customer, and refuses an unknown customer', () => {
    const twins = { features: (id: string) => (id === 'c2' ? customer({ active_plans: 0, monthly_price: 0 }) : undefined) };
    const w = whatIfForTwin(funnel(), twins, () => ({ churn: 0.2, clv: 300 }), 'c2', call);
    const discount = w.offers.find((o) => o.actionId === 'retain-10')!;
    expect(discount.funnel).toMatchObject({ step: expect.stringMatching(/eligibility|suitability/), reason: expect.any(String) });
    expect(() => whatIfForTwin(funnel(), twins, () => undefined, 'nobody', call)).toThrow(/no twin for customer 'nobody'/);
  });

  it('shows no churn figure for a customer not scored yet, and says why', () => {
    const twins = { features: (id: string) => (id === 'c1' ? customer() : undefined) };
    const w = whatIfForTwin(funnel(), twins, () => undefined, 'c1', call, 'not scored yet: no churn model serves');
    expect(w).toMatchObject({ churn: null, clv: null, basedOn: { scored: false, note: expect.stringMatching(/^not scored yet: no churn model serves/) } });
    const bonus = w.offers.find((o) => o.actionId === 'data-bonus')!;
    expect(bonus).toMatchObject({ eligible: true, churnNow: null, churnIfAccepted: null, expectedChurn: null });
    // Valued as the decision values them: no customer value to keep.
    expect(bonus.deltaLifetimeValue).toBe(0);
    expect(w.offers.every((o) => o.churnNow === null)).toBe(true);
  });
});
