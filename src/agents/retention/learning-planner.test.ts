import { describe, expect, it } from 'vitest';
import { RESPONSE_CLASSES } from '../../intelligence/profile/response-model.js';
import { effectDraws } from './effect-draws.js';
import { contactValue, expectedUses, keptValue, planLearningCampaign, valueOfInformation, type ProfiledCandidate, type ResponseParameters, type ResponsePosterior } from './learning-planner.js';

const params: ResponseParameters = { acceptance: [0.24, 0.03, 0.45, 0.06], acceptedMultiplier: 0.6, contactMultiplier: 1.8 };
/** A posterior of mean `m` worth `w` expected churns. */
const gamma = (m: number, w: number) => ({ shape: m * w, rate: w });
/** The same effects, measured so well that their posterior is a point. */
const known: ResponsePosterior = { acceptance: params.acceptance, acceptedMultiplier: gamma(0.6, 1e6), contactMultiplier: gamma(1.8, 1e6) };
const classes = (sure: number, lost: number, pers: number, dog: number) => ({ 'sure-thing': sure, 'lost-cause': lost, persuadable: pers, 'sleeping-dog': dog });
const cand = (id: string, c: ProfiledCandidate['classes'], hazard = 0.06, value = 2500, offerCost = 40): ProfiledCandidate => ({ customerId: id, hazard, value, offerCost, classes: c });
const options = { budget: 10, contactCost: 2, effectMonths: 3, monthsLeft: 12, seed: 1, holdoutShare: 0 };

describe('learning planner', () => {
  it('values a contact by its profile: a known persuadable pays, a likely sleeping dog costs', () => {
    expect(contactValue(cand('a', classes(0, 0, 1, 0)), [0, 0, 1, 0], params, 2, 3)).toBeGreaterThan(0);
    expect(contactValue(cand('b', classes(0, 0, 0, 1)), [0, 0, 0, 1], params, 2, 3)).toBeLessThan(0);
  });

  it('explores where an answer would change later decisions, and not in the last month', () => {
    // Probably not worth an offer, but one answer would tell a persuadable from a sure thing.
    const unsure = cand('u', classes(0.55, 0.1, 0.3, 0.05));
    const p = [0.55, 0.1, 0.3, 0.05];
    expect(contactValue(unsure, p, params, 2, 3)).toBeLessThan(0);
    expect(valueOfInformation(unsure, p, params, 2, 3, 3)).toBeGreaterThan(0);
    const plan = planLearningCampaign([unsure], known, options);
    expect(plan.contact.map((c) => c.reason)).toEqual(['explore']);
    expect(planLearningCampaign([unsure], known, { ...options, monthsLeft: 1 }).counts['not-worth-it']).toBe(1);
  });

  it('counts an answer\'s later uses at the chance the customer is still there for them', () => {
    const p = [0.55, 0.1, 0.3, 0.05];
    const steady = cand('s', classes(0.55, 0.1, 0.3, 0.05), 0.02);
    const leaving = cand('l', classes(0.55, 0.1, 0.3, 0.05), 0.3);
    expect(expectedUses(steady, p, params, 3, 3)).toBeGreaterThan(2.5);
    expect(expectedUses(steady, p, params, 3, 3)).toBeLessThan(3);
    expect(expectedUses(leaving, p, params, 3, 3)).toBeLessThan(1);
    expect(expectedUses(steady, p, params, 3, 0)).toBe(0);
  });

  it('never contacts a customer whose profile says the contact is likely to hurt', () => {
    const plan = planLearningCampaign([cand('d', classes(0.2, 0, 0.25, 0.55), 0.2, 20000)], known, options);
    expect(plan.contact).toEqual([]);
    expect(plan.counts['contact-harms']).toBe(1);
  });

  it('keeps exploration within its share of the budget, exploits best first, and holds some out', () => {
    const many = Array.from({ length: 200 }, (_, i) => cand(`x${i}`, i % 2 ? classes(0.1, 0, 0.9, 0) : classes(0.55, 0.1, 0.3, 0.05), 0.03 + (i % 7) / 100));
    const plan = planLearningCampaign(many, known, { ...options, budget: 40, holdoutShare: 0.2 });
    const chosen = [...plan.contact, ...plan.holdout];
    expect(chosen.length).toBe(40);
    expect(chosen.filter((c) => c.reason === 'explore' || (c.reason === 'holdout' && c.valueOfInformation > 0)).length).toBeLessThanOrEqual(12);
    expect(plan.holdout.length).toBeGreaterThan(2);
    expect(plan.holdout.length).toBeLessThan(16);
    const exploits = plan.contact.filter((c) => c.reason === 'exploit').map((c) => c.expectedValue);
    expect(exploits).toEqual([...exploits].sort((a, b) => b - a));
  });

  describe('the shared effects: what learning them is worth to the base, and the plan-level guard', () => {
    // A base where a contact pays if the accepted offer's effect is strong, and not if it is weak.
    const baseAt = (offerCost: number) => Array.from({ length: 300 }, (_, i) => cand(`c${i}`, classes(0.4, 0.1, 0.45, 0.05), 0.03 + (i % 5) / 100, 3000, offerCost));
    const base = baseAt(20);
    const dogs = Array.from({ length: 20 }, (_, i) => cand(`d${i}`, classes(0.1, 0.05, 0.3, 0.55), 0.08, 9000));
    const month = { budget: 30, contactCost: 2, effectMonths: 3, monthsLeft: 12, seed: 1, holdoutShare: 0.1 };
    const unsure: ResponsePosterior = { acceptance: params.acceptance, acceptedMultiplier: gamma(1, 5), contactMultiplier: gamma(1.5, 1e5) };

    // A base with no sleeping dog in it: a contact may keep nobody, but drives nobody away, so the
    // guard leaves exploration room. Fewer persuadables: not worth a contact on the expected value.
    const harmless = baseAt(40).map((c) => ({ ...c, classes: classes(0.65, 0.1, 0.25, 0) }));
    const wide = { ...month, budget: 100 };

    it('explores a batch when the effect is uncertain, plainly valuable if strong, and months remain, stating why', () => {
      const plan = planLearningCampaign([...harmless, ...dogs], unsure, wide);
      expect(plan.counts.exploit).toBe(0);
      expect(plan.counts.explore).toBeGreaterThan(0);
      expect(plan.counts.explore + plan.holdout.length).toBeLessThanOrEqual(Math.floor(wide.budget * 0.3));
      expect(plan.exploration.valueOfInformation).toBeGreaterThan(plan.exploration.cost);
      expect(plan.exploration.perfectInformation).toBeGreaterThan(0);
      expect(plan.contact.every((c) => c.reason === 'explore' && c.expectedValue <= 0 && c.valueOfInformation > 0)).toBe(true);
      // Never a likely sleeping dog, however much its churn would teach.
      expect(plan.contact.some((c) => c.customerId.startsWith('d'))).toBe(false);
      expect(plan.counts['contact-harms']).toBe(dogs.length);
    });

    it('explores only while the batch, with 90 % probability over the effects, loses less than it teaches', () => {
      // A dearer offer: where the effect may well be none (P ≈ 0.44), the batch's spend and harm then exceed its value.
      const plan = planLearningCampaign(baseAt(40), unsure, month);
      expect(plan.contact).toEqual([]);
      expect(plan.exploration.perfectInformation).toBeGreaterThan(0);
      expect(planLearningCampaign(baseAt(40), unsure, { ...month, risk: 1 }).counts.explore).toBeGreaterThan(0);
    });

    it('does not explore in the last months, when what it learns can no longer be used', () => {
      for (const monthsLeft of [1, 2]) {
        const plan = planLearningCampaign(harmless, unsure, { ...wide, monthsLeft });
        expect(plan.contact).toEqual([]);
        expect(plan.exploration.valueOfInformation).toBe(0);
      }
    });

    it('does not explore when the posterior already says the offer does not pay', () => {
      const plan = planLearningCampaign(harmless, { ...unsure, acceptedMultiplier: gamma(1, 1e5) }, wide);
      expect(plan.contact).toEqual([]);
      expect(plan.exploration.perfectInformation).toBeCloseTo(0, 6);
    });

    it('exploits a plan only while it keeps what it drives away with 90 % probability over the shared effects', () => {
      // Worth a contact on the expected value (the effect is probably strong), but it may be none, and the sleeping dogs' harm is sure.
      const likely: ResponsePosterior = { ...unsure, acceptedMultiplier: gamma(0.5, 5) };
      const last = { ...month, monthsLeft: 1, holdoutShare: 0 };
      const guarded = planLearningCampaign(base, likely, last);
      expect(guarded.counts.exploit).toBe(0);
      expect(guarded.counts['plan-risk']).toBe(month.budget);
      expect(planLearningCampaign(base, likely, { ...last, risk: 1 }).counts.exploit).toBe(month.budget);
      // Measured well, the same effect is exploited, best first.
      const measured = planLearningCampaign(base, { ...likely, acceptedMultiplier: gamma(0.5, 1e5) }, last);
      expect(measured.counts.exploit).toBe(month.budget);
      const values = measured.contact.map((c) => c.expectedValue);
      expect(values).toEqual([...values].sort((a, b) => b - a));
    });

    it('reads a sleeping dog\'s churn after a contact as the contact\'s doing when the fit put it in the class\'s own hazard', () => {
      // Never-answered customers at the cell's mix, a third of them sleeping dogs. The fit may split
      // the dogs' churn once contacted (twice the held-out's) as their own hazard (ratio 2, contact
      // harmless) or as the contact's (ratio 1, multiplier 2): the same evidence, the same plan.
      const mixed = Array.from({ length: 60 }, (_, i) => cand(`m${i}`, classes(0.3, 0.05, 0.35, 0.3), 0.1 + (i % 5) / 50, 400, 10));
      const own: ResponsePosterior = { acceptance: params.acceptance, hazardRatio: [1, 1, 1, 2], acceptedMultiplier: gamma(0.5, 5), contactMultiplier: gamma(1, 1e5) };
      const contact: ResponsePosterior = { ...own, hazardRatio: [1, 1, 1, 1], contactMultiplier: gamma(2, 1e5) };
      for (const monthsLeft of [1, 12]) {
        const split = planLearningCampaign(mixed, own, { ...month, monthsLeft });
        const caused = planLearningCampaign(mixed, contact, { ...month, monthsLeft });
        expect(caused.contact).toEqual([]);
        expect(split.contact).toEqual([]);
        expect(split.holdout).toEqual([]);
      }
      // Read the split's way, each contact would keep more than it costs: even the expected value alone (risk 1) leaves them.
      const open = { ...month, monthsLeft: 1, risk: 1 };
      expect(planLearningCampaign(mixed, own, open).counts).toEqual(planLearningCampaign(mixed, contact, open).counts);
      expect(planLearningCampaign(mixed, own, open).counts['not-worth-it']).toBe(mixed.length);
    });

    it('never explores round the guard: the month\'s plan, exploitation and exploration, passes it with months to learn for', () => {
      const likely: ResponsePosterior = { ...unsure, acceptedMultiplier: gamma(0.5, 5) };
      const byId = new Map(base.map((c) => [c.customerId, c]));
      const draws = effectDraws(likely.acceptedMultiplier, likely.contactMultiplier);
      // P(the chosen customers' kept value < 0) over the effects' posterior.
      const planLoses = (ids: readonly string[]) =>
        draws.reduce((s, d) => {
          const kept = ids.reduce((k, id) => k + keptValue(byId.get(id)!, RESPONSE_CLASSES.map((c) => byId.get(id)!.classes[c]), { ...likely, ...d }, month.effectMonths), 0);
          return s + (kept < 0 ? d.weight : 0);
        }, 0);
      for (const monthsLeft of [1, 6, 12]) {
        const plan = planLearningCampaign(base, likely, { ...month, monthsLeft });
        const chosen = [...plan.contact, ...plan.holdout].map((c) => c.customerId);
        expect(planLoses(chosen)).toBeLessThan(0.1);
        // Every one the guard refused is left: exploring them would break it.
        expect(plan.counts['plan-risk']).toBe(month.budget);
        expect(chosen).toEqual([]);
        // With the guard off (risk 1) the same month exploits all it can afford, the guard's refusals among them.
        const open = planLearningCampaign(base, likely, { ...month, monthsLeft, risk: 1 });
        expect(open.counts.exploit + open.holdout.length).toBe(month.budget);
      }
      // Where the contacts cannot drive anyone away, the guard leaves exploration room, and it explores.
      expect(planLearningCampaign(harmless, unsure, wide).counts.explore).toBeGreaterThan(0);
      expect(planLoses([])).toBe(0);
    });
  });
});
