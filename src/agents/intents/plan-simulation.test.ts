import { describe, expect, it } from 'vitest';
import { arraySource, simulate, type ScenarioResult } from '../../simulation/index.js';
import { FEATURE_COUNT, FEATURE_INDEX } from '../../twin/twin-features.js';
import type { Plan, PlannedAction } from './intent-planner.js';
import { answeredAction, planOutcome, planScenarios, type OfferAssumption } from './plan-simulation.js';

const action = (a: Partial<PlannedAction> & Pick<PlannedAction, 'templateId'>): PlannedAction => ({
  channels: ['email'],
  targeting: { rank: 'churn_x_value', limit: { kind: 'budget', amount: 1000 } },
  controlGroupShare: 0.1,
  maxContactsPerCustomer: 1,
  ...a,
});
const plan = (actions: PlannedAction[]): Plan => ({ id: 'p', intentId: 'i', segment: { named: ['high-value'], filters: [], cells: [] }, horizon: { amount: 1, unit: 'months' }, actions }) as unknown as Plan;
const catalogue: Record<string, OfferAssumption> = {
  'retain-10': { discountPct: 10, months: 6, acceptance: 0.1, retentionEffect: 0.25 },
  'service-check-in': { discountPct: 0, months: 0, acceptance: 0.6, retentionEffect: 0.05 },
};
const interval = (mean: number) => ({ mean, p05: mean / 2, p95: mean * 2 });
const result = (accepted: number) => ({ overall: { netValue: interval(10), churnersAvoided: interval(1), cost: interval(5), accepted: interval(accepted), churnersBaseline: interval(20), treated: 100, twins: 400 } }) as unknown as ScenarioResult;

describe('plan simulation', () => {
  it("gives a message the catalogue's effect on the receiver's hazard, an offer its answer's", () => {
    const checkIn = action({ templateId: 'service-check-in' });
    const offer = action({ templateId: 'retention-offer-digital', offerId: 'retain-10' });
    const [message, discount] = planScenarios(plan([checkIn, offer]), 1, (id) => catalogue[id]);
    expect(message.kind === 'retention_campaign' && message.offer.acceptedHazardMultiplier.mean).toBeCloseTo(0.95, 10);
    expect(discount.kind === 'retention_campaign' && discount.offer.acceptedHazardMultiplier.mean).toBeCloseTo(0.7, 10);
    // A message the catalogue does not know keeps the prior effect.
    const [unknown] = planScenarios(plan([checkIn]), 1, () => undefined);
    expect(unknown.kind === 'retention_campaign' && unknown.offer.acceptedHazardMultiplier.mean).toBeCloseTo(0.9, 10);
  });

  it('counts as acceptances only the answers to offers: a message received is none', () => {
    const actions = [action({ templateId: 'service-check-in' }), action({ templateId: 'retention-offer-digital', offerId: 'retain-10' })];
    expect(actions.map(answeredAction)).toEqual([false, true]);
    const outcome = planOutcome([result(240), result(12)], actions.map(answeredAction));
    expect(outcome.acceptances?.mean).toBe(12);
    expect(outcome.netValue.mean).toBe(20);
    expect(planOutcome([result(240)], [false]).acceptances?.mean).toBe(0);
  });

  it("simulated over the segment's customers alone, a plan treats the same customers and reads the segment's churn, not the operator's", async () => {
    // 2,000 twins, 200 of them high-value (arpu_3m >= 60), all with the same risk.
    const rows = Array.from({ length: 2000 }, (_, i) => {
      const f = new Float64Array(FEATURE_COUNT);
      f[FEATURE_INDEX.active_plans] = 1;
      f[FEATURE_INDEX.marketing_consent] = 1;
      f[FEATURE_INDEX.monthly_price] = i % 10 === 0 ? 80 : 30;
      f[FEATURE_INDEX.arpu_3m] = f[FEATURE_INDEX.monthly_price];
      return { id: `c${i}`, features: f, probability: 0.05 + (i % 7) * 0.01 };
    });
    const offer = plan([action({ templateId: 'retention-offer-digital', offerId: 'retain-10', targeting: { rank: 'churn_x_value', limit: { kind: 'top_k', k: 150 } } })]);
    const run = async (source: ReturnType<typeof arraySource>, target?: []) => planOutcome(await simulate(source, planScenarios(offer, 1, (id) => catalogue[id], 60, target), { workers: 0 }));
    const whole = await run(arraySource(rows, 30));
    const segment = await run(arraySource(rows.filter((r) => r.features[FEATURE_INDEX.arpu_3m] >= 60), 30), []);
    // The same 150 picked (the control group is drawn by each twin's place in the population: ~10 % either way).
    expect(Math.abs(segment.targeted! - whole.targeted!)).toBeLessThanOrEqual(15);
    expect(segment.targeted).toBeGreaterThan(115);
    // The segment's size and churners without the plan: a churn_rate target is the segment's.
    expect(whole.segmentSize).toBe(2000);
    expect(segment.segmentSize).toBe(200);
    expect(segment.baselineChurners!.mean).toBeLessThan(whole.baselineChurners!.mean / 5);
    // The plan's own effect is the same within its Monte Carlo noise (the twins' random streams follow their order).
    expect(Math.abs(segment.churnersAvoided.mean - whole.churnersAvoided.mean)).toBeLessThan(Math.max(1, (whole.churnersAvoided.high - whole.churnersAvoided.low) / 2));
  });
});
