import { describe, expect, it } from 'vitest';
import { effectDraws, meanEffect } from './effect-draws.js';

describe('effect draws', () => {
  it('grids both posteriors, each on its side of one, centred where a well-measured posterior is', () => {
    const draws = effectDraws({ shape: 0.6 * 1e4, rate: 1e4 }, { shape: 1.4 * 1e4, rate: 1e4 });
    expect(draws).toHaveLength(81);
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

  it('refuses a posterior that is not one, naming it', () => {
    expect(() => effectDraws({ shape: 0, rate: 5 }, { shape: 1, rate: 1 })).toThrow(/acceptedMultiplier/);
    expect(() => effectDraws({ shape: 1, rate: 1 }, { shape: 1, rate: Number.NaN })).toThrow(/contactMultiplier/);
  });
});
