import { describe, expect, it } from 'vitest';
import { whatIfBasis } from './what-if-basis';

describe('whatIfBasis', () => {
  it("reads a scored customer's risk and value, and a customer not scored as not scored (never 0 %)", () => {
    expect(whatIfBasis({ churn: 0.123, clv: 812.5, basedOn: { scored: true } })).toBe('churn risk now 12 %, lifetime value 812.50; nothing is sent or logged');
    const text = whatIfBasis({ churn: null, clv: null, basedOn: { scored: false, note: 'not scored yet: no churn model serves (a first start trains one)' } });
    expect(text).toBe('churn risk not scored yet: no churn model serves (a first start trains one); nothing is sent or logged');
    expect(text).not.toMatch(/0 %/);
  });
});
