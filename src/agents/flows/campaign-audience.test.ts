import { describe, expect, it } from 'vitest';
import type { OfferKind } from '../../twin/twin-responses.js';
import { drawControlGroup, planCampaignAudience, type AudienceCandidate } from './campaign-audience.js';

const accept = (discount: number, dataBonus = 0.2): Record<OfferKind, number> => ({ discount, data_bonus: dataBonus, plan_upgrade: 0.1, loyalty_credit: 0.2, other: 0.1 });
const cand = (customerId: string, atStake: number, sleepingDog?: number, discount = 0.3, dataBonus = 0.2): AudienceCandidate => ({
  customerId,
  atStake,
  ...(sleepingDog === undefined ? {} : { profile: { sleepingDog, acceptance: accept(discount, dataBonus) } }),
});

describe('campaign audience', () => {
  it('leaves out likely sleeping dogs, however valuable, and counts them', () => {
    const plan = planCampaignAudience([cand('dog', 1000, 0.7), cand('a', 10, 0.1), cand('b', 20, 0.49)], ['discount'], 10);
    expect(plan.audience.map((x) => x.customerId)).toEqual(['b', 'a']);
    expect(plan.sleepingDogs).toBe(1);
  });

  it('ranks by value at stake times the acceptance of the kind the customer is most likely to take', () => {
    // Equal value at stake: the one whose answers say they take discounts comes first; with a data bonus variant too, the data lover moves up.
    const people = [cand('decliner', 100, 0.05, 0.05, 0.05), cand('taker', 100, 0.05, 0.6, 0.1), cand('data-lover', 100, 0.05, 0.1, 0.5)];
    expect(planCampaignAudience(people, ['discount'], 10).audience.map((x) => x.customerId)).toEqual(['taker', 'data-lover', 'decliner']);
    expect(planCampaignAudience(people, ['discount', 'data_bonus'], 10).audience.map((x) => x.customerId)).toEqual(['taker', 'data-lover', 'decliner']);
    expect(planCampaignAudience(people, ['data_bonus'], 10).audience.map((x) => x.customerId)).toEqual(['data-lover', 'taker', 'decliner']);
    // A much larger stake still outranks a likelier answer.
    expect(planCampaignAudience([cand('taker', 100, 0.05, 0.6), cand('big', 1000, 0.05, 0.1)], ['discount'], 10).audience[0].customerId).toBe('big');
  });

  it('keeps at most the audience size, and gives the bandit the audience\u2019s mean acceptance per kind', () => {
    const many = Array.from({ length: 50 }, (_, i) => cand(`c${i}`, 100 + i, 0.1, i < 25 ? 0.2 : 0.4, 0.3));
    const plan = planCampaignAudience(many, ['discount', 'data_bonus'], 20);
    expect(plan.audience).toHaveLength(20);
    expect(plan.audience.every((x) => Number(x.customerId.slice(1)) >= 25)).toBe(true);
    expect(plan.acceptanceByKind.discount).toBeCloseTo(0.4, 9);
    expect(plan.acceptanceByKind.data_bonus).toBeCloseTo(0.3, 9);
  });

  it('without profiles ranks by value at stake alone and gives no prior', () => {
    const plan = planCampaignAudience([cand('a', 5), cand('b', 50)], ['discount'], 10);
    expect(plan.audience.map((x) => x.customerId)).toEqual(['b', 'a']);
    expect(plan.acceptanceByKind).toEqual({});
  });

  it("holds out exactly its share of the audience, a control of each campaign's own", () => {
    const audience = Array.from({ length: 179 }, (_, i) => `C${String(i).padStart(6, '0')}`);
    const a = drawControlGroup(audience, 0.1, 1, 'intent-1-r0-p3');
    expect(a).toHaveLength(18);
    expect(new Set(a).size).toBe(18);
    expect(a.every((id) => audience.includes(id))).toBe(true);
    // The same campaign draws the same control; another campaign, same seed, draws another.
    expect(drawControlGroup(audience, 0.1, 1, 'intent-1-r0-p3')).toEqual(a);
    const b = drawControlGroup(audience, 0.1, 1, 'tour-retention');
    expect(b).toHaveLength(18);
    expect(b.filter((id) => a.includes(id)).length).toBeLessThan(9);
    // Rounded: 4 customers at 10 % hold out nobody; no share, nobody.
    expect(drawControlGroup(audience.slice(0, 4), 0.1, 1, 'x')).toEqual([]);
    expect(drawControlGroup(audience, 0, 1, 'x')).toEqual([]);
  });
});
