import { describe, expect, it } from 'vitest';
import { gammaQuantile } from '../../intelligence/evaluation/posterior-interval.js';
import { riskQuantileNonNegative } from '../../intelligence/uplift/plan-guard.js';
import { effectDraws, meanEffect } from './effect-draws.js';

describe('effect draws', () => {
  it('grids both posteriors, each on its side of one, centred where a well-measured posterior is', () => {
    const draws = effectDraws({ shape: 0.6 * 1e4, rate: 1e4 }, { shape: 1.4 * 1e4, rate: 1e4 });
    expect(draws).toHaveLength(196);
    expect(draws.reduce((s, d) => s + d.weight, 0)).toBeCloseTo(1, 12);
    const mean = meanEffect(draws);
    expect(mean.acceptedMultiplier).toBeCloseTo(0.6, 2);
    expect(mean.contactMultiplier).toBeCloseTo(1.4, 2);
  });

  it('reads a vague posterior at most 1 for an accepted offer and at least 1 for a contact', () => {
    const draws = effectDraws({ shape: 3.35, rate: 5 }, { shape: 7.5, rate: 5 });
    expect(Math.max(...draws.map((d) => d.acceptedMultiplier))).toBe(1);
    expect(Math.min(...draws.map((d) => d.contactMultiplier))).toBe(1);
    expect(Math.min(...draws.map((d) => d.acceptedMultiplier))).toBeLessThan(0.4);
  });

  it('lets the guard read its level: a plan negative with probability 0.08 on one effect passes at 0.1, one at 0.12 does not', () => {
    // One effect uncertain, the other a point: the plan's kept value is c − m_A, negative exactly
    // when m_A passes c, so P(negative) = P(m_A > c) = 1 − Φ(z) when c is m_A's quantile at z.
    const accepted = { shape: 25, rate: 50 };
    const draws = effectDraws(accepted, { shape: 1.5e6, rate: 1e6 });
    const weights = draws.map((d) => d.weight);
    const passes = (z: number) => {
      const c = gammaQuantile(accepted.shape, accepted.rate, z);
      return riskQuantileNonNegative(draws.map((d) => c - d.acceptedMultiplier), weights, 0.1);
    };
    expect(passes(1.4051)).toBe(true); // P(negative) = 0.08
    expect(passes(1.175)).toBe(false); // 0.12
    // The same on the harm of a contact, the other effect.
    const contact = { shape: 30, rate: 20 };
    const dogDraws = effectDraws({ shape: 0.5e6, rate: 1e6 }, contact);
    const harmPasses = (z: number) => riskQuantileNonNegative(dogDraws.map((d) => gammaQuantile(contact.shape, contact.rate, z) - d.contactMultiplier), weights, 0.1);
    expect(harmPasses(1.4051)).toBe(true);
    expect(harmPasses(1.175)).toBe(false);
  });

  it('refuses a posterior that is not one, naming it', () => {
    expect(() => effectDraws({ shape: 0, rate: 5 }, { shape: 1, rate: 1 })).toThrow(/acceptedMultiplier/);
    expect(() => effectDraws({ shape: 1, rate: 1 }, { shape: 1, rate: Number.NaN })).toThrow(/contactMultiplier/);
  });
});
