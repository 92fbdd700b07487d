import { describe, expect, it } from 'vitest';
import { contactValue, expectedUses, planLearningCampaign, valueOfInformation, type ProfiledCandidate, type ResponseParameters } from './learning-planner.js';

const params: ResponseParameters = { acceptance: [0.24, 0.03, 0.45, 0.06], acceptedMultiplier: 0.6, contactMultiplier: 1.8 };
const classes = (sure: number, lost: number, pers: number, dog: number) => ({ 'sure-thing': sure, 'lost-cause': lost, persuadable: pers, 'sleeping-dog': dog });
const cand = (id: string, c: ProfiledCandidate['classes'], hazard = 0.06, value = 2500): ProfiledCandidate => ({ customerId: id, hazard, value, offerCost: 40, classes: c });
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
    const plan = planLearningCampaign([unsure], params, options);
    expect(plan.contact.map((c) => c.reason)).toEqual(['explore']);
    expect(planLearningCampaign([unsure], params, { ...options, monthsLeft: 1 }).counts['not-worth-it']).toBe(1);
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
    const plan = planLearningCampaign([cand('d', classes(0.2, 0, 0.25, 0.55), 0.2, 20000)], params, options);
    expect(plan.contact).toEqual([]);
    expect(plan.counts['contact-harms']).toBe(1);
  });

  it('keeps exploration within its share of the budget, exploits best first, and holds some out', () => {
    const many = Array.from({ length: 200 }, (_, i) => cand(`x${i}`, i % 2 ? classes(0.1, 0, 0.9, 0) : classes(0.55, 0.1, 0.3, 0.05), 0.03 + (i % 7) / 100));
    const plan = planLearningCampaign(many, params, { ...options, budget: 40, holdoutShare: 0.2 });
    const chosen = [...plan.contact, ...plan.holdout];
    expect(chosen.length).toBe(40);
    expect(chosen.filter((c) => c.reason === 'explore' || (c.reason === 'holdout' && c.valueOfInformation > 0)).length).toBeLessThanOrEqual(12);
    expect(plan.holdout.length).toBeGreaterThan(2);
    expect(plan.holdout.length).toBeLessThan(16);
    const exploits = plan.contact.filter((c) => c.reason === 'exploit').map((c) => c.expectedValue);
    expect(exploits).toEqual([...exploits].sort((a, b) => b - a));
  });
});
