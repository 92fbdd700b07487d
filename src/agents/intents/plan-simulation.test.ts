import { describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../../simulation/index.js';
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
});
