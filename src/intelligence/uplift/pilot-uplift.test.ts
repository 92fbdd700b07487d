import { describe, expect, it } from 'vitest';
import { DEFAULT_CONTACT_EFFECT_PRIORS, fitPilotUplift, planSingleDecision, type PilotObservation, type PilotUplift, type UpliftCandidate } from './pilot-uplift.js';

/**
 * A pilot built to exact counts, one covariate (a trait): per trait, `n` held out and `n` offered;
 * of the offered, `acceptShare` accept; each branch's churn share as given. Every customer's
 * expected churn is 0.15 (the churn model's), so the held-out arm says the model is calibrated.
 */
function pilot(n: number, churn: { heldOut: number; accepted: number; notAccepted: number }, acceptShare: readonly [number, number] = [0.05, 0.6]): PilotObservation[] {
  const rows: PilotObservation[] = [];
  const add = (trait: number, count: number, treated: boolean, accepted: boolean, churnShare: number) => {
    const churned = Math.round(count * churnShare);
    for (let i = 0; i < count; i++) rows.push({ covariates: [trait], treated, accepted, churned: i < churned, expectedChurn: 0.15 });
  };
  for (const trait of [0, 1]) {
    const acc = Math.round(n * acceptShare[trait]);
    add(trait, n, false, false, churn.heldOut);
    add(trait, acc, true, true, churn.accepted);
    add(trait, n - acc, true, false, churn.notAccepted);
  }
  return rows;
}

/**
 * A pilot drawn to exact counts from the model itself: per trait, `controls` left alone and
 * `perTrait` offered, 10 % and 60 % of whom accept; untreated, one who accepts churns r times as
 * much as one who does not (the two averaging 0.15, the churn model's expectation), and the offer
 * multiplies the acceptors' churn by mA and the others' by mN.
 */
function structuralPilot(o: { perTrait: number; controls: number; r: number; mA: number; mN: number }): PilotObservation[] {
  const rows: PilotObservation[] = [];
  const add = (trait: number, count: number, treated: boolean, accepted: boolean, churnShare: number) => {
    const churned = Math.round(count * churnShare);
    for (let i = 0; i < count; i++) rows.push({ covariates: [trait], treated, accepted, churned: i < churned, expectedChurn: 0.15 });
  };
  [0.1, 0.6].forEach((a, trait) => {
    const norm = a * o.r + 1 - a;
    const acc = Math.round(o.perTrait * a);
    add(trait, o.controls, false, false, 0.15);
    add(trait, acc, true, true, ((0.15 * o.r) / norm) * o.mA);
    add(trait, o.perTrait - acc, true, false, (0.15 / norm) * o.mN);
  });
  return rows;
}

/** The posterior mean of what a contact multiplies the churn of a customer who accepts with probability a by. */
const contactAt = (model: PilotUplift, a: number) => model.draws.reduce((s, d) => s + (d.weight * (a * d.selection * d.acceptedMultiplier + (1 - a) * d.declinedMultiplier)) / (a * d.selection + 1 - a), 0);

const candidate = (customerId: string, trait: number): UpliftCandidate => ({ customerId, covariates: [trait], hazard: 0.05, value: 2000, offerCost: 30 });
const options = { contacts: 10, contactCost: 2, horizonMonths: 3 };

describe('pilot uplift: the single decision from one randomised pilot', () => {
  it('contacts the customers whose trait accepts when the pilot measured a strong cut of the acceptors\u2019 churn and no harm', () => {
    const model = fitPilotUplift(pilot(2000, { heldOut: 0.15, accepted: 0.03, notAccepted: 0.15 }));
    expect(model.acceptedMultiplier.mean).toBeLessThan(0.3);
    expect(model.declinedMultiplier.mean).toBeLessThan(1.05);
    const plan = planSingleDecision(model, [candidate('accepts', 1), candidate('rarely-accepts', 0)], options);
    // The one who rarely accepts is still worth a 2-unit contact (a 5 % chance of a strong cut on a
    // valuable customer), but ranks second; at a contact cost of 10 it is not.
    expect(plan.contact.map((c) => c.customerId)).toEqual(['accepts', 'rarely-accepts']);
    expect(plan.contact[0].benefit).toBeGreaterThan(plan.contact[1].benefit);
    const dearer = planSingleDecision(model, [candidate('accepts', 1), candidate('rarely-accepts', 0)], { ...options, contactCost: 10 });
    expect(dearer.contact.map((c) => c.customerId)).toEqual(['accepts']);
  });

  it('leaves a sleeping-dog-heavy trait alone: the non-acceptors churned twice as much as the held out', () => {
    const model = fitPilotUplift(pilot(2000, { heldOut: 0.15, accepted: 0.03, notAccepted: 0.3 }));
    expect(model.declinedMultiplier.mean).toBeGreaterThan(1.8);
    const plan = planSingleDecision(model, [candidate('rarely-accepts', 0)], options);
    expect(plan.contact).toEqual([]);
    expect(plan.left['contact-harms']).toBe(1);
    // A customer worth too little to pay for the offer is not worth it, harm or not: the reason says which.
    const cheap = planSingleDecision(model, [{ ...candidate('cheap', 1), value: 100 }], options);
    expect(cheap.left).toEqual({ 'not-worth-it': 1, 'contact-harms': 0, 'plan-risk': 0, budget: 0 });
  });

  it('reads no harm from a pilot whose non-acceptors churned as the held-out did, and harm from one where they churned more', () => {
    // 100 per arm and trait: 135 non-acceptors, 20 churners against 20 expected. A prior that is the
    // Gamma around 1 truncated to m ≥ 1 alone put its mean at 1.36 and read these counts as 1.16 (1.05 now).
    const none = fitPilotUplift(pilot(100, { heldOut: 0.15, accepted: 0.15, notAccepted: 0.15 }));
    expect(none.declinedMultiplier.mean).toBeLessThan(1.1);
    const harmed = fitPilotUplift(pilot(100, { heldOut: 0.15, accepted: 0.15, notAccepted: 0.3 }));
    expect(harmed.declinedMultiplier.mean).toBeGreaterThan(1.6);
    // Likewise an offer whose acceptors churned as the held-out did keeps (almost) nobody, whatever the catalogue claimed.
    expect(none.acceptedMultiplier.mean).toBeGreaterThan(0.85);
    // Without the point at 1 (noEffect 0) the truncated prior's own lean comes back.
    const truncatedOnly = fitPilotUplift(pilot(100, { heldOut: 0.15, accepted: 0.15, notAccepted: 0.15 }), { ...DEFAULT_CONTACT_EFFECT_PRIORS, noEffect: 0 });
    expect(truncatedOnly.declinedMultiplier.mean).toBeGreaterThan(1.12);
  });

  it('contacts nobody on a pilot too small to tell an effect from noise, however good its point estimate', () => {
    // 40 customers per arm and trait: six churners per arm; the acceptors' churn looks cut by 80 %.
    const model = fitPilotUplift(pilot(40, { heldOut: 0.15, accepted: 0.03, notAccepted: 0.15 }));
    const plan = planSingleDecision(model, [candidate('accepts', 1), candidate('rarely-accepts', 0)], options);
    expect(plan.contact).toEqual([]);
    expect(plan.left['not-worth-it'] + plan.left['contact-harms'] + plan.left['plan-risk']).toBe(2);
  });

  it('reads no effect where the acceptors churned less only because they are who accepts: the offered arm churned as the held-out did', () => {
    // Per trait, 2,000 held out and 2,000 offered, all churning 15 % as an arm; of the offered, the
    // acceptors churned 5 % and the others more (sure things accept and stay, lost causes refuse and
    // leave). Read against the held-out, the acceptors' churn looked like an offer cutting it by two
    // thirds, and this contacted the trait that accepts; the randomised comparison shows no effect.
    const rows: PilotObservation[] = [];
    const add = (trait: number, count: number, treated: boolean, accepted: boolean, churnShare: number) => {
      const churned = Math.round(count * churnShare);
      for (let i = 0; i < count; i++) rows.push({ covariates: [trait], treated, accepted, churned: i < churned, expectedChurn: 0.15 });
    };
    for (const [trait, share] of [[0, 0.05], [1, 0.6]] as const) {
      add(trait, 2000, false, false, 0.15);
      add(trait, 2000 * share, true, true, 0.05);
      add(trait, 2000 * (1 - share), true, false, (0.15 - share * 0.05) / (1 - share));
    }
    const model = fitPilotUplift(rows);
    // What the acceptors' lower churn is read as: who accepts (r well below 1), not the offer.
    expect(model.selection.mean).toBeLessThan(0.5);
    expect(Math.abs(contactAt(model, 0.6) - 1)).toBeLessThan(0.1);
    const plan = planSingleDecision(model, [candidate('accepts', 1)], options);
    expect(plan.contact).toEqual([]);
  });

  it('tells the offer\u2019s effect from who accepts by how both answers\u2019 churn moves with the acceptance', () => {
    // The same acceptors' branch (churning 38 % less than the held out where 60 % accept) is the
    // offer in one world and selection in the other: there, those who accept would have churned
    // 0.4 times as much as the others untreated, and the offer does nothing.
    const effect = fitPilotUplift(structuralPilot({ perTrait: 2000, controls: 2000, r: 1, mA: 0.4, mN: 1 }));
    const selection = fitPilotUplift(structuralPilot({ perTrait: 2000, controls: 2000, r: 0.4, mA: 1, mN: 1 }));
    expect(effect.acceptedMultiplier.mean).toBeLessThan(0.5);
    expect(selection.acceptedMultiplier.mean).toBeGreaterThan(0.9);
    expect(selection.selection.mean).toBeLessThan(0.55);
    expect(contactAt(effect, 0.6)).toBeLessThan(0.75);
    expect(Math.abs(contactAt(selection, 0.6) - 1)).toBeLessThan(0.03);
    const people = [candidate('accepts', 1), candidate('rarely-accepts', 0)];
    expect(planSingleDecision(effect, people, options).contact.map((c) => c.customerId)).toEqual(['accepts', 'rarely-accepts']);
    expect(planSingleDecision(selection, people, options).contact).toEqual([]);
  });

  it('reads the churn model\u2019s calibration on every customer the campaign left alone at random, not only its held-out arm', () => {
    // 300 offered per trait; the held out 300 per trait, or 3,000 when the customers the campaign's
    // random sample left out are counted too: the calibration, and with it the plan, firms up.
    const pilotOnly = fitPilotUplift(structuralPilot({ perTrait: 300, controls: 300, r: 1, mA: 0.4, mN: 1 }));
    const withOthers = fitPilotUplift(structuralPilot({ perTrait: 300, controls: 3000, r: 1, mA: 0.4, mN: 1 }));
    expect(withOthers.calibration.sd).toBeLessThan(pilotOnly.calibration.sd / 2);
    const people = [candidate('accepts', 1), candidate('rarely-accepts', 0)];
    // Read through the plan-level guard, whose go / no-go shows the calibration's sd most plainly.
    const guarded = { ...options, risk: 0.1 };
    expect(planSingleDecision(pilotOnly, people, guarded).contact.map((c) => c.customerId)).toEqual(['accepts']);
    expect(planSingleDecision(withOthers, people, guarded).contact.map((c) => c.customerId)).toEqual(['accepts', 'rarely-accepts']);
  });

  it('weighs the effects\u2019 uncertainty once for the plan: a pilot that shows the effect plainly contacts customers none of whom is sure on their own', () => {
    // 150 per arm and trait: the offered arm of the trait that accepts churned 10 against the held-out's 22.
    const model = fitPilotUplift(pilot(150, { heldOut: 0.15, accepted: 0.03, notAccepted: 0.15 }));
    const people = Array.from({ length: 20 }, (_, i) => ({ ...candidate(`c${i}`, 1), value: 1500 + 50 * i }));
    const plan = planSingleDecision(model, people, { ...options, contacts: 20 });
    expect(plan.contact.length).toBe(20);
    // Each contact's own 5th percentile is below zero: the pilot's uncertainty, counted per customer, contacted nobody.
    expect(plan.contact.every((c) => c.mean - 1.645 * c.sd < 0)).toBe(true);
    // The same pilot a fifth the size contacts only the most valuable few: the effect is as likely
    // but far less sure, and the plan is sized by that (the plan-level guard contacted nobody).
    const small = fitPilotUplift(pilot(30, { heldOut: 0.15, accepted: 0.03, notAccepted: 0.15 }));
    const sized = planSingleDecision(small, people, { ...options, contacts: 20 });
    expect(sized.contact.length).toBeGreaterThan(0);
    expect(sized.contact.length).toBeLessThan(5);
    expect(sized.contact[0].customerId).toBe('c19');
    expect(sized.left['plan-risk']).toBe(20 - sized.contact.length);
    expect(planSingleDecision(small, people, { ...options, contacts: 20, risk: 0.1 }).contact).toEqual([]);
  });

  it('sizes the plan by the evidence: the larger the pilot that shows the same effect, the longer the plan, best first', () => {
    const people = Array.from({ length: 40 }, (_, i) => ({ ...candidate(`c${i}`, 1), value: 1500 + 50 * i }));
    const lengths = [30, 60, 150].map((n) => planSingleDecision(fitPilotUplift(pilot(n, { heldOut: 0.15, accepted: 0.03, notAccepted: 0.15 })), people, { ...options, contacts: 40 }).contact.map((c) => c.customerId));
    expect(lengths[0].length).toBeLessThan(lengths[1].length);
    expect(lengths[1].length).toBeLessThanOrEqual(lengths[2].length);
    expect(lengths[2].length).toBe(40);
    // Each shorter plan is the head of the longer: the most valuable customers first.
    expect(lengths[1].slice(0, lengths[0].length)).toEqual(lengths[0]);
    // A tolerance that is not above zero is refused.
    expect(() => planSingleDecision(fitPilotUplift(pilot(30, { heldOut: 0.15, accepted: 0.03, notAccepted: 0.15 })), people, { ...options, tolerance: 0 })).toThrow(/tolerance/);
  });

  it('values a contract\u2019s end inside the horizon as the one-off decision it is: a renewal at risk ranks first, and a sleeping dog at one is left', () => {
    const model = fitPilotUplift(pilot(2000, { heldOut: 0.15, accepted: 0.03, notAccepted: 0.15 }));
    const locked = { ...candidate('locked-in', 1), hazard: 0.01 };
    const renewing = { ...locked, customerId: 'renewing', endHazard: 0.3 };
    const plan = planSingleDecision(model, [locked, renewing], options);
    expect(plan.contact.map((c) => c.customerId)[0]).toBe('renewing');
    const [r, l] = ['renewing', 'locked-in'].map((id) => plan.contact.find((c) => c.customerId === id)?.benefit ?? 0);
    // A third of the renewal's 0.3 kept by most acceptors, against the lock-in's 3 % over three months.
    expect(r).toBeGreaterThan(5 * Math.max(l, 1));
    // Where the non-acceptors churned twice as much, the same end makes the contact's harm larger too.
    const dogs = fitPilotUplift(pilot(2000, { heldOut: 0.15, accepted: 0.15, notAccepted: 0.3 }));
    const harmed = planSingleDecision(dogs, [renewing], options);
    expect(harmed.contact).toEqual([]);
    expect(harmed.left['contact-harms'] + harmed.left['not-worth-it']).toBe(1);
  });

  it('keeps to the budget, best first', () => {
    const model = fitPilotUplift(pilot(2000, { heldOut: 0.15, accepted: 0.03, notAccepted: 0.15 }));
    const people = [candidate('a', 1), { ...candidate('b', 1), value: 4000 }, candidate('c', 1)];
    const plan = planSingleDecision(model, people, { ...options, contacts: 2 });
    expect(plan.contact.map((c) => c.customerId)).toEqual(['b', 'a']);
    expect(plan.left.budget).toBe(1);
  });

  it('refuses a pilot without a held-out arm, and covariates of the wrong length', () => {
    const treatedOnly = pilot(50, { heldOut: 0.1, accepted: 0.1, notAccepted: 0.1 }).filter((p) => p.treated);
    expect(() => fitPilotUplift(treatedOnly)).toThrow(/held-out/);
    const model = fitPilotUplift(pilot(50, { heldOut: 0.1, accepted: 0.1, notAccepted: 0.1 }));
    expect(() => planSingleDecision(model, [{ ...candidate('x', 1), covariates: [1, 0] }], options)).toThrow(/1 covariates/);
  });
});
