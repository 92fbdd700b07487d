import { describe, expect, it } from 'vitest';
import { createRng } from '../random.js';
import { fitPilotUplift, planSingleDecision, type PilotObservation, type UpliftCandidate } from './pilot-uplift.js';
import { planFirstWave, planSecondWave, type FirstWave } from './staged-decision.js';

/**
 * A pilot to exact counts, one covariate (a trait): per trait, `n` held out and `n` offered, 5 % and
 * 60 % of whom accept; each branch's churn share as given, against an expected churn of 0.15.
 */
function pilot(n: number, churn: { heldOut: number; accepted: number; notAccepted: number }): PilotObservation[] {
  const rows: PilotObservation[] = [];
  const add = (trait: number, count: number, treated: boolean, accepted: boolean, churnShare: number) => {
    const churned = Math.round(count * churnShare);
    for (let i = 0; i < count; i++) rows.push({ covariates: [trait], treated, accepted, churned: i < churned, expectedChurn: 0.15 });
  };
  [0.05, 0.6].forEach((a, trait) => {
    const acc = Math.round(n * a);
    add(trait, n, false, false, churn.heldOut);
    add(trait, acc, true, true, churn.accepted);
    add(trait, n - acc, true, false, churn.notAccepted);
  });
  return rows;
}

/** Candidates of the accepting trait, worth a contact when the offer keeps its acceptors (slightly decreasing value, so the ranking is fixed). */
const candidates: UpliftCandidate[] = Array.from({ length: 400 }, (_, i) => ({ customerId: `C${String(i).padStart(3, '0')}`, covariates: [1], hazard: 0.05, value: 2000 - i, offerCost: 30 }));
const options = { contacts: 400, contactCost: 2, horizonMonths: 3, risk: 0.2, firstWaveShare: 0.25 };

/** What the first wave shows: its offered customers, 60 % accepting, churning as given, and its held out as given, against the expected 0.15. */
function waveRows(first: FirstWave, churn: { accepted: number; notAccepted: number; heldOut: number }): PilotObservation[] {
  const rows: PilotObservation[] = [];
  const accepting = Math.round(first.contact.length * 0.6);
  const branch = (count: number, treated: boolean, accepted: boolean, share: number) => {
    const churned = Math.round(count * share);
    for (let i = 0; i < count; i++) rows.push({ covariates: [1], treated, accepted, churned: i < churned, expectedChurn: 0.15 });
  };
  branch(accepting, true, true, churn.accepted);
  branch(first.contact.length - accepting, true, false, churn.notAccepted);
  branch(first.holdout.length, false, false, churn.heldOut);
  return rows;
}

describe('the staged decision: a first wave, read, then the rest', () => {
  // The pilot: 200 offered per trait; its 130 acceptors churned about half of what the held out did
  // (10 against 19.5 expected). Whether the offer is real or the pilot was lucky, the single decision
  // on it contacts the whole budget.
  const lucky = pilot(200, { heldOut: 0.15, accepted: 0.08, notAccepted: 0.15 });
  const model = fitPilotUplift(lucky);

  it('commits only the first wave on the pilot, half of its pairs offered at random and half held out', () => {
    const single = planSingleDecision(model, candidates, options);
    expect(single.contact.length).toBe(400);
    const first = planFirstWave(single, options, createRng(1));
    expect(first.guardedPlan).toBe(400);
    expect(first.contact).toHaveLength(100);
    expect(first.holdout).toHaveLength(100);
    // Each pair is two neighbours of the ranking: one offered, one held out.
    const rank = (id: string) => Number(id.slice(1));
    const offered = first.contact.map((c) => rank(c.customerId));
    const held = first.holdout.map(rank);
    offered.forEach((r, i) => expect(Math.floor(r / 2)).toBe(Math.floor(held[i] / 2)));
    expect(new Set([...offered, ...held]).size).toBe(200);
    // Without the holdout the plan's best are offered.
    const plain = planFirstWave(single, { ...options, holdout: false }, createRng(1));
    expect(plain.contact.map((c) => c.customerId)).toEqual(candidates.slice(0, 100).map((c) => c.customerId));
    expect(plain.holdout).toEqual([]);
    // A first wave is never larger than the guarded plan.
    const short = planFirstWave({ ...single, contact: single.contact.slice(0, 7) }, options, createRng(1));
    expect(short.contact.length + short.holdout.length).toBeLessThanOrEqual(7);
    expect(() => planFirstWave(single, { ...options, firstWaveShare: 0 }, createRng(1))).toThrow(/firstWaveShare/);
  });

  it('stops where the first wave shows the pilot was lucky: its acceptors churned as expected, the others a third more', () => {
    const first = planFirstWave(planSingleDecision(model, candidates, options), options, createRng(1));
    const read = fitPilotUplift([...lucky, ...waveRows(first, { accepted: 0.15, notAccepted: 0.2, heldOut: 0.15 })]);
    const second = planSecondWave(read, candidates, first, options);
    expect(second.contact).toEqual([]);
  });

  it('contacts the rest of the budget where the first wave shows the effect again', () => {
    const first = planFirstWave(planSingleDecision(model, candidates, options), options, createRng(1));
    const read = fitPilotUplift([...lucky, ...waveRows(first, { accepted: 0.08, notAccepted: 0.15, heldOut: 0.15 })]);
    const second = planSecondWave(read, candidates, first, options);
    expect(second.contact).toHaveLength(300);
    // Never a customer the first wave offered; the held out are candidates again.
    const offered = new Set(first.contact.map((c) => c.customerId));
    expect(second.contact.some((c) => offered.has(c.customerId))).toBe(false);
    expect(second.contact.some((c) => first.holdout.includes(c.customerId))).toBe(true);
  });

  it('capped, lets the first wave only stop or shorten the plan it was cut from, never lengthen it', () => {
    // A guarded plan of 20 at the guard's edge: 10 offered, 10 held out; the wave shows the effect.
    const edge = { ...planSingleDecision(model, candidates, options), contact: planSingleDecision(model, candidates, options).contact.slice(0, 20) };
    const first = planFirstWave(edge, options, createRng(2));
    expect(first.contact).toHaveLength(10);
    const read = fitPilotUplift([...lucky, ...waveRows(first, { accepted: 0.08, notAccepted: 0.15, heldOut: 0.15 })]);
    // Uncapped, the evidence takes the plan to the rest of the budget; capped, to the 20 it was cut from.
    expect(planSecondWave(read, candidates, first, options).contact).toHaveLength(390);
    expect(planSecondWave(read, candidates, first, { ...options, capped: true }).contact).toHaveLength(10);
  });
});
