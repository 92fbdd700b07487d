import { describe, expect, it } from 'vitest';
import { classLines, evidenceLine, kindRows, type ResponseProfile } from './response-profile';

const range = (mean: number, low: number, high: number) => ({ mean, low, high });
/** C003636's profile on npm start's default world after one declined data bonus (GET /twins/C003636). */
const profile: ResponseProfile = {
  classes: { 'sure-thing': 0.2384, 'lost-cause': 0.2914, persuadable: 0.2017, 'sleeping-dog': 0.2685 },
  contacts: 1,
  acceptance: { discount: range(0.2246, 0.0238, 0.666), data_bonus: range(0.2156, 0.0352, 0.5579), plan_upgrade: range(0.2246, 0.0238, 0.666), loyalty_credit: range(0.2246, 0.0238, 0.666), other: range(0.2246, 0.0238, 0.666) },
  ignore: { discount: range(0.4, 0.2894, 0.5152), data_bonus: range(0.3648, 0.2582, 0.4813), plan_upgrade: range(0.4, 0.2894, 0.5152), loyalty_credit: range(0.4, 0.2894, 0.5152), other: range(0.4, 0.2894, 0.5152) },
  model: { customers: 1234, fittedAt: '2026-12-12T22:59:56.000Z' },
};

describe("the customer page's response profile", () => {
  it('lists the response classes likeliest first, each with what it means', () => {
    expect(classLines(profile)).toEqual([
      { name: 'lost cause', probability: '29 %', meaning: 'leaves whether contacted or not' },
      { name: 'sleeping dog', probability: '27 %', meaning: 'any contact makes them likelier to leave' },
      { name: 'sure thing', probability: '24 %', meaning: 'stays whether contacted or not' },
      { name: 'persuadable', probability: '20 %', meaning: 'an accepted offer makes them likelier to stay' },
    ]);
  });

  it('shows each offer kind with its uncertainty: the mean and the range, for taking it and for leaving it unanswered', () => {
    const rows = kindRows(profile);
    expect(rows.map((r) => r.kind)).toEqual(['discount', 'data bonus', 'plan upgrade', 'loyalty credit', 'other']);
    expect(rows[1]).toEqual({ kind: 'data bonus', accepts: '22 % (3.5 % to 56 %)', ignores: '36 % (26 % to 48 %)' });
  });

  it("says how much is the customer's own evidence and what it is pooled with, on the event clock", () => {
    expect(evidenceLine(profile)).toBe('From 1 offer made to this customer and their answers, pooled with customers like them; the model learns from the 1,234 customers with answers, fitted 2026-12-12 22:59 UTC.');
    expect(evidenceLine({ ...profile, contacts: 0, model: { customers: 0, fittedAt: profile.model.fittedAt } })).toBe(
      "No offer made to this customer yet: read from customers like them; the model has not learnt from any customer's answers yet (it is refitted at each model check, every minute by default), so it reads with its priors.",
    );
    // C000123 on the default world: a flat 25/25/25/25 and no answers of its own is the prior, not a finding.
    const flat = { 'sure-thing': 0.25, 'lost-cause': 0.25, persuadable: 0.25, 'sleeping-dog': 0.25 };
    expect(evidenceLine({ ...profile, classes: flat, contacts: 0 })).toMatch(/^No answers yet: the prior \(every class alike/);
    expect(evidenceLine({ ...profile, classes: flat, contacts: 2 })).toMatch(/^From 2 offers made to this customer/);
  });
});
