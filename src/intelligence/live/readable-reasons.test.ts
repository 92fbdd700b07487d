import { describe, expect, it } from 'vitest';
import { describeFeature } from './readable-reasons.js';

describe('a score reason in words', () => {
  it('groups the digits of large amounts and keeps small ones as they are', () => {
    expect(describeFeature('data_mb_30d', 231186)).toBe('231,186 MB of data in 30 days');
    expect(describeFeature('data_mb_30d', 231186.4)).toBe('231,186 MB of data in 30 days');
    expect(describeFeature('data_mb_7d', 12)).toBe('12 MB of data in 7 days');
    expect(describeFeature('data_mb_7d', 3.5)).toBe('3.50 MB of data in 7 days');
  });

  it('says which months over allowance count: the complete ones, not the period running (a card showed 113 % beside "0 months over allowance")', () => {
    expect(describeFeature('months_over_allowance_3m', 0)).toBe('0 of the last 3 complete months over allowance');
    expect(describeFeature('months_over_allowance_12m', 1)).toBe('1 of the last 12 complete months over allowance');
  });

  it("says an approval's facts in words, the live scores and whether they left included, not as raw names (an approver read 'churned = 0', 'ARPU')", () => {
    const facts = { churn: 0.0123, clv: 676.4, churned: 0, arpu_3m: 25 };
    expect(Object.entries(facts).map(([k, v]) => describeFeature(k, v))).toEqual(['churn risk 1.2 %', 'lifetime value 676', 'still a customer', 'average revenue 25 a month (3 months)']);
  });
});
