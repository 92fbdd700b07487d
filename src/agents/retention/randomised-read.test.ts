import { describe, expect, it } from 'vitest';
import { fitPilotUplift, type PilotObservation, type UpliftCandidate } from '../../intelligence/uplift/pilot-uplift.js';
import { planRandomisedRead } from './randomised-read.js';

/**
 * A randomised comparison built to exact counts, one covariate: `n` held out and `n` offered, 40 %
 * of whom accept; each branch's churn share over the window as given, against an expected 0.15.
 */
function comparison(n: number, churn: { heldOut: number; accepted: number; notAccepted: number }): PilotObservation[] {
  const rows: PilotObservation[] = [];
  const add = (count: number, treated: boolean, accepted: boolean, share: number) => {
    const churned = Math.round(count * share);
    for (let i = 0; i < count; i++) rows.push({ covariates: [i % 2], treated, accepted, churned: i < churned, expectedChurn: 0.15 });
  };
  const acc = Math.round(n * 0.4);
  add(n, false, false, churn.heldOut);
  add(acc, true, true, churn.accepted);
  add(n - acc, true, false, churn.notAccepted);
  return rows;
}

const candidates: UpliftCandidate[] = Array.from({ length: 200 }, (_, i) => ({ customerId: `C${String(i).padStart(3, '0')}`, covariates: [i % 2], hazard: 0.05 + 0.0005 * i, value: 600, offerCost: 8 }));
const options = { budget: 40, monthlyBudget: 40, explorationSlots: 40, contactCost: 2, horizonMonths: 3, monthsLeft: 12 };

describe('the randomised read: exploit what the comparison shows, explore a paired batch where it is unsure', () => {
  it('exploits when the comparison plainly shows the offer keeps its acceptors and harms nobody', () => {
    const plan = planRandomisedRead(fitPilotUplift(comparison(1500, { heldOut: 0.15, accepted: 0.05, notAccepted: 0.15 })), candidates, options);
    expect(plan.exploit.length).toBeGreaterThan(30);
    expect(plan.effects.acceptedMultiplier.mean).toBeLessThan(0.5);
    // The riskiest first: the most to keep.
    expect(plan.exploit[0].customerId).toBe('C199');
  });

  it('contacts nobody, to exploit or to explore, when the comparison plainly shows contact drives customers away', () => {
    const plan = planRandomisedRead(fitPilotUplift(comparison(1500, { heldOut: 0.15, accepted: 0.15, notAccepted: 0.3 })), candidates, options);
    expect(plan.exploit).toEqual([]);
    expect(plan.explore).toEqual([]);
    expect(plan.exploreHeldOut).toEqual([]);
  });

  it('explores a paired batch where a small comparison leaves a paying effect likely but unsure, and not once too few months are left to use what it teaches', () => {
    // 60 a side, the acceptors churning about half as much: worth a contact on the mean, too unsure for a plan.
    const unsure = fitPilotUplift(comparison(60, { heldOut: 0.15, accepted: 0.08, notAccepted: 0.15 }));
    const plan = planRandomisedRead(unsure, candidates, options);
    expect(plan.explore.length).toBeGreaterThan(0);
    // Half contacted, half held out: the batch is a comparison of its own.
    expect(plan.exploreHeldOut.length).toBe(plan.explore.length);
    const ids = [...plan.explore.map((x) => x.customerId), ...plan.exploreHeldOut];
    expect(new Set(ids).size).toBe(ids.length);
    expect(plan.exploration.valueOfInformation).toBeGreaterThan(plan.exploration.cost);
    // Only candidates worth a contact on the posterior's mean: the batch costs nothing in expectation.
    for (const x of plan.explore) expect(x.expectedValue).toBeGreaterThan(0);
    expect(plan.exploration.cost).toBe(0);
    // Where the same small comparison shows no cut at all, no candidate is worth a contact on the mean and none is explored.
    const flat = planRandomisedRead(fitPilotUplift(comparison(60, { heldOut: 0.15, accepted: 0.12, notAccepted: 0.15 })), candidates, options);
    expect(flat.explore).toEqual([]);
    expect(plan.exploration.perfectInformation).toBeGreaterThan(plan.exploration.valueOfInformation);
    // Exploited and explored contacts together stay within the budget.
    expect(plan.exploit.length + plan.explore.length).toBeLessThanOrEqual(options.budget);
    const tight = planRandomisedRead(unsure, candidates, { ...options, budget: 12, explorationSlots: 40 });
    expect(tight.exploit.length + tight.explore.length).toBeLessThanOrEqual(12);
    // With the window's 3 months left the batch's read would come too late for any campaign.
    const late = planRandomisedRead(unsure, candidates, { ...options, monthsLeft: 3 });
    expect(late.explore).toEqual([]);
    expect(late.exploration.monthsOfUse).toBe(0);
  });

  it('names what is wrong with its settings', () => {
    const model = fitPilotUplift(comparison(60, { heldOut: 0.15, accepted: 0.08, notAccepted: 0.15 }));
    expect(() => planRandomisedRead(model, candidates, { ...options, budget: -1 })).toThrow(/whole numbers/);
    expect(() => planRandomisedRead(model, candidates, { ...options, monthsLeft: 0 })).toThrow(/monthsLeft/);
  });
});
