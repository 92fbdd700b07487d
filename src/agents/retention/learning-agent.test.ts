import { describe, expect, it } from 'vitest';
import { gammaInterval } from '../../intelligence/evaluation/posterior-interval.js';
import { plannedMultiplier } from './learning-agent.js';

/** A multiplier's posterior from a prior worth `strength` expected churns at `prior`, plus `churns` seen in `evidence` expected. */
function posterior(prior: number, strength: number, churns: number, evidence: number) {
  const shape = prior * strength + churns;
  const rate = strength + evidence;
  const i = gammaInterval(shape, rate);
  return { mean: shape / rate, low: i.low, high: i.high, shape, rate, evidence };
}

describe('planned multiplier', () => {
  it('is the cautious 90 % bound while only the prior speaks', () => {
    const m = posterior(0.67, 5, 0, 0);
    expect(plannedMultiplier(m, 5, 'below-one')).toBe(Math.min(1, m.high));
    expect(plannedMultiplier(posterior(1.5, 5, 0, 0), 5, 'above-one')).toBeCloseTo(posterior(1.5, 5, 0, 0).high, 9);
  });

  it('moves toward the mean as the agent\u2019s own evidence outweighs the prior, on either side of one', () => {
    // The same effect (acceptors churn at half the expected rate) seen over more and more expected churns.
    const seen = [0, 5, 20, 100, 1000].map((e) => plannedMultiplier(posterior(0.67, 5, e / 2, e), 5, 'below-one'));
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeLessThan(seen[i - 1]);
    expect(seen[0]).toBe(1);
    expect(Math.abs(seen[4] - 0.5)).toBeLessThan(0.01);
    // A sleeping dog's multiplier is planned at the provoking end, never below 1.
    const dog = [0, 100].map((e) => plannedMultiplier(posterior(1.5, 5, e * 1.2, e), 5, 'above-one'));
    expect(dog[0]).toBeGreaterThan(dog[1]);
    expect(dog[1]).toBeGreaterThanOrEqual(1.2);
    expect(plannedMultiplier(posterior(1.5, 5, 10, 100), 5, 'above-one')).toBe(1);
  });

  it('is the posterior’s middle with no caution (what scripts/agent-offline.mjs compares the cautious plan with)', () => {
    const m = posterior(0.67, 5, 0, 0);
    expect(plannedMultiplier(m, 5, 'below-one', 0)).toBeCloseTo(gammaInterval(m.shape, m.rate, 0).high, 12);
    expect(plannedMultiplier(m, 5, 'below-one', 0)).toBeGreaterThan(m.mean - 0.1);
    expect(plannedMultiplier(m, 5, 'below-one', 0)).toBeLessThan(plannedMultiplier(m, 5, 'below-one'));
  });
});
