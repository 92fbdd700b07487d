import { describe, expect, it } from 'vitest';
import { betaCdf, betaInterval, gammaInterval, Z95 } from './posterior-interval.js';

describe('posterior intervals', () => {
  it('give the Beta quantiles (checked against SciPy 1.x beta.ppf)', () => {
    const i = betaInterval(20, 30);
    expect(i.mean).toBeCloseTo(0.4, 10);
    expect(i.low).toBeCloseTo(0.28936, 4);
    expect(i.high).toBeCloseTo(0.51523, 4);
    // A rare event with a Jeffreys prior: a skewed interval far from the normal one.
    const r = betaInterval(0.5, 400, Z95);
    expect(r.low).toBeLessThan(1e-5);
    expect(r.high).toBeCloseTo(0.006264, 4);
    expect(betaCdf(0.4, 2, 2)).toBeCloseTo(0.352, 6);
  });

  it('give the Gamma quantiles within the cube-root approximation (SciPy gamma.ppf: 0.656 and 2.032 for shape 12.5, rate 10)', () => {
    const g = gammaInterval(12.5, 10, Z95);
    expect(g.mean).toBe(1.25);
    expect(g.low).toBeCloseTo(0.656, 2);
    expect(g.high).toBeCloseTo(2.032, 2);
  });
});
